"""Brokers: structural holes (constraint, effective size, efficiency), betweenness and
Gould–Fernandez brokerage roles.

Edge weights are *strengths* (bigger = more contact). Burt's measures read them
as strengths; betweenness converts them to distances with
:func:`analysis.build.distances`. Results are keyed by the vertex ``name``
attribute (the vertex index as a string when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import igraph as ig
import numpy as np

from analysis.build import distances

__all__ = [
    "BrokerRoles",
    "Role",
    "betweenness",
    "brokerage_roles",
    "constraint",
    "effective_size",
    "efficiency",
]


class Role(StrEnum):
    """Gould–Fernandez roles of broker ``b`` on an open two-path ``a → b → c``."""

    COORDINATOR = "coordinator"  # g(a) = g(b) = g(c)
    ITINERANT = "itinerant"  # g(a) = g(c) ≠ g(b)  (also called consultant)
    REPRESENTATIVE = "representative"  # g(a) = g(b) ≠ g(c)
    GATEKEEPER = "gatekeeper"  # g(b) = g(c) ≠ g(a)
    LIAISON = "liaison"  # all three differ


ROLES = tuple(Role)


@dataclass(frozen=True, slots=True)
class BrokerRoles:
    """How often one person brokers in each role, against random group labels.

    ``expected`` is exact under random labelling given the broker's own
    group; ``z`` is ``(count − expected) / sd`` with ``sd`` from label
    permutations (``None`` when it is 0 or no permutations ran).
    """

    person: str
    group: str
    counts: dict[Role, int]
    expected: dict[Role, float]
    z: dict[Role, float | None]

    @property
    def total(self) -> int:
        """Open two-paths through this person."""
        return sum(self.counts.values())


def constraint(graph: ig.Graph, *, weight: str | None = "weight") -> dict[str, float]:
    r"""Burt's constraint of every vertex (low = brokerage opportunity).

    .. math:: C_i = \sum_{j \ne i} \Big(p_{ij} + \sum_{q \ne i,j} p_{iq} p_{qj}\Big)^2

    Parameters
    ----------
    graph : igraph.Graph
        Directed or undirected.
    weight : str or None
        Edge attribute with strengths; ``None`` counts every tie as 1.

    Returns
    -------
    dict
        Vertex name → constraint; ``nan`` for a vertex without ties.

    Notes
    -----
    igraph's ``Graph.constraint``: ``p_ij = (a_ij + a_ji) / Σ_k (a_ik + a_ki)``
    over strengths, so direction does not matter. Identical to
    ``networkx.constraint`` (checked in the tests) and far faster; avoid
    ``networkx.constraint(nodes=...)``, which takes a pure-Python path.

    References
    ----------
    Burt, R. S. (1992). Structural Holes: The Social Structure of Competition.
    Harvard University Press. https://doi.org/10.4159/9780674029095

    Examples
    --------
    A star: the centre is unconstrained, the leaves fully constrained.

    >>> g = ig.Graph.Star(4)
    >>> g.vs["name"] = ["hub", "a", "b", "c"]
    >>> {k: round(v, 4) for k, v in constraint(g, weight=None).items()}
    {'hub': 0.3333, 'a': 1.0, 'b': 1.0, 'c': 1.0}
    """
    weights = graph.es[weight] if weight is not None and graph.ecount() else None
    return dict(zip(_names(graph), graph.constraint(weights=weights), strict=True))


def effective_size(graph: ig.Graph, *, weight: str | None = "weight") -> dict[str, float]:
    r"""Burt's effective size of every vertex's network: non-redundant contacts.

    .. math:: ES_i = \sum_{j \in N(i)} \Big(1 - \sum_{q \ne i,j} p_{iq} m_{jq}\Big)

    Parameters
    ----------
    graph : igraph.Graph
        Directed graphs are read as undirected with mutual weights
        ``a_ij + a_ji`` (Burt's definition); parallel edges are summed and
        self-loops ignored.
    weight : str or None
        Edge attribute with strengths; ``None`` counts every tie as 1.

    Returns
    -------
    dict
        Vertex name → effective size; ``nan`` for a vertex without ties.

    Notes
    -----
    ``p_iq`` is ``i``'s tie to ``q`` over ``i``'s total; ``m_jq`` is ``j``'s tie
    to ``q`` over ``j``'s strongest tie. Unweighted, this is Borgatti's
    ``k − 2t/k`` (``t`` ties among the ``k`` contacts). igraph has no effective
    size; this is written over the triangle list (each triangle adds the
    redundancy of two contacts at each corner), and matches networkx's
    per-node path ``networkx.effective_size(G, nodes=list(G), weight=w)``
    (checked in the tests). Beware networkx 3.6's default all-nodes path on
    weighted or directed graphs: it divides ``m_jq`` by the wrong row maximum
    (networkx PR #8906) and gives different numbers.

    References
    ----------
    Burt, R. S. (1992). Structural Holes. Harvard University Press.
    https://doi.org/10.4159/9780674029095

    Borgatti, S. P. (1997). Structural holes: unpacking Burt's redundancy
    measures. Connections 20(1), 35–38.

    Examples
    --------
    A triangle with a pendant: ``c`` has 3 contacts, of which ``a``–``b`` are tied.

    >>> g = ig.Graph(edges=[(0, 1), (0, 2), (1, 2), (2, 3)])
    >>> g.vs["name"] = ["a", "b", "c", "d"]
    >>> {k: round(v, 4) for k, v in effective_size(g, weight=None).items()}
    {'a': 1.0, 'b': 1.0, 'c': 2.3333, 'd': 1.0}
    """
    simple, w = _mutual(graph, weight)
    return dict(zip(_names(graph), _effective_sizes(simple, w).tolist(), strict=True))


def efficiency(graph: ig.Graph, *, weight: str | None = "weight") -> dict[str, float]:
    """Burt's efficiency: effective size over the number of contacts.

    Parameters and weight handling as :func:`effective_size`; ``nan`` for a
    vertex without ties.

    References
    ----------
    Burt, R. S. (1992). Structural Holes. Harvard University Press.
    https://doi.org/10.4159/9780674029095

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (0, 2), (1, 2), (2, 3)])
    >>> g.vs["name"] = ["a", "b", "c", "d"]
    >>> {k: round(v, 4) for k, v in efficiency(g, weight=None).items()}
    {'a': 0.5, 'b': 0.5, 'c': 0.7778, 'd': 1.0}
    """
    simple, w = _mutual(graph, weight)
    degree = np.asarray(simple.degree(), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = _effective_sizes(simple, w) / degree
    return dict(zip(_names(graph), ratio.tolist(), strict=True))


def betweenness(
    graph: ig.Graph,
    *,
    weight: str | None = "weight",
    exact_max: int = 2000,
    k: int | None = None,
    seed: int | None = None,
    normalized: bool = True,
) -> dict[str, float]:
    """Shortest-path betweenness, exact on small graphs and sampled on large ones.

    Parameters
    ----------
    graph : igraph.Graph
        Directed or undirected; paths follow arc direction when directed.
    weight : str or None
        Edge attribute with strengths (must be positive), converted to
        distances ``1 / strength`` by :func:`analysis.build.distances`;
        ``None`` counts hops.
    exact_max : int
        Exact betweenness up to this many vertices.
    k : int, optional
        Number of sampled source vertices. By default 500 when the graph has
        more than ``exact_max`` vertices; given explicitly (and smaller than
        the vertex count), sampling is used whatever the size.
    seed : int, optional
        Seed of the source sample.
    normalized : bool
        Divide by the number of pairs not involving the vertex:
        ``(n−1)(n−2)/2`` undirected, ``(n−1)(n−2)`` directed.

    Returns
    -------
    dict
        Vertex name → betweenness.

    Notes
    -----
    Sampling: igraph's subset betweenness from ``k`` random sources (uniform,
    without replacement) to all targets, scaled by ``n/k``. It is an unbiased
    estimate of the exact value (Brandes & Pich 2007); its error shrinks with
    ``k`` (Pearson 0.86 with exact at 10k vertices and k = 100, perf-baselines
    §2). Strengths become distances so that strong ties are *short*. igraph
    treats path lengths within a small tolerance as equal; networkx compares
    float distances exactly, so the two can differ slightly on ties.

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on
    betweenness. Sociometry 40(1), 35–41. https://doi.org/10.2307/3033543

    Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal
    of Mathematical Sociology 25(2), 163–177.
    https://doi.org/10.1080/0022250X.2001.9990249

    Brandes, U. & Pich, C. (2007). Centrality estimation in large networks.
    International Journal of Bifurcation and Chaos 17(7), 2303–2318.
    https://doi.org/10.1142/S0218127407018403

    Examples
    --------
    On a path ``a – b – c`` only ``b`` lies between others:

    >>> g = ig.Graph(edges=[(0, 1), (1, 2)])
    >>> g.vs["name"] = ["a", "b", "c"]
    >>> g.es["weight"] = [2.0, 1.0]
    >>> betweenness(g)
    {'a': 0.0, 'b': 1.0, 'c': 0.0}
    """
    n = graph.vcount()
    dist = distances(graph, weight=weight) if weight is not None and graph.ecount() else None
    sample = _sources(n, exact_max=exact_max, k=k, seed=seed)
    directed = graph.is_directed()
    values = np.asarray(graph.betweenness(directed=directed, weights=dist, sources=sample))
    if sample is not None:
        values *= n / len(sample)
    if normalized and n > 2:
        values /= (n - 1) * (n - 2) / (1 if directed else 2)
    return dict(zip(_names(graph), values.tolist(), strict=True))


def brokerage_roles(
    graph: ig.Graph,
    *,
    attribute: str = "team",
    n_permutations: int = 100,
    seed: int | None = None,
) -> dict[str, BrokerRoles]:
    """Gould–Fernandez brokerage roles of every vertex, with z-scores.

    Parameters
    ----------
    graph : igraph.Graph
        Directed: an arc ``a → b`` when ``a`` sent to ``b``
        (:func:`analysis.build.person_digraph`). An undirected graph is read
        with each edge as two arcs. Weights are not used; parallel arcs and
        self-loops are ignored.
    attribute : str
        Vertex attribute naming the group; every vertex with an empty value
        is a group of its own.
    n_permutations : int
        Label shuffles used for the standard deviation of each count (0: no
        z-scores).
    seed : int, optional
        Seed of the shuffles.

    Returns
    -------
    dict
        Vertex name → :class:`BrokerRoles` (every vertex, brokers or not).

    Notes
    -----
    Broker ``b`` is counted once for every *open* two-path ``a → b → c``
    (``a ≠ c`` and no arc ``a → c``) with the role given by the groups of
    ``a``, ``b`` and ``c`` (:class:`Role`). The null model keeps the graph and
    the broker's group and assigns the other labels at random with the
    group sizes kept. The expectation is exact: ``t_b`` times the chance that
    two distinct others drawn without replacement have the role's group
    pattern. The standard deviation comes from permutations that hold the
    broker's label fixed (a random holder of the broker's label swaps with the
    broker), since two-paths sharing an end are not independent. Unlike R's
    ``sna::brokerage``, which uses a Bernoulli random graph with fixed labels,
    the graph here is held fixed. Cost ``O(Σ_b in_b·out_b)`` per permutation.

    References
    ----------
    Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal
    approach to brokerage in transaction networks. Sociological Methodology
    19, 89–126. https://doi.org/10.2307/270949

    Examples
    --------
    Broker ``b`` (group B) hears from ``a1`` (A) and ``b2`` (B) and passes on to
    ``a2`` (A), ``b3`` (B) and ``c1`` (C); ``b2 → c1`` closes one two-path.
    By hand: ``a1→b→a2`` itinerant, ``a1→b→b3`` gatekeeper, ``a1→b→c1``
    liaison, ``b2→b→a2`` representative, ``b2→b→b3`` coordinator. The other
    five people (2 A, 2 B, 1 C) give 20 ordered pairs, so the coordinator is
    expected ``5 · (2·1)/20 = 0.5`` times, the representative ``5 · (2·3)/20``.

    >>> names = ["a1", "a2", "b", "b2", "b3", "c1"]
    >>> g = ig.Graph(directed=True, edges=[(0, 2), (3, 2), (2, 1), (2, 4), (2, 5), (3, 5)])
    >>> g.vs["name"] = names
    >>> g.vs["team"] = ["A", "A", "B", "B", "B", "C"]
    >>> r = brokerage_roles(g, n_permutations=0)["b"]
    >>> [(role.value, r.counts[role], r.expected[role]) for role in Role]
    [('coordinator', 1, 0.5), ('itinerant', 1, 0.5), ('representative', 1, 1.5), ('gatekeeper', 1, 1.5), ('liaison', 1, 1.0)]
    """
    if graph.vcount() and attribute not in graph.vs.attributes():
        raise ValueError(f"the graph's vertices have no {attribute!r} attribute")
    names = _names(graph)
    groups = graph.vs[attribute] if graph.vcount() else []
    codes = _group_codes(groups)
    a, b, c = _open_two_paths(graph)
    observed = _role_counts(codes[a], codes[b], codes[c], b, graph.vcount())
    expected = _expected_roles(codes, observed.sum(axis=1))
    sd = _permutation_sd(codes, a, b, c, n_permutations=n_permutations, seed=seed)
    return {
        name: _broker(name, groups[v], observed[v], expected[v], None if sd is None else sd[v])
        for v, name in enumerate(names)
    }


def _names(graph: ig.Graph) -> list[str]:
    if "name" in graph.vs.attributes():
        return [str(x) for x in graph.vs["name"]]
    return [str(v) for v in range(graph.vcount())]


def _mutual(graph: ig.Graph, weight: str | None) -> tuple[ig.Graph, np.ndarray]:
    """A simple undirected copy with mutual strengths ``a_ij + a_ji``, and those strengths."""
    simple = graph.copy()
    simple.es["_w"] = simple.es[weight] if weight is not None and graph.ecount() else 1.0
    if simple.is_directed():
        simple.to_undirected(mode="collapse", combine_edges={"_w": "sum"})
    simple.simplify(multiple=True, loops=True, combine_edges={"_w": "sum"})
    return simple, np.asarray(simple.es["_w"] if simple.ecount() else [], dtype=float)


def _effective_sizes(graph: ig.Graph, w: np.ndarray) -> np.ndarray:
    """Effective size of every vertex of a simple undirected graph with strengths ``w``."""
    n = graph.vcount()
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    lo, hi = edges.min(axis=1), edges.max(axis=1)
    total = np.bincount(lo, w, n) + np.bincount(hi, w, n)
    top = np.zeros(n)
    np.maximum.at(top, lo, w)
    np.maximum.at(top, hi, w)
    tri = np.sort(np.asarray(graph.list_triangles(), dtype=np.int64).reshape(-1, 3), axis=1)
    x, y, z = tri.T
    keys = lo * n + hi
    order = np.argsort(keys)

    def tie(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return w[order[np.searchsorted(keys[order], u * n + v)]]

    wxy, wxz, wyz = tie(x, y), tie(x, z), tie(y, z)
    redundancy = np.zeros(n)
    np.add.at(redundancy, x, (wxz * wyz / top[y] + wxy * wyz / top[z]) / total[x])
    np.add.at(redundancy, y, (wyz * wxz / top[x] + wxy * wxz / top[z]) / total[y])
    np.add.at(redundancy, z, (wyz * wxy / top[x] + wxz * wxy / top[y]) / total[z])
    degree = np.asarray(graph.degree(), dtype=float)
    return np.where(degree > 0, degree - redundancy, np.nan)


def _sources(n: int, *, exact_max: int, k: int | None, seed: int | None) -> list[int] | None:
    """Sampled source vertices, or ``None`` for exact betweenness."""
    if k is None:
        if n <= exact_max:
            return None
        k = 500
    if k >= n:
        return None
    if k < 1:
        raise ValueError(f"k must be a positive number of sources, got {k}")
    return sorted(np.random.default_rng(seed).choice(n, size=k, replace=False).tolist())


def _group_codes(groups: list[str]) -> np.ndarray:
    """Integer group codes; every unlabelled vertex gets a code of its own."""
    code: dict[object, int] = {}
    keys = (g if g else ("", v) for v, g in enumerate(groups))
    return np.asarray([code.setdefault(k, len(code)) for k in keys], dtype=np.int64)


def _open_two_paths(graph: ig.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every two-path ``a → b → c`` with ``a ≠ c`` and no arc ``a → c``."""
    n = graph.vcount()
    arcs = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    if not graph.is_directed():
        arcs = np.concatenate([arcs, arcs[:, ::-1]])
    keys = np.unique(arcs[:, 0] * n + arcs[:, 1])
    src, dst = keys // n, keys % n
    src, dst, keys = src[src != dst], dst[src != dst], keys[src != dst]
    start = np.searchsorted(src, np.arange(n))
    follow = np.bincount(src, minlength=n)[dst]
    first = np.repeat(np.arange(len(src)), follow)
    offset = np.arange(first.size) - np.repeat(np.cumsum(follow) - follow, follow)
    a, b, c = src[first], dst[first], dst[start[dst[first]] + offset]
    closed = np.isin(a * n + c, keys, assume_unique=False)
    keep = (a != c) & ~closed
    return a[keep], b[keep], c[keep]


def _role_counts(
    ga: np.ndarray, gb: np.ndarray, gc: np.ndarray, broker: np.ndarray, n: int
) -> np.ndarray:
    """``(n, 5)`` role counts per broker, columns in :data:`ROLES` order."""
    role = np.select(
        [(ga == gb) & (gb == gc), ga == gc, ga == gb, gb == gc],
        [0, 1, 2, 3],
        default=4,
    )
    return np.bincount(broker * 5 + role, minlength=n * 5).reshape(n, 5)


def _expected_roles(codes: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """Exact expected role counts given each broker's group and two-path count."""
    n = codes.size
    if n < 3:
        return np.zeros((n, 5))
    sizes = np.bincount(codes)
    others = n - 1
    own = sizes[codes] - 1.0  # the broker's group, without the broker
    same_pairs = float(np.sum(sizes * (sizes - 1.0)))
    pairs = others * (others - 1.0)
    coordinator = own * (own - 1)
    itinerant = same_pairs - (own + 1) * own  # Σ over other groups of n_h (n_h − 1)
    representative = own * (others - own)
    gatekeeper = representative
    liaison = pairs - coordinator - itinerant - representative - gatekeeper
    shares = np.column_stack([coordinator, itinerant, representative, gatekeeper, liaison])
    return paths[:, None] * shares / pairs


def _permutation_sd(
    codes: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    *,
    n_permutations: int,
    seed: int | None,
) -> np.ndarray | None:
    """Standard deviation of each broker's role counts over label shuffles."""
    if n_permutations < 2:
        return None
    n = codes.size
    rng = np.random.default_rng(seed)
    total = np.zeros((n, 5))
    squares = np.zeros((n, 5))
    for _ in range(n_permutations):
        shuffled, holder = _shuffle_keeping_brokers(codes, rng)
        ga = np.where(a == holder[b], shuffled[b], shuffled[a])
        gc = np.where(c == holder[b], shuffled[b], shuffled[c])
        counts = _role_counts(ga, codes[b], gc, b, n)
        total += counts
        squares += counts.astype(float) ** 2
    mean = total / n_permutations
    variance = (squares - n_permutations * mean**2) / (n_permutations - 1)
    return np.sqrt(np.clip(variance, 0.0, None))


def _shuffle_keeping_brokers(
    codes: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A label shuffle, and for each vertex ``v`` a random holder of ``v``'s own label.

    Swapping ``v``'s shuffled label with that holder's gives the others a
    uniformly random labelling given ``v`` keeps its group (the swap is
    symmetric in the other vertices and keeps the label counts).
    """
    shuffled = rng.permutation(codes)
    order = np.argsort(shuffled, kind="stable")
    start = np.searchsorted(shuffled[order], codes)
    size = np.bincount(codes)[codes]
    holder = order[start + (rng.random(codes.size) * size).astype(np.int64)]
    holder = np.where(shuffled == codes, np.arange(codes.size), holder)
    return shuffled, holder


def _broker(
    name: str, group: str, observed: np.ndarray, expected: np.ndarray, sd: np.ndarray | None
) -> BrokerRoles:
    z = {
        role: None if sd is None or sd[i] == 0 else float((observed[i] - expected[i]) / sd[i])
        for i, role in enumerate(ROLES)
    }
    return BrokerRoles(
        person=name,
        group=group,
        counts={role: int(observed[i]) for i, role in enumerate(ROLES)},
        expected={role: float(expected[i]) for i, role in enumerate(ROLES)},
        z=z,
    )
