"""Recommended introductions for a liaison programme.

A link-prediction model (scikit-learn) learns from an earlier window which
pairs of people go on to form a tie in a later window. It then scores the
IT × business pairs that are not tied yet, and a greedy planner picks a budget
of introductions that add the most redundancy and coverage to business units'
ties with IT, without piling more work on people who already broker a lot.

Graphs are undirected person graphs from :func:`analysis.build.person_graph`
(vertex ``name``, ``team``, unit, ``is_it``); weights are not used by the
features, which read the tie structure only.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from dataclasses import field

import igraph as ig
import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from analysis.build import edge_array
from analysis.risk import maximum_matching

__all__ = [
    "FEATURES",
    "Introduction",
    "LinkModel",
    "fit_link_model",
    "link_auc",
    "pair_features",
    "recommend_introductions",
]

FEATURES = (
    "common_neighbours",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
    "same_unit",
    "same_team",
    "it_business",
    "both_it",
    "degree_min",
    "degree_max",
)
#: Value of covering a unit member who has no IT tie, against 1 / (1 + paths)
#: for adding a node-disjoint unit–IT path.
COVERAGE_WEIGHT = 0.25
CHUNK = 50_000  # pairs featurised at a time
SAMPLING_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class LinkModel:
    """A fitted link-prediction model and what it was fitted on.

    ``estimator`` is a scikit-learn pipeline (standardisation, logistic
    regression) over :data:`FEATURES`; ``unit`` and ``team`` name the vertex
    attributes the features read.
    """

    estimator: Pipeline
    unit: str
    team: str
    it_business: bool
    positives: int
    negatives: int

    def coefficients(self) -> dict[str, float]:
        """Standardised logistic-regression coefficient of each feature."""
        weights = self.estimator[-1].coef_[0]
        return {name: float(w) for name, w in zip(FEATURES, weights, strict=True)}


@dataclass(frozen=True, slots=True)
class Introduction:
    """One recommended introduction between an IT person and a business person.

    ``probability`` is the model's chance that the tie forms; ``gain`` the
    planner's value when it was picked; ``adds_path`` says whether it adds a
    node-disjoint unit–IT path, ``covers_person`` whether ``person`` had no
    IT tie before.
    """

    it_person: str
    person: str
    unit: str
    probability: float
    gain: float
    adds_path: bool
    covers_person: bool


def pair_features(
    graph: ig.Graph, pairs: np.ndarray, *, unit: str = "department", team: str = "team"
) -> np.ndarray:
    """Link-prediction features of vertex pairs, one row per pair, columns :data:`FEATURES`.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected; vertices carry ``unit``, ``team`` and ``is_it``.
    pairs : numpy.ndarray
        Shape (p, 2) of vertex ids.
    unit, team : str
        Vertex attributes compared by ``same_unit`` and ``same_team``.

    Returns
    -------
    numpy.ndarray
        Shape (p, 11): common neighbours, Jaccard, Adamic–Adar, resource
        allocation, ``log(1 + k_a·k_b)`` (preferential attachment), same unit,
        same team, exactly one IT, both IT, smaller and larger degree.

    Notes
    -----
    Ties are unweighted and undirected here. Neighbourhood scores are computed
    in sparse chunks (``A[a] ∘ A[b]``), so any number of pairs fits in memory.

    References
    ----------
    Liben-Nowell, D. & Kleinberg, J. (2007). The link-prediction problem for
    social networks. JASIST 58(7), 1019–1031. https://doi.org/10.1002/asi.20591

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (1, 2), (0, 3), (3, 2)])
    >>> g.vs["department"] = ["A", "A", "B", "B"]
    >>> g.vs["team"] = ["A/x", "A/x", "B/y", "B/y"]
    >>> g.vs["is_it"] = [False, False, True, True]
    >>> f = pair_features(g, np.array([[0, 2]]))
    >>> dict(zip(FEATURES[:4], f[0, :4].round(3).tolist()))
    {'common_neighbours': 2.0, 'jaccard': 1.0, 'adamic_adar': 2.885, 'resource_allocation': 1.0}
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return np.zeros((0, len(FEATURES)))
    adjacency = _adjacency(graph)
    return np.vstack(
        [
            _features(graph, adjacency, pairs[i : i + CHUNK], unit=unit, team=team)
            for i in range(0, len(pairs), CHUNK)
        ]
    )


def fit_link_model(
    earlier: ig.Graph,
    later: ig.Graph,
    *,
    unit: str = "department",
    team: str = "team",
    negatives: int = 5,
    it_business: bool = True,
    seed: int | None = None,
) -> LinkModel:
    """Learn which untied pairs of an earlier window become tied in a later one.

    Parameters
    ----------
    earlier, later : igraph.Graph
        Person graphs of two consecutive windows; vertices are matched by
        ``name`` (people missing from ``earlier`` are ignored).
    unit, team : str
        Vertex attributes for the features.
    negatives : int
        Untied pairs sampled per new tie (pairs tied in neither window).
    it_business : bool
        Learn from IT × business pairs only, the population the
        recommendations are drawn from (otherwise from all pairs).
    seed : int, optional
        Seeds the negative sampling and the estimator (``random_state``).

    Returns
    -------
    LinkModel

    Raises
    ------
    ValueError
        When no new tie (or no untied pair) is found between the windows.

    Notes
    -----
    Features come from ``earlier`` only; labels say whether the pair is tied
    in ``later``. Standardised logistic regression, so the coefficients read
    as feature importance (:meth:`LinkModel.coefficients`).

    References
    ----------
    Liben-Nowell, D. & Kleinberg, J. (2007). The link-prediction problem for
    social networks. JASIST 58(7), 1019–1031. https://doi.org/10.1002/asi.20591

    Examples
    --------
    >>> a = ig.Graph.Famous("Zachary")
    >>> a.vs["name"] = [str(v) for v in range(34)]
    >>> a.vs["department"] = a.vs["team"] = ["X"] * 34
    >>> a.vs["is_it"] = [False] * 34
    >>> b = a.copy()
    >>> b.add_edges([(4, 7), (12, 2), (16, 10)])
    >>> model = fit_link_model(a, b, it_business=False, seed=1)
    >>> model.positives, model.negatives
    (3, 15)
    """
    rng = np.random.default_rng(seed)
    pairs, labels = _labelled_pairs(
        earlier, later, negatives=negatives, it_business=it_business, rng=rng
    )
    estimator = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)
    )
    estimator.fit(pair_features(earlier, pairs, unit=unit, team=team), labels)
    positives = int(labels.sum())
    return LinkModel(estimator, unit, team, it_business, positives, len(labels) - positives)


def link_auc(
    model: LinkModel,
    earlier: ig.Graph,
    later: ig.Graph,
    *,
    negatives: int = 5,
    seed: int | None = None,
) -> float:
    """ROC-AUC of a link model on the new ties of another pair of windows.

    Parameters
    ----------
    model : LinkModel
        From :func:`fit_link_model`, fitted on earlier windows.
    earlier, later : igraph.Graph
        The held-out windows: features from ``earlier``, new ties in ``later``.
    negatives : int
        Untied pairs sampled per new tie.
    seed : int, optional
        Seeds the negative sampling.

    Returns
    -------
    float
        Area under the ROC curve over the new ties and the sampled untied
        pairs (of the population the model was fitted on).

    Notes
    -----
    Negatives are sampled uniformly from pairs tied in neither window, so
    the AUC is the chance that a new tie outranks a random untied pair.

    References
    ----------
    Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
    Letters 27(8), 861–874. https://doi.org/10.1016/j.patrec.2005.10.010

    Examples
    --------
    >>> a = ig.Graph.Famous("Zachary")
    >>> a.vs["name"] = [str(v) for v in range(34)]
    >>> a.vs["department"] = a.vs["team"] = ["X"] * 34
    >>> a.vs["is_it"] = [False] * 34
    >>> b = a.copy()
    >>> b.add_edges([(4, 7), (12, 2), (16, 10)])
    >>> model = fit_link_model(a, b, it_business=False, seed=1)
    >>> 0.5 < link_auc(model, a, b, seed=2) <= 1.0
    True
    """
    rng = np.random.default_rng(seed)
    pairs, labels = _labelled_pairs(
        earlier, later, negatives=negatives, it_business=model.it_business, rng=rng
    )
    features = pair_features(earlier, pairs, unit=model.unit, team=model.team)
    return float(roc_auc_score(labels, model.estimator.predict_proba(features)[:, 1]))


def recommend_introductions(
    graph: ig.Graph,
    model: LinkModel,
    *,
    k: int = 10,
    per_person_cap: int = 2,
    candidates_per_person: int = 20,
) -> list[Introduction]:
    """Pick up to ``k`` IT × business introductions that strengthen liaison the most.

    Parameters
    ----------
    graph : igraph.Graph
        The current person graph (vertex ``name``, ``is_it`` and the model's
        ``unit`` and ``team``).
    model : LinkModel
        Scores how likely each introduction is to turn into a tie.
    k : int
        The budget of introductions.
    per_person_cap : int
        No person, on either side, gets more than this many introductions.
    candidates_per_person : int
        IT people considered for each business person: those with the
        highest resource-allocation score among the untied ones at distance 2.

    Returns
    -------
    list of Introduction
        In the order picked (best first); shorter than ``k`` when no more
        introduction adds a path or covers someone.

    Notes
    -----
    Candidates are untied pairs of an IT person and a business person at
    distance 2 (they share a contact), which is where link prediction has
    signal; each business person keeps their ``candidates_per_person`` best
    by resource allocation, so every unit stays represented. The value of an introduction is

    ``p · (adds_path / (1 + paths_U) + 0.25 · covers · (1 − s_iU)) / ((1 + ℓ_i/ℓ̄)(1 + ℓ_j/ℓ̄))``

    with ``p`` the model probability, ``paths_U`` the unit's current
    node-disjoint paths to IT (so fragile units come first), ``covers`` 1
    when the business person has no IT tie, ``s_iU`` the IT person's share
    of the unit's IT ties (covering someone through the unit's only liaison
    adds no resilience), and ``ℓ`` each person's number of cross-unit ties
    (over its mean ``ℓ̄``): existing brokers are not overloaded. Whether a pair adds a path is read from the alternating
    reachability of a maximum matching, so it costs nothing per candidate.
    Selection is lazy greedy (CELF): after every pick only the candidates
    that reach the top are re-valued. Deterministic: ties break by name.

    References
    ----------
    Leskovec, J. et al. (2007). Cost-effective outbreak detection in networks
    (CELF). KDD 2007, 420–429. https://doi.org/10.1145/1281192.1281239

    Examples
    --------
    >>> a = ig.Graph.Famous("Zachary")
    >>> a.vs["name"] = [f"p{v}" for v in range(34)]
    >>> a.vs["department"] = ["IT" if v in (0, 33) else "Sales" if v < 17 else "Ops" for v in range(34)]
    >>> a.vs["team"] = a.vs["department"]
    >>> a.vs["is_it"] = [v in (0, 33) for v in range(34)]
    >>> b = a.copy()
    >>> b.add_edges([(0, 24), (33, 4), (33, 5), (0, 25)])
    >>> model = fit_link_model(a, b, negatives=3, seed=0)
    >>> picks = recommend_introductions(a, model, k=2)
    >>> [(i.it_person, i.person, i.adds_path, i.covers_person) for i in picks]
    [('p0', 'p24', False, True), ('p0', 'p25', False, True)]
    """
    candidates = _candidates(graph, model.unit, candidates_per_person)
    if not len(candidates) or k <= 0:
        return []
    features = pair_features(graph, candidates, unit=model.unit, team=model.team)
    probability = model.estimator.predict_proba(features)[:, 1]
    plan = _Plan(graph, model.unit)
    return plan.select(candidates, probability, k=k, cap=per_person_cap)


# --- features ------------------------------------------------------------


def _adjacency(graph: ig.Graph) -> sparse.csr_array:
    n = graph.vcount()
    if not graph.ecount():
        return sparse.csr_array((n, n))
    edges = edge_array(graph)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    return sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _features(
    graph: ig.Graph, adjacency: sparse.csr_array, pairs: np.ndarray, *, unit: str, team: str
) -> np.ndarray:
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse_log = np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2)), 0.0)
    inverse = np.where(degree > 0, 1.0 / np.maximum(degree, 1), 0.0)
    a, b = pairs[:, 0], pairs[:, 1]
    shared = adjacency[a].multiply(adjacency[b]).tocsr()
    common = np.asarray(shared.sum(axis=1)).ravel()
    union = degree[a] + degree[b] - common
    units, teams = np.array(graph.vs[unit], dtype=object), np.array(graph.vs[team], dtype=object)
    is_it = np.array(graph.vs["is_it"], dtype=bool)
    columns = [
        common,
        np.divide(common, union, out=np.zeros_like(common), where=union > 0),
        shared @ inverse_log,
        shared @ inverse,
        np.log1p(degree[a] * degree[b]),
        units[a] == units[b],
        teams[a] == teams[b],
        is_it[a] != is_it[b],
        is_it[a] & is_it[b],
        np.minimum(degree[a], degree[b]),
        np.maximum(degree[a], degree[b]),
    ]
    return np.column_stack(columns).astype(float)


# --- training pairs ------------------------------------------------------


def _labelled_pairs(
    earlier: ig.Graph, later: ig.Graph, *, negatives: int, it_business: bool, rng
) -> tuple[np.ndarray, np.ndarray]:
    """New ties of ``later`` (untied in ``earlier``) and sampled untied pairs, in earlier's ids."""
    before, after = _adjacency(earlier), _aligned(earlier, later)
    upper = sparse.triu(after, k=1).tocoo()
    new = np.column_stack([upper.row, upper.col]).astype(np.int64)
    new = new[_lookup(before, new) == 0]
    sides = _sides(earlier)
    if it_business:
        new = new[sides[new[:, 0]] * sides[new[:, 1]] < 0]
    untied = _untied(before, after, sides, len(new) * negatives, it_business=it_business, rng=rng)
    if not len(new) or not len(untied):
        raise ValueError("no new ties (or no untied pairs) between the windows: nothing to learn")
    labels = np.concatenate([np.ones(len(new)), np.zeros(len(untied))])
    return np.vstack([new, untied]), labels


def _aligned(earlier: ig.Graph, later: ig.Graph) -> sparse.csr_array:
    """``later``'s ties in ``earlier``'s vertex ids (people only in ``later`` dropped)."""
    names = later.vs["name"] if later.vcount() else []
    if names == (earlier.vs["name"] if earlier.vcount() else []):  # the same people, in order
        return _adjacency(later)
    index = {name: v for v, name in enumerate(earlier.vs["name"] if earlier.vcount() else [])}
    pairs = [
        (index[names[a]], index[names[b]])
        for a, b in later.get_edgelist()
        if names[a] in index and names[b] in index
    ]
    shadow = ig.Graph(n=earlier.vcount(), edges=pairs)
    return _adjacency(shadow)


def _sides(graph: ig.Graph) -> np.ndarray:
    """+1 for IT people, -1 for business people (with a unit or not)."""
    return (
        np.where(np.array(graph.vs["is_it"], dtype=bool), 1, -1) if graph.vcount() else np.zeros(0)
    )


def _untied(before, after, sides: np.ndarray, count: int, *, it_business: bool, rng) -> np.ndarray:
    """Up to ``count`` distinct pairs tied in neither window, sampled uniformly."""
    it, business = np.flatnonzero(sides > 0), np.flatnonzero(sides < 0)
    pool_a, pool_b = (it, business) if it_business else (np.arange(len(sides)),) * 2
    found = np.zeros((0, 2), dtype=np.int64)
    for _ in range(SAMPLING_ROUNDS):
        if len(found) >= count or not len(pool_a) or not len(pool_b):
            break
        draw = np.column_stack([rng.choice(pool_a, 2 * count), rng.choice(pool_b, 2 * count)])
        draw = np.sort(draw[draw[:, 0] != draw[:, 1]], axis=1)
        draw = draw[(_lookup(before, draw) == 0) & (_lookup(after, draw) == 0)]
        found = np.unique(np.vstack([found, draw]), axis=0)
    keep = rng.permutation(len(found))[:count]
    return found[np.sort(keep)]


def _lookup(matrix: sparse.csr_array, pairs: np.ndarray) -> np.ndarray:
    if not len(pairs):
        return np.zeros(0)
    return np.asarray(matrix[pairs[:, 0], pairs[:, 1]]).ravel()


# --- candidates and the greedy plan --------------------------------------


def _candidates(graph: ig.Graph, unit: str, per_person: int) -> np.ndarray:
    """Untied (IT person, business person) pairs at distance 2, the best few per business person.

    Each business person keeps the ``per_person`` IT people with the highest
    resource-allocation score ``Σ_c 1/k_c`` over their common contacts: in a
    dense organisation nearly every pair is at distance 2, and scoring them
    all would cost millions of feature rows.
    """
    if not graph.ecount() or per_person <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    adjacency = _adjacency(graph)
    is_it = np.array(graph.vs["is_it"], dtype=bool)
    it = np.flatnonzero(is_it)
    business = np.flatnonzero(~is_it & (np.array(graph.vs[unit], dtype=object) != ""))
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    spread = adjacency.multiply(1.0 / np.maximum(degree, 1)[:, None]).tocsr()
    rows = adjacency[business]
    allocation = (rows @ spread[:, it]).tocsr()
    allocation = (allocation - allocation.multiply(rows[:, it])).tocoo()  # drop tied pairs
    keep = allocation.data > 0
    row, column, score = allocation.row[keep], allocation.col[keep], allocation.data[keep]
    # by person, best score first, then IT id: one sort of an integer key (scores ranked once)
    values, rank = np.unique(-score, return_inverse=True)
    if (int(row.max(initial=0)) + 1) * len(values) * max(len(it), 1) < 2**62:
        order = np.argsort((row.astype(np.int64) * len(values) + rank.ravel()) * len(it) + column)
    else:  # too large for one integer key
        order = np.lexsort((column, rank.ravel(), row))
    row, column = row[order], column[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row, side="left")
    best = rank < per_person
    pairs = np.column_stack([it[column[best]], business[row[best]]]).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


class _Plan:
    """Greedy state: each unit's IT ties, their matching, coverage and loads."""

    def __init__(self, graph: ig.Graph, unit: str) -> None:
        self.names = graph.vs["name"]
        self.units = graph.vs[unit]
        edges = edge_array(graph)
        units = np.array(self.units, dtype=object)
        is_it = np.array(graph.vs["is_it"], dtype=bool)
        crossing = edges[units[edges[:, 0]] != units[edges[:, 1]]].ravel()
        self.load = np.bincount(crossing, minlength=graph.vcount()).astype(float)
        self.ties: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for a, b in edges[is_it[edges[:, 0]] != is_it[edges[:, 1]]].tolist():
            it_person, person = (a, b) if is_it[a] else (b, a)
            if self.units[person]:
                self.ties[self.units[person]].append((person, it_person))
        crossing = self.load[self.load > 0]
        self.mean_load = float(crossing.mean()) if len(crossing) else 1.0
        self.covered = {p for ties in self.ties.values() for p, _ in ties}
        self.carried = {u: Counter(i for _, i in ties) for u, ties in self.ties.items()}
        self.state = {u: _reachability(ties) for u, ties in self.ties.items()}
        self.picked: Counter[int] = Counter()

    def value(self, it_person: int, person: int, p: float) -> tuple[float, bool, bool]:
        unit = self.units[person]
        reach = self.state.get(unit) or _Reach()
        adds = reach.adds_path(it_person, person)
        covers = person not in self.covered
        carried = self.carried.get(unit)
        share = carried[it_person] / carried.total() if carried else 0.0
        base = adds / (1.0 + reach.paths) + COVERAGE_WEIGHT * covers * (1.0 - share)
        crowding = 1 + float(self.load[it_person]) / self.mean_load
        crowding *= 1 + float(self.load[person]) / self.mean_load
        return p * base / crowding, adds, covers

    def take(self, it_person: int, person: int) -> None:
        unit = self.units[person]
        self.ties[unit].append((person, it_person))
        self.carried.setdefault(unit, Counter())[it_person] += 1
        self.state[unit] = _reachability(self.ties[unit])
        self.covered.add(person)
        self.load[[it_person, person]] += 1
        self.picked.update((it_person, person))

    def values(self, pairs: np.ndarray, p: np.ndarray) -> np.ndarray:
        """:meth:`value` of every candidate at once (before any pick)."""
        n = len(self.names)
        it_person, person = pairs[:, 0], pairs[:, 1]
        unit_names = sorted(set(self.units) - {""})
        index = {u: k for k, u in enumerate(unit_names)}
        unit = np.asarray([index.get(u, -1) for u in self.units], dtype=np.int64)
        paths = np.zeros(len(unit_names))
        free_people = np.zeros(n, dtype=bool)
        tied_people = np.zeros(n, dtype=bool)
        free_it, tied_it, carried_keys, carried = [], [], [], []
        for name, reach in self.state.items():
            u = index[name]
            paths[u] = reach.paths
            free_people[list(reach.people)] = True
            tied_people[list(reach.tied_people)] = True
            free_it += [u * n + i for i in reach.it]
            tied_it += [u * n + i for i in reach.tied_it]
            total = self.carried[name].total()
            for i, count in self.carried[name].items():
                carried_keys.append(u * n + i)
                carried.append(count / total)
        key = unit[person] * n + it_person
        adds = (free_people[person] | ~tied_people[person]) & (
            _member(key, free_it) | ~_member(key, tied_it)
        )
        order = np.argsort(carried_keys)
        keys, shares = np.asarray(carried_keys, dtype=np.int64)[order], np.asarray(carried)[order]
        at = np.minimum(np.searchsorted(keys, key), max(len(keys) - 1, 0))
        share = np.where(keys[at] == key, shares[at], 0.0) if len(keys) else np.zeros(len(key))
        covers = ~np.isin(person, list(self.covered))
        base = adds / (1.0 + paths[unit[person]]) + COVERAGE_WEIGHT * covers * (1.0 - share)
        crowding = (1 + self.load[it_person] / self.mean_load) * (
            1 + self.load[person] / self.mean_load
        )
        return p * base / crowding

    def select(self, pairs: np.ndarray, p: np.ndarray, *, k: int, cap: int) -> list[Introduction]:
        """Lazy greedy: candidates in order of their first value, re-valued as they reach the top.

        The same picks as one heap of every candidate ordered by (−value,
        IT name, person name): the sorted array is that heap's pop order
        until a pick changes values; re-valued candidates go to a small heap.
        """
        names = np.asarray(self.names, dtype=object)
        rank = np.empty(len(names), dtype=np.int64)
        rank[np.argsort(names, kind="stable")] = np.arange(len(names))
        gains = self.values(pairs, p)
        order = np.lexsort((rank[pairs[:, 1]], rank[pairs[:, 0]], -gains))
        queue = zip((-gains[order]).tolist(), rank[pairs[order, 0]].tolist(),
                    rank[pairs[order, 1]].tolist(), order.tolist(), strict=True)  # fmt: skip
        waiting: list[tuple[float, int, int, int]] = []
        head = next(queue, None)
        chosen: list[Introduction] = []
        while (head is not None or waiting) and len(chosen) < k:
            if head is not None and (not waiting or head < waiting[0]):
                entry, head = head, next(queue, None)
            else:
                entry = heapq.heappop(waiting)
            c = entry[3]
            i, j, q = int(pairs[c, 0]), int(pairs[c, 1]), float(p[c])
            if self.picked[i] >= cap or self.picked[j] >= cap:
                continue
            gain, adds, covers = self.value(i, j, q)
            if gain <= 0:
                continue
            top = min(
                [x for x in (head, waiting[0] if waiting else None) if x is not None], default=None
            )
            if top is not None and gain < -top[0]:
                heapq.heappush(waiting, (-gain, entry[1], entry[2], c))
                continue
            self.take(i, j)
            chosen.append(
                Introduction(self.names[i], self.names[j], self.units[j], q, gain, adds, covers)
            )
        return chosen


def _member(keys: np.ndarray, members: list[int]) -> np.ndarray:
    """Which of ``keys`` are among ``members``."""
    return np.isin(keys, np.asarray(members, dtype=np.int64))


@dataclass(slots=True)
class _Reach:
    """One unit's ties to IT: matching size, and who can still take a new path.

    A new tie (person, IT person) adds a node-disjoint path exactly when the
    person is untied, free, or reachable by an alternating path (tie, then
    matching) from a free unit member, and the IT person likewise from a free
    IT person (Gallai–Edmonds: these sets do not depend on the matching).
    """

    paths: int = 0
    people: set = field(default_factory=set)
    it: set = field(default_factory=set)
    tied_people: set = field(default_factory=set)
    tied_it: set = field(default_factory=set)

    def adds_path(self, it_person: int, person: int) -> bool:
        person_free = person in self.people or person not in self.tied_people
        return person_free and (it_person in self.it or it_person not in self.tied_it)


def _reachability(ties: list[tuple[int, int]]) -> _Reach:
    match = maximum_matching(ties)
    owner = {it_person: person for person, it_person in match.items()}
    forward: dict[Hashable, list[Hashable]] = defaultdict(list)
    backward: dict[Hashable, list[Hashable]] = defaultdict(list)
    for person, it_person in ties:
        forward[person].append(it_person)
        backward[it_person].append(person)
    people = _alternating({p for p in forward if p not in match}, forward, owner)
    it = _alternating({i for i in backward if i not in owner}, backward, match)
    return _Reach(len(match), people, it, set(forward), set(backward))


def _alternating(start: set, out: dict, partner: dict) -> set:
    """Vertices of ``start``'s side reached by alternating paths (tie, then matching)."""
    seen, queue = set(start), list(start)
    while queue:
        for other in out[queue.pop()]:
            nxt = partner.get(other)
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
