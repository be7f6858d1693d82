"""Build analysis graphs from stored records. The only place graphs are built.

Weights here are *strengths*: the more two people interact, the larger the
weight. Path-based measures need *distances*; :func:`distances` is the one
place that converts (``distance = 1 / strength``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from typing import TYPE_CHECKING

import igraph as ig
import numpy as np

from ingest.records import Person
from ingest.records import Tie
from ingest.records import TieColumns

if TYPE_CHECKING:
    from analysis.strength import PairStrengths
    from analysis.strength import TieStrength
    from analysis.ties import TieTable


def person_graph(people: Iterable[Person], ties: Iterable[Tie]) -> ig.Graph:
    """An undirected person graph: one edge per pair, all channels and directions summed.

    Parameters
    ----------
    people : iterable of Person
        Every person becomes a vertex (isolates included), named by key, with
        the attributes ``team`` (team key), ``department`` and ``is_it``.
    ties : iterable of Tie
        Aggregated ties; ties naming people not in ``people`` are ignored.

    Returns
    -------
    igraph.Graph
        Edge attributes: ``weight`` (sum of tie weights, a strength) and
        ``count`` (number of events).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from ingest.records import Channel
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> people = [Person("a", department="D", team="T"), Person("b", department="D", team="T")]
    >>> ties = [Tie("a", "b", Channel.EMAIL, 2, 2.0, t, t), Tie("b", "a", Channel.EMAIL, 1, 1.0, t, t)]
    >>> g = person_graph(people, ties)
    >>> g.vcount(), g.ecount(), g.es["weight"], g.es["count"]
    (2, 1, [3.0], [3])
    """
    return _summed_graph(people, ties, directed=False)


def person_graph_of_columns(people: Iterable[Person], columns: TieColumns) -> ig.Graph:
    """:func:`person_graph` from tie columns (``Store.tie_columns``), without a record per tie.

    The graph :func:`person_graph` makes of ``columns.ties()``, edge for
    edge: pairs in order, weights summed in row order (``bincount`` adds in
    input order, as the record loop does), so the sums are equal to the last
    bit.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from ingest.records import Channel
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> people = [Person("a", team="T"), Person("b", team="T"), Person("c")]
    >>> ties = [Tie("a", "b", Channel.EMAIL, 2, 2.0, t, t, "2025-01"),
    ...         Tie("b", "a", Channel.EMAIL, 1, 1.0, t, t, "2025-01"),
    ...         Tie("a", "x", Channel.EMAIL, 1, 1.0, t, t, "2025-01")]
    >>> g = person_graph_of_columns(people, TieColumns.from_ties(ties))
    >>> g.vcount(), g.get_edgelist(), g.es["weight"], g.es["count"]
    (3, [(0, 1)], [3.0], [3])
    """
    people = _sorted_people(people)
    a, b = _person_codes(people, columns)
    keep = (a >= 0) & (b >= 0) & (a != b)
    edges, slot = pair_slots(a[keep], b[keep], len(people))
    weight = np.bincount(slot, weights=columns.weight[keep], minlength=len(edges))
    count = np.bincount(slot, weights=columns.count[keep], minlength=len(edges))
    graph = _graph(people, edges, directed=False)
    graph.es["weight"] = weight.tolist()
    graph.es["count"] = count.astype(np.int64).tolist()
    return graph


def pair_slots(a: np.ndarray, b: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct unordered pairs of codes ``(a[i], b[i])``, each below ``size``, and each row's.

    Returns the pairs as a ``(k, 2)`` array in order (lower code first) and,
    for every row, the index of its pair: ``np.bincount(slot, weights=w)``
    then sums ``w`` per pair in row order.

    Examples
    --------
    >>> pairs, slot = pair_slots(np.array([2, 0, 1]), np.array([0, 2, 0]), 3)
    >>> pairs.tolist(), slot.tolist()
    ([[0, 1], [0, 2]], [1, 1, 0])
    """
    width = max(size, 1)
    codes = np.minimum(a, b).astype(np.int64) * width + np.maximum(a, b)
    found, slot = np.unique(codes, return_inverse=True)
    return np.column_stack([found // width, found % width]), slot


def _person_codes(people: list[Person], columns: TieColumns) -> tuple[np.ndarray, np.ndarray]:
    """Each row's source and target as positions in ``people`` (sorted by key); -1 if absent."""
    position = {p.key: i for i, p in enumerate(people)}
    of_key = np.fromiter(
        (position.get(key, -1) for key in columns.keys), np.int64, count=len(columns.keys)
    )
    if not len(of_key):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return of_key[columns.source], of_key[columns.target]


def person_digraph(people: Iterable[Person], ties: Iterable[Tie]) -> ig.Graph:
    """A directed person graph: an arc ``a → b`` when ``a`` sent to ``b`` on any channel.

    Parameters
    ----------
    people : iterable of Person
        Every person becomes a vertex, with the same attributes as in
        :func:`person_graph`.
    ties : iterable of Tie
        Directed aggregated ties (any mix of channels and months); ties naming
        people not in ``people`` and self-ties are ignored.

    Returns
    -------
    igraph.Graph
        Directed, at most one arc per ordered pair. Edge attributes ``weight``
        (sum of tie weights sent from source to target, a strength) and
        ``count`` (events).

    Notes
    -----
    Meetings give ties in both directions (the ingestors emit the clique), so
    they become mutual arcs; e-mail and tickets keep their direction. This is
    the graph for Gould–Fernandez brokerage (:mod:`analysis.brokerage`).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from ingest.records import Channel
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> people = [Person("a"), Person("b"), Person("c")]
    >>> ties = [Tie("a", "b", Channel.EMAIL, 2, 2.0, t, t), Tie("a", "b", Channel.CHAT, 1, 0.5, t, t),
    ...         Tie("c", "b", Channel.TICKET, 1, 1.0, t, t)]
    >>> g = person_digraph(people, ties)
    >>> [(g.vs[e.source]["name"], g.vs[e.target]["name"], e["weight"], e["count"]) for e in g.es]
    [('a', 'b', 2.5, 3), ('c', 'b', 1.0, 1)]
    """
    return _summed_graph(people, ties, directed=True)


def _summed_graph(people: Iterable[Person], ties: Iterable[Tie], *, directed: bool) -> ig.Graph:
    """Sum tie weights and counts per pair (ordered when ``directed``) into one edge each."""
    people = _sorted_people(people)
    index = {p.key: i for i, p in enumerate(people)}
    weight: dict[tuple[int, int], float] = defaultdict(float)
    count: dict[tuple[int, int], int] = defaultdict(int)
    for tie in ties:
        a, b = index.get(tie.source), index.get(tie.target)
        if a is None or b is None or a == b:
            continue
        pair = (a, b) if directed or a < b else (b, a)
        weight[pair] += tie.weight
        count[pair] += tie.count
    edges = sorted(weight)
    graph = _graph(people, edges, directed=directed)
    graph.es["weight"] = [weight[e] for e in edges]
    graph.es["count"] = [count[e] for e in edges]
    return graph


def strength_graph(
    people: Iterable[Person], strengths: Mapping[tuple[str, str], TieStrength]
) -> ig.Graph:
    """An undirected person graph weighted by composite tie strength.

    Parameters
    ----------
    people : iterable of Person
        Every person becomes a vertex, with the same attributes as in
        :func:`person_graph`.
    strengths : mapping
        ``(a, b) → TieStrength`` from :func:`analysis.strength.tie_strengths`;
        pairs naming people not in ``people`` are ignored.

    Returns
    -------
    igraph.Graph
        Edge attributes: ``weight`` (composite strength ``S``, larger = stronger),
        ``count`` (events over all channels and both directions),
        ``reciprocity`` and ``multiplexity``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from ingest.records import Channel
    >>> from analysis.strength import tie_strengths
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> ties = [Tie("a", "b", Channel.EMAIL, 2, 2.0, t, t), Tie("b", "a", Channel.EMAIL, 2, 2.0, t, t)]
    >>> g = strength_graph([Person("a"), Person("b"), Person("c")], tie_strengths(ties, at=t))
    >>> g.vcount(), g.es["weight"], g.es["count"], g.es["reciprocity"]
    (3, [1.0], [4], [1.0])
    """
    people = _sorted_people(people)
    index = {p.key: i for i, p in enumerate(people)}
    kept = {}
    for (a, b), tie in strengths.items():
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None and i != j:
            kept[(i, j) if i < j else (j, i)] = tie
    pairs = sorted(kept)
    graph = _graph(people, pairs, directed=False)
    graph.es["weight"] = [kept[p].strength for p in pairs]
    graph.es["count"] = [kept[p].count for p in pairs]
    graph.es["reciprocity"] = [kept[p].reciprocity for p in pairs]
    graph.es["multiplexity"] = [kept[p].multiplexity for p in pairs]
    return graph


def pair_graph(
    table: TieTable,
    strengths: PairStrengths,
    *,
    attributes: tuple[str, ...] = ("weight", "count", "reciprocity", "multiplexity", "channels"),
) -> ig.Graph:
    """:func:`strength_graph` from columns: the same graph, built without Python objects per tie.

    Parameters
    ----------
    table : TieTable
        Its ``people`` become the vertices (in key order, isolates included).
    strengths : PairStrengths
        From :func:`analysis.strength.pair_strengths` on ``table``; pairs with
        an outsider are left out.

    attributes : tuple of str
        The edge attributes to set (all by default; each costs about 0.1 s
        per million pairs).

    Returns
    -------
    igraph.Graph
        As :func:`strength_graph`, plus the edge attribute ``channels``: the
        bit mask of channels seen (bit ``k`` for ``analysis.ties.CHANNELS[k]``).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from ingest.records import Channel
    >>> from analysis.strength import pair_strengths
    >>> from analysis.ties import TieTable
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> ties = [Tie("a", "b", Channel.EMAIL, 2, 2.0, t, t), Tie("b", "a", Channel.EMAIL, 2, 2.0, t, t),
    ...         Tie("b", "z", Channel.EMAIL, 1, 1.0, t, t)]
    >>> table = TieTable.from_ties([Person("a"), Person("b"), Person("c")], ties)
    >>> g = pair_graph(table, pair_strengths(table))
    >>> g.vcount(), g.es["weight"], g.es["count"], g.es["reciprocity"], g.es["channels"]
    (3, [1.0], [4], [1.0], [2])
    """
    people = list(table.people)
    inside = strengths.hi < len(people)
    edges = np.column_stack([strengths.lo[inside], strengths.hi[inside]]).astype(np.int64)
    graph = _graph(people, edges, directed=False)
    edges.flags.writeable = False
    graph._bridgework_edges = edges
    columns = {
        "weight": strengths.strength,
        "count": strengths.count,
        "reciprocity": strengths.reciprocity,
        "multiplexity": strengths.multiplexity,
        "channels": strengths.channels,
    }
    for name in attributes:
        graph.es[name] = columns[name][inside].tolist()
    return graph


def table_digraph(table: TieTable) -> ig.Graph:
    """:func:`person_digraph` from columns: one arc per ordered pair of people who wrote.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from ingest.records import Channel
    >>> from analysis.ties import TieTable
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> ties = [Tie("a", "b", Channel.EMAIL, 2, 2.0, t, t), Tie("a", "b", Channel.CHAT, 1, 0.5, t, t),
    ...         Tie("c", "b", Channel.TICKET, 1, 1.0, t, t)]
    >>> g = table_digraph(TieTable.from_ties([Person("a"), Person("b"), Person("c")], ties))
    >>> [(g.vs[e.source]["name"], g.vs[e.target]["name"], e["weight"], e["count"]) for e in g.es]
    [('a', 'b', 2.5, 3), ('c', 'b', 1.0, 1)]
    """
    people = list(table.people)
    n = len(people)
    known = (table.source < n) & (table.target < n)
    key = table.source[known].astype(np.int64) * max(n, 1) + table.target[known]
    arcs, slot = np.unique(key, return_inverse=True)
    graph = _graph(people, np.column_stack([arcs // max(n, 1), arcs % max(n, 1)]), directed=True)
    graph.es["weight"] = np.bincount(slot, table.weight[known], len(arcs)).tolist()
    graph.es["count"] = np.bincount(slot, table.count[known], len(arcs)).astype(np.int64).tolist()
    return graph


def edge_array(graph: ig.Graph) -> np.ndarray:
    """The edge list as a read-only ``(m, 2)`` int64 array, kept on the graph object.

    Reading a million edges out of igraph takes about half a second, and
    most jobs need them; the array is kept on the graph and reused while the
    edge count is unchanged (analysis functions never change a graph they
    are given: they work on copies).

    Examples
    --------
    >>> edge_array(ig.Graph(edges=[(0, 1), (1, 2)])).tolist()
    [[0, 1], [1, 2]]
    """
    cached = getattr(graph, "_bridgework_edges", None)
    if cached is None or len(cached) != graph.ecount():
        cached = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        cached.flags.writeable = False
        graph._bridgework_edges = cached
    return cached


def distances(graph: ig.Graph, *, weight: str = "weight") -> list[float]:
    """Edge distances for path measures: ``1 / strength``."""
    return [1.0 / w for w in graph.es[weight]]


def _sorted_people(people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda p: p.key)


def _graph(people: list[Person], pairs, *, directed: bool) -> ig.Graph:
    """A graph on ``people`` (by position) with the standard vertex attributes."""
    graph = ig.Graph(n=len(people), directed=directed)
    if len(pairs):
        graph.add_edges(np.asarray(pairs, dtype=np.int64).reshape(-1, 2))
    graph.vs["name"] = [p.key for p in people]
    graph.vs["team"] = [p.team_key if p.team else "" for p in people]
    graph.vs["department"] = [p.department for p in people]
    graph.vs["is_it"] = [p.is_it for p in people]
    return graph
