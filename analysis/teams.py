"""Team insularity: Krackhardt's E-I index against its random-mixing baseline.

Ties are counted once per pair of people (weights are not used here: the
E-I index of Krackhardt & Stern counts ties). ``teams.py`` in the full
isolation job (issue 4) adds the permutation test and reach measures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import igraph as ig
import numpy as np

from analysis.build import edge_array


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
    names = sorted(sizes)
    index = {name: k for k, name in enumerate(names)}
    code = np.asarray([index.get(g, -1) if g else -1 for g in groups], dtype=np.int64)
    edges = edge_array(graph)
    w = np.asarray(graph.es[weight], dtype=float) if graph.ecount() else np.zeros(0)
    a, b = code[edges[:, 0]], code[edges[:, 1]]
    same = (a == b) & (a >= 0)
    k = len(names)
    internal = np.bincount(a[same], minlength=k)
    w_in = np.bincount(a[same], w[same], minlength=k)
    # each end of a crossing tie, in edge order (as a loop over the edges would add them)
    ends = np.column_stack([a, b])[~same].ravel()
    tie_w = np.repeat(w[~same], 2)
    grouped = ends >= 0
    external = np.bincount(ends[grouped], minlength=k)
    w_out = np.bincount(ends[grouped], tie_w[grouped], minlength=k)
    population = graph.vcount()
    return {
        name: _insularity(
            name,
            sizes[name],
            int(internal[g]),
            int(external[g]),
            float(w_in[g]),
            float(w_out[g]),
            population,
        )  # fmt: skip
        for g, name in enumerate(names)
    }


def _insularity(
    name: str, size: int, i: int, e: int, w_in: float, w_out: float, population: int
) -> Insularity:
    ei = (e - i) / (e + i) if e + i else None
    share = w_out / (w_out + w_in) if w_out + w_in else None
    return Insularity(name, size, i, e, ei, expected_ei(size, population), share)
