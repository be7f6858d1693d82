"""The analysis jobs on real organisations in /work/shared/data.

Krackhardt's high-tech managers (21, four departments), Lazega's law firm (71
lawyers, three offices, two practices) and SNAP email-Eu-core (1,005 people,
42 departments). Skipped, with the reason, when the data sets are absent.
Bounds are loose enough for other Leiden seeds but far from chance; the
figures are printed (``pytest -s``) so they can be quoted.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from analysis.brokerage import Role
from analysis.brokerage import betweenness
from analysis.brokerage import brokerage_roles
from analysis.build import person_digraph
from analysis.build import person_graph
from analysis.communities import leiden_communities
from analysis.communities import org_fit
from analysis.communities import partition_agreement
from analysis.isolation import isolated_teams

from .conftest import email_eu_core
from .conftest import krackhardt
from .conftest import lazega
from .test_brokerage import brute_force_roles

pytestmark = pytest.mark.slow


def shuffled(labels, seed=0):
    labels = list(labels)
    random.Random(seed).shuffle(labels)
    return labels


def chance_nmi(membership, labels, *, n=200, quantile=0.99):
    """The NMI that shuffled labels reach with this partition, at a high quantile."""
    values = [partition_agreement(membership, shuffled(labels, seed)).nmi for seed in range(n)]
    return float(np.quantile(values, quantile))


@pytest.mark.parametrize(("relation", "arcs"), [("advice_tie", 190), ("friendship_tie", 102)])
def test_krackhardt_brokerage_roles(shared, relation, arcs):
    people, ties = krackhardt(shared, relation)
    digraph = person_digraph(people, ties)
    assert (digraph.vcount(), digraph.ecount()) == (21, arcs)
    roles = brokerage_roles(digraph, attribute="department", n_permutations=200, seed=1)
    reference = brute_force_roles(digraph, attribute="department")
    for v, name in enumerate(digraph.vs["name"]):
        assert roles[name].counts == reference[v]
        assert sum(roles[name].expected.values()) == pytest.approx(roles[name].total)
    top = max(roles.values(), key=lambda r: r.total)
    print(
        f"\n{relation}: top broker {top.person} ({top.group}) {top.total} open two-paths:",
        {k.value: v for k, v in top.counts.items()},
    )


def test_krackhardt_friendship_communities_follow_departments(shared):
    people, ties = krackhardt(shared, "friendship_tie")
    g = person_graph(people, ties)
    found = leiden_communities(g, n_runs=10, seed=0)
    agreement = partition_agreement(found.membership, g.vs["department"])
    chance = chance_nmi(found.membership, g.vs["department"])
    print(
        f"\nKrackhardt friendship: {found.count} communities, Q={found.modularity:.3f}, "
        f"stability {found.stability:.3f}, NMI {agreement.nmi:.3f}, ARI {agreement.ari:.3f} "
        f"(99th percentile of shuffled NMI {chance:.3f})"
    )
    assert agreement.nmi > chance and agreement.ari > 0.2
    # m17, the busiest friendship broker, is also the most between
    top = max(betweenness(g, weight=None).items(), key=lambda item: item[1])
    assert top[0] == "m17"


@pytest.mark.parametrize("relation", ["cowork", "advice", "friends"])
def test_lazega_communities_follow_offices(shared, relation):
    people, ties = lazega(shared, relation)
    g = person_graph(people, ties)
    found = leiden_communities(g, n_runs=10, seed=0)
    office = partition_agreement(found.membership, g.vs["department"])
    practice = partition_agreement(found.membership, [t.split("/")[1] for t in g.vs["team"]])
    chance = chance_nmi(found.membership, g.vs["department"])
    fit = org_fit(g, found, attribute="department")
    print(
        f"\nLazega {relation}: {found.count} communities, Q={found.modularity:.3f}, "
        f"stability {found.stability:.3f}; office NMI {office.nmi:.3f} ARI {office.ari:.3f}; "
        f"practice NMI {practice.nmi:.3f} ARI {practice.ari:.3f}; shuffled NMI (99th pct) {chance:.3f}; "
        f"formal Q (office) {fit.formal_modularity:.3f}"
    )
    assert office.nmi > chance + 0.4 and office.ari > 0.3
    assert found.stability > 0.85
    assert fit.formal_modularity < found.modularity


def test_lazega_isolation_by_office(shared):
    people, ties = lazega(shared, "cowork")
    flagged = {
        t.team: t.reasons
        for t in isolated_teams(person_graph(people, ties), attribute="department", seed=1)
        if t.flagged
    }
    print("\nLazega co-work, offices flagged:", flagged)
    # Providence (4 lawyers): most of its outside co-work runs through one partner
    assert list(flagged) == ["office3"]
    assert flagged["office3"] == ("l15 carries 60 % of outside contact",)
    people, ties = lazega(shared, "friends")
    friends = {
        t.team: t
        for t in isolated_teams(person_graph(people, ties), attribute="department", seed=1)
    }
    assert friends["office2"].reach == 1  # Hartford's friendships reach Boston only


@pytest.fixture
def eu_core(shared):
    people, ties = email_eu_core(shared)
    return person_graph(people, ties)


def test_email_eu_core_communities_vs_departments(eu_core):
    assert (eu_core.vcount(), eu_core.ecount()) == (1005, 16064)  # self-loops dropped
    found = leiden_communities(eu_core, n_runs=10, seed=0)
    fit = org_fit(eu_core, found, attribute="department")
    baseline = partition_agreement(found.membership, shuffled(eu_core.vs["department"]))
    chance = chance_nmi(found.membership, eu_core.vs["department"])
    print(
        f"\nemail-Eu-core: {found.count} communities, Q={found.modularity:.3f}, "
        f"stability {found.stability:.3f}; departments NMI {fit.agreement.nmi:.3f} "
        f"ARI {fit.agreement.ari:.3f} (shuffled: NMI 99th pct {chance:.3f}, ARI {baseline.ari:.3f}); "
        f"formal Q {fit.formal_modularity:.3f}; split {[s.team for s in fit.split]}; "
        f"silos {len(fit.silos)}"
    )
    assert 0.5 < fit.agreement.nmi < 0.75 and fit.agreement.ari > 0.25
    assert fit.agreement.nmi > chance + 0.4 and abs(baseline.ari) < 0.02
    assert found.stability > 0.8
    assert 0.25 < fit.formal_modularity < found.modularity


def test_email_eu_core_isolated_departments(eu_core):
    result = isolated_teams(eu_core, attribute="department", seed=1)
    flagged = [t for t in result if t.flagged]
    print("\nemail-Eu-core, departments flagged:")
    for t in flagged:
        print(f"  {t.team} ({t.size}): " + "; ".join(t.reasons))
    inward = [t.team for t in flagged if t.reasons[0].startswith("E-I")]
    assert inward[:3] == ["D14", "D17", "D07"]
    assert 10 <= len(flagged) <= 25
    significant = sum(1 for t in result if t.p_value is not None and t.p_value < 0.01)
    assert significant >= 35  # nearly every department is more inward than chance...
    assert len(inward) <= 10  # ...so that alone does not flag it


def test_email_eu_core_brokers(shared):
    people, ties = email_eu_core(shared)
    roles = brokerage_roles(
        person_digraph(people, ties), attribute="department", n_permutations=20, seed=1
    )
    liaisons = sorted(roles.values(), key=lambda r: -r.counts[Role.LIAISON])[:3]
    print(
        "\nemail-Eu-core top liaisons:",
        [(r.person, r.group, r.counts[Role.LIAISON]) for r in liaisons],
    )
    assert all(r.z[Role.LIAISON] is not None for r in liaisons)
