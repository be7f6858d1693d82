"""Period comparison: what changed between two windows, and is it more than noise.

Both windows are person graphs built from the **same people in the same
order** (``person_graph(people, ties_a)`` and ``person_graph(people, ties_b)``),
so a person is the same vertex in both. Confidence intervals come from a
paired, stratified **person bootstrap** (Snijders & Borgatti 1999): each
replicate draws people with replacement within each group, gives every
person a multiplicity ``m`` (how often they were drawn), weights every tie
``(a, b)`` by ``m_a · m_b`` and applies the *same* draw to both windows, so the
CI of a difference reflects which people happen to be in the organisation,
and ties between the same people stay dependent as they are. Resampling
people rather than ties keeps group sizes fixed (the draw is stratified by
the group attribute) and does not pretend that ties are independent. The
interval answers "would this change hold for another draw of people?", so it
is wide for groups of a handful of people, and it is zero for identical
windows (interaction noise between windows is not modelled).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass

import igraph as ig
import numpy as np

from analysis.liaison import liaison_score

__all__ = [
    "Change",
    "Finding",
    "ei_change",
    "liaison_change",
    "pair_strength_change",
    "significant_changes",
]

BATCH = 16  # bootstrap replicates held in memory at once
LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Change:
    """A statistic in window A (``before``) and B (``after``) with a bootstrap CI of the change.

    ``low`` and ``high`` bound the 95 % percentile interval of ``after −
    before``; any of the values is ``None`` when undefined (a team without
    ties has no E-I index).
    """

    before: float | None
    after: float | None
    low: float | None
    high: float | None

    @property
    def delta(self) -> float | None:
        """``after − before``."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def significant(self) -> bool:
        """The confidence interval of the change excludes 0."""
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


@dataclass(frozen=True, slots=True)
class Finding:
    """One entry of the ranked change list: what kind, which metric, for whom."""

    kind: str  # "new collaboration", "lost collaboration" or "significant change"
    metric: str  # "team pair strength", "E-I index" or "liaison score"
    subject: str
    change: Change


def ei_change(
    a: ig.Graph,
    b: ig.Graph,
    *,
    attribute: str = "team",
    n_boot: int = 200,
    seed: int | None = None,
) -> dict[str, Change]:
    """Change of every group's Krackhardt E-I index between two windows.

    Parameters
    ----------
    a, b : igraph.Graph
        Undirected person graphs of windows A and B over the same vertices.
    attribute : str
        Vertex attribute naming the groups (empty: no group).
    n_boot : int
        Bootstrap replicates (0 gives no interval).
    seed : int, optional
        Seeds the person bootstrap.

    Returns
    -------
    dict
        Group to :class:`Change` of ``(E − I)/(E + I)``, ties counted (not
        weighted), as in :func:`analysis.teams.ei_index`.

    Notes
    -----
    Undirected; ties are counted (weights are not used), each weighted by
    the product of its ends' bootstrap multiplicities. Strata: ``attribute``.

    References
    ----------
    Snijders, T. A. B. & Borgatti, S. P. (1999). Non-parametric standard errors
    and tests for network statistics. Connections 22(2), 161–170.

    Examples
    --------
    >>> a = ig.Graph(edges=[(0, 1), (2, 3)])
    >>> a.vs["name"], a.vs["team"] = ["a1", "a2", "b1", "b2"], ["A", "A", "B", "B"]
    >>> b = ig.Graph(n=4, edges=[(0, 1), (1, 2), (0, 3)])
    >>> b.vs["name"], b.vs["team"] = a.vs["name"], a.vs["team"]
    >>> r = ei_change(a, b, n_boot=50, seed=1)["A"]
    >>> r.before, round(r.after, 3), round(r.delta, 3), r.low <= r.delta <= r.high
    (-1.0, 0.333, 1.333, True)
    """
    groups, codes = _codes(a, b, attribute)
    return _changes(a, b, groups, codes, _ei_statistic(codes, len(groups)), n_boot, seed)


def pair_strength_change(
    a: ig.Graph,
    b: ig.Graph,
    *,
    attribute: str = "team",
    weight: str = "weight",
    n_boot: int = 200,
    seed: int | None = None,
) -> dict[tuple[str, str], Change]:
    """Change of the tie strength between every pair of groups tied in either window.

    Parameters
    ----------
    a, b : igraph.Graph
        Person graphs of windows A and B over the same vertices.
    attribute : str
        Vertex attribute naming the groups.
    weight : str
        Edge strength attribute: the strength of a pair of groups is the sum
        of the strengths of the ties between them.
    n_boot, seed
        As in :func:`ei_change`.

    Returns
    -------
    dict
        (group, group) in name order to :class:`Change`.

    Notes
    -----
    Undirected; ``weight`` is a strength, times the product of both ends'
    bootstrap multiplicities. Strata: ``attribute``.

    References
    ----------
    Snijders, T. A. B. & Borgatti, S. P. (1999). Non-parametric standard errors
    and tests for network statistics. Connections 22(2), 161–170.

    Examples
    --------
    >>> a = ig.Graph(n=4, edges=[(0, 2)])
    >>> a.vs["name"], a.vs["team"] = ["a1", "a2", "b1", "b2"], ["A", "A", "B", "B"]
    >>> a.es["weight"] = [2.0]
    >>> b = ig.Graph(n=4, edges=[(0, 2), (1, 3)])
    >>> b.vs["name"], b.vs["team"] = a.vs["name"], a.vs["team"]
    >>> b.es["weight"] = [2.0, 3.0]
    >>> r = pair_strength_change(a, b, n_boot=0)[("A", "B")]
    >>> r.before, r.after, r.delta
    (2.0, 5.0, 3.0)
    """
    groups, codes = _codes(a, b, attribute)
    keys = np.union1d(_pair_keys(a, codes), _pair_keys(b, codes))
    labels = [(groups[k // len(groups)], groups[k % len(groups)]) for k in keys.tolist()]
    stat = _pair_statistic(codes, keys)
    return _changes(a, b, labels, codes, stat, n_boot, seed, weight)


def liaison_change(
    a: ig.Graph,
    b: ig.Graph,
    *,
    unit: str = "department",
    weight: str = "weight",
    n_boot: int = 100,
    seed: int | None = None,
) -> dict[str, Change]:
    """Change of every business unit's IT liaison score (0–100) between two windows.

    Parameters
    ----------
    a, b : igraph.Graph
        Person graphs of windows A and B over the same vertices.
    unit : str
        Vertex attribute naming business units (also the bootstrap strata).
    weight : str
        Edge strength attribute.
    n_boot, seed
        As in :func:`ei_change` (fewer replicates by default: each one
        rescores every unit).

    Returns
    -------
    dict
        Unit to :class:`Change` of :func:`analysis.liaison.liaison_score`
        with its structural components only (no channel mix or trend).

    Notes
    -----
    Replicates pass the drawn multiplicities to ``liaison_score``: strengths
    and coverage are weighted by them; a person drawn twice still counts as
    one liaison for the path count (conservative). Ties inside a unit change
    no liaison component, so they are dropped once before resampling.

    References
    ----------
    Snijders, T. A. B. & Borgatti, S. P. (1999). Non-parametric standard errors
    and tests for network statistics. Connections 22(2), 161–170.

    Examples
    --------
    >>> a = ig.Graph(n=4, edges=[(0, 2), (1, 2)])
    >>> a.vs["name"] = ["s1", "s2", "it1", "it2"]
    >>> a.vs["department"] = ["Sales", "Sales", "IT", "IT"]
    >>> a.vs["is_it"] = [False, False, True, True]
    >>> a.es["weight"] = [1.0, 1.0]
    >>> b = ig.Graph(n=4, edges=[(0, 2), (1, 3)])
    >>> for key in ("name", "department", "is_it"):
    ...     b.vs[key] = a.vs[key]
    >>> b.es["weight"] = [1.0, 1.0]
    >>> r = liaison_change(a, b, n_boot=0)["Sales"]
    >>> round(r.before, 1), round(r.after, 1)
    (43.3, 63.3)
    """
    units = sorted(set(liaison_score(a, unit=unit)) | set(liaison_score(b, unit=unit)))
    codes = _codes(a, b, unit)[1]
    a, b = _between_units(a, codes), _between_units(b, codes)

    def stat(window: _Window, mass: np.ndarray) -> np.ndarray:
        scores = liaison_score(window.graph, unit=unit, weight=weight, multiplicity=mass)
        return np.array([scores[u].score if u in scores else np.nan for u in units])

    return _changes(a, b, units, codes, stat, n_boot, seed, weight)


def significant_changes(
    *,
    pairs: Mapping[tuple[str, str], Change] | None = None,
    ei: Mapping[str, Change] | None = None,
    liaison: Mapping[str, Change] | None = None,
) -> list[Finding]:
    """Ranked list of changes whose confidence interval excludes 0.

    Parameters
    ----------
    pairs, ei, liaison : mapping, optional
        Results of :func:`pair_strength_change`, :func:`ei_change` and
        :func:`liaison_change`.

    Returns
    -------
    list of Finding
        Viva Insights' order: new collaboration between groups (no strength
        in A), lost collaboration (none left in B), then every other
        significant change. Within each kind, the largest standardised
        change first (``|Δ|`` over the CI width), ties by subject.

    Notes
    -----
    "Significant" means the 95 % percentile interval excludes 0, for each
    change on its own: there is no correction for the many changes tested,
    so expect about 5 % false alarms among stable subjects.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
    Chapman & Hall. https://doi.org/10.1201/9780429246593

    Examples
    --------
    >>> grew = Change(0.0, 4.0, 2.0, 6.0)
    >>> fell = Change(0.5, 0.1, -0.6, -0.2)
    >>> [f.kind for f in significant_changes(pairs={("A", "B"): grew}, ei={"A": fell})]
    ['new collaboration', 'significant change']
    """
    found: list[Finding] = []
    for metric, changes in (
        ("team pair strength", pairs),
        ("E-I index", ei),
        ("liaison score", liaison),
    ):
        for subject, change in (changes or {}).items():
            if change.significant:
                name = subject if isinstance(subject, str) else " ↔ ".join(subject)
                found.append(Finding(_kind(change, metric), metric, name, change))
    order = {"new collaboration": 0, "lost collaboration": 1, "significant change": 2}
    return sorted(found, key=lambda f: (order[f.kind], -_effect(f.change), f.metric, f.subject))


# --- the bootstrap -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Window:
    """A window's graph with its edge list and strengths as arrays, extracted once."""

    graph: ig.Graph
    edges: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, graph: ig.Graph, weight: str | None) -> _Window:
        edges = np.array(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        has = weight is not None and graph.ecount() > 0
        weights = np.asarray(graph.es[weight], dtype=float) if has else np.ones(len(edges))
        return cls(graph, edges, weights)

    def ties(self, mass: np.ndarray) -> np.ndarray:
        """Multiplicity of every tie: the product of its ends' multiplicities."""
        return mass[self.edges[:, 0]] * mass[self.edges[:, 1]]


#: (window, person multiplicities) -> one value per subject
Statistic = Callable[[_Window, np.ndarray], np.ndarray]


def _changes(
    a: ig.Graph,
    b: ig.Graph,
    labels: list,
    strata: np.ndarray,
    stat: Statistic,
    n_boot: int,
    seed: int | None,
    weight: str | None = None,
) -> dict:
    """Observed statistics of both windows and the percentile CI of their paired difference."""
    if (a.vs["name"] if a.vcount() else []) != (b.vs["name"] if b.vcount() else []):
        raise ValueError("the two windows must have the same people in the same order")
    wa, wb = _Window.of(a, weight), _Window.of(b, weight)
    ones = np.ones(a.vcount())
    before, after = stat(wa, ones), stat(wb, ones)
    rng = np.random.default_rng(seed)
    deltas = np.array([stat(wb, m) - stat(wa, m) for m in _draws(strata, n_boot, rng)])
    tail = 100 * (1 - LEVEL) / 2
    low, high = _percentiles(deltas, (tail, 100 - tail), len(labels))
    return {
        label: Change(_value(before[k]), _value(after[k]), _value(low[k]), _value(high[k]))
        for k, label in enumerate(labels)
    }


def _draws(strata: np.ndarray, n_boot: int, rng: np.random.Generator):
    """Person multiplicities of each replicate: people drawn with replacement per stratum."""
    order = np.argsort(strata, kind="stable")
    _, starts, sizes = np.unique(strata[order], return_index=True, return_counts=True)
    offset = np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    for _ in range(n_boot):
        picks = offset + np.floor(rng.random(len(order)) * size).astype(np.int64)
        mass = np.zeros(len(order))
        mass[order] = np.bincount(picks, minlength=len(order))
        yield mass


def _percentiles(deltas: np.ndarray, q: tuple[float, float], count: int):
    if not len(deltas):
        missing = np.full(count, np.nan)
        return missing, missing
    defined = ~np.isnan(deltas).all(axis=0)
    low, high = np.full(count, np.nan), np.full(count, np.nan)
    if defined.any():
        low[defined], high[defined] = np.nanpercentile(deltas[:, defined], q, axis=0)
    return low, high


def _value(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 12)


# --- statistics on multiplicities ------------------------------------------


def _codes(a: ig.Graph, b: ig.Graph, attribute: str) -> tuple[list[str], np.ndarray]:
    """Sorted group names and each person's group code (-1: no group)."""
    values = a.vs[attribute] if a.vcount() else []
    groups = sorted({v for v in values if v})
    index = {g: k for k, g in enumerate(groups)}
    return groups, np.array([index.get(v, -1) for v in values], dtype=np.int64)


def _between_units(graph: ig.Graph, codes: np.ndarray) -> ig.Graph:
    """The graph with only the ties between different units (all people kept)."""
    if not graph.ecount():
        return graph
    edges = np.array(graph.get_edgelist(), dtype=np.int64)
    crossing = np.flatnonzero(codes[edges[:, 0]] != codes[edges[:, 1]])
    return graph.subgraph_edges(crossing.tolist(), delete_vertices=False)


def _ei_statistic(codes: np.ndarray, count: int) -> Statistic:
    def stat(window: _Window, mass: np.ndarray) -> np.ndarray:
        ga, gb = codes[window.edges[:, 0]], codes[window.edges[:, 1]]
        mult = window.ties(mass)
        same = (ga == gb) & (ga >= 0)
        internal = np.bincount(ga[same], weights=mult[same], minlength=count)
        external = np.zeros(count)
        for side in (ga, gb):
            keep = ~same & (side >= 0)
            external += np.bincount(side[keep], weights=mult[keep], minlength=count)
        total = internal + external
        out = np.full(count, np.nan)
        np.divide(external - internal, total, out=out, where=total > 0)
        return out

    return stat


def _pair_keys(graph: ig.Graph, codes: np.ndarray) -> np.ndarray:
    """``x · G + y`` (x < y) of the group pair of every edge between two groups."""
    edges = np.array(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    x, y = codes[edges[:, 0]], codes[edges[:, 1]]
    low, high = np.minimum(x, y), np.maximum(x, y)
    keep = (low >= 0) & (low != high)
    return np.unique(low[keep] * (codes.max(initial=0) + 1) + high[keep])


def _pair_statistic(codes: np.ndarray, keys: np.ndarray) -> Statistic:
    groups = codes.max(initial=0) + 1
    # per window: (the window, kept alive so its id stays unique; slot; hit)
    slots: dict[int, tuple[_Window, np.ndarray, np.ndarray]] = {}

    def slot_of(window: _Window) -> tuple[np.ndarray, np.ndarray]:
        """Pair index of each edge, and which edges join two tied groups (cached per window)."""
        if id(window) not in slots:
            x, y = codes[window.edges[:, 0]], codes[window.edges[:, 1]]
            key = np.minimum(x, y) * groups + np.maximum(x, y)
            slot = np.minimum(np.searchsorted(keys, key), max(len(keys) - 1, 0))
            hit = (keys[slot] == key) & (np.minimum(x, y) >= 0) & (x != y) if len(keys) else key < 0
            slots[id(window)] = (window, slot, hit)
        return slots[id(window)][1:]

    def stat(window: _Window, mass: np.ndarray) -> np.ndarray:
        slot, hit = slot_of(window)
        w = window.weights * window.ties(mass)
        return np.bincount(slot[hit], weights=w[hit], minlength=len(keys)).astype(float)

    return stat


def _kind(change: Change, metric: str) -> str:
    if metric == "team pair strength" and change.before == 0 and (change.after or 0) > 0:
        return "new collaboration"
    if metric == "team pair strength" and (change.before or 0) > 0 and change.after == 0:
        return "lost collaboration"
    return "significant change"


def _effect(change: Change) -> float:
    """Standardised size: |Δ| over the CI width."""
    width = (change.high or 0.0) - (change.low or 0.0)
    delta = abs(change.delta or 0.0)
    return delta / width if width > 0 else float("inf")
