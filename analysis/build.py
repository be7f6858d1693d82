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

from ingest.records import Person
from ingest.records import Tie

if TYPE_CHECKING:
    from analysis.strength import TieStrength


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


def distances(graph: ig.Graph, *, weight: str = "weight") -> list[float]:
    """Edge distances for path measures: ``1 / strength``."""
    return [1.0 / w for w in graph.es[weight]]


def _sorted_people(people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda p: p.key)


def _graph(people: list[Person], pairs: list[tuple[int, int]], *, directed: bool) -> ig.Graph:
    """A graph on ``people`` (by position) with the standard vertex attributes."""
    graph = ig.Graph(n=len(people), edges=pairs, directed=directed)
    graph.vs["name"] = [p.key for p in people]
    graph.vs["team"] = [p.team_key if p.team else "" for p in people]
    graph.vs["department"] = [p.department for p in people]
    graph.vs["is_it"] = [p.is_it for p in people]
    return graph
