"""Period comparison: observed changes, the paired person bootstrap, and the ranked list."""

from __future__ import annotations

import pytest

from analysis.build import person_graph
from analysis.compare import Change
from analysis.compare import ei_change
from analysis.compare import liaison_change
from analysis.compare import pair_strength_change
from analysis.compare import significant_changes
from analysis.liaison import liaison_score
from analysis.teams import ei_index

from .test_liaison import demo_org
from .test_liaison import members
from .test_liaison import org_graph
from .test_liaison import ties

TEAMS = members("D", "a1 a2 a3 a4 a5 a6", team="A") + members("D", "b1 b2 b3 b4 b5 b6", team="B")
INSIDE = "a1-a2 a2-a3 a3-a4 a4-a5 a5-a6 a6-a1 b1-b2 b2-b3 b3-b4 b4-b5 b5-b6 b6-b1"
BRIDGES = " ".join(f"a{i}-b{i}:3" for i in range(1, 7))


def test_identical_windows_change_nothing(karate):
    changes = ei_change(karate, karate, n_boot=50, seed=0)
    assert all(c.delta == 0 and c.low == 0 and c.high == 0 for c in changes.values())
    pairs = pair_strength_change(karate, karate, n_boot=50, seed=0)
    assert all(c.delta == 0 and not c.significant for c in pairs.values())
    assert significant_changes(pairs=pairs, ei=changes) == []


def test_observed_ei_matches_the_teams_module(karate, davis_women):
    for graph in (karate, davis_women):
        changes = ei_change(graph, graph, n_boot=0)
        expected = {k: v.ei for k, v in ei_index(graph, attribute="team").items()}
        assert {k: c.before for k, c in changes.items()} == pytest.approx(expected)
        assert all(c.low is None and c.high is None for c in changes.values())


def test_new_collaboration_comes_first():
    a = org_graph(TEAMS, INSIDE)
    b = org_graph(TEAMS, f"{INSIDE} {BRIDGES}")
    pairs = pair_strength_change(a, b, n_boot=200, seed=1)
    ei = ei_change(a, b, n_boot=200, seed=1)
    assert pairs[("D/A", "D/B")] == Change(
        0.0, 18.0, pairs[("D/A", "D/B")].low, pairs[("D/A", "D/B")].high
    )
    assert pairs[("D/A", "D/B")].low > 0
    findings = significant_changes(pairs=pairs, ei=ei)
    assert [(f.kind, f.metric, f.subject) for f in findings][:1] == [
        ("new collaboration", "team pair strength", "D/A ↔ D/B")
    ]
    assert {f.subject for f in findings if f.metric == "E-I index"} == {"D/A", "D/B"}
    assert all(f.change.delta > 0 for f in findings)


def test_lost_collaboration_and_seeding():
    a = org_graph(TEAMS, f"{INSIDE} {BRIDGES}")
    b = org_graph(TEAMS, INSIDE)
    first = pair_strength_change(a, b, n_boot=100, seed=7)
    again = pair_strength_change(a, b, n_boot=100, seed=7)
    assert first == again
    (finding,) = significant_changes(pairs=first)
    assert finding.kind == "lost collaboration" and finding.change.delta == -18.0


def test_liaison_change_sees_more_liaisons():
    """One liaison for 20 people, then ten; IT has 20 people.

    With only a handful of IT people the person bootstrap (rightly) cannot
    tell: a replicate that happens to drop most new liaisons looks worse than
    the single-liaison window.
    """
    it = members("IT", " ".join(f"it{i}" for i in range(20)), it=True)
    sales = members("Sales", " ".join(f"s{i}" for i in range(20)))
    inside = " ".join(f"s{i}-s{i + 1}" for i in range(19))
    single = " ".join(f"s{i}-it0" for i in range(20))
    spread = " ".join(f"s{i}-it{i % 10}" for i in range(20))
    a, b = org_graph(it + sales, f"{inside} {single}"), org_graph(it + sales, f"{inside} {spread}")
    change = liaison_change(a, b, n_boot=200, seed=2)["Sales"]
    assert change.delta > 20 and change.significant
    assert liaison_change(a, a, n_boot=20, seed=2)["Sales"].delta == 0


def test_dropping_ties_inside_units_keeps_liaison_scores(karate):
    """liaison_change scores only the ties between units: the scores must not move."""
    karate.vs["is_it"] = [v % 5 == 0 for v in range(karate.vcount())]
    karate.vs["department"] = ["IT" if it else t for it, t in zip(karate.vs["is_it"], karate.vs["team"], strict=True)]  # fmt: skip
    crossing = [e.index for e in karate.es if karate.vs[e.source]["department"] != karate.vs[e.target]["department"]]  # fmt: skip
    reduced = karate.subgraph_edges(crossing, delete_vertices=False)
    assert {u: r.score for u, r in liaison_score(reduced).items()} == {
        u: r.score for u, r in liaison_score(karate).items()
    }
    change = liaison_change(karate, karate, n_boot=0)
    assert {u: c.before for u, c in change.items()} == pytest.approx(
        {u: r.score for u, r in liaison_score(karate).items()}
    )


def test_windows_must_share_their_people():
    a = org_graph(TEAMS, INSIDE)
    b = org_graph(TEAMS[:-1], INSIDE)
    with pytest.raises(ValueError, match="same people"):
        ei_change(a, b, n_boot=0)


def test_edge_cases():
    empty = person_graph([], [])
    assert ei_change(empty, empty) == {}
    assert pair_strength_change(empty, empty) == {}
    assert liaison_change(empty, empty) == {}
    lonely = org_graph(TEAMS, "")
    changes = ei_change(lonely, lonely, n_boot=10, seed=0)
    assert all(c.before is None and c.delta is None and not c.significant for c in changes.values())
    assert pair_strength_change(lonely, lonely, n_boot=10, seed=0) == {}


def test_ranking_orders_kinds_then_effect():
    big = Change(1.0, 5.0, 3.0, 5.0)  # effect 4 / 2
    small = Change(1.0, 2.0, 0.5, 1.5)  # effect 1 / 1
    found = significant_changes(
        pairs={("A", "B"): Change(2.0, 0.0, -3.0, -1.0), ("C", "D"): small},
        liaison={"Sales": big},
        ei={"T": Change(0.0, 0.1, -0.1, 0.3)},  # not significant
    )
    assert [(f.kind, f.subject) for f in found] == [
        ("lost collaboration", "A ↔ B"),
        ("significant change", "Sales"),
        ("significant change", "C ↔ D"),
    ]


def test_demo_halves():
    """The demo's first and second half: the planted structure holds in both."""
    people, records, truth = demo_org()
    (fragile,) = truth["fragile_units"]
    a = person_graph(people, [t for t in records if t.month < "2025-07"])
    b = person_graph(people, [t for t in records if t.month >= "2025-07"])
    liaison = liaison_change(a, b, n_boot=30, seed=0)
    assert set(liaison) == set(truth["departments"]) - {"IT"}
    assert liaison[fragile["department"]].before < min(
        c.before for u, c in liaison.items() if u != fragile["department"]
    )
    findings = significant_changes(liaison=liaison, ei=ei_change(a, b, n_boot=100, seed=0))
    assert all(f.change.significant for f in findings)
    assert ties  # the shared helpers stay importable


def test_bulk_liaison_replicates_equal_liaison_score_with_multiplicities():
    """Every replicate scores the units exactly as liaison_score(multiplicity=...) does."""
    import numpy as np

    from analysis import compare

    people, records, _ = demo_org()
    g = person_graph(people, records)
    units = sorted(compare._business_units(g, "department"))
    strata = compare._codes(g, g, "department")[1]
    masses = next(compare._batches(strata, 6, np.random.default_rng(4)))
    masses = np.column_stack([np.ones(g.vcount()), masses])
    stat, window = compare._liaison_statistic("department", units), compare._Window.of(g, "weight")
    for r in range(masses.shape[1]):
        scores = liaison_score(g, multiplicity=masses[:, r])
        bulk = stat(window, np.ascontiguousarray(masses[:, r]))
        assert bulk == pytest.approx([scores[u].score for u in units], abs=1e-9)


def test_kept_tails_give_numpys_percentiles():
    """Only the tails are kept between batches, yet the interval is nanpercentile's."""
    import warnings

    import numpy as np

    from analysis import compare

    rng = np.random.default_rng(8)
    for n_boot in (1, 2, 7, 40, 200, 333):
        values = np.round(rng.normal(size=(30, n_boot)), 1)  # ties included
        values[rng.random(values.shape) < 0.2] = np.nan
        values[:2] = np.nan  # subjects without any value
        tails = compare._Tails(30, n_boot)
        for first in range(0, n_boot, compare.BATCH):
            tails.add(values[:, first : first + compare.BATCH])
        low, high = tails.interval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            expected = np.nanpercentile(values, (2.5, 97.5), axis=1)
        assert np.allclose(low, expected[0], equal_nan=True, rtol=0, atol=1e-12)
        assert np.allclose(high, expected[1], equal_nan=True, rtol=0, atol=1e-12)


def test_team_changes_equal_the_two_separate_bootstraps():
    from analysis.compare import team_changes

    people, records, _ = demo_org()
    a = person_graph(people, [t for t in records if t.month < "2025-07"])
    b = person_graph(people, [t for t in records if t.month >= "2025-07"])
    ei, pairs = team_changes(a, b, n_boot=40, seed=5)
    assert ei == ei_change(a, b, n_boot=40, seed=5)
    assert pairs == pair_strength_change(a, b, n_boot=40, seed=5)
    significant = {k: c for k, c in pairs.items() if c.significant}
    assert 0 < len(significant) < len(pairs)
    assert team_changes(a, b, n_boot=40, seed=5, only_significant=True) == (ei, significant)
