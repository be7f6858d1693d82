"""Build analysis graphs from stored records. The only place graphs are built.

Weights here are *strengths*: the more two people interact, the larger the
weight. Path-based measures need *distances*; :func:`distances` is the one
place that converts (``distance = 1 / strength``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import igraph as ig

from ingest.records import Person
from ingest.records import Tie


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
    people = sorted(people, key=lambda p: p.key)
    index = {p.key: i for i, p in enumerate(people)}
    weight: dict[tuple[int, int], float] = defaultdict(float)
    count: dict[tuple[int, int], int] = defaultdict(int)
    for tie in ties:
        a, b = index.get(tie.source), index.get(tie.target)
        if a is None or b is None or a == b:
            continue
        pair = (a, b) if a < b else (b, a)
        weight[pair] += tie.weight
        count[pair] += tie.count
    pairs = sorted(weight)
    graph = ig.Graph(n=len(people), edges=pairs, directed=False)
    graph.vs["name"] = [p.key for p in people]
    graph.vs["team"] = [p.team_key if p.team else "" for p in people]
    graph.vs["department"] = [p.department for p in people]
    graph.vs["is_it"] = [p.is_it for p in people]
    graph.es["weight"] = [weight[p] for p in pairs]
    graph.es["count"] = [count[p] for p in pairs]
    return graph


def distances(graph: ig.Graph, *, weight: str = "weight") -> list[float]:
    """Edge distances for path measures: ``1 / strength``."""
    return [1.0 / w for w in graph.es[weight]]
