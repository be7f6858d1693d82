"""IT–business liaison score: known answers, edge cases and the demo organisation.

``org_graph`` and ``demo_org`` are shared with the other analysis test modules
(risk, introductions, compare, roles); the demo is generated and ingested once
per session.
"""

from __future__ import annotations

import functools
import json
import tempfile
from datetime import UTC
from datetime import datetime
from pathlib import Path

import igraph as ig
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analysis.build import person_graph
from analysis.liaison import DEFAULT_WEIGHTS
from analysis.liaison import it_liaison
from analysis.liaison import it_team_liaison_score
from analysis.liaison import liaison_score
from analysis.liaison import monthly_liaison_volume
from analysis.liaison import pair_channels
from analysis.liaison import volume_trend
from ingest.identity import IdentitySettings
from ingest.identity import pseudonym
from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie

WHEN = datetime(2025, 1, 15, tzinfo=UTC)
DEMO_KEY = b"analysis-tests"


def members(department: str, keys: str, *, it: bool = False, team: str = "") -> list[Person]:
    """People of one department (and team, default: the department), keys space-separated."""
    return [
        Person(k, department=department, team=team or department, is_it=it) for k in keys.split()
    ]


def ties(spec: str, *, channel: Channel = Channel.EMAIL, month: str | None = None) -> list[Tie]:
    """``"a-b:2 c-d"``: one tie per pair, weight after the colon (default 1)."""
    out = []
    for item in spec.split():
        pair, _, weight = item.partition(":")
        a, b = pair.split("-")
        out.append(Tie(a, b, channel, 1, float(weight or 1), WHEN, WHEN, month))
    return out


def org_graph(people: list[Person], spec: str) -> ig.Graph:
    return person_graph(people, ties(spec))


IT3 = members("IT", "it1 it2 it3", it=True)
SALES = members("Sales", "s1 s2 s3")
FINANCE = members("Finance", "f1 f2 f3")
IT_INSIDE = "it1-it2 it2-it3"


@functools.cache
def demo_org(people: int = 250, seed: int = 7) -> tuple[list[Person], list[Tie], dict]:
    """The generated demo organisation, ingested into an in-memory store: people, monthly ties, truth."""
    from demo.generate import DemoSpec
    from demo.generate import generate
    from graph.embedded import EmbeddedStore
    from ingest.pipeline import ingest_directory
    from ingest.pipeline import ingest_email
    from ingest.pipeline import ingest_meetings
    from ingest.pipeline import ingest_tickets

    spec = DemoSpec(people=people, seed=seed)
    config = IdentitySettings(key=DEMO_KEY, internal_domains=(spec.domain,), it_units=("IT",))
    with tempfile.TemporaryDirectory() as folder:
        files = generate(spec, Path(folder))
        store = EmbeddedStore(":memory:")
        try:
            ingest_directory([files.directory], store, config, strict=True)
            ingest_email([files.mbox], store, config)
            ingest_meetings([files.calendar], store, config)
            ingest_tickets([files.tickets], store, config)
            found = (list(store.people()), list(store.ties(by_month=True)))
        finally:
            store.close()
        return (*found, json.loads(files.truth.read_text(encoding="utf-8")))


def demo_key(address: str) -> str:
    """The pseudonymous key the ingestors give an address of the demo."""
    return pseudonym(address, DEMO_KEY)


# --- known answers -------------------------------------------------------------------


def test_single_liaison_gives_one_path_and_no_redundancy():
    g = org_graph(IT3 + SALES, f"{IT_INSIDE} s1-it1:3 s2-it1 s3-it1 s1-s2")
    r = liaison_score(g)["Sales"]
    assert r.paths == 1
    assert r.components["redundancy"] == 0.0
    assert r.liaison.liaisons == (("it1", 1.0),)
    assert r.liaison.single_liaison
    assert r.coverage == 1.0


def test_two_liaisons_give_two_paths():
    g = org_graph(IT3 + SALES, f"{IT_INSIDE} s1-it1 s2-it2")
    r = liaison_score(g)["Sales"]
    assert r.paths == 2
    assert r.liaison.concentration == 0.5
    assert r.components["redundancy"] == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)


def test_one_unit_person_is_a_bottleneck_too():
    g = org_graph(IT3 + SALES, "s1-it1 s1-it2 s1-it3")
    assert liaison_score(g)["Sales"].paths == 1


def test_paths_through_third_units_do_not_count():
    """Sales reaches IT through Finance many ways, but its own tie hangs on it1."""
    g = org_graph(IT3 + SALES + FINANCE, "s1-it1 s1-f1 s2-f2 s3-f3 f1-it1 f2-it2 f3-it3")
    assert liaison_score(g)["Sales"].paths == 1
    assert liaison_score(g)["Finance"].paths == 3


def test_score_formula_by_hand():
    # Sales: it_share 1, expected |IT|/(N-|Sales|) = 3/3 -> volume 0.5; breadth 2/3;
    # redundancy 1/2·(1-1/2) + 1/2·(1-0.5) = 0.5. No channels or trend: weights renormalised.
    g = org_graph(IT3 + SALES, f"{IT_INSIDE} s1-it1 s2-it2")
    r = liaison_score(g)["Sales"]
    assert r.it_share == 1.0
    assert r.components == pytest.approx(
        {"volume": 0.5, "breadth": 2 / 3, "redundancy": 0.5, "relational": None, "recency": None}
    )
    w = DEFAULT_WEIGHTS
    expected = 100 * (w["volume"] * 0.5 + w["breadth"] * 2 / 3 + w["redundancy"] * 0.5)
    assert r.score == pytest.approx(expected / (w["volume"] + w["breadth"] + w["redundancy"]))


def test_fragile_unit_scores_below_a_redundant_one():
    g = org_graph(IT3 + SALES + FINANCE, "s1-it1:2 s2-it1:2 s3-it1:2 f1-it1:2 f2-it2:2 f3-it3:2")
    scores = liaison_score(g)
    assert scores["Sales"].score < scores["Finance"].score
    assert scores["Sales"].components["redundancy"] == 0.0


def test_components_match_it_liaison(karate):
    karate.vs["is_it"] = [v % 5 == 0 for v in range(karate.vcount())]
    karate.vs["department"] = ["IT" if it else team for it, team in zip(karate.vs["is_it"], karate.vs["team"], strict=True)]  # fmt: skip
    old = it_liaison(karate)
    new = liaison_score(karate)
    assert set(old) == set(new) == {"Mr. Hi", "Officer"}
    for unit, r in new.items():
        assert r.liaison == old[unit]


def test_unit_multiplicity_one_changes_nothing(karate):
    karate.vs["is_it"] = [v < 6 for v in range(karate.vcount())]
    karate.vs["department"] = karate.vs["team"]
    plain = liaison_score(karate)
    weighted = liaison_score(karate, multiplicity=[1.0] * karate.vcount())
    assert {u: r.score for u, r in plain.items()} == {u: r.score for u, r in weighted.items()}


def test_multiplicity_weights_strength_and_coverage():
    g = org_graph(IT3 + SALES, "s1-it1 s2-it2")
    doubled = liaison_score(g, multiplicity=[1, 1, 1, 2, 1, 0])["Sales"]  # s1 twice, s3 absent
    assert doubled.liaison.volume == 2 + 1
    assert doubled.coverage == 1.0  # s3 (absent) does not count against coverage


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_paths_equal_vertex_connectivity_within_the_two_groups(n_unit, n_it, data):
    """Matching on cross ties = igraph vertex connectivity from a super-source to a super-sink."""
    people = members("Sales", " ".join(f"s{i}" for i in range(n_unit)))
    people += members("IT", " ".join(f"i{i}" for i in range(n_it)), it=True)
    keys = [p.key for p in people]
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(keys)), max_size=20)
    )
    g = person_graph(people, [Tie(a, b, Channel.EMAIL, 1, 1.0, WHEN, WHEN) for a, b in pairs])
    paths = liaison_score(g)["Sales"].paths
    h = g.copy()
    h.add_vertices(2)
    source, sink = h.vcount() - 2, h.vcount() - 1
    h.add_edges([(source, v.index) for v in g.vs if not v["is_it"]])
    h.add_edges([(sink, v.index) for v in g.vs if v["is_it"]])
    assert paths == h.vertex_connectivity(source=source, target=sink, neighbors="ignore")


# --- channel mix and recency ---------------------------------------------------------------


def test_channel_mix_reads_ticket_only_ties_as_transactional():
    people = IT3 + SALES
    records = ties("s1-it1 s2-it2", channel=Channel.TICKET) + ties("s2-it2", channel=Channel.EMAIL)
    g = person_graph(people, records)
    r = liaison_score(g, channels=pair_channels(records))["Sales"]
    assert r.channels.ties == 2
    assert r.channels.transactional == 0.5
    assert r.channels.multiplexity == 1.5
    assert r.components["relational"] == 0.5


def test_recency_follows_the_monthly_trend():
    people = IT3 + SALES
    rising = ties("s1-it1:1", month="2025-01") + ties("s1-it1:3", month="2025-03")
    fading = ties("s1-it1:3", month="2025-01") + ties("s1-it1:1", month="2025-02")
    months = ["2025-01", "2025-02", "2025-03"]
    for records, up in ((rising, True), (fading, False)):
        g = person_graph(people, records)
        monthly = monthly_liaison_volume(g, records, months=months)
        assert list(monthly["Sales"]) == months
        r = liaison_score(g, monthly=monthly)["Sales"]
        assert (r.components["recency"] > 0.5) is up
        assert r.trend == pytest.approx(volume_trend(monthly["Sales"]))


def test_volume_trend_edge_cases():
    assert volume_trend({}) is None
    assert volume_trend({"2025-01": 3.0}) is None
    assert volume_trend({"2025-01": 0.0, "2025-02": 0.0}) is None
    assert volume_trend({"2024-12": 1.0, "2025-01": 1.0}) == 0.0  # across a year boundary


def test_it_team_scores_split_it():
    people = members("IT", "d1 d2", it=True, team="Desk")
    people += members("IT", "n1", it=True, team="Net") + SALES
    g = org_graph(people, "s1-d1 s2-d2 s3-n1")
    r = it_team_liaison_score(g)
    assert set(r) == {("IT/Desk", "Sales"), ("IT/Net", "Sales")}
    assert r[("IT/Desk", "Sales")].paths == 2
    assert r[("IT/Net", "Sales")].paths == 1
    assert r[("IT/Net", "Sales")].liaison.liaisons == (("n1", 1.0),)
    assert r[("IT/Desk", "Sales")].coverage == pytest.approx(2 / 3)


# --- edge cases ----------------------------------------------------------------------------


def test_empty_graph():
    g = person_graph([], [])
    assert liaison_score(g) == {}
    assert it_team_liaison_score(g) == {}
    assert monthly_liaison_volume(g, []) == {}


def test_no_it_people_scores_zero():
    g = org_graph(SALES + FINANCE, "s1-f1 s2-s3")
    scores = liaison_score(g)
    assert set(scores) == {"Sales", "Finance"}
    assert all(r.score == 0.0 and r.paths == 0 and r.it_share == 0.0 for r in scores.values())


def test_no_edges_and_isolated_units():
    g = org_graph(IT3 + SALES + FINANCE, "s1-it1")
    scores = liaison_score(g)
    assert scores["Finance"].score == 0.0
    assert scores["Finance"].it_share is None
    assert scores["Finance"].liaison.concentration is None
    assert scores["Sales"].paths == 1


# --- the demo organisation -----------------------------------------------------------------


def test_demo_liaison_finds_the_fragile_unit_and_its_liaison():
    people, records, truth = demo_org()
    (fragile,) = truth["fragile_units"]
    g = person_graph(people, records)
    scores = liaison_score(
        g, channels=pair_channels(records), monthly=monthly_liaison_volume(g, records)
    )
    weakest = min(scores.values(), key=lambda r: r.score)
    assert weakest.unit == fragile["department"]
    assert weakest.liaison.liaisons[0] == (demo_key(fragile["liaison"]), 1.0)
    single = {u for u, r in scores.items() if r.paths <= 1}
    assert single == {fragile["department"]}  # precision and recall 1
    assert all(r.paths >= 3 for u, r in scores.items() if u != fragile["department"])
