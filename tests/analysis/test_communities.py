"""Communities vs the org chart: Leiden, stability, NMI/ARI, purity, splits, silos."""

from __future__ import annotations

import random

import igraph as ig
import networkx as nx
import pytest

from analysis.communities import Agreement
from analysis.communities import HiddenSilo
from analysis.communities import SplitTeam
from analysis.communities import formal_modularity
from analysis.communities import hidden_silos
from analysis.communities import leiden_communities
from analysis.communities import org_fit
from analysis.communities import partition_agreement
from analysis.communities import seeded_igraph
from analysis.communities import split_teams
from analysis.communities import team_purity


def test_igraph_leiden_defaults_to_cpm_which_is_why_we_pass_modularity(karate):
    """The library default this module guards against (metrics memo §1.2.5)."""
    default = karate.community_leiden()  # CPM, resolution 1
    assert len(default) == karate.vcount()  # every member on their own
    assert leiden_communities(karate, weight=None, seed=0).count == 4


def test_karate_reaches_the_known_modularity_optimum(karate):
    # 0.4198 with 4 communities is the proven optimum (Brandes et al. 2008)
    found = leiden_communities(karate, weight=None, n_runs=10, seed=0)
    assert found.modularity == pytest.approx(0.41979, abs=1e-5)
    assert found.count == 4 and found.stability == pytest.approx(1.0)
    assert found.seeds == tuple(range(10)) and found.seed in found.seeds
    assert found.membership[0] == found.membership[1]  # Mr. Hi with his closest ally


def test_karate_against_its_factions(karate):
    club = nx.karate_club_graph()
    factions = [
        {v for v in club if club.nodes[v]["club"] == name} for name in ("Mr. Hi", "Officer")
    ]
    for weight in (None, "weight"):
        assert formal_modularity(karate, weight=weight) == pytest.approx(
            nx.community.modularity(club, factions, weight=weight)
        )
    found = leiden_communities(karate, weight=None, seed=0)
    agreement = partition_agreement(found.membership, karate.vs["team"])
    assert agreement == Agreement(
        nmi=pytest.approx(0.5878, abs=1e-4), ari=pytest.approx(0.4646, abs=1e-4)
    )
    # each faction is the union of two communities: a split, never a mix
    purity = team_purity(karate, found.membership)
    assert {team: p.communities for team, p in purity.items()} == {"Mr. Hi": 3, "Officer": 2}
    halves = leiden_communities(karate, weight=None, resolution=0.5, seed=0)
    assert halves.count == 2
    assert partition_agreement(halves.membership, karate.vs["team"]).ari == pytest.approx(
        0.7716, abs=1e-4
    )


def test_davis_women_split_in_two_only_with_weights(davis_women):
    weighted = leiden_communities(davis_women, n_runs=10, seed=0)
    assert weighted.count == 2
    names = davis_women.vs["name"]
    misplaced = [
        names[v]
        for v, (c, team) in enumerate(zip(weighted.membership, davis_women.vs["team"], strict=True))
        if c != weighted.membership[0 if team == "first" else 17]
    ]
    assert misplaced == ["Pearl Oglethorpe"]  # the woman Davis et al. placed on the margin
    unweighted = leiden_communities(davis_women, weight=None, n_runs=10, seed=0)
    assert unweighted.modularity < 0.05  # everyone met everyone: counts carry the structure


def test_seeded_igraph_is_reproducible_and_restores_the_default():
    with seeded_igraph(3):
        first = ig.Graph.Erdos_Renyi(n=30, p=0.1).get_edgelist()
    with seeded_igraph(3):
        assert ig.Graph.Erdos_Renyi(n=30, p=0.1).get_edgelist() == first
    # afterwards igraph draws from the `random` module again
    random.seed(9)
    again = ig.Graph.Erdos_Renyi(n=30, p=0.1).get_edgelist()
    random.seed(9)
    assert ig.Graph.Erdos_Renyi(n=30, p=0.1).get_edgelist() == again


def test_seed_none_is_recorded_and_replayable(karate):
    found = leiden_communities(karate, n_runs=3)
    replay = leiden_communities(karate, n_runs=3, seed=found.seeds[0])
    assert replay == found
    assert leiden_communities(karate, n_runs=1, seed=1).stability is None


def test_split_teams_and_purity_thresholds():
    g = ig.Graph(n=10)
    g.vs["team"] = ["A"] * 6 + ["B"] * 4
    membership = [0, 0, 0, 1, 1, 2, 1, 1, 1, 1]
    assert split_teams(g, membership) == [SplitTeam("A", 6, ((0, 3), (1, 2)))]
    assert split_teams(g, membership, min_share=0.4) == []  # 2 of 6 is under 40 %
    assert split_teams(g, membership, min_members=3) == []
    purity = team_purity(g, membership)
    assert (purity["A"].share, purity["A"].community, purity["A"].communities) == (0.5, 0, 3)
    assert purity["B"].share == 1.0


def test_hidden_silo_is_a_closed_community_across_teams():
    # six people from three teams form a closed clique; the rest is a normal org
    rng = random.Random(2)
    teams = ["A"] * 10 + ["B"] * 10 + ["C"] * 10
    silo = [0, 1, 10, 11, 20, 21]
    edges = {(a, b) for a in silo for b in silo if a < b}
    rest = [v for v in range(30) if v not in silo]
    for a in rest:
        for b in rest:
            if a < b and rng.random() < (0.6 if teams[a] == teams[b] else 0.1):
                edges.add((a, b))
    edges.add((0, 2))
    g = ig.Graph(n=30, edges=sorted(edges))
    g.vs["team"] = teams
    found = leiden_communities(g, weight=None, seed=1)
    silos = hidden_silos(g, found.membership, weight=None)
    assert len(silos) == 1
    assert silos[0].teams == (("A", 2), ("B", 2), ("C", 2))
    assert silos[0].external_share == pytest.approx(1 / 16)
    fit = org_fit(g, found, weight=None)
    assert fit.silos == tuple(silos) and isinstance(fit.silos[0], HiddenSilo)
    assert fit.formal_modularity < fit.found_modularity


def test_edge_cases_give_clear_results():
    empty = leiden_communities(ig.Graph(), seed=1)
    assert (empty.membership, empty.modularity, empty.stability) == ((), None, None)
    g = ig.Graph()
    g.vs["team"] = []
    assert org_fit(g, empty).agreement is None

    one = ig.Graph(n=1)
    one.vs["team"] = ["A"]
    single = leiden_communities(one, seed=1)
    assert (single.membership, single.modularity) == ((0,), None)
    assert org_fit(one, single).agreement == Agreement(1.0, 1.0)

    loose = ig.Graph(n=4)
    loose.vs["team"] = ["A", "A", "B", ""]
    found = leiden_communities(loose, weight=None, seed=1)
    assert found.membership == (0, 1, 2, 3) and found.modularity is None
    assert formal_modularity(loose) is None
    assert hidden_silos(loose, found.membership) == []

    two = ig.Graph(edges=[(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)])
    two.vs["team"] = list("AAABBB")
    found = leiden_communities(two, weight=None, seed=1)
    assert found.membership == (0, 0, 0, 1, 1, 1) and found.modularity == pytest.approx(0.5)

    with pytest.raises(ValueError, match="undirected"):
        leiden_communities(ig.Graph(directed=True))
    with pytest.raises(ValueError, match="length"):
        partition_agreement([0, 1], [0])


def test_fewer_iterations_cost_little_modularity_on_a_moderate_organisation(moderate):
    """The large-graph setting (3 runs of 2 iterations) against 10 runs to convergence."""
    full = leiden_communities(moderate, seed=1)
    quick = leiden_communities(moderate, seed=1, n_runs=3, n_iterations=2)
    assert (quick.seeds, quick.iterations, full.iterations) == ((1, 2, 3), 2, -1)
    assert quick.modularity <= full.modularity + 1e-9
    assert quick.modularity > 0.99 * full.modularity
    assert partition_agreement(quick.membership, full.membership).nmi > 0.9
