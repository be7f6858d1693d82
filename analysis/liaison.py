"""IT–business liaison: how each business unit is tied to IT, and through whom.

This module computes the structural components of the liaison score (volume,
breadth, concentration on named liaisons); the composite 0–100 score with
redundancy, channel mix and recency builds on them.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from dataclasses import dataclass

import igraph as ig


@dataclass(frozen=True, slots=True)
class Liaison:
    """How one business unit is tied to IT.

    ``volume`` is the summed strength of IT–unit ties and ``density`` that
    volume over ``|IT| · |unit|``; ``it_people`` and ``unit_people`` count the
    distinct people on each side of those ties; ``concentration`` is the
    Herfindahl index of the volume over IT people (1.0 = one liaison carries
    everything); ``liaisons`` lists IT people by the share they carry.
    """

    unit: str
    size: int
    volume: float
    density: float
    it_people: int
    unit_people: int
    concentration: float | None
    liaisons: tuple[tuple[str, float], ...]

    @property
    def single_liaison(self) -> bool:
        """All of the unit's IT contact runs through one IT person."""
        return self.it_people == 1


def it_liaison(
    graph: ig.Graph, *, unit: str = "department", weight: str = "weight"
) -> dict[str, Liaison]:
    """Liaison components for every business unit.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph with vertex attributes ``name``, ``is_it`` and
        ``unit``, and edge strengths in ``weight``.
    unit : str
        Vertex attribute that names the business unit.

    Returns
    -------
    dict
        Unit name to :class:`Liaison`, for every unit that has no IT member.

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2), (0, 3)])
    >>> g.vs["name"] = ["f1", "f2", "it1", "it2"]
    >>> g.vs["department"] = ["Finance", "Finance", "IT", "IT"]
    >>> g.vs["is_it"] = [False, False, True, True]
    >>> g.es["weight"] = [3.0, 1.0, 1.0]
    >>> r = it_liaison(g)["Finance"]
    >>> (r.volume, r.density, r.it_people, r.unit_people, r.concentration, r.liaisons)
    (5.0, 1.25, 2, 2, 0.68, (('it1', 0.8), ('it2', 0.2)))
    """
    units = graph.vs[unit]
    is_it = graph.vs["is_it"]
    names = graph.vs["name"]
    it_count = sum(1 for x in is_it if x)
    sizes = Counter(u for u, it in zip(units, is_it, strict=True) if u and not it)
    carried: dict[str, Counter[str]] = defaultdict(Counter)
    reached: dict[str, set[int]] = defaultdict(set)
    weights = graph.es[weight] if graph.ecount() else []
    for edge, w in zip(graph.es, weights, strict=True):
        a, b = edge.source, edge.target
        if is_it[a] == is_it[b]:
            continue
        it_side, other = (a, b) if is_it[a] else (b, a)
        if units[other] in sizes:
            carried[units[other]][names[it_side]] += w
            reached[units[other]].add(other)
    return {
        name: _liaison(name, size, it_count, carried[name], len(reached[name]))
        for name, size in sorted(sizes.items())
    }


def _liaison(
    name: str, size: int, it_count: int, carried: Counter[str], unit_people: int
) -> Liaison:
    volume = float(sum(carried.values()))
    shares = (
        sorted(((person, w / volume) for person, w in carried.items()), key=lambda x: (-x[1], x[0]))
        if volume
        else []
    )
    concentration = round(sum(s * s for _, s in shares), 12) if shares else None
    density = volume / (it_count * size) if it_count and size else 0.0
    return Liaison(
        unit=name,
        size=size,
        volume=volume,
        density=density,
        it_people=len(carried),
        unit_people=unit_people,
        concentration=concentration,
        liaisons=tuple((p, round(s, 12)) for p, s in shares),
    )
