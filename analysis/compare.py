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

import math
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

import igraph as ig
import numpy as np

from analysis.build import edge_array
from analysis.liaison import DEFAULT_WEIGHTS
from analysis.risk import matching_sizes

__all__ = [
    "Change",
    "Finding",
    "ei_change",
    "liaison_change",
    "pair_strength_change",
    "significant_changes",
    "team_changes",
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


def team_changes(
    a: ig.Graph,
    b: ig.Graph,
    *,
    attribute: str = "team",
    weight: str = "weight",
    n_boot: int = 200,
    seed: int | None = None,
    only_significant: bool = False,
) -> tuple[dict[str, Change], dict[tuple[str, str], Change]]:
    """:func:`ei_change` and :func:`pair_strength_change` in one pass over the replicates.

    Both resample people within the same strata with the same seed, so the
    draws are the same as calling the two separately, and so are the
    results (tested); the tie multiplicities of each replicate are computed
    once for both. With ``only_significant``, the team pairs are those whose
    interval excludes 0 (all :func:`significant_changes` reads), which
    spares one :class:`Change` per tied team pair.

    Examples
    --------
    >>> a = ig.Graph(n=4, edges=[(0, 1), (2, 3)])
    >>> a.vs["name"], a.vs["team"] = ["a1", "a2", "b1", "b2"], ["A", "A", "B", "B"]
    >>> a.es["weight"] = [1.0, 1.0]
    >>> b = ig.Graph(n=4, edges=[(0, 1), (1, 2), (0, 3)])
    >>> b.vs["name"], b.vs["team"] = a.vs["name"], a.vs["team"]
    >>> b.es["weight"] = [1.0, 2.0, 1.0]
    >>> ei, pairs = team_changes(a, b, n_boot=50, seed=1)
    >>> ei == ei_change(a, b, n_boot=50, seed=1), pairs == pair_strength_change(a, b, n_boot=50, seed=1)
    (True, True)
    """
    groups, codes = _codes(a, b, attribute)
    keys = np.union1d(_pair_keys(a, codes), _pair_keys(b, codes))
    labels = [(groups[k // len(groups)], groups[k % len(groups)]) for k in keys.tolist()]
    statistics = [
        (groups, _ei_statistic(codes, len(groups))),
        (labels, _pair_statistic(codes, keys)),
    ]
    keep = (lambda low, high: (low > 0) | (high < 0)) if only_significant else None
    ei, pairs = _all_changes(a, b, statistics, codes, n_boot, seed, weight, [None, keep])
    return ei, pairs


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
    Each replicate scores the units as ``liaison_score(graph,
    multiplicity=drawn)`` would: strengths and coverage are weighted by the
    multiplicities; a person drawn twice still counts as one liaison for the
    path count (conservative). The replicates are computed in bulk (sparse
    sums over the IT–unit and cross-unit ties, one Hopcroft–Karp matching
    for all units at once) rather than by calling ``liaison_score`` 200
    times; the two give the same scores (tested).

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
    codes = _codes(a, b, unit)[1]
    units = sorted(_business_units(a, unit))
    stat = _liaison_statistic(unit, units)
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
    last: dict = field(default_factory=dict)  # the latest masses and their tie products

    @classmethod
    def of(cls, graph: ig.Graph, weight: str | None) -> _Window:
        edges = edge_array(graph)
        has = weight is not None and graph.ecount() > 0
        weights = np.asarray(graph.es[weight], dtype=float) if has else np.ones(len(edges))
        return cls(graph, edges, weights)

    def ties(self, mass: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Multiplicity of every tie (or of ``rows``): the product of its ends' multiplicities.

        ``mass`` is one replicate's multiplicity per person; the products of
        the latest ``mass`` are kept for the next statistic.
        """
        if self.last.get("mass") is not mass:
            self.last.clear()
            self.last["mass"] = mass
            self.last["ties"] = mass[self.edges[:, 0]] * mass[self.edges[:, 1]]
        every = self.last["ties"]
        return every if rows is None else every[rows]

    def sources(self) -> np.ndarray:
        """Edge sources, contiguous (kept)."""
        return self.edges[:, 0]


#: (window, one replicate's person multiplicities) -> one value per subject
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
    return _all_changes(a, b, [(labels, stat)], strata, n_boot, seed, weight)[0]


def _all_changes(
    a: ig.Graph,
    b: ig.Graph,
    statistics: list[tuple[list, Statistic]],
    strata: np.ndarray,
    n_boot: int,
    seed: int | None,
    weight: str | None = None,
    keep: list | None = None,
) -> list[dict]:
    """:func:`_changes` of several statistics over the same replicates (the same draws).

    Replicates run :data:`BATCH` at a time; only the tails of each subject's
    differences are kept (:class:`_Tails`), so memory does not grow with
    ``n_boot`` times the number of subjects. The tie multiplicities of a
    batch are computed once per window and shared by the statistics.
    """
    if (a.vs["name"] if a.vcount() else []) != (b.vs["name"] if b.vcount() else []):
        raise ValueError("the two windows must have the same people in the same order")
    wa, wb = _Window.of(a, weight), _Window.of(b, weight)
    ones = np.ones(a.vcount())
    observed = [(stat(wa, ones), stat(wb, ones)) for _, stat in statistics]
    rng = np.random.default_rng(seed)
    tails = [_Tails(len(labels), n_boot) for labels, _ in statistics]
    for masses in _batches(strata, n_boot, rng):
        deltas: list[list[np.ndarray]] = [[] for _ in statistics]
        for r in range(masses.shape[1]):
            # one replicate at a time: a person's multiplicities stay in cache while the
            # ties gather them (four times faster than gathering rows of a batch)
            mass = np.ascontiguousarray(masses[:, r])
            for (_, stat), found in zip(statistics, deltas, strict=True):
                found.append(stat(wb, mass) - stat(wa, mass))
        for tail, found in zip(tails, deltas, strict=True):
            tail.add(np.column_stack(found) if found else np.zeros((0, 0)))
    result = []
    keep = keep or [None] * len(statistics)
    for (labels, _), (before, after), tail, wanted in zip(
        statistics, observed, tails, keep, strict=True
    ):
        low, high = tail.interval()
        if wanted is not None:  # only the subjects a filter on the interval keeps
            rows = np.flatnonzero(wanted(np.round(low, 12), np.round(high, 12)))
            labels = [labels[k] for k in rows.tolist()]
            before, after, low, high = before[rows], after[rows], low[rows], high[rows]
        columns = zip(*(_values(x) for x in (before, after, low, high)), strict=True)
        result.append({label: Change(*row) for label, row in zip(labels, columns, strict=True)})
    return result


def _batches(strata: np.ndarray, n_boot: int, rng: np.random.Generator):
    """Person multiplicities, :data:`BATCH` replicates at a time, as ``(people, replicates)``.

    Replicate ``r`` draws people with replacement within each stratum from
    ``rng.random`` exactly as one replicate at a time would.
    """
    order = np.argsort(strata, kind="stable")
    _, starts, sizes = np.unique(strata[order], return_index=True, return_counts=True)
    offset = np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    n = len(order)
    for first in range(0, n_boot, BATCH):
        count = min(BATCH, n_boot - first)
        masses = np.zeros((n, count))
        for r in range(count):
            picks = offset + np.floor(rng.random(n) * size).astype(np.int64)
            masses[order, r] = np.bincount(picks, minlength=n)
        yield masses


class _Tails:
    """The two tails of each subject's bootstrap differences: enough for the percentile CI.

    Keeps, per subject, the ``k`` smallest and ``k`` largest values that are
    not NaN (``k`` covers the 2.5 % tail of ``n_boot`` values) and the count
    of values that are not NaN, then interpolates exactly as
    ``numpy.nanpercentile`` (linear) does on all of them.
    """

    def __init__(self, subjects: int, n_boot: int) -> None:
        tail = (1 - LEVEL) / 2
        self.k = max(int(math.floor(tail * max(n_boot - 1, 0))) + 2, 2)
        self.low = np.full((subjects, 0), np.inf)
        self.high = np.full((subjects, 0), -np.inf)
        self.count = np.zeros(subjects, dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        """Fold in ``(subjects, replicates)`` values."""
        missing = np.isnan(values)
        if missing.any():
            self.count += (~missing).sum(axis=1)
            ordered = np.sort(np.where(missing, np.inf, values), axis=1)
            top = -np.sort(np.where(missing, np.inf, -values), axis=1)[:, : self.k]
        else:
            self.count += values.shape[1]
            ordered = np.sort(values, axis=1)
            top = ordered[:, ::-1][:, : self.k]
        self.low = _smallest(np.concatenate([self.low, ordered[:, : self.k]], axis=1), self.k)
        self.high = -_smallest(np.concatenate([-self.high, -top], axis=1), self.k)

    def interval(self) -> tuple[np.ndarray, np.ndarray]:
        """The 2.5 and 97.5 percentiles of each subject (NaN without values)."""
        tail = 100 * (1 - LEVEL) / 2
        low = self._percentile(np.sort(self.low, axis=1), tail)
        # the upper percentile, counted from the top, is the lower one of the negated values
        high = -self._percentile(np.sort(-self.high, axis=1), tail)
        return low, high

    def _percentile(self, ascending: np.ndarray, q: float) -> np.ndarray:
        n = self.count.astype(float)
        quantile = np.true_divide(q, 100)
        virtual = n * quantile + (1 + quantile * (1 - 1 - 1)) - 1  # numpy's "linear" method
        previous = np.floor(virtual).astype(np.int64)
        above = virtual >= n - 1
        previous = np.where(above, n - 1, np.maximum(previous, 0)).astype(np.int64)
        following = np.where(above, n - 1, previous + 1).astype(np.int64)
        gamma = np.where(above, 0.0, virtual - np.floor(virtual))
        width = ascending.shape[1]
        rows = np.arange(len(n))
        a = (
            ascending[rows, np.clip(previous, 0, max(width - 1, 0))]
            if width
            else np.full(len(n), np.nan)
        )
        b = (
            ascending[rows, np.clip(following, 0, max(width - 1, 0))]
            if width
            else np.full(len(n), np.nan)
        )
        with np.errstate(invalid="ignore"):
            diff = b - a
            value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        return np.where(self.count > 0, value, np.nan)


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` smallest entries of each row (unordered), or all when there are fewer."""
    if values.shape[1] <= k:
        return values
    return np.partition(values, k - 1, axis=1)[:, :k]


def _values(x: np.ndarray) -> list[float | None]:
    """Rounded to 12 decimals, NaN as ``None``."""
    rounded = np.round(np.asarray(x, dtype=float), 12)
    return [None if v != v else v for v in rounded.tolist()]


# --- statistics on multiplicities ------------------------------------------


def _codes(a: ig.Graph, b: ig.Graph, attribute: str) -> tuple[list[str], np.ndarray]:
    """Sorted group names and each person's group code (-1: no group)."""
    values = a.vs[attribute] if a.vcount() else []
    groups = sorted({v for v in values if v})
    index = {g: k for k, g in enumerate(groups)}
    return groups, np.array([index.get(v, -1) for v in values], dtype=np.int64)


def _business_units(graph: ig.Graph, unit: str) -> set[str]:
    """Units with at least one non-IT person (those :func:`liaison_score` scores)."""
    if not graph.vcount():
        return set()
    return {u for u, it in zip(graph.vs[unit], graph.vs["is_it"], strict=True) if u and not it}


def _ei_statistic(codes: np.ndarray, count: int) -> Statistic:
    # per window: (the window, kept alive so its id stays unique; index arrays)
    cached: dict[int, tuple[_Window, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def sums(window: _Window) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if id(window) not in cached:
            ga, gb = codes[window.edges[:, 0]], codes[window.edges[:, 1]]
            same = (ga == gb) & (ga >= 0)
            inside = np.flatnonzero(same)
            left, right = np.flatnonzero(~same & (ga >= 0)), np.flatnonzero(~same & (gb >= 0))
            # each end of a crossing tie, in edge order
            ends = np.concatenate([left, right])
            order = np.argsort(ends, kind="stable")
            rows = ends[order]
            groups = np.concatenate([ga[left], gb[right]])[order]
            cached[id(window)] = (window, inside, ga[inside], rows, groups)
        return cached[id(window)][1:]

    def stat(window: _Window, mass: np.ndarray) -> np.ndarray:
        inside, inside_group, rows, groups = sums(window)
        mult = window.ties(mass)
        internal = np.bincount(inside_group, mult[inside], count)
        external = np.bincount(groups, mult[rows], count)
        total = internal + external
        out = np.full(count, np.nan)
        np.divide(external - internal, total, out=out, where=total > 0)
        return out

    return stat


def _pair_keys(graph: ig.Graph, codes: np.ndarray) -> np.ndarray:
    """``x · G + y`` (x < y) of the group pair of every edge between two groups."""
    edges = edge_array(graph)
    x, y = codes[edges[:, 0]], codes[edges[:, 1]]
    low, high = np.minimum(x, y), np.maximum(x, y)
    keep = (low >= 0) & (low != high)
    return np.unique(low[keep] * (codes.max(initial=0) + 1) + high[keep])


def _pair_statistic(codes: np.ndarray, keys: np.ndarray) -> Statistic:
    groups = codes.max(initial=0) + 1
    # per window: (the window, kept alive so its id stays unique; crossing edges, their pair,
    # their strength)
    cached: dict[int, tuple[_Window, np.ndarray, np.ndarray, np.ndarray]] = {}

    def sums(window: _Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges joining two tied groups, the pair each joins, and their strengths."""
        if id(window) not in cached:
            x, y = codes[window.edges[:, 0]], codes[window.edges[:, 1]]
            key = np.minimum(x, y) * groups + np.maximum(x, y)
            slot = np.minimum(np.searchsorted(keys, key), max(len(keys) - 1, 0))
            hit = (keys[slot] == key) & (np.minimum(x, y) >= 0) & (x != y) if len(keys) else key < 0
            rows = np.flatnonzero(hit)
            cached[id(window)] = (window, rows, slot[rows], window.weights[rows])
        return cached[id(window)][1:]

    def stat(window: _Window, mass: np.ndarray) -> np.ndarray:
        rows, slot, strength = sums(window)
        return np.bincount(slot, strength * window.ties(mass, rows), len(keys))

    return stat


@dataclass(frozen=True, slots=True)
class _LiaisonSums:
    """One window's IT–unit ties and cross-unit ties as index arrays, for bulk liaison scores."""

    window: _Window  # kept alive so its id stays unique in the cache
    it_rows: np.ndarray  # edges between a business unit member and an IT person
    person: np.ndarray  # the member's vertex, per IT-unit edge
    it_person: np.ndarray
    unit: np.ndarray  # the member's unit code, per IT-unit edge
    pair_of: np.ndarray  # (unit, IT person) pair of each IT-unit edge
    pair_unit: np.ndarray  # unit code of each (unit, IT person) pair
    cross_rows: np.ndarray  # each end of an edge between two units, as an edge row ...
    cross_unit: np.ndarray  # ... and the unit of that end (business units only)
    cross_strength: np.ndarray  # ... and the edge's strength
    member_unit: np.ndarray  # unit code of each person (−1: IT or no unit)
    it_size: int


def _liaison_statistic(unit: str, units: list[str]) -> Statistic:
    """:func:`analysis.liaison.liaison_score` (structural components), one replicate at a time."""
    cached: dict[int, _LiaisonSums] = {}
    weights = DEFAULT_WEIGHTS
    total_weight = weights["volume"] + weights["breadth"] + weights["redundancy"]
    count = len(units)

    def stat(window: _Window, mass: np.ndarray) -> np.ndarray:
        if id(window) not in cached:
            cached[id(window)] = _liaison_sums(window, unit, units)
        sums = cached[id(window)]
        tie = window.weights[sums.it_rows] * window.ties(mass, sums.it_rows)
        volume = np.bincount(sums.unit, tie, count)
        carried = np.bincount(sums.pair_of, tie, len(sums.pair_unit))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = carried / volume[sums.pair_unit]
        concentration = np.round(np.bincount(sums.pair_unit, np.nan_to_num(share**2), count), 12)
        live = tie > 0
        reached = np.zeros(len(mass), dtype=bool)
        reached[sums.person[live]] = True
        business = sums.member_unit >= 0
        unit_mass = np.bincount(sums.member_unit[business], mass[business], count)
        covered = np.bincount(sums.member_unit[business], (reached * mass)[business], count)
        coverage = np.divide(covered, unit_mass, out=np.zeros(count), where=unit_mass > 0)
        external = np.bincount(
            sums.cross_unit, sums.cross_strength * window.ties(mass, sums.cross_rows), count
        )
        room = mass.sum() - unit_mass
        expected = np.divide(sums.it_size, room, out=np.zeros(count), where=room > 0)
        it_share = np.divide(volume, external, out=np.zeros(count), where=external > 0)
        ratio = np.divide(it_share, expected, out=np.zeros(count), where=expected > 0)
        volume_part = np.where((it_share > 0) & (expected > 0), ratio / (1.0 + ratio), 0.0)
        paths = matching_sizes(sums.unit[live], sums.person[live], sums.it_person[live], count)
        with np.errstate(invalid="ignore", divide="ignore"):
            redundancy = 0.5 * (1.0 - 1.0 / paths) + 0.5 * (1.0 - concentration)
        redundancy = np.where((paths > 0) & (volume > 0), redundancy, 0.0)
        score = (
            weights["volume"] * volume_part
            + weights["breadth"] * coverage
            + weights["redundancy"] * redundancy
        )
        return 100.0 * score / total_weight

    return stat


def _liaison_sums(window: _Window, unit: str, units: list[str]) -> _LiaisonSums:
    graph = window.graph
    n = graph.vcount()
    labels = graph.vs[unit] if n else []
    is_it = np.asarray(graph.vs["is_it"] if n else [], dtype=bool)
    index = {u: k for k, u in enumerate(units)}
    member = np.asarray(
        [index.get(u, -1) if not it else -1 for u, it in zip(labels, is_it.tolist(), strict=True)],
        dtype=np.int64,
    )
    everyone = {u: k for k, u in enumerate(sorted(set(labels)))}
    any_unit = np.asarray([everyone[u] for u in labels], dtype=np.int64)
    u, v = window.edges[:, 0], window.edges[:, 1]
    crossing_it = is_it[u] != is_it[v]
    person = np.where(is_it[u], v, u)
    it_person = np.where(is_it[u], u, v)
    it_rows = np.flatnonzero(crossing_it & (member[person] >= 0))
    person, it_person = person[it_rows], it_person[it_rows]
    unit_of = member[person]
    pair_key, pair_of = np.unique(unit_of * max(n, 1) + it_person, return_inverse=True)
    between = np.flatnonzero(any_unit[u] != any_unit[v])
    ends = np.concatenate([between, between])
    end_unit = np.concatenate([member[u[between]], member[v[between]]])
    keep = end_unit >= 0
    order = np.argsort(ends[keep], kind="stable")  # in edge order, as liaison_score sums
    return _LiaisonSums(
        window=window,
        it_rows=it_rows,
        person=person,
        it_person=it_person,
        unit=unit_of,
        pair_of=pair_of.ravel(),
        pair_unit=(pair_key // max(n, 1)).astype(np.int64),
        cross_rows=ends[keep][order],
        cross_unit=end_unit[keep][order],
        cross_strength=window.weights[ends[keep][order]],
        member_unit=member,
        it_size=int(is_it.sum()),
    )


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
