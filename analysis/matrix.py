"""What lies behind the liaison matrix and the isolated-teams maps.

:func:`cross_ties` lists the person-to-person ties behind each cell of the
IT–business liaison matrix (one business unit × one IT team), so that a cell's
score from :func:`analysis.liaison.it_team_liaison_score` can be shown with
the people who make it. :func:`ego_network` cuts a team's neighbourhood out of
the team graph of :func:`analysis.maps.team_graph` for a small map, and
:func:`ego_layout` places it: the ego in the middle, its neighbours around it.

Weights are strengths throughout (more contact, larger weight).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import igraph as ig

__all__ = ["CrossTie", "cross_ties", "ego_layout", "ego_network"]


@dataclass(frozen=True, slots=True)
class CrossTie:
    """One tie between a business-unit person and an IT person.

    ``weight`` is the tie's strength and ``count`` its number of events, both
    summed over channels and directions as in the person graph.
    """

    person: str
    it_person: str
    weight: float
    count: int


def cross_ties(
    graph: ig.Graph,
    *,
    unit: str = "department",
    it_team: str = "team",
    weight: str = "weight",
    count: str = "count",
) -> dict[tuple[str, str], list[CrossTie]]:
    """The ties between business units and IT teams, grouped by (IT team, unit).

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph (:func:`analysis.build.person_graph`) with
        vertex attributes ``name``, ``is_it``, ``unit`` and ``it_team``, and
        edge attributes ``weight`` (a strength) and ``count``.
    unit : str
        Vertex attribute naming the business unit of non-IT people.
    it_team : str
        Vertex attribute naming the team of IT people.
    weight, count : str
        Edge attributes with the strength and the number of events.

    Returns
    -------
    dict
        ``(IT team, unit)`` to its ties, heaviest first (ties of equal weight
        by the two person keys). Only pairs with at least one tie appear,
        keyed as in :func:`analysis.liaison.it_team_liaison_score`.

    Notes
    -----
    A tie counts when exactly one end is in IT; ties whose business end has
    no unit, or whose IT end has no team, are left out. The graph is read as
    undirected, so each pair of people gives one tie.

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2), (0, 3), (0, 1)])
    >>> g.vs["name"] = ["s1", "s2", "d1", "n1"]
    >>> g.vs["department"] = ["Sales", "Sales", "IT", "IT"]
    >>> g.vs["team"] = ["Sales/A", "Sales/A", "IT/Desk", "IT/Network"]
    >>> g.vs["is_it"] = [False, False, True, True]
    >>> g.es["weight"] = [1.0, 3.0, 2.0, 5.0]
    >>> g.es["count"] = [1, 4, 2, 6]
    >>> found = cross_ties(g)
    >>> sorted(found)
    [('IT/Desk', 'Sales'), ('IT/Network', 'Sales')]
    >>> [(t.person, t.it_person, t.weight, t.count) for t in found[("IT/Desk", "Sales")]]
    [('s2', 'd1', 3.0, 4), ('s1', 'd1', 1.0, 1)]
    """
    if graph.vcount() == 0 or graph.ecount() == 0:
        return {}
    names = graph.vs["name"]
    units = graph.vs[unit]
    teams = graph.vs[it_team]
    is_it = graph.vs["is_it"]
    found: dict[tuple[str, str], list[CrossTie]] = defaultdict(list)
    for edge, w, n in zip(graph.es, graph.es[weight], graph.es[count], strict=True):
        a, b = edge.source, edge.target
        if bool(is_it[a]) == bool(is_it[b]):
            continue
        it_person, person = (a, b) if is_it[a] else (b, a)
        if not units[person] or not teams[it_person]:
            continue
        found[(teams[it_person], units[person])].append(
            CrossTie(names[person], names[it_person], float(w), int(n))
        )
    return {
        key: sorted(ties, key=lambda t: (-t.weight, t.person, t.it_person))
        for key, ties in sorted(found.items())
    }


def ego_network(
    graph: ig.Graph, name: str, *, limit: int | None = None, weight: str = "weight"
) -> ig.Graph:
    """A vertex, its neighbours and the ties among them.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected graph with vertex ``name`` and edge strengths in ``weight``
        (such as the team graph of :func:`analysis.maps.team_graph`).
    name : str
        The ego's ``name``.
    limit : int, optional
        Keep only the neighbours with the ``limit`` strongest ties to the ego
        (ties of equal weight by name); all of them by default.
    weight : str
        Edge attribute with strengths.

    Returns
    -------
    igraph.Graph
        The subgraph induced by the ego and the kept neighbours, in the
        original vertex order, with every vertex and edge attribute; the
        boolean vertex attribute ``ego`` marks the ego.

    Raises
    ------
    KeyError
        When no vertex is called ``name``.

    Notes
    -----
    The ego network of order one: ties between two neighbours are kept, so
    the map shows whether the ego's contacts also know each other.

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (0, 2), (1, 2), (2, 3), (0, 4)])
    >>> g.vs["name"] = ["A", "B", "C", "D", "E"]
    >>> g.es["weight"] = [1.0, 3.0, 2.0, 1.0, 2.0]
    >>> ego = ego_network(g, "A")
    >>> ego.vs["name"], ego.vs["ego"], ego.ecount()
    (['A', 'B', 'C', 'E'], [True, False, False, False], 4)
    >>> ego_network(g, "A", limit=2).vs["name"]
    ['A', 'C', 'E']
    """
    try:
        centre = graph.vs.find(name=name).index
    except (ValueError, KeyError):
        raise KeyError(name) from None
    names = graph.vs["name"]
    strengths: dict[int, float] = defaultdict(float)
    for edge in graph.es.select(_incident=[centre]):
        other = edge.target if edge.source == centre else edge.source
        if other != centre:
            strengths[other] += edge[weight]
    ranked = sorted(strengths, key=lambda v: (-strengths[v], names[v]))
    kept = ranked if limit is None else ranked[: max(limit, 0)]
    ego = graph.induced_subgraph(sorted([centre, *kept]))
    ego.vs["ego"] = [v == name for v in ego.vs["name"]]
    return ego


def ego_layout(ego: ig.Graph, *, weight: str = "weight") -> list[tuple[float, float]]:
    """Positions for an ego network: the ego in the centre, the others on a circle.

    Parameters
    ----------
    ego : igraph.Graph
        An ego network from :func:`ego_network` (boolean vertex attribute
        ``ego`` marks the centre) with edge strengths in ``weight``.
    weight : str
        Edge attribute with strengths.

    Returns
    -------
    list of (float, float)
        One position per vertex, in vertex order, in the unit square with
        ``y`` growing downwards (screen coordinates): the ego at (0.5, 0.5),
        the neighbours evenly on the circle of radius 0.5, the strongest tie
        to the ego at the top and the others clockwise by decreasing strength
        (equal strengths by name).

    Notes
    -----
    Deterministic, so no seed is needed: the same network is always drawn
    the same way. With at most a dozen neighbours a circle keeps every label
    readable where a force-directed layout tends to pile them up. Without an
    ``ego`` attribute the first vertex is the centre.

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (0, 2)])
    >>> g.vs["name"] = ["A", "B", "C"]
    >>> g.es["weight"] = [1.0, 3.0]
    >>> [(round(x, 2), round(y, 2)) for x, y in ego_layout(ego_network(g, "A"))]
    [(0.5, 0.5), (0.5, 1.0), (0.5, 0.0)]
    """
    n = ego.vcount()
    if n == 0:
        return []
    flags = ego.vs["ego"] if "ego" in ego.vs.attributes() else [i == 0 for i in range(n)]
    centre = flags.index(True) if True in flags else 0
    names = ego.vs["name"]
    strength = dict.fromkeys(range(n), 0.0)
    for edge in ego.es.select(_incident=[centre]):
        other = edge.target if edge.source == centre else edge.source
        strength[other] += edge[weight]
    others = sorted((v for v in range(n) if v != centre), key=lambda v: (-strength[v], names[v]))
    positions = [(0.5, 0.5)] * n
    for step, v in enumerate(others):
        angle = -math.pi / 2 + 2 * math.pi * step / len(others)
        positions[v] = (0.5 + 0.5 * math.cos(angle), 0.5 + 0.5 * math.sin(angle))
    return positions
