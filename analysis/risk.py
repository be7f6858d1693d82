"""Key-person risk: what the organisation loses when one person leaves.

Relationships between two groups (two teams, or IT and a business unit) are
measured by their **node-disjoint paths within the two groups**: the paths
that run from a member of one group to a member of the other through members
of the two groups only. Paths through third parties are left out on purpose:
in a connected organisation almost every pair of groups is joined by many
indirect routes, while the question here is how many *different people*
carry the direct contact. Restricted this way, the number of node-disjoint
paths equals the size of a maximum matching on the ties across the two groups
(any disjoint path can be shortened to one cross tie), and, by König's and
Menger's theorems, the smallest number of people whose removal cuts the pair
apart (the relationship's bus factor). :func:`disjoint_paths` computes the
matching; the tests check it against igraph ``vertex_connectivity`` between a
super-source joined to one group and a super-sink joined to the other.

Every function reads an undirected igraph graph from
:func:`analysis.build.person_graph`: edge ``weight`` is a strength.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from dataclasses import dataclass

import igraph as ig
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching

from analysis.build import edge_array

__all__ = [
    "BusFactor",
    "KeyPersonRisk",
    "PairLoss",
    "bottleneck_people",
    "cross_unit_reach_drop",
    "disjoint_paths",
    "it_relationship_losses",
    "key_person_risk",
    "matching_sizes",
    "maximum_matching",
    "relationship_bus_factor",
    "relationship_losses",
    "rank_key_people",
    "removal_cut_off",
]

Pair = tuple[Hashable, Hashable]
#: (edge source, edge target) -> (relationship key, left side, right side) or None
Sides = Callable[[int, int], tuple[Hashable, int, int] | None]
REACH_BLOCK = 1024  # rows of the common-neighbour product computed at a time


@dataclass(frozen=True, slots=True)
class BusFactor:
    """How many people hold a relationship together, and one such set of people.

    ``paths`` is the number of node-disjoint paths (equal to the bus factor);
    ``people`` is one smallest set of people whose removal cuts the pair.
    """

    paths: int
    people: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PairLoss:
    """A relationship that falls to 0 or 1 disjoint paths without one person."""

    pair: tuple[str, str]
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class KeyPersonRisk:
    """Everything one person's departure would cost.

    ``cut_off`` people lose their connection to the largest remaining piece
    of the person's component (it is positive exactly for articulation
    points); ``team_pairs`` and ``it_units`` list the relationships that fall
    to 0 or 1 node-disjoint paths; ``reach_drop`` is the lost two-step
    cross-unit reach (:func:`cross_unit_reach_drop`).
    """

    person: str
    articulation: bool
    cut_off: int
    team_pairs: tuple[PairLoss, ...]
    it_units: tuple[PairLoss, ...]
    reach_drop: float

    @property
    def flagged(self) -> bool:
        """Removing the person disconnects someone or cuts a business unit off from IT.

        Team-pair losses alone do not flag: in most organisations many team
        pairs hang on one incidental tie. They count in :func:`rank_key_people`;
        raise ``min_weight`` to consider only substantial ties.
        """
        return self.articulation or any(loss.after == 0 for loss in self.it_units)


def maximum_matching(ties: Iterable[Pair]) -> dict[Hashable, Hashable]:
    """A maximum matching of the ties between two disjoint groups.

    Parameters
    ----------
    ties : iterable of (left, right)
        Ties across the groups, as (member of the first group, member of the
        second group). Repeated ties count once.

    Returns
    -------
    dict
        Left person to the right person they are matched with.

    Notes
    -----
    Kuhn's augmenting-path algorithm after a greedy start; it is fast on the
    small, sparse cross-group tie sets of an organisation.

    References
    ----------
    Kuhn, H. W. (1955). The Hungarian method for the assignment problem.
    Naval Research Logistics Quarterly 2, 83–97. https://doi.org/10.1002/nav.3800020109

    Examples
    --------
    >>> maximum_matching([("f1", "it1"), ("f2", "it1"), ("f2", "it2")])
    {'f1': 'it1', 'f2': 'it2'}
    """
    return _matching(_adjacency(ties))


def disjoint_paths(ties: Iterable[Pair]) -> int:
    """Node-disjoint paths across the ties between two disjoint groups.

    Parameters
    ----------
    ties : iterable of (left, right)
        The ties that cross between the groups, each as (member of the first
        group, member of the second group). Repeated ties count once.

    Returns
    -------
    int
        The size of a maximum matching, which equals the number of
        node-disjoint paths between the groups inside the two groups, and the
        smallest number of people whose removal cuts them apart.

    Notes
    -----
    Ties are undirected and unweighted here: filter weak ties before calling
    (the graph-level functions take ``min_weight``).

    References
    ----------
    Menger, K. (1927). Zur allgemeinen Kurventheorie. Fundamenta Mathematicae
    10, 96–115. https://doi.org/10.4064/fm-10-1-96-115

    Examples
    --------
    >>> disjoint_paths([("f1", "it1"), ("f2", "it1")])  # one liaison
    1
    >>> disjoint_paths([("f1", "it1"), ("f2", "it2"), ("f2", "it1")])
    2
    """
    return len(maximum_matching(ties))


def matching_sizes(
    block: np.ndarray, left: np.ndarray, right: np.ndarray, blocks: int
) -> np.ndarray:
    """Maximum matching size of many bipartite graphs at once: :func:`disjoint_paths` in bulk.

    Parameters
    ----------
    block, left, right : numpy.ndarray
        One entry per tie: the graph it belongs to (``0 .. blocks − 1``) and
        its two ends (ids; a left id and a right id may be equal, the sides
        are separate). Repeated ties count once.
    blocks : int
        Number of graphs.

    Returns
    -------
    numpy.ndarray
        Matching size (node-disjoint paths) of every graph.

    Notes
    -----
    The graphs are laid side by side as one block-diagonal bipartite graph
    and matched with SciPy's Hopcroft–Karp, in C: the same sizes as
    :func:`disjoint_paths` per graph (tested), without a Python loop.

    Examples
    --------
    >>> matching_sizes(np.array([0, 0, 0, 1]), np.array([1, 2, 2, 1]), np.array([7, 7, 8, 7]), 3).tolist()
    [2, 1, 0]
    """
    if not len(block):
        return np.zeros(blocks, dtype=np.int64)
    block = np.asarray(block, dtype=np.int64)
    span = int(max(left.max(), right.max())) + 1
    rows, row_of = np.unique(block * span + left, return_inverse=True)
    cols, col_of = np.unique(block * span + right, return_inverse=True)
    graph = sparse.csr_array(
        (np.ones(len(block)), (row_of.ravel(), col_of.ravel())), shape=(len(rows), len(cols))
    )
    matched = maximum_bipartite_matching(graph, perm_type="column")
    return np.bincount(rows[matched >= 0] // span, minlength=blocks)


def bottleneck_people(ties: Iterable[Pair]) -> frozenset[Hashable]:
    """One smallest set of people whose removal cuts every tie between two groups.

    Parameters
    ----------
    ties : iterable of (left, right)
        Ties across the two groups, as in :func:`disjoint_paths`.

    Returns
    -------
    frozenset
        A minimum vertex cover of the cross ties (König's construction from a
        maximum matching); its size equals :func:`disjoint_paths`. Minimum
        sets need not be unique: this is one of them.

    Notes
    -----
    Unmatched left people and everyone reachable from them by alternating
    paths form a set *Z*; the cover is (left − *Z*) ∪ (right ∩ *Z*).
    Undirected, unweighted.

    References
    ----------
    König, D. (1931). Gráfok és mátrixok. Matematikai és Fizikai Lapok 38, 116–119.

    Examples
    --------
    >>> sorted(bottleneck_people([("f1", "it1"), ("f2", "it1"), ("f3", "it1")]))
    ['it1']
    """
    adjacency = _adjacency(ties)
    match = _matching(adjacency)
    matched_right = {y: x for x, y in match.items()}
    reached_left = [x for x in adjacency if x not in match]
    seen_left, seen_right = set(reached_left), set()
    while reached_left:
        x = reached_left.pop()
        for y in adjacency[x]:
            if y not in seen_right:
                seen_right.add(y)
                partner = matched_right[y]  # a maximum matching leaves no free y here
                if partner not in seen_left:
                    seen_left.add(partner)
                    reached_left.append(partner)
    return frozenset([x for x in adjacency if x not in seen_left] + list(seen_right))


def removal_cut_off(graph: ig.Graph) -> dict[str, int]:
    """People cut off from the largest remaining piece when each person is removed.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected; vertex ``name`` holds person keys. Weights are not used.

    Returns
    -------
    dict
        Person to the number of other people of their component who end up
        outside the largest piece of that component once they are removed.
        Positive exactly for articulation points.

    Notes
    -----
    igraph's biconnected components (Hopcroft–Tarjan, in C) give the
    block–cut tree; the pieces left by an articulation point are its
    subtrees, sized by one pass over the tree: linear in the size of the
    graph. For a person in the giant component this is the number of people
    who fall outside the giant component; for a person in a smaller
    component it is counted within that component.

    References
    ----------
    Hopcroft, J. & Tarjan, R. (1973). Algorithm 447: efficient algorithms for
    graph manipulation. Communications of the ACM 16(6), 372–378.
    https://doi.org/10.1145/362248.362272

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (1, 2), (2, 3)])
    >>> g.vs["name"] = ["a", "b", "c", "d"]
    >>> removal_cut_off(g)
    {'a': 0, 'b': 1, 'c': 1, 'd': 0}
    """
    n = graph.vcount()
    cut = [0] * n
    if n:
        simple = graph.copy().simplify() if not graph.is_simple() else graph
        blocks, points = simple.biconnected_components(return_articulation_points=True)
        if points:
            sizes = simple.connected_components().sizes()
            component = simple.connected_components().membership
            for v, value in _tree_cut_offs(list(blocks), points, sizes, component).items():
                cut[v] = value
    return dict(zip(graph.vs["name"] if n else [], cut, strict=True))


def relationship_bus_factor(
    graph: ig.Graph, *, group: str = "team", weight: str = "weight", min_weight: float = 0.0
) -> dict[tuple[str, str], BusFactor]:
    """Bus factor of every tied pair of groups: fewest people whose removal cuts them apart.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph; vertices carry ``name`` and ``group``.
    group : str
        Vertex attribute naming the groups (``team`` or ``department``);
        people with an empty value belong to no group.
    weight : str
        Edge strength attribute.
    min_weight : float
        Ties weaker than this do not count (0 keeps every tie).

    Returns
    -------
    dict
        (group, group) in name order to :class:`BusFactor`, for every pair
        with at least one tie between them.

    Notes
    -----
    Node connectivity between the two groups inside their union: equal to
    the number of node-disjoint paths (Menger). Group members themselves can
    be removed, so a single liaison on either side gives a bus factor of 1.

    References
    ----------
    Avelino, G., Passos, L., Hora, A. & Valente, M. T. (2016). A novel approach
    for estimating truck factors. ICPC 2016. https://doi.org/10.1109/ICPC.2016.7503718

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2), (1, 3)])
    >>> g.vs["name"] = ["a1", "a2", "b1", "b2"]
    >>> g.vs["team"] = ["A", "A", "B", "B"]
    >>> g.es["weight"] = [1.0, 1.0, 1.0]
    >>> relationship_bus_factor(g)
    {('A', 'B'): BusFactor(paths=2, people=('a1', 'a2'))}
    """
    names = graph.vs["name"] if graph.vcount() else []
    relations = _relations(graph, _group_sides(graph, group), weight=weight, min_weight=min_weight)
    return {
        key: BusFactor(
            disjoint_paths(ties), tuple(sorted(names[v] for v in bottleneck_people(ties)))
        )
        for key, ties in sorted(relations.items())
    }


def relationship_losses(
    graph: ig.Graph, *, group: str = "team", weight: str = "weight", min_weight: float = 0.0
) -> dict[str, tuple[PairLoss, ...]]:
    """Per person, the group pairs whose disjoint paths fall to 0 or 1 without them.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph with vertex ``name`` and ``group``.
    group, weight, min_weight
        As in :func:`relationship_bus_factor`.

    Returns
    -------
    dict
        Person to the :class:`PairLoss` records of the pairs they hold (empty
        for most people). Only pairs with 1 or 2 paths can fall to 1 or 0,
        and only their tied members can matter, so only those are evaluated:
        the result is exact without testing everyone.

    Notes
    -----
    Undirected; weights count only through ``min_weight``. Node-disjoint
    paths are counted inside the two groups (see the module notes).

    References
    ----------
    Menger, K. (1927). Zur allgemeinen Kurventheorie. Fundamenta Mathematicae
    10, 96–115. https://doi.org/10.4064/fm-10-1-96-115

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2)])
    >>> g.vs["name"] = ["a1", "a2", "b1"]
    >>> g.vs["team"] = ["A", "A", "B"]
    >>> g.es["weight"] = [1.0, 1.0]
    >>> relationship_losses(g)["b1"]
    (PairLoss(pair=('A', 'B'), before=1, after=0),)
    """
    return _bulk_losses(graph, *_group_relations(graph, group, weight, min_weight))


def it_relationship_losses(
    graph: ig.Graph, *, unit: str = "department", weight: str = "weight", min_weight: float = 0.0
) -> dict[str, tuple[PairLoss, ...]]:
    """Per person, the business units whose tie to IT falls to 0 or 1 paths without them.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph with vertex ``name``, ``is_it`` and ``unit``.
    unit : str
        Vertex attribute naming business units; IT is taken as one group.
    weight, min_weight
        As in :func:`relationship_bus_factor`.

    Returns
    -------
    dict
        Person to :class:`PairLoss` records whose ``pair`` is ``(unit, "IT")``.

    Notes
    -----
    The same count as :func:`analysis.liaison.liaison_score`'s ``paths``:
    node-disjoint paths between the unit and IT inside the two. Undirected;
    weights count only through ``min_weight``.

    References
    ----------
    Menger, K. (1927). Zur allgemeinen Kurventheorie. Fundamenta Mathematicae
    10, 96–115. https://doi.org/10.4064/fm-10-1-96-115

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2)])
    >>> g.vs["name"] = ["s1", "s2", "it1"]
    >>> g.vs["department"] = ["Sales", "Sales", "IT"]
    >>> g.vs["is_it"] = [False, False, True]
    >>> g.es["weight"] = [1.0, 1.0]
    >>> relationship_losses = it_relationship_losses(g)
    >>> relationship_losses["it1"], relationship_losses["s1"]
    ((PairLoss(pair=('Sales', 'IT'), before=1, after=0),), ())
    """
    keys, relation, left, right = _it_relations(graph, unit, weight, min_weight)
    return _bulk_losses(graph, [(k, "IT") for k in keys], relation, left, right)


def cross_unit_reach_drop(
    graph: ig.Graph, *, unit: str = "department", weight: str = "weight"
) -> dict[str, float]:
    """Two-step cross-unit reach that only each person provides.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph with vertex ``name`` and ``unit`` and edge
        strengths in ``weight``.
    unit : str
        Vertex attribute naming units; people with an empty value are skipped.

    Returns
    -------
    dict
        Person *v* to the summed strength of the pairs of people (*a*, *b*) in
        two different units, neither of them *v*, that are not tied and whose
        only common contact is *v*; a pair's strength is that of its weaker
        leg, ``min(w_av, w_vb)``. This is the weighted two-step cross-unit
        reach the organisation loses when *v* leaves.

    Notes
    -----
    The two-step reach of the organisation is the set of cross-unit pairs
    within two steps of each other. A pair keeps its reach when another
    common contact exists, so only pairs with exactly one common contact
    count (the drop in strength of pairs with alternatives is ignored). Exact
    and vectorised: common-neighbour counts come from the sparse product
    ``A·A`` computed in row blocks, with each neighbour tagged so that the
    same product names the common neighbour when it is unique.

    References
    ----------
    Borgatti, S. P. (2006). Identifying sets of key players in a social network.
    Computational and Mathematical Organization Theory 12, 21–34.
    https://doi.org/10.1007/s10588-006-7084-x

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (1, 2)])
    >>> g.vs["name"] = ["a", "v", "b"]
    >>> g.vs["department"] = ["X", "Y", "Z"]
    >>> g.es["weight"] = [2.0, 3.0]
    >>> cross_unit_reach_drop(g)
    {'a': 0.0, 'v': 2.0, 'b': 0.0}
    """
    n = graph.vcount()
    drop = np.zeros(n)
    if graph.ecount():
        codes = _codes(graph.vs[unit])
        adjacency, strength = _sparse(graph, weight)
        # row c scaled to 1 + (c + 1) / (2n + 2): (A · labelled)[a, b] lies in (1, 1.5) exactly
        # when a and b have one common neighbour, and then names it; 2 or more give ≥ 2
        tag = 1.0 + np.arange(1, n + 1) / (2.0 * n + 2.0)
        labelled = adjacency.multiply(tag[:, None]).tocsr()
        for start in range(0, n, REACH_BLOCK):
            _reach_block(start, adjacency, labelled, strength, codes, drop)
    return dict(zip(graph.vs["name"] if n else [], drop.tolist(), strict=True))


def key_person_risk(
    graph: ig.Graph,
    *,
    team: str = "team",
    unit: str = "department",
    weight: str = "weight",
    min_weight: float = 0.0,
) -> dict[str, KeyPersonRisk]:
    """Key-person risk of everyone: structural cut, fragile relationships, lost reach.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph (``name``, ``team``, ``unit``, ``is_it``;
        edge strengths in ``weight``).
    team, unit : str
        Vertex attributes naming teams and business units.
    weight, min_weight
        Edge strength attribute, and the weakest tie that counts for paths.

    Returns
    -------
    dict
        Person to :class:`KeyPersonRisk`, combining :func:`removal_cut_off`,
        :func:`relationship_losses` (teams), :func:`it_relationship_losses`
        and :func:`cross_unit_reach_drop`.

    Notes
    -----
    Everything is exact: no sampling. Cost is linear for the cut-offs, one
    matching per tied group pair plus re-matchings for the few pairs with at
    most two paths, and one blocked sparse product for the reach.

    References
    ----------
    Borgatti, S. P. (2006). Identifying sets of key players in a social network.
    Computational and Mathematical Organization Theory 12, 21–34.
    https://doi.org/10.1007/s10588-006-7084-x

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2)])
    >>> g.vs["name"] = ["s1", "s2", "it1"]
    >>> g.vs["department"] = ["Sales", "Sales", "IT"]
    >>> g.vs["team"] = ["Sales/A", "Sales/A", "IT/Desk"]
    >>> g.vs["is_it"] = [False, False, True]
    >>> g.es["weight"] = [1.0, 1.0]
    >>> r = key_person_risk(g)["it1"]
    >>> r.articulation, r.cut_off, r.flagged, [p.pair for p in r.it_units]
    (True, 1, True, [('Sales', 'IT')])
    """
    cut = removal_cut_off(graph)
    teams = relationship_losses(graph, group=team, weight=weight, min_weight=min_weight)
    it = it_relationship_losses(graph, unit=unit, weight=weight, min_weight=min_weight)
    reach = cross_unit_reach_drop(graph, unit=unit, weight=weight)
    return {
        name: KeyPersonRisk(name, cut[name] > 0, cut[name], teams[name], it[name], reach[name])
        for name in (graph.vs["name"] if graph.vcount() else [])
    }


def rank_key_people(risks: Iterable[KeyPersonRisk]) -> list[KeyPersonRisk]:
    """Key-person risks, most severe first.

    Parameters
    ----------
    risks : iterable of KeyPersonRisk
        As returned by :func:`key_person_risk` (its values).

    Returns
    -------
    list
        Ordered by people cut off, then business units losing their last IT
        path, then units falling to one path, then team pairs falling to 0 or
        1 paths, then lost two-step reach; ties broken by person key.

    Notes
    -----
    Structural cuts come first because they disconnect people outright; a
    business unit losing its last IT path next, because that is the failure
    the liaison job exists to show.

    Examples
    --------
    >>> a = KeyPersonRisk("a", False, 0, (), (), 5.0)
    >>> b = KeyPersonRisk("b", True, 2, (), (), 0.0)
    >>> [r.person for r in rank_key_people([a, b])]
    ['b', 'a']
    """

    def severity(r: KeyPersonRisk) -> tuple:
        lost = sum(1 for loss in r.it_units if loss.after == 0)
        return (-r.cut_off, -lost, -len(r.it_units), -len(r.team_pairs), -r.reach_drop, r.person)

    return sorted(risks, key=severity)


# --- matching ------------------------------------------------------------


def _adjacency(ties: Iterable[Pair]) -> dict[Hashable, list[Hashable]]:
    adjacency: dict[Hashable, list[Hashable]] = defaultdict(list)
    for left, right in dict.fromkeys(ties):
        adjacency[left].append(right)
    return adjacency


def _matching(adjacency: dict[Hashable, list[Hashable]]) -> dict[Hashable, Hashable]:
    """Maximum matching left -> right: greedy start, then augmenting paths."""
    match: dict[Hashable, Hashable] = {}
    matched_right: dict[Hashable, Hashable] = {}
    for left, rights in adjacency.items():
        free = next((r for r in rights if r not in matched_right), None)
        if free is not None:
            match[left], matched_right[free] = free, left
    # A failed search changes nothing, so the right vertices it reached stay dead
    # for later searches: keep them until an augmentation changes the matching.
    parent: dict[Hashable, Hashable] = {}
    for left in adjacency:
        if left not in match and _augment(left, adjacency, match, matched_right, parent):
            parent = {}
    return match


def _augment(
    root: Hashable, adjacency: dict, match: dict, matched_right: dict, parent: dict
) -> bool:
    """Find an augmenting path from a free left vertex (iterative DFS) and flip it.

    ``parent`` maps each right vertex reached to the left vertex it was
    reached from; vertices already in it are not explored again.
    """
    stack = [(root, iter(adjacency[root]))]
    while stack:
        left, rights = stack[-1]
        for right in rights:
            if right in parent:
                continue
            parent[right] = left
            if right not in matched_right:
                while right is not None:  # flip the path back to the root
                    owner = parent[right]
                    previous = match.get(owner)
                    match[owner], matched_right[right] = right, owner
                    right = previous
                return True
            nxt = matched_right[right]
            stack.append((nxt, iter(adjacency.get(nxt, ()))))
            break
        else:
            stack.pop()
    return False


# --- relationships -------------------------------------------------------


def _group_sides(graph: ig.Graph, group: str) -> Sides:
    groups = graph.vs[group] if graph.vcount() else []

    def sides(a: int, b: int) -> tuple[Hashable, int, int] | None:
        ga, gb = groups[a], groups[b]
        if not ga or not gb or ga == gb:
            return None
        return ((ga, gb), a, b) if ga < gb else ((gb, ga), b, a)

    return sides


def _it_sides(graph: ig.Graph, unit: str) -> Sides:
    units = graph.vs[unit] if graph.vcount() else []
    is_it = graph.vs["is_it"] if graph.vcount() else []

    def sides(a: int, b: int) -> tuple[Hashable, int, int] | None:
        if is_it[a] == is_it[b]:
            return None
        it_side, other = (a, b) if is_it[a] else (b, a)
        return (units[other], other, it_side) if units[other] else None

    return sides


def _relations(
    graph: ig.Graph, sides: Sides, *, weight: str, min_weight: float
) -> dict[Hashable, list[tuple[int, int]]]:
    """Cross ties of every tied relationship, as (left vertex, right vertex)."""
    relations: dict[Hashable, list[tuple[int, int]]] = defaultdict(list)
    weights = graph.es[weight] if graph.ecount() else []
    for (a, b), w in zip(graph.get_edgelist(), weights, strict=True):
        found = sides(a, b) if w >= min_weight else None
        if found is not None:
            key, left, right = found
            relations[key].append((left, right))
    return relations


Relations = tuple[list, np.ndarray, np.ndarray, np.ndarray]


def _kept_edges(graph: ig.Graph, weight: str, min_weight: float) -> tuple[np.ndarray, np.ndarray]:
    edges = edge_array(graph)
    if len(edges):
        edges = edges[np.asarray(graph.es[weight], dtype=float) >= min_weight]
    return edges[:, 0], edges[:, 1]


def _group_relations(graph: ig.Graph, group: str, weight: str, min_weight: float) -> Relations:
    """Tied group pairs in name order, and every cross tie as (pair, lower-named side, other)."""
    labels = graph.vs[group] if graph.vcount() else []
    names = sorted({x for x in labels if x})
    index = {x: k for k, x in enumerate(names)}
    code = np.asarray([index.get(x, -1) for x in labels], dtype=np.int64)
    a, b = _kept_edges(graph, weight, min_weight)
    ca, cb = code[a], code[b]
    keep = (ca >= 0) & (cb >= 0) & (ca != cb)
    a, b, ca, cb = a[keep], b[keep], ca[keep], cb[keep]
    first = ca < cb
    left, right = np.where(first, a, b), np.where(first, b, a)
    keys, relation = np.unique(
        np.minimum(ca, cb) * max(len(names), 1) + np.maximum(ca, cb), return_inverse=True
    )
    pairs = [(names[k // max(len(names), 1)], names[k % max(len(names), 1)]) for k in keys.tolist()]
    return pairs, relation.ravel(), left, right


def _it_relations(graph: ig.Graph, unit: str, weight: str, min_weight: float) -> Relations:
    """Business units tied to IT in name order, and every IT tie as (unit, member, IT person)."""
    n = graph.vcount()
    labels = np.asarray(graph.vs[unit] if n else [], dtype=object)
    is_it = np.asarray(graph.vs["is_it"] if n else [], dtype=bool)
    a, b = _kept_edges(graph, weight, min_weight)
    crossing = is_it[a] != is_it[b]
    a, b = a[crossing], b[crossing]
    member, it_person = np.where(is_it[a], b, a), np.where(is_it[a], a, b)
    keep = labels[member] != "" if len(member) else np.zeros(0, dtype=bool)
    member, it_person = member[keep], it_person[keep]
    units, relation = np.unique(labels[member].astype(str), return_inverse=True)
    return units.tolist(), relation.ravel().astype(np.int64), member, it_person


def _bulk_losses(
    graph: ig.Graph, keys: list, relation: np.ndarray, left: np.ndarray, right: np.ndarray
) -> dict[str, tuple[PairLoss, ...]]:
    """Per person, the relationships (``keys``, in order) falling to 0 or 1 paths without them.

    Every relationship is matched at once (:func:`matching_sizes`); those
    with at most two paths are matched again once per member, all at once.
    """
    names = graph.vs["name"] if graph.vcount() else []
    found: dict[int, list[PairLoss]] = defaultdict(list)
    before = matching_sizes(relation, left, right, len(keys))
    fragile = before[relation] <= 2
    rel, lo, hi = relation[fragile], left[fragile], right[fragile]
    if len(rel):
        order = np.argsort(rel, kind="stable")
        rel, lo, hi = rel[order], lo[order], hi[order]
        # one variant per (relationship, member): the relationship without that member
        people = np.unique(np.concatenate([rel * graph.vcount() + lo, rel * graph.vcount() + hi]))
        variant_rel, variant_person = people // graph.vcount(), people % graph.vcount()
        start = np.searchsorted(rel, variant_rel)
        count = np.searchsorted(rel, variant_rel, side="right") - start
        variant = np.repeat(np.arange(len(people)), count)
        tie = (
            np.repeat(start, count)
            + np.arange(count.sum())
            - np.repeat(np.cumsum(count) - count, count)
        )
        kept = (lo[tie] != variant_person[variant]) & (hi[tie] != variant_person[variant])
        after = matching_sizes(variant[kept], lo[tie][kept], hi[tie][kept], len(people))
        hits = np.flatnonzero((after < before[variant_rel]) & (after <= 1))
        # one record per (relationship, paths after): people who leave it in the same state share it
        record, which = np.unique(variant_rel[hits] * 2 + after[hits], return_inverse=True)
        records = [PairLoss(keys[c // 2], int(before[c // 2]), c % 2) for c in record.tolist()]
        person = variant_person[hits]
        order = np.argsort(person, kind="stable")  # keeps the relationships in key order
        bounds = np.flatnonzero(np.r_[True, person[order][1:] != person[order][:-1], True])
        which = which.ravel()[order].tolist()
        for start, end in (
            zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True) if len(hits) else ()
        ):
            found[int(person[order[start]])] = [records[i] for i in which[start:end]]
    return {name: tuple(found.get(v, ())) for v, name in enumerate(names)}


# --- removal cut-off -----------------------------------------------------


def _tree_cut_offs(
    blocks: list[list[int]], points: list[int], sizes: list[int], component: list[int]
) -> dict[int, int]:
    """Cut-off of every articulation point from the block–cut tree.

    Tree nodes: blocks (weighted by their members that are not articulation
    points) and articulation points (weight 1). Removing a point leaves one
    piece per neighbouring subtree; the cut-off is everyone of its component
    but itself outside the largest piece.
    """
    point_node = {v: len(blocks) + k for k, v in enumerate(points)}
    weight = [sum(1 for v in block if v not in point_node) for block in blocks] + [1] * len(points)
    around: list[list[int]] = [[] for _ in weight]
    for b, block in enumerate(blocks):
        for v in block:
            if v in point_node:
                around[b].append(point_node[v])
                around[point_node[v]].append(b)
    parent = [-2] * len(weight)
    below = list(weight)
    result: dict[int, int] = {}
    for root in range(len(weight)):
        if parent[root] != -2:
            continue
        parent[root], order, stack = -1, [], [root]
        while stack:
            node = stack.pop()
            order.append(node)
            for other in around[node]:
                if parent[other] == -2:
                    parent[other] = node
                    stack.append(other)
        for node in reversed(order):
            if parent[node] >= 0:
                below[parent[node]] += below[node]
        total = below[root]
        for node in order:
            if node < len(blocks):
                continue
            v = points[node - len(blocks)]
            pieces = [below[c] for c in around[node] if parent[c] == node]
            if parent[node] >= 0:
                pieces.append(total - 1 - sum(pieces))
            result[v] = sizes[component[v]] - 1 - max(pieces)
    return result


# --- two-step reach ------------------------------------------------------


def _codes(values: list[str]) -> np.ndarray:
    """Integer codes of group names; -1 for people without a group."""
    index: dict[str, int] = {}
    return np.array([index.setdefault(v, len(index)) if v else -1 for v in values], dtype=np.int64)


def _sparse(graph: ig.Graph, weight: str) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Symmetric 0/1 adjacency and strength matrices."""
    n = graph.vcount()
    edges = edge_array(graph)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    w = np.asarray(graph.es[weight], dtype=float)
    ones = np.ones(len(rows))
    adjacency = sparse.csr_array((ones, (rows, cols)), shape=(n, n))
    strength = sparse.csr_array((np.concatenate([w, w]), (rows, cols)), shape=(n, n))
    return adjacency, strength


def _reach_block(
    start: int,
    adjacency: sparse.csr_array,
    labelled: sparse.csr_array,
    strength: sparse.csr_array,
    codes: np.ndarray,
    drop: np.ndarray,
) -> None:
    """Add the sole-intermediary reach of rows ``start:start+REACH_BLOCK`` to ``drop``.

    One product: its entry is the number of common neighbours plus a tag in
    (0, 0.5) per neighbour, so a value below 1.5 means exactly one, named by
    its tag (float64 resolves ``1/(2n + 2)`` far below its rounding error).
    """
    n = adjacency.shape[0]
    block = adjacency[start : start + REACH_BLOCK]
    via = block @ labelled + 2.0 * block  # a tie between a and b lifts the entry past 1.5
    a = start + np.repeat(np.arange(block.shape[0]), np.diff(via.indptr))
    b = via.indices
    keep = (via.data < 1.5) & (b > a) & (codes[a] >= 0) & (codes[b] >= 0)
    keep &= codes[a] != codes[b]
    a, b = a[keep], b[keep]
    c = np.rint((via.data[keep] - 1.0) * (2.0 * n + 2.0)).astype(np.int64) - 1
    legs = np.minimum(_entries(strength, a, c), _entries(strength, c, b))
    drop += np.bincount(c, weights=legs, minlength=n)


def _entries(matrix: sparse.csr_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows[i], cols[i]]`` as a dense vector (scipy returns a sparse one when empty)."""
    if not len(rows):
        return np.zeros(0)
    return np.asarray(matrix[rows, cols]).ravel()
