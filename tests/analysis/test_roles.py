"""Structural roles: features against networkx, clustering behaviour, naming, the demo."""

from __future__ import annotations

from fractions import Fraction

import networkx as nx
import numpy as np
import pytest

from analysis.build import person_graph
from analysis.roles import ROLE_FEATURES
from analysis.roles import role_clusters
from analysis.roles import role_features

from .test_liaison import demo_key
from .test_liaison import demo_org
from .test_liaison import members
from .test_liaison import org_graph


@pytest.fixture
def club(karate):
    karate.vs["is_it"] = [v % 7 == 0 for v in range(karate.vcount())]
    return karate


def by_feature(features: dict, name: str) -> dict[str, float]:
    return {person: f[name] for person, f in features.items()}


def test_features_match_networkx_on_karate(club):
    graph = nx.karate_club_graph()
    for _, _, d in graph.edges(data=True):
        # exact distances: in floats 1/3 + 1/3 + 1/3 != 1 and networkx then misses
        # tied shortest paths that igraph (with its tolerance) counts
        d["distance"] = Fraction(1, int(d["weight"]))
    f = role_features(club, k=None)
    named = lambda values: {str(k): v for k, v in values.items()}  # noqa: E731
    assert by_feature(f, "degree") == {str(v): float(d) for v, d in graph.degree}
    assert by_feature(f, "strength") == pytest.approx(named(dict(graph.degree(weight="weight"))))
    assert by_feature(f, "clustering") == pytest.approx(named(nx.clustering(graph)))
    assert by_feature(f, "constraint") == pytest.approx(
        named(nx.constraint(graph, weight="weight"))
    )
    expected = nx.betweenness_centrality(graph, weight="distance", normalized=True)
    assert by_feature(f, "betweenness") == pytest.approx(
        {k: float(v) for k, v in named(expected).items()}, abs=1e-12
    )


def test_kite_betweenness_unweighted(kite):
    kite.vs["team"] = ["T"] * 10
    kite.vs["is_it"] = [False] * 10
    f = role_features(kite, weight=None)
    expected = nx.betweenness_centrality(nx.krackhardt_kite_graph())
    assert by_feature(f, "betweenness") == pytest.approx({str(k): v for k, v in expected.items()})
    assert f["7"]["cross_team_share"] == 0.0 and f["9"]["constraint"] == 1.0


def test_sampled_betweenness_tracks_the_exact_one(club):
    exact = by_feature(role_features(club, k=None), "betweenness")
    assert by_feature(role_features(club, k=34, seed=1), "betweenness") == exact
    sampled = by_feature(role_features(club, k=17, seed=1), "betweenness")
    assert sampled == by_feature(role_features(club, k=17, seed=1), "betweenness")
    assert np.corrcoef(list(exact.values()), list(sampled.values()))[0, 1] > 0.9


def test_shares():
    people = members("IT", "i1", it=True) + members("Sales", "s1 s2") + members("Ops", "o1")
    f = role_features(org_graph(people, "s1-s2:1 s1-o1:1 s1-i1:2"))
    assert f["s1"]["cross_team_share"] == 0.75
    assert f["s1"]["it_business_share"] == 0.5
    assert f["i1"]["it_business_share"] == 1.0


def test_clusters_are_seeded_and_named(club):
    one = role_clusters(club, seed=4)
    assert one == role_clusters(club, seed=4)
    assert 4 <= one.k <= 8 and one.silhouette is not None
    assert sum(r.size for r in one.roles) == club.vcount()
    assert len({r.name for r in one.roles}) == one.k
    three = role_clusters(club, n_roles=3, seed=0)
    assert (three.role_of("0").name, three.role_of("33").name) == ("broker", "broker")
    assert three.role_of("11").name == "peripheral"
    assert set(three.roles[0].centroid) == set(ROLE_FEATURES)
    assert three.roles[0].description.startswith(("high", "low"))


def test_identical_people_make_one_cluster_without_warnings():
    ring = org_graph(members("T", "a b c d e f"), "a-b b-c c-d d-e e-f f-a")
    r = role_clusters(ring, seed=0)
    assert r.k == 1 and r.silhouette is None
    assert set(r.labels.values()) == {0}


def test_edge_cases():
    assert role_features(person_graph([], [])) == {}
    assert role_clusters(person_graph([], [])).k == 0
    lonely = role_clusters(org_graph(members("T", "a b c"), ""), seed=0)
    assert lonely.k == 1 and lonely.roles[0].size == 3
    pair = role_clusters(org_graph(members("T", "a b") + members("U", "c"), "a-b"), seed=0)
    assert sum(r.size for r in pair.roles) == 3


def test_demo_brokers_share_the_broker_role():
    people, records, truth = demo_org()
    r = role_clusters(person_graph(people, records), n_roles=5, seed=0)
    brokers = {demo_key(address) for address in truth["brokers"]}
    (cluster,) = {r.labels[b] for b in brokers}
    assert r.roles[cluster].name == "broker"
    found = {p for p, c in r.labels.items() if c == cluster}
    assert len(found & brokers) / len(found) >= 0.75  # precision (recall is 1 above)


def test_kmeans_on_a_sample_finds_the_same_roles(moderate):
    """The large-graph setting: k-means fitted on a sample, everyone labelled by nearest centroid."""
    from sklearn.metrics import adjusted_rand_score

    from analysis.brokerage import betweenness

    between = betweenness(moderate, k=200, seed=1, strata="team")
    full = role_clusters(moderate, seed=1, betweenness=between)
    sampled = role_clusters(moderate, seed=1, betweenness=between, fit_sample=1000)
    assert [r.name for r in sampled.roles] == [r.name for r in full.roles]
    names = moderate.vs["name"]
    assert (
        adjusted_rand_score([full.labels[v] for v in names], [sampled.labels[v] for v in names])
        > 0.8
    )
    assert sampled == role_clusters(moderate, seed=1, betweenness=between, fit_sample=1000)
