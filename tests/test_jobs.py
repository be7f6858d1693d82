"""The analysis jobs end to end on a generated organisation with planted ground truth."""

from __future__ import annotations

import json

import pytest

from demo.generate import DemoSpec
from demo.generate import generate
from graph.base import Subject
from graph.embedded import EmbeddedStore
from ingest import pipeline
from ingest.identity import IdentitySettings
from ingest.identity import pseudonym
from web.jobs import JOBS
from web.jobs import jsonable
from web.jobs import run_all

SETTINGS = IdentitySettings(key=b"jobs", it_units=("IT",))


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs")
    files = generate(DemoSpec(people=240, seed=7), root / "demo")
    store = EmbeddedStore(root / "store.sqlite3")
    pipeline.ingest_directory([files.directory], store, SETTINGS)
    pipeline.ingest_email([files.mbox], store, SETTINGS)
    pipeline.ingest_meetings([files.calendar], store, SETTINGS)
    pipeline.ingest_tickets([files.tickets], store, SETTINGS)
    summary = run_all(store, seed=3)
    yield store, summary, json.loads(files.truth.read_text())
    store.close()


def key(address: str) -> str:
    return pseudonym(address, SETTINGS.key)


def test_every_job_leaves_a_snapshot_with_its_provenance(analysed):
    store, summary, _ = analysed
    for job in JOBS:
        snap = store.snapshot(job)
        assert snap.version == 1
        assert snap.data["seed"] == 3
        assert snap.data["versions"]["python-igraph"]
        assert len(snap.data["window"]["months"]) == 12
        assert "skipped" not in snap.data["result"], job
    assert set(summary["seconds"]) == {"load", *JOBS}


def test_planted_fragile_unit_is_found_with_its_liaison(analysed):
    store, summary, truth = analysed
    (fragile,) = truth["fragile_units"]
    assert summary["single_liaison_units"] == [fragile["department"]]
    unit = store.snapshot("liaison").data["result"]["units"][fragile["department"]]
    assert unit["paths"] == 1
    assert [name for name, _ in unit["liaison"]["liaisons"]] == [key(fragile["liaison"])]
    lowest = min(summary["liaison_scores"], key=summary["liaison_scores"].get)
    assert lowest == fragile["department"]


def test_planted_isolated_team_is_flagged_first(analysed):
    _, summary, truth = analysed
    planted = {f"{t['department']}/{t['team']}" for t in truth["isolated_teams"]}
    assert summary["isolated_teams"][0] in planted
    assert planted <= set(summary["isolated_teams"])


def test_planted_brokers_lead_the_brokerage_ranking(analysed):
    store, _, truth = analysed
    brokers = {key(address) for address in truth["brokers"]}
    top = [
        name
        for name, _ in store.snapshot("brokers").data["result"]["top_betweenness"][
            : len(brokers) + 2
        ]
    ]
    found = brokers & set(top)
    assert len(found) / len(brokers) >= 2 / 3  # recall within the top |brokers| + 2


def test_the_liaison_is_a_key_person(analysed):
    store, _, truth = analysed
    (fragile,) = truth["fragile_units"]
    ranked = store.snapshot("risk").data["result"]["ranked"]
    liaison = next(r for r in ranked if r["person"] == key(fragile["liaison"]))
    assert fragile["department"] in json.dumps(liaison["it_units"])


def test_scores_are_written_back(analysed):
    store, _, truth = analysed
    people = store.scores(Subject.PERSON)
    liaison = people[key(truth["fragile_units"][0]["liaison"])]
    assert {"degree", "strength", "constraint", "betweenness", "community", "role"} <= set(liaison)
    assert liaison["liaison_share"] == 1.0
    departments = store.scores(Subject.DEPARTMENT)
    assert all(0 <= s["liaison_score"] <= 100 for s in departments.values() if "liaison_score" in s)


def test_introductions_have_a_held_out_auc(analysed):
    store, _, _ = analysed
    result = store.snapshot("introductions").data["result"]
    assert 0.5 < result["held_out_auc"] <= 1.0
    assert 0 < len(result["introductions"]) <= 10


def test_rerun_adds_a_version_and_gives_the_same_results(analysed):
    store, _, _ = analysed
    before = {job: store.snapshot(job).data["result"] for job in JOBS}
    run_all(store, seed=3)
    assert all(store.snapshot_versions(job) == [1, 2] for job in JOBS)
    assert {job: store.snapshot(job).data["result"] for job in JOBS} == before


def test_a_helper_process_gives_the_same_results(analysed):
    """Betweenness in a spawned helper process (as on large graphs): nothing changes."""
    store, _, _ = analysed
    before = {job: store.snapshot(job).data["result"] for job in JOBS}
    run_all(store, seed=3, helper=True)
    assert {job: store.snapshot(job).data["result"] for job in JOBS} == before


def test_snapshots_record_the_approximations_used(analysed):
    store, _, _ = analysed
    brokers = store.snapshot("brokers").data["parameters"]
    assert brokers == {"betweenness_sources": "all", "betweenness_strata": None,
                       "gould_fernandez_sd": "exact"}  # fmt: skip
    assert store.snapshot("communities").data["parameters"] == {
        "leiden_runs": 10,
        "leiden_iterations": -1,
    }
    assert store.snapshot("roles").data["parameters"]["kmeans_fit_sample"] is None
    assert store.snapshot("isolation").data["parameters"]["ei_null_draws"] == 999


def test_empty_store_runs_every_job_without_errors(tmp_path):
    store = EmbeddedStore(tmp_path / "empty.sqlite3")
    try:
        summary = run_all(store)
        assert summary["people"] == 0 and summary["isolated_teams"] == []
        assert all(store.snapshot_versions(job) == [1] for job in JOBS)
    finally:
        store.close()


def test_jsonable_handles_what_jobs_return():
    from datetime import UTC
    from datetime import datetime

    from ingest.records import Channel

    value = {
        ("a", "b"): {1, 2},
        frozenset({"y", "x"}): float("nan"),
        Channel.EMAIL: datetime(2025, 1, 1, tzinfo=UTC),
    }
    assert jsonable(value) == {"a | b": [1, 2], "x | y": None, "email": "2025-01-01T00:00:00+00:00"}


def test_an_organisation_without_it_still_gets_every_job(tmp_path):
    from datetime import UTC
    from datetime import datetime

    from ingest.records import Channel
    from ingest.records import Interaction
    from ingest.records import Person

    store = EmbeddedStore(tmp_path / "no-it.sqlite3")
    try:
        store.upsert_people(Person(f"p{i}", f"P{i}", "Sales", f"T{i % 3}") for i in range(12))
        store.add_interactions(
            Interaction(
                f"p{i}",
                f"p{(i * 5 + m) % 12}",
                Channel.EMAIL,
                datetime(2025, m, 2, tzinfo=UTC),
                f"m{i}-{m}",
            )
            for i in range(12)
            for m in range(1, 5)
            if i != (i * 5 + m) % 12
        )
        summary = run_all(store)
        assert summary["liaison_scores"] == {"Sales": 0.0}  # no IT people: no liaison at all
        assert summary["single_liaison_units"] == []
        skipped = store.snapshot("introductions").data["result"]["skipped"]
        assert "nothing to learn" in skipped or "IT" in skipped
    finally:
        store.close()
