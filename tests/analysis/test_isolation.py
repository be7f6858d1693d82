"""Isolated teams: E-I against chance, reach, thin bridges, density and fragmentation."""

from __future__ import annotations

import itertools
import random
from math import comb

import igraph as ig
import pytest

from analysis.isolation import Concentration
from analysis.isolation import Fragmentation
from analysis.isolation import IsolationRules
from analysis.isolation import cross_team_reach
from analysis.isolation import ei_permutation_test
from analysis.isolation import isolated_teams
from analysis.isolation import reach_concentration
from analysis.isolation import team_density
from analysis.isolation import team_fragmentation
from analysis.teams import ei_index


def two_triangles() -> ig.Graph:
    g = ig.Graph(edges=[(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)])
    g.vs["name"] = list("abcdef")
    g.vs["team"] = list("AAABBB")
    g.es["weight"] = [1.0] * 7
    return g


def exact_p(g: ig.Graph, team: str) -> float:
    """P(EI ≤ observed) over every placement of the team's members, by enumeration."""
    size = g.vs["team"].count(team)
    observed = ei_index(g)[team].ei
    hits = 0
    for members in itertools.combinations(range(g.vcount()), size):
        h = g.copy()
        h.vs["team"] = ["T" if v in members else "" for v in range(g.vcount())]
        hits += ei_index(h)["T"].ei <= observed + 1e-12
    return hits / comb(g.vcount(), size)


def test_permutation_p_value_converges_to_the_exact_one():
    g = two_triangles()
    assert exact_p(g, "A") == pytest.approx(0.1)
    p = ei_permutation_test(g, n_permutations=4000, seed=3)
    assert p["A"] == pytest.approx(0.1, abs=0.015)
    assert p == ei_permutation_test(g, n_permutations=4000, seed=3)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_member_sets_give_the_exact_p_value_for_every_group_size(seed):
    """Each size (small sets redrawn on repeats, large sets by permutation) hits the exact value."""
    rng = random.Random(seed)
    g = ig.Graph(n=12, edges=list({tuple(sorted(rng.sample(range(12), 2))) for _ in range(26)}))
    g.vs["team"] = list("AABBBCCCCDDD") if seed == 1 else list("AAABBBBBBB") + ["", ""]
    g.es["weight"] = [1.0] * g.ecount()
    p = ei_permutation_test(g, n_permutations=20000, seed=seed)
    for team, value in p.items():
        exact = exact_p(g, team)
        assert value == pytest.approx(exact, abs=4 * (exact * (1 - exact) / 20000) ** 0.5 + 1e-4)


def test_karate_factions_are_far_more_inward_than_chance(karate):
    p = ei_permutation_test(karate, n_permutations=999, seed=1)
    assert p == {"Mr. Hi": 0.001, "Officer": 0.001}  # the smallest reachable value
    ei = ei_index(karate)
    assert ei["Mr. Hi"].ei < ei["Mr. Hi"].expected - 0.5


def test_cross_team_reach_counts_teams_over_the_threshold():
    g = ig.Graph(edges=[(0, 1), (0, 2), (1, 2), (0, 3), (0, 3)])
    g.vs["team"] = ["A", "B", "C", ""]
    g.es["weight"] = [3.0, 0.5, 1.0, 1.0, 1.0]
    assert cross_team_reach(g) == {"A": 1, "B": 2, "C": 1}  # the unlabelled vertex is no team
    assert cross_team_reach(g, threshold=0.5) == {"A": 2, "B": 2, "C": 2}
    assert cross_team_reach(g, weight=None) == {"A": 2, "B": 2, "C": 2}


def test_reach_concentration_is_a_herfindahl_over_members():
    g = ig.Graph(edges=[(0, 3), (1, 3), (2, 4), (0, 1)])
    g.vs["name"] = ["a1", "a2", "a3", "b1", "x"]
    g.vs["team"] = ["A", "A", "A", "B", ""]
    g.es["weight"] = [6.0, 2.0, 2.0, 9.0]
    # outside weight 6, 2, 2 over A's members (the unlabelled x counts as outside)
    assert reach_concentration(g)["A"] == Concentration(0.44, "a1", 0.6)
    assert reach_concentration(g)["B"] == Concentration(1.0, "b1", 1.0)
    alone = ig.Graph(n=2)
    alone.vs["name"], alone.vs["team"] = ["p", "q"], ["A", "A"]
    assert reach_concentration(alone) == {"A": None}


def test_density_and_fragmentation():
    g = ig.Graph(n=7, edges=[(0, 1), (2, 3), (3, 4), (5, 6)])
    g.vs["team"] = ["A", "A", "A", "A", "A", "B", "C"]
    assert team_density(g) == {"A": pytest.approx(3 / 10), "B": None, "C": None}
    assert team_fragmentation(g) == {
        "A": Fragmentation(components=2, groups=2, isolates=0),
        "B": Fragmentation(components=1, groups=0, isolates=0),
        "C": Fragmentation(components=1, groups=0, isolates=0),
    }


def planted_org(seed: int = 1) -> ig.Graph:
    """12 teams of 8: ordinary teams mix; "silo" keeps to itself; "bridge" talks out
    through one member only; "split" is two halves that never talk to each other."""
    rng = random.Random(seed)
    teams = [f"t{i:02d}" for i in range(9)] + ["silo", "bridge", "split"]
    labels = [t for t in teams for _ in range(8)]
    members = {t: [v for v, x in enumerate(labels) if x == t] for t in teams}
    edges = set()
    for t, vs in members.items():
        pairs = list(itertools.combinations(vs, 2))
        if t == "split":
            pairs = [(a, b) for a, b in pairs if (a - vs[0] < 4) == (b - vs[0] < 4)]
        edges.update(p for p in pairs if rng.random() < 0.7)
    outsiders = [v for v, x in enumerate(labels) if x not in ("silo", "bridge")]
    for v in range(len(labels)):
        if labels[v] == "silo":
            continue
        k = 12 if labels[v] != "bridge" else (12 if v == members["bridge"][0] else 0)
        for _ in range(k):
            u = rng.choice(outsiders)
            if labels[u] != labels[v]:
                edges.add((min(u, v), max(u, v)))
    silo = members["silo"]
    edges.add((silo[0], members["t00"][0]))  # one thin tie out
    g = ig.Graph(n=len(labels), edges=sorted(edges))
    g.vs["name"] = [f"{t}-{i % 8}" for i, t in enumerate(labels)]
    g.vs["team"] = labels
    g.es["weight"] = [1.0] * g.ecount()
    return g


def test_planted_isolated_teams_are_found_and_explained():
    result = isolated_teams(planted_org(), seed=1)
    flagged = {t.team: t.reasons for t in result if t.flagged}
    assert result[0].team == "silo"
    assert flagged["silo"][0].startswith("E-I −0.9") and "silo line" in flagged["silo"][0]
    assert "p<0.01" in flagged["silo"][0]
    assert "reaches only 1 of 11 other teams (≥ 1 tie weight)" in flagged["silo"]
    assert "bridge-0 carries 100 % of outside contact" in flagged["bridge"]
    assert "falls into 2 groups with no ties between them inside the team" in flagged["split"]
    assert set(flagged) == {"silo", "bridge", "split"}
    assert [t.team for t in result[3:]] == sorted(t.team for t in result[3:])


def test_relative_rule_needs_enough_teams():
    g = planted_org()
    loose = IsolationRules(silo_line=-1.0, min_teams=100)
    assert not any(
        r.startswith("E-I") for t in isolated_teams(g, seed=1, rules=loose) for r in t.reasons
    )
    relative = IsolationRules(silo_line=-1.0)
    silo = isolated_teams(g, seed=1, rules=relative)[0]
    assert silo.team == "silo" and "far more inward than most teams" in silo.reasons[0]


def test_without_permutations_the_silo_line_decides():
    result = isolated_teams(planted_org(), n_permutations=0)
    silo = next(t for t in result if t.team == "silo")
    assert silo.p_value is None
    assert silo.reasons[0].startswith("E-I") and "(p" not in silo.reasons[0]


def test_two_triangles_full_record():
    a = next(t for t in isolated_teams(two_triangles(), seed=1) if t.team == "A")
    assert (a.size, a.internal, a.external, a.ei, a.external_share) == (3, 3, 1, -0.5, 0.25)
    assert a.expected == pytest.approx(0.2) and a.delta == pytest.approx(-0.7)
    assert (a.reach, a.other_teams, a.density, a.org_density) == (1, 1, 1.0, pytest.approx(7 / 15))
    assert a.fragmentation == Fragmentation(1, 1, 0)


def test_edge_cases_give_clear_results():
    assert isolated_teams(ig.Graph()) == []

    one = ig.Graph(n=1)
    one.vs["name"], one.vs["team"] = ["p"], ["A"]
    [only] = isolated_teams(one, seed=1)
    assert only.reasons == ("no recorded ties for any of its 1 member(s)",)
    assert (only.ei, only.expected, only.p_value, only.density) == (None, None, None, None)

    single_team = two_triangles()
    single_team.vs["team"] = ["A"] * 6
    [a] = isolated_teams(single_team, seed=1)
    assert (a.ei, a.expected, a.p_value, a.reasons) == (-1.0, -1.0, 1.0, ())

    no_edges = ig.Graph(n=4)
    no_edges.vs["name"], no_edges.vs["team"] = list("pqrs"), ["A", "A", "B", ""]
    result = isolated_teams(no_edges, weight=None, seed=1)
    assert [t.reasons for t in result] == [
        ("no recorded ties for any of its 2 member(s)",),
        ("no recorded ties for any of its 1 member(s)",),
    ]

    disconnected = two_triangles()
    disconnected.delete_edges([(2, 3)])
    result = {t.team: t for t in isolated_teams(disconnected, seed=1)}
    assert result["A"].reasons == ("all 3 ties stay inside the team",)
    assert result["A"].concentration is None and result["A"].reach == 0

    with pytest.raises(ValueError, match="no 'unit' attribute"):
        isolated_teams(two_triangles(), attribute="unit")


def test_unweighted_and_weighted_agree_on_counts():
    g = planted_org()
    by_weight = {t.team: t for t in isolated_teams(g, seed=1)}
    by_count = {t.team: t for t in isolated_teams(g, weight=None, seed=1)}
    assert by_weight == by_count  # every weight is 1 here
    assert "_unit_weight" not in g.es.attributes() and g.es["weight"][0] == 1.0
