"""Graphs for the network map: people contracted into teams, and seeded layouts.

The layout is computed on the server (igraph), so the browser only draws.
"""

from __future__ import annotations

from collections import Counter

import igraph as ig
import numpy as np

from analysis.build import edge_array
from analysis.build import pair_slots
from analysis.communities import seeded_igraph


def team_graph(people: ig.Graph) -> ig.Graph:
    """Contract a person graph into a team graph.

    Parameters
    ----------
    people : igraph.Graph
        Undirected person graph from :func:`analysis.build.person_graph`
        (vertex attributes ``team``, ``department``, ``is_it``; edge
        attributes ``weight`` and ``count``).

    Returns
    -------
    igraph.Graph
        One vertex per team (``name`` = team key, ``department``, ``is_it``,
        ``size`` = headcount); one edge per pair of teams with ties between
        them (``weight`` = summed strength, ``count`` = events, ``pairs`` =
        distinct pairs of people). Ties inside a team become the vertex
        attribute ``internal_weight``. People without a team are left out.

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (1, 2), (2, 3)])
    >>> g.vs["team"] = ["D/A", "D/A", "IT/B", "IT/B"]
    >>> g.vs["department"] = ["D", "D", "IT", "IT"]
    >>> g.vs["is_it"] = [False, False, True, True]
    >>> g.es["weight"] = [1.0, 2.0, 4.0]
    >>> g.es["count"] = [1, 2, 4]
    >>> t = team_graph(g)
    >>> t.vs["name"], t.vs["size"], t.vs["internal_weight"], t.es["weight"], t.es["pairs"]
    (['D/A', 'IT/B'], [2, 2], [1.0, 4.0], [2.0], [1])
    """
    teams = sorted({t for t in people.vs["team"] if t})
    index = {t: i for i, t in enumerate(teams)}
    first: dict[str, ig.Vertex] = {}
    for v in people.vs:
        if v["team"]:
            first.setdefault(v["team"], v)
    # Sums in edge order (bincount adds in input order), as a loop over the edges would.
    team_of = people.vs["team"]
    code = np.array([index[t] if t else -1 for t in team_of], dtype=np.int64)
    ends = edge_array(people)
    a, b = code[ends[:, 0]], code[ends[:, 1]]
    strength = np.asarray(people.es["weight"] if len(ends) else [], dtype=np.float64)
    events = np.asarray(people.es["count"] if len(ends) else [], dtype=np.int64)
    known = (a >= 0) & (b >= 0)
    inside = known & (a == b)
    internal = np.bincount(a[inside], weights=strength[inside], minlength=len(teams))
    across = known & (a != b)
    edges, slot = pair_slots(a[across], b[across], len(teams))
    weight = np.bincount(slot, weights=strength[across], minlength=len(edges))
    count = np.bincount(slot, weights=events[across], minlength=len(edges))
    pairs = np.bincount(slot, minlength=len(edges))
    graph = ig.Graph(n=len(teams), edges=edges.tolist(), directed=False)
    sizes = Counter(t for t in team_of if t)
    graph.vs["name"] = teams
    graph.vs["department"] = [first[t]["department"] for t in teams]
    graph.vs["is_it"] = [bool(first[t]["is_it"]) for t in teams]
    graph.vs["size"] = [sizes[t] for t in teams]
    graph.vs["internal_weight"] = internal.tolist()
    graph.es["weight"] = weight.tolist()
    graph.es["count"] = count.astype(np.int64).tolist()
    graph.es["pairs"] = pairs.tolist()
    return graph


def layout(
    graph: ig.Graph, *, seed: int = 1, weight: str | None = "weight"
) -> list[tuple[float, float]]:
    """Positions for drawing, scaled to the unit square, seeded.

    Uses Fruchterman–Reingold, where edge weights pull harder (they are
    strengths here, as igraph expects for this layout), and DrL above 2,000
    vertices, where Fruchterman–Reingold gets slow.

    Examples
    --------
    >>> g = ig.Graph.Ring(4)
    >>> a, b = layout(g, seed=3), layout(g, seed=3)
    >>> a == b and all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in a)
    True
    """
    if graph.vcount() == 0:
        return []
    if graph.vcount() == 1:
        return [(0.5, 0.5)]
    weights = graph.es[weight] if weight and weight in graph.es.attributes() else None
    with seeded_igraph(seed):
        if graph.vcount() > 2000:
            coords = graph.layout_drl(weights=weights)
        else:
            coords = graph.layout_fruchterman_reingold(weights=weights, niter=500)
    return _unit_square(coords.coords)


def _unit_square(coords: list[list[float]]) -> list[tuple[float, float]]:
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return [((x - min(xs)) / span, (y - min(ys)) / span) for x, y in zip(xs, ys, strict=True)]
