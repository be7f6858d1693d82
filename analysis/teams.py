"""Team insularity: Krackhardt's E-I index against its random-mixing baseline.

Ties are counted once per pair of people (weights are not used here: the
E-I index of Krackhardt & Stern counts ties). ``teams.py`` in the full
isolation job (issue 4) adds the permutation test and reach measures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import igraph as ig


@dataclass(frozen=True, slots=True)
class Insularity:
    """E-I figures for one group.

    ``internal`` and ``external`` count ties; ``ei`` is ``(E − I)/(E + I)``
    (``None`` for a group without ties); ``expected`` is the E-I index under
    random mixing; ``external_share`` is ``W_out / (W_out + W_in)`` by weight.
    """

    group: str
    size: int
    internal: int
    external: int
    ei: float | None
    expected: float | None
    external_share: float | None

    @property
    def delta(self) -> float | None:
        """Observed minus expected E-I: negative means more inward than chance."""
        if self.ei is None or self.expected is None:
            return None
        return self.ei - self.expected


def expected_ei(group_size: int, population: int) -> float | None:
    """E-I index expected when ties fall at random: ``(N − 2n + 1)/(N − 1)``.

    Examples
    --------
    >>> expected_ei(5, 21)
    0.6
    >>> expected_ei(1, 1) is None
    True
    """
    if population < 2:
        return None
    return (population - 2 * group_size + 1) / (population - 1)


def ei_index(
    graph: ig.Graph, *, attribute: str = "team", weight: str = "weight"
) -> dict[str, Insularity]:
    """Krackhardt E-I index of every group named by a vertex attribute.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected; vertices carry ``attribute``; vertices with an empty value
        belong to no group (their ties to groups count as external).
    attribute : str
        Vertex attribute naming the group (``team`` or ``department``).
    weight : str
        Edge attribute with tie strength, used for ``external_share`` only.

    Returns
    -------
    dict
        Group name to :class:`Insularity`.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational
    crises: an experimental simulation. Social Psychology Quarterly 51(2),
    123–140. https://doi.org/10.2307/2786835

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (1, 2), (2, 3)])
    >>> g.vs["team"] = ["A", "A", "B", "B"]
    >>> g.es["weight"] = [1.0, 1.0, 2.0]
    >>> r = ei_index(g)["A"]
    >>> (r.internal, r.external, r.ei, round(r.expected, 3), r.external_share)
    (1, 1, 0.0, 0.333, 0.5)
    """
    groups = graph.vs[attribute]
    sizes = Counter(g for g in groups if g)
    internal: Counter[str] = Counter()
    external: Counter[str] = Counter()
    w_in: Counter[str] = Counter()
    w_out: Counter[str] = Counter()
    weights = graph.es[weight] if graph.ecount() else []
    for edge, w in zip(graph.es, weights, strict=True):
        a, b = groups[edge.source], groups[edge.target]
        if a and a == b:
            internal[a] += 1
            w_in[a] += w
            continue
        for side in (a, b):
            if side:
                external[side] += 1
                w_out[side] += w
    population = graph.vcount()
    return {
        name: _insularity(
            name, size, internal[name], external[name], w_in[name], w_out[name], population
        )
        for name, size in sorted(sizes.items())
    }


def _insularity(
    name: str, size: int, i: int, e: int, w_in: float, w_out: float, population: int
) -> Insularity:
    ei = (e - i) / (e + i) if e + i else None
    share = w_out / (w_out + w_in) if w_out + w_in else None
    return Insularity(name, size, i, e, ei, expected_ei(size, population), share)
