"""The ties behind the liaison matrix, and ego networks: known answers and the demo organisation."""

from __future__ import annotations

import math

import igraph as ig
import pytest

from analysis.build import person_graph
from analysis.liaison import it_team_liaison_score
from analysis.maps import team_graph
from analysis.matrix import CrossTie
from analysis.matrix import cross_ties
from analysis.matrix import ego_layout
from analysis.matrix import ego_network
from ingest.records import Person
from tests.analysis.test_liaison import demo_key
from tests.analysis.test_liaison import demo_org
from tests.analysis.test_liaison import ties

PEOPLE = [
    Person("s1", department="Sales", team="Field"),
    Person("s2", department="Sales", team="Field"),
    Person("f1", department="Finance", team="Books"),
    Person("x1", department="", team=""),
    Person("d1", department="IT", team="Desk", is_it=True),
    Person("d2", department="IT", team="Desk", is_it=True),
    Person("n1", department="IT", team="Network", is_it=True),
    Person("u1", department="IT", team="", is_it=True),
]


def graph(spec: str) -> ig.Graph:
    return person_graph(PEOPLE, ties(spec))


def test_ties_are_grouped_by_it_team_and_unit_heaviest_first():
    g = graph("s1-d1:2 d1-s2:5 s1-n1 f1-d2:3 s1-s2:9 d1-n1:4")
    found = cross_ties(g)
    assert list(found) == [("IT/Desk", "Finance"), ("IT/Desk", "Sales"), ("IT/Network", "Sales")]
    assert found[("IT/Desk", "Sales")] == [
        CrossTie("s2", "d1", 5.0, 1),
        CrossTie("s1", "d1", 2.0, 1),
    ]
    assert found[("IT/Desk", "Finance")] == [CrossTie("f1", "d2", 3.0, 1)]


def test_both_directions_and_channels_make_one_tie():
    g = graph("s1-d1:2 d1-s1:1 s1-d1:0.5")
    assert cross_ties(g) == {("IT/Desk", "Sales"): [CrossTie("s1", "d1", 3.5, 3)]}


def test_people_without_unit_or_it_team_are_left_out():
    g = graph("x1-d1 s1-u1 f1-n1")
    assert cross_ties(g) == {("IT/Network", "Finance"): [CrossTie("f1", "n1", 1.0, 1)]}


def test_equal_weights_are_ordered_by_keys():
    g = graph("s2-d2 s1-d2 s2-d1")
    assert [(t.person, t.it_person) for t in cross_ties(g)[("IT/Desk", "Sales")]] == [
        ("s1", "d2"),
        ("s2", "d1"),
        ("s2", "d2"),
    ]


def test_empty_graphs():
    assert cross_ties(person_graph([], [])) == {}
    assert cross_ties(person_graph(PEOPLE, [])) == {}


def test_cells_agree_with_the_it_team_scores():
    g = graph("s1-d1:2 s2-d1:5 s1-n1 f1-d2:3 f1-d1 s1-s2:9 d1-n1:4 x1-d1")
    found = cross_ties(g)
    scores = it_team_liaison_score(g)
    assert set(found) == set(scores)
    for key, cell in found.items():
        liaison = scores[key].liaison
        assert liaison.volume == pytest.approx(sum(t.weight for t in cell))
        assert liaison.it_people == len({t.it_person for t in cell})
        assert liaison.unit_people == len({t.person for t in cell})


def test_demo_fragile_unit_hangs_on_its_planted_liaison():
    people, monthly, truth = demo_org()
    (fragile,) = truth["fragile_units"]
    found = cross_ties(person_graph(people, monthly))
    cells = {team: cell for (team, unit), cell in found.items() if unit == fragile["department"]}
    assert list(cells) == [f"IT/{fragile['liaison_team']}"]
    (cell,) = cells.values()
    assert {t.it_person for t in cell} == {demo_key(fragile["liaison"])}
    units = {unit for _, unit in found}
    others = [u for u in units if u != fragile["department"]]
    assert others and all(
        len({t.it_person for (_, u), cell in found.items() if u == other for t in cell}) > 1
        for other in others
    )


# --- ego networks ------------------------------------------------------------------------


def star() -> ig.Graph:
    g = ig.Graph(edges=[(0, 1), (0, 2), (0, 3), (1, 2), (3, 4)])
    g.vs["name"] = ["A", "B", "C", "D", "E"]
    g.vs["size"] = [3, 4, 5, 6, 7]
    g.es["weight"] = [1.0, 4.0, 2.0, 9.0, 8.0]
    return g


def test_ego_keeps_neighbours_and_ties_among_them():
    ego = ego_network(star(), "A")
    assert ego.vs["name"] == ["A", "B", "C", "D"]
    assert ego.vs["ego"] == [True, False, False, False]
    assert ego.vs["size"] == [3, 4, 5, 6]
    names = ego.vs["name"]
    assert sorted((names[e.source], names[e.target], e["weight"]) for e in ego.es) == [
        ("A", "B", 1.0),
        ("A", "C", 4.0),
        ("A", "D", 2.0),
        ("B", "C", 9.0),
    ]


def test_ego_limit_keeps_the_strongest_ties_to_the_ego():
    assert ego_network(star(), "A", limit=2).vs["name"] == ["A", "C", "D"]
    assert ego_network(star(), "A", limit=0).vs["name"] == ["A"]
    assert ego_network(star(), "E").vs["name"] == ["D", "E"]


def test_ego_of_an_isolated_vertex_and_unknown_names():
    g = star()
    g.add_vertex(name="F", size=1)
    lonely = ego_network(g, "F")
    assert lonely.vs["name"] == ["F"] and lonely.ecount() == 0
    with pytest.raises(KeyError):
        ego_network(g, "Nowhere")


def test_demo_isolated_team_has_few_strong_neighbours():
    people, monthly, truth = demo_org()
    (planted,) = truth["isolated_teams"]
    name = f"{planted['department']}/{planted['team']}"
    teams = team_graph(person_graph(people, monthly))
    ego = ego_network(teams, name)
    centre = ego.vs.find(name=name)
    outside = sum(e["weight"] for e in ego.es.select(_incident=[centre.index]))
    assert outside < centre["internal_weight"]
    others = [v for v in teams.vs if v["name"] != name and v["size"] >= planted["headcount"]]
    assert len(others) >= 3
    assert all(
        sum(e["weight"] for e in teams.es.select(_incident=[v.index])) > outside for v in others
    )


def test_ego_layout_puts_the_ego_in_the_middle_and_the_strongest_tie_on_top():
    ego = ego_network(star(), "A")  # A–C 4.0, A–D 2.0, A–B 1.0
    positions = dict(zip(ego.vs["name"], ego_layout(ego), strict=True))
    assert positions["A"] == (0.5, 0.5)
    assert positions["C"] == pytest.approx((0.5, 0.0))  # top of the screen
    assert positions["D"][0] > 0.5 and positions["B"][0] < 0.5  # then clockwise
    for name in "BCD":
        x, y = positions[name]
        assert math.hypot(x - 0.5, y - 0.5) == pytest.approx(0.5)
        assert 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0
    assert ego_layout(ego) == ego_layout(ego_network(star(), "A"))


def test_ego_layout_edge_cases():
    assert ego_layout(ig.Graph()) == []
    lonely = ego_network(star(), "A", limit=0)
    assert ego_layout(lonely) == [(0.5, 0.5)]
    plain = star()  # no "ego" attribute: the first vertex is the centre
    assert ego_layout(plain)[0] == (0.5, 0.5)
