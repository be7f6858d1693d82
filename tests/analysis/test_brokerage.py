"""Brokers: constraint, effective size, efficiency, betweenness, Gould–Fernandez roles."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC
from datetime import datetime

import igraph as ig
import networkx as nx
import numpy as np
import pytest

from analysis.brokerage import Role
from analysis.brokerage import betweenness
from analysis.brokerage import betweenness_sources
from analysis.brokerage import brokerage_roles
from analysis.brokerage import constraint
from analysis.brokerage import effective_size
from analysis.brokerage import efficiency
from analysis.brokerage import scaled_betweenness
from analysis.brokerage import subset_betweenness
from analysis.build import person_digraph
from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie

from .conftest import from_networkx

# Krackhardt's kite, networkx order: Andre, Beverly, Carol, Diane, Ed, Fernando,
# Garth, Heather, Ike, Jane. Betweenness as published (Krackhardt 1990): Heather
# 0.389 brokers between the kite and the tail; Diane, the "star", only 0.102.
KITE_BETWEENNESS = [5 / 216, 5 / 216, 0, 22 / 216, 0, 50 / 216, 50 / 216, 84 / 216, 48 / 216, 0]
# Effective size k − 2t/k by hand, e.g. Diane: 6 contacts, 8 ties among them -> 6 − 16/6.
KITE_EFFECTIVE_SIZE = [2, 2, 1, 10 / 3, 1, 3, 3, 7 / 3, 2, 1]
KITE_CONSTRAINT = [
    0.5411979166666666,
    0.5411979166666666,
    0.6641358024691357,
    0.4701697530864196,
    0.6641358024691357,
    0.4450888888888889,
    0.4450888888888889,
    0.43111111111111106,
    0.5,
    1.0,
]


def values(result, graph=None):
    """Results in vertex order (names are the vertex indices unless a graph is given)."""
    names = graph.vs["name"] if graph is not None else [str(v) for v in range(len(result))]
    return [result[name] for name in names]


def test_kite_betweenness_is_the_published_one(kite):
    assert values(betweenness(kite, weight=None)) == pytest.approx(KITE_BETWEENNESS)


def test_kite_effective_size_efficiency_and_constraint(kite):
    assert values(effective_size(kite, weight=None)) == pytest.approx(KITE_EFFECTIVE_SIZE)
    degree = kite.degree()
    expected = [es / k for es, k in zip(KITE_EFFECTIVE_SIZE, degree, strict=True)]
    assert values(efficiency(kite, weight=None)) == pytest.approx(expected)
    assert values(constraint(kite, weight=None)) == pytest.approx(KITE_CONSTRAINT)


def weighted_graphs():
    karate = nx.karate_club_graph()
    davis = nx.davis_southern_women_graph()
    women = [n for n, d in davis.nodes(data=True) if d["bipartite"] == 0]
    rng = random.Random(4)
    directed = nx.gnp_random_graph(30, 0.15, seed=5, directed=True)
    for u, v in directed.edges:
        directed.edges[u, v]["weight"] = rng.randint(1, 5)
    return {
        "karate": karate,
        "davis-women": nx.bipartite.weighted_projected_graph(davis, women),
        "random-directed": directed,
    }


@pytest.mark.parametrize("name", sorted(weighted_graphs()))
def test_weighted_structural_holes_match_networkx(name):
    graph = weighted_graphs()[name]
    g = from_networkx(graph, weight="weight")
    nodes = list(graph)
    # networkx's all-nodes (sparse) effective_size normalises m_jq by the wrong
    # axis on weighted graphs (networkx PR #8906); its per-node path is right.
    reference = nx.effective_size(graph, nodes=nodes, weight="weight")
    assert values(effective_size(g), g) == pytest.approx([reference[n] for n in nodes])
    reference = nx.constraint(graph, weight="weight")
    assert values(constraint(g), g) == pytest.approx([reference[n] for n in nodes])


def test_weighted_betweenness_reads_strengths_as_inverse_distances():
    # strengths 1, 2, 4 give distances 1, 0.5, 0.25: sums are exact in binary, so
    # networkx (exact float ties) and igraph (ties within a tolerance) agree
    graph = nx.karate_club_graph()
    for i, (_, _, d) in enumerate(graph.edges(data=True)):
        d["weight"] = 2.0 ** (i % 3)
        d["distance"] = 1 / d["weight"]
    g = from_networkx(graph, weight="weight")
    reference = nx.betweenness_centrality(graph, weight="distance")
    assert values(betweenness(g)) == pytest.approx([reference[n] for n in graph])
    assert values(betweenness(g)) != pytest.approx(values(betweenness(g, weight=None)))


def test_directed_betweenness_follows_arcs():
    graph = nx.gnp_random_graph(25, 0.15, seed=2, directed=True)
    reference = nx.betweenness_centrality(graph)
    assert values(betweenness(from_networkx(graph), weight=None)) == pytest.approx(
        [reference[n] for n in graph]
    )


def test_sampled_betweenness_is_seeded_and_unbiased(karate):
    exact = np.array(values(betweenness(karate)))
    once = betweenness(karate, k=10, seed=3)
    assert once == betweenness(karate, k=10, seed=3)
    mean = np.mean([values(betweenness(karate, k=10, seed=s)) for s in range(300)], axis=0)
    assert mean == pytest.approx(exact, abs=0.02)
    assert betweenness(karate, k=34) == betweenness(karate)  # k ≥ n is exact


def test_large_graphs_switch_to_sampling(karate):
    exact = betweenness(karate)
    assert betweenness(karate, exact_max=100, seed=1) == exact  # 500 default sources > 34
    assert betweenness(karate, exact_max=10, k=5, seed=1) != exact
    with pytest.raises(ValueError, match="positive"):
        betweenness(karate, k=0)


def brute_force_roles(g, attribute="team"):
    """Straight from the definition: every a → b → c, a ≠ c, no a → c."""
    arcs = (
        set(g.get_edgelist())
        if g.is_directed()
        else {p for u, v in g.get_edgelist() for p in ((u, v), (v, u))}
    )
    groups = [x if x else f"\0{i}" for i, x in enumerate(g.vs[attribute])]
    counts = {v: dict.fromkeys(Role, 0) for v in range(g.vcount())}
    for a, b in arcs:
        for b2, c in arcs:
            if b2 != b or a == c or (a, c) in arcs or a == b:
                continue
            ga, gb, gc = groups[a], groups[b], groups[c]
            if ga == gb == gc:
                role = Role.COORDINATOR
            elif ga == gc:
                role = Role.ITINERANT
            elif ga == gb:
                role = Role.REPRESENTATIVE
            elif gb == gc:
                role = Role.GATEKEEPER
            else:
                role = Role.LIAISON
            counts[b][role] += 1
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_role_counts_match_the_definition(seed):
    rng = random.Random(seed)
    edges = {(rng.randrange(40), rng.randrange(40)) for _ in range(190)}
    g = ig.Graph(n=40, edges=[e for e in edges if e[0] != e[1]], directed=True)
    g.vs["name"] = [f"v{i}" for i in range(40)]
    g.vs["team"] = [rng.choice(["A", "B", "C", ""]) for _ in range(40)]
    result = brokerage_roles(g, n_permutations=0)
    reference = brute_force_roles(g)
    for v in range(40):
        assert result[f"v{v}"].counts == reference[v]


def test_undirected_ties_count_both_orientations(kite):
    kite.vs["team"] = ["A", "A", "A", "A", "B", "B", "B", "C", "C", "D"]
    result = brokerage_roles(kite, n_permutations=0)
    reference = brute_force_roles(kite)
    assert [result[str(v)].counts for v in range(10)] == [reference[v] for v in range(10)]
    # Heather (C) links Fernando and Garth (B, tied to each other) to Ike (C), both ways
    assert result["7"].counts == {
        Role.COORDINATOR: 0,
        Role.ITINERANT: 0,
        Role.REPRESENTATIVE: 2,
        Role.GATEKEEPER: 2,
        Role.LIAISON: 0,
    }


def tiny_broker():
    """The docstring example: broker b (B) between a1, b2 and a2, b3, c1."""
    g = ig.Graph(directed=True, edges=[(0, 2), (3, 2), (2, 1), (2, 4), (2, 5), (3, 5)])
    g.vs["name"] = ["a1", "a2", "b", "b2", "b3", "c1"]
    g.vs["team"] = ["A", "A", "B", "B", "B", "C"]
    return g


def test_expectation_and_spread_equal_full_enumeration_of_labellings():
    g = tiny_broker()
    others = [0, 1, 3, 4, 5]
    counts = []
    for labels in set(itertools.permutations(g.vs[v]["team"] for v in others)):
        h = g.copy()
        for v, label in zip(others, labels, strict=True):
            h.vs[v]["team"] = label
        counts.append([brute_force_roles(h)[2][role] for role in Role])
    counts = np.array(counts, dtype=float)  # 30 equally likely labellings of the others
    result = brokerage_roles(g, n_permutations=4000, seed=2)["b"]
    assert [result.expected[role] for role in Role] == pytest.approx(counts.mean(axis=0))
    observed = np.array([result.counts[role] for role in Role])
    sd = counts.std(axis=0, ddof=0)
    z = [result.z[role] for role in Role]
    assert z == pytest.approx((observed - counts.mean(axis=0)) / sd, rel=0.05)


def test_z_scores_are_seeded_and_centred_on_a_random_graph():
    rng = random.Random(7)
    edges = {(rng.randrange(30), rng.randrange(30)) for _ in range(150)}
    g = ig.Graph(n=30, edges=[e for e in edges if e[0] != e[1]], directed=True)
    g.vs["team"] = [rng.choice("ABCD") for _ in range(30)]
    exact = brokerage_roles(g, n_permutations=0)
    for r in exact.values():
        assert sum(r.expected.values()) == pytest.approx(r.total)
        assert all(z is None for z in r.z.values())
    with_z = brokerage_roles(g, n_permutations=300, seed=5)
    assert with_z == brokerage_roles(g, n_permutations=300, seed=5)
    zs = [z for r in with_z.values() for z in r.z.values() if z is not None]
    assert zs and abs(float(np.mean(zs))) < 0.5  # random labels: no role stands out


def test_a_broker_between_two_teams_scores_a_high_liaison_z():
    # two tight teams and a third-team broker "x" who relays between them
    people = [Person(f"a{i}", team="A", department="D") for i in range(6)]
    people += [Person(f"b{i}", team="B", department="D") for i in range(6)]
    people += [Person("x", team="X", department="D"), Person("x2", team="X", department="D")]
    when = datetime(2025, 1, 1, tzinfo=UTC)
    pairs = [(f"a{i}", f"a{j}") for i in range(6) for j in range(6) if i != j]
    pairs += [(f"b{i}", f"b{j}") for i in range(6) for j in range(6) if i != j]
    pairs += [(f"a{i}", "x") for i in range(6)] + [("x", f"b{i}") for i in range(6)]
    pairs += [("x2", "x"), ("x", "x2")]
    ties = [Tie(a, b, Channel.EMAIL, 1, 1.0, when, when) for a, b in pairs]
    result = brokerage_roles(person_digraph(people, ties), n_permutations=200, seed=1)
    x = result["x"]
    assert x.counts[Role.LIAISON] == 36
    assert x.z[Role.LIAISON] > 2
    assert max(x.counts, key=x.counts.get) is Role.LIAISON


def test_edge_cases_give_values_not_exceptions():
    empty = ig.Graph()
    assert constraint(empty) == effective_size(empty) == betweenness(empty) == {}
    assert brokerage_roles(empty, attribute="team") == {}

    one = ig.Graph(n=1)
    one.vs["team"] = ["A"]
    assert math.isnan(effective_size(one)["0"]) and math.isnan(constraint(one)["0"])
    assert betweenness(one) == {"0": 0.0}
    assert brokerage_roles(one)["0"].total == 0

    loose = ig.Graph(n=4)  # no edges
    loose.vs["team"] = ["A", "A", "B", ""]
    assert all(math.isnan(x) for x in efficiency(loose).values())
    assert set(betweenness(loose).values()) == {0.0}
    assert {r.total for r in brokerage_roles(loose, seed=1).values()} == {0}

    two = ig.Graph(edges=[(0, 1), (1, 2), (3, 4), (4, 5)])  # two components
    two.es["weight"] = [1.0, 2.0, 1.0, 1.0]
    two.vs["team"] = list("AABBCC")
    assert values(betweenness(two)) == pytest.approx([0, 1 / 10, 0, 0, 1 / 10, 0])
    assert values(effective_size(two)) == pytest.approx([1, 2, 1, 1, 2, 1])
    assert brokerage_roles(two, seed=1)["1"].counts[Role.REPRESENTATIVE] == 1


def test_exact_spread_equals_full_enumeration_of_labellings():
    """The analytic standard deviation is exact: every broker of small random graphs."""
    for seed in range(4):
        rng = random.Random(seed)
        edges = {(rng.randrange(7), rng.randrange(7)) for _ in range(18)}
        g = ig.Graph(n=7, edges=[e for e in edges if e[0] != e[1]], directed=True)
        g.vs["name"] = [f"v{i}" for i in range(7)]
        g.vs["team"] = [rng.choice(["A", "B", "C", ""]) for _ in range(7)]
        result = brokerage_roles(g)
        for v in range(7):
            others = [u for u in range(7) if u != v]
            counts = []
            for labels in set(itertools.permutations(g.vs[u]["team"] for u in others)):
                h = g.copy()
                for u, label in zip(others, labels, strict=True):
                    h.vs[u]["team"] = label
                counts.append([brute_force_roles(h)[v][role] for role in Role])
            counts = np.array(counts, dtype=float)
            mean, sd = counts.mean(axis=0), counts.std(axis=0)
            r = result[f"v{v}"]
            assert [r.expected[role] for role in Role] == pytest.approx(mean)
            observed = np.array([r.counts[role] for role in Role])
            for i, role in enumerate(Role):
                if sd[i] == 0:
                    assert r.z[role] is None
                else:
                    assert r.z[role] == pytest.approx((observed[i] - mean[i]) / sd[i], abs=1e-9)


def test_exact_spread_agrees_with_label_permutations_on_a_larger_graph():
    """The permutation estimate (the old method) scatters around the exact value."""
    rng = random.Random(11)
    edges = {(rng.randrange(120), rng.randrange(120)) for _ in range(900)}
    g = ig.Graph(n=120, edges=[e for e in edges if e[0] != e[1]], directed=True)
    g.vs["name"] = [f"v{i}" for i in range(120)]
    g.vs["team"] = [rng.choice("ABCDEF") for _ in range(120)]
    exact = brokerage_roles(g)
    sampled = brokerage_roles(g, n_permutations=2000, seed=3)
    assert all(exact[v].expected == sampled[v].expected for v in exact)
    ratios = [  # z = (count − expected) / sd, so this is sd_permutations / sd_exact
        exact[v].z[r] / sampled[v].z[r]
        for v in exact
        for r in Role
        if exact[v].z[r] and sampled[v].z[r]
    ]
    assert len(ratios) > 300
    assert float(np.median(ratios)) == pytest.approx(1.0, abs=0.02)
    assert float(np.quantile(ratios, 0.9)) < 1.15 and float(np.quantile(ratios, 0.1)) > 0.85


def test_two_paths_are_enumerated_in_blocks_with_the_same_counts(monkeypatch):
    from analysis import brokerage

    rng = random.Random(5)
    edges = {(rng.randrange(60), rng.randrange(60)) for _ in range(500)}
    g = ig.Graph(n=60, edges=[e for e in edges if e[0] != e[1]], directed=True)
    g.vs["team"] = [rng.choice("ABC") for _ in range(60)]
    whole = brokerage_roles(g)
    monkeypatch.setattr(brokerage, "PATH_BLOCK", 50)
    monkeypatch.setattr(brokerage, "BITMAP_BYTES", 16)
    assert brokerage_roles(g) == whole


def test_sampled_betweenness_error_against_exact_on_a_moderate_organisation(moderate):
    """The stated error of sampling: 200 of 2,000 people as sources, spread over teams."""
    from scipy import stats

    exact = betweenness(moderate, exact_max=moderate.vcount())
    y = np.array(list(exact.values()))
    top = set(np.argsort(-y)[:20].tolist())
    found = {}
    for strata in ("team", None):
        pearson = []
        for seed in (1, 2, 3):
            sampled = betweenness(moderate, k=200, seed=seed, strata=strata)
            x = np.array([sampled[v] for v in exact])
            pearson.append(stats.pearsonr(x, y)[0])
            if strata:
                assert stats.spearmanr(x, y)[0] > 0.94
                assert len(set(np.argsort(-x)[:20].tolist()) & top) >= 13
        found[strata] = float(np.mean(pearson))
    assert found["team"] > 0.95 and found[None] > 0.93
    assert found["team"] > found[None]  # spreading the sources over teams helps


def test_sources_spread_over_teams_hit_every_person_with_the_same_chance(moderate):
    hits = np.zeros(moderate.vcount())
    for seed in range(400):
        hits[betweenness_sources(moderate, k=100, seed=seed, strata="team")] += 1
    assert hits.mean() == pytest.approx(400 * 100 / moderate.vcount())
    assert hits.std() < 3 * (400 * 0.05 * 0.95) ** 0.5  # binomial spread, no favourites
    teams = {}
    for v in betweenness_sources(moderate, k=200, seed=1, strata="team"):
        teams[moderate.vs[v]["team"]] = teams.get(moderate.vs[v]["team"], 0) + 1
    assert len(teams) == 200  # one source per team of 10


def test_subset_betweenness_from_arrays_equals_the_graph_call(moderate):
    sources = betweenness_sources(moderate, k=50, seed=4, strata="team")
    edges = np.asarray(moderate.get_edgelist())
    lengths = 1.0 / np.asarray(moderate.es["weight"])
    raw = subset_betweenness(moderate.vcount(), edges, lengths, sources, directed=False)
    values = scaled_betweenness(raw, sources, directed=False)
    assert values.tolist() == list(betweenness(moderate, k=50, seed=4, strata="team").values())
