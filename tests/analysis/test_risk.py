"""Key-person risk: known answers, brute-force checks, edge cases and the demo."""

from __future__ import annotations

import itertools
import random

import igraph as ig
import networkx as nx
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analysis.build import person_graph
from analysis.risk import BusFactor
from analysis.risk import KeyPersonRisk
from analysis.risk import PairLoss
from analysis.risk import bottleneck_people
from analysis.risk import cross_unit_reach_drop
from analysis.risk import disjoint_paths
from analysis.risk import it_relationship_losses
from analysis.risk import key_person_risk
from analysis.risk import rank_key_people
from analysis.risk import relationship_bus_factor
from analysis.risk import relationship_losses
from analysis.risk import removal_cut_off

from .test_liaison import IT3
from .test_liaison import IT_INSIDE
from .test_liaison import SALES
from .test_liaison import demo_key
from .test_liaison import demo_org
from .test_liaison import members
from .test_liaison import org_graph

small_graphs = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
        st.lists(st.sampled_from("ABC"), min_size=n, max_size=n),
    )
)


def build(n: int, pairs: list[tuple[int, int]], groups: list[str]) -> ig.Graph:
    g = ig.Graph(n=n, edges=[(a, b) for a, b in pairs if a != b])
    g.simplify()
    g.vs["name"] = [f"v{i}" for i in range(n)]
    g.vs["team"] = g.vs["department"] = groups
    g.vs["is_it"] = [x == "C" for x in groups]
    g.es["weight"] = [1.0 + (e.index % 3) for e in g.es]
    return g


# --- the single and the double liaison -------------------------------------------------


def test_single_liaison_is_an_articulation_point_and_the_pair_falls_to_zero():
    g = org_graph(IT3 + SALES, f"{IT_INSIDE} s1-it1 s2-it1 s3-it1 s1-s2")
    risk = key_person_risk(g)
    it1 = risk["it1"]
    assert it1.articulation and it1.cut_off == 3  # s1, s2, s3 lose the IT side (the bigger piece)
    assert it1.it_units == (PairLoss(("Sales", "IT"), 1, 0),)
    assert it1.flagged
    assert not any(r.flagged for k, r in risk.items() if k != "it1" and k != "it2")
    assert relationship_bus_factor(g, group="department")[("IT", "Sales")] == BusFactor(1, ("it1",))


def test_two_liaisons_fall_to_one_not_zero():
    g = org_graph(IT3 + SALES, f"{IT_INSIDE} s1-it1 s2-it3 s1-s2 s2-s3")
    losses = it_relationship_losses(g)
    assert losses["it1"] == (PairLoss(("Sales", "IT"), 2, 1),)
    assert losses["it3"] == (PairLoss(("Sales", "IT"), 2, 1),)
    assert losses["it2"] == ()
    assert not key_person_risk(g)["it1"].flagged
    assert relationship_bus_factor(g, group="department")[("IT", "Sales")].paths == 2


def test_three_paths_are_safe_from_one_departure():
    g = org_graph(IT3 + SALES, "s1-it1 s2-it2 s3-it3")
    assert all(v == () for v in it_relationship_losses(g).values())
    assert all(v == () for v in relationship_losses(g, group="department").values())


def test_min_weight_ignores_weak_ties():
    g = org_graph(IT3 + SALES, "s1-it1:5 s2-it2:0.2")
    assert relationship_bus_factor(g, group="department")[("IT", "Sales")].paths == 2
    strong = relationship_bus_factor(g, group="department", min_weight=1.0)
    assert strong[("IT", "Sales")] == BusFactor(1, ("it1",))


# --- known graphs ------------------------------------------------------------------------


def test_kite_cut_off_matches_networkx(kite):
    cut = removal_cut_off(kite)
    assert {k for k, v in cut.items() if v} == {
        str(v) for v in nx.articulation_points(nx.krackhardt_kite_graph())
    }
    assert cut == {**{str(v): 0 for v in range(10)}, "7": 2, "8": 1}


def test_karate_cut_off(karate):
    cut = removal_cut_off(karate)
    assert {k: v for k, v in cut.items() if v} == {"0": 6}  # 4, 5, 6, 10, 16 and 11 hang on 0


def test_karate_faction_bus_factor(karate):
    bus = relationship_bus_factor(karate, group="team")[("Mr. Hi", "Officer")]
    graph = nx.karate_club_graph()
    h = graph.copy()
    h.add_edges_from(("S", v) for v in graph if graph.nodes[v]["club"] == "Mr. Hi")
    h.add_edges_from(("T", v) for v in graph if graph.nodes[v]["club"] == "Officer")
    crossing = [(u, v) for u, v in graph.edges if graph.nodes[u]["club"] != graph.nodes[v]["club"]]
    inside = nx.Graph(crossing)
    inside.add_edges_from((a, b) for a, b in h.edges if "S" in (a, b) or "T" in (a, b))
    assert bus.paths == nx.node_connectivity(inside, "S", "T") == 5


@settings(max_examples=80, deadline=None)
@given(small_graphs)
def test_cut_off_matches_brute_force(case):
    g = build(*case)
    expected = {}
    for v in range(g.vcount()):
        component = g.subcomponent(v)
        rest = g.induced_subgraph([u for u in component if u != v])
        expected[g.vs[v]["name"]] = (
            len(component) - 1 - max(rest.connected_components().sizes(), default=0)
        )
    assert removal_cut_off(g) == expected


@settings(max_examples=80, deadline=None)
@given(small_graphs)
def test_bus_factor_is_a_minimum_cut_of_the_pair(case):
    g = build(*case)
    for (x, y), bus in relationship_bus_factor(g).items():
        inside = g.induced_subgraph([v.index for v in g.vs if v["team"] in (x, y)])
        crossing = [
            (e.source, e.target)
            for e in inside.es
            if inside.vs[e.source]["team"] != inside.vs[e.target]["team"]
        ]
        h = ig.Graph(n=inside.vcount() + 2, edges=crossing)
        s, t = inside.vcount(), inside.vcount() + 1
        h.add_edges([(s, v.index) for v in inside.vs if v["team"] == x])
        h.add_edges([(t, v.index) for v in inside.vs if v["team"] == y])
        assert bus.paths == h.vertex_connectivity(source=s, target=t, neighbors="ignore")
        assert len(bus.people) == bus.paths
        left = inside.induced_subgraph([v.index for v in inside.vs if v["name"] not in bus.people])
        assert all(left.vs[e.source]["team"] == left.vs[e.target]["team"] for e in left.es)


@settings(max_examples=80, deadline=None)
@given(small_graphs)
def test_pair_losses_match_recomputation(case):
    g = build(*case)
    losses = relationship_losses(g)
    for v in g.vs:
        h = g.copy()
        h.delete_vertices(v.index)
        before = {k: b.paths for k, b in relationship_bus_factor(g).items()}
        after = {k: b.paths for k, b in relationship_bus_factor(h).items()}
        expected = tuple(
            PairLoss(k, n, after.get(k, 0))
            for k, n in sorted(before.items())
            if after.get(k, 0) < n and after.get(k, 0) <= 1
        )
        assert losses[v["name"]] == expected


@settings(max_examples=80, deadline=None)
@given(small_graphs)
def test_reach_drop_matches_its_definition(case):
    g = build(*case)
    units, names = g.vs["department"], g.vs["name"]
    expected = dict.fromkeys(names, 0.0)
    for a, b in itertools.combinations(range(g.vcount()), 2):
        common = set(g.neighbors(a)) & set(g.neighbors(b))
        if units[a] != units[b] and not g.are_adjacent(a, b) and len(common) == 1:
            (c,) = common
            legs = g.es[g.get_eid(a, c)]["weight"], g.es[g.get_eid(c, b)]["weight"]
            expected[names[c]] += min(legs)
    assert cross_unit_reach_drop(g) == pytest.approx(expected)


def test_reach_drop_small_cases():
    g = org_graph(members("X", "a") + members("Y", "v c") + members("Z", "b"), "a-v:2 v-b:3")
    assert cross_unit_reach_drop(g)["v"] == 2.0
    g = org_graph(
        members("X", "a") + members("Y", "v c") + members("Z", "b"), "a-v:2 v-b:3 a-c b-c"
    )
    assert cross_unit_reach_drop(g)["v"] == 0.0  # c is another route
    g = org_graph(members("X", "a b") + members("Y", "v"), "a-v v-b")
    assert cross_unit_reach_drop(g)["v"] == 0.0  # a and b share a unit


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24)), max_size=120),
)
def test_matching_size_matches_hopcroft_karp(pairs):
    ties = [(f"l{a}", f"r{b}") for a, b in pairs]
    bipartite = nx.Graph(ties)
    left = {x for x, _ in ties}
    expected = len(nx.bipartite.hopcroft_karp_matching(bipartite, top_nodes=left)) // 2
    assert disjoint_paths(ties) == expected
    cover = bottleneck_people(ties)
    assert len(cover) == expected and all(x in cover or y in cover for x, y in ties)


def test_disjoint_path_primitives():
    assert disjoint_paths([]) == 0
    assert bottleneck_people([]) == frozenset()
    assert disjoint_paths([("a", "x"), ("a", "x")]) == 1
    ties = [(f"l{i}", f"r{j}") for i in range(4) for j in range(3)]
    assert disjoint_paths(ties) == 3
    assert len(bottleneck_people(ties)) == 3


# --- ranking and edge cases ----------------------------------------------------------------


def test_ranking_puts_structural_cuts_first():
    loss = PairLoss(("A", "B"), 1, 0)
    people = [
        KeyPersonRisk("reach", False, 0, (), (), 9.0),
        KeyPersonRisk("pairs", False, 0, (loss, loss), (), 0.0),
        KeyPersonRisk("unit", False, 0, (), (PairLoss(("S", "IT"), 1, 0),), 0.0),
        KeyPersonRisk("cut", True, 4, (), (), 0.0),
    ]
    assert [r.person for r in rank_key_people(people)] == ["cut", "unit", "pairs", "reach"]


def test_empty_graph():
    g = person_graph([], [])
    assert key_person_risk(g) == {}
    assert relationship_bus_factor(g) == {}
    assert cross_unit_reach_drop(g) == {}


def test_no_edges_no_it_and_disconnected():
    g = org_graph(SALES + members("Ops", "o1 o2"), "s1-s2 o1-o2")
    risk = key_person_risk(g)
    assert all(not r.flagged and r.reach_drop == 0.0 for r in risk.values())
    assert all(r.it_units == () for r in risk.values())
    lonely = key_person_risk(org_graph(SALES, ""))
    assert all(r.cut_off == 0 and r.team_pairs == () for r in lonely.values())


def test_path_graph_cut_off_counts_the_smaller_side():
    g = org_graph(members("A", "a b c d e"), "a-b b-c c-d d-e")
    assert removal_cut_off(g) == {"a": 0, "b": 1, "c": 2, "d": 1, "e": 0}


# --- the demo organisation -----------------------------------------------------------------


def test_demo_risk_flags_the_liaison():
    people, records, truth = demo_org()
    (fragile,) = truth["fragile_units"]
    liaison = demo_key(fragile["liaison"])
    risk = key_person_risk(person_graph(people, records))
    assert risk[liaison].flagged
    assert risk[liaison].it_units == (PairLoss((fragile["department"], "IT"), 1, 0),)
    cutting = {p for p, r in risk.items() if any(x.after == 0 for x in r.it_units)}
    assert cutting == {liaison}  # precision and recall 1
    assert rank_key_people(risk.values())[0].person == liaison


def test_bulk_matchings_equal_one_matching_at_a_time():
    import numpy as np

    from analysis.risk import matching_sizes

    rng = random.Random(1)
    for _ in range(200):
        graphs = rng.randrange(1, 6)
        ties = [
            (rng.randrange(graphs), rng.randrange(8), rng.randrange(8))
            for _ in range(rng.randrange(40))
        ]
        block, left, right = (np.array([t[i] for t in ties], dtype=np.int64) for i in range(3))
        expected = [disjoint_paths((a, b) for g, a, b in ties if g == k) for k in range(graphs)]
        assert matching_sizes(block, left, right, graphs).tolist() == expected
