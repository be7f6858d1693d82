"""Real-data subsets through the CLI into both stores: the same graph, the same ledger.

Every ingest channel runs on the small real copies in ``tests/data`` (Enron
mbox and maildir, ServiceNow/Jira/Zendesk tickets, real-world calendars, the
HR directory, the Enron org metadata, message traces), once into the embedded
store and once into Neo4j, through ``flask --app app ingest ...``. A failure
half-way through a file leaves nothing of it in either store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from ingest import runner
from ingest.enron import main as enron_directory
from ingest.errors import IngestError
from ingest.identity import IdentitySettings
from ingest.pipeline import ingest_email
from tests.apps import make_app as new_app
from web.store import close_store
from web.store import get_store

pytestmark = pytest.mark.neo4j

DATA = Path(__file__).resolve().parent / "data"
DOMAINS = ["example.com", "enron.com", "coffeebean.com"]
EMAIL = [
    "enron-sample.mbox", "enron-maildir", "sample.mbox", "maildir", "one.eml",
    "traces/m365-report.csv", "traces/google.csv",
]  # fmt: skip
TICKETS = [
    "tickets.csv", "tickets-presets/jira.csv", "tickets-presets/jira-search.json",
    "tickets-presets/zendesk.csv", "tickets-presets/zendesk.json",
]  # fmt: skip
MEETINGS = [
    "weekly.ics", "meetings.csv", "ics/calconnect.ics", "ics/calconnect3.ics",
    "ics/calconnect4.ics", "ics/event_dt_partstat.ics", "ics/blankTzid.ics",
]  # fmt: skip


def make_app(tmp_path: Path, **store: object) -> Flask:
    return new_app(tmp_path, PSEUDONYM_KEY="stores-test", INTERNAL_DOMAINS=DOMAINS, **store)


@pytest.fixture
def apps(tmp_path: Path, neo4j_target) -> Iterator[dict[str, Flask]]:
    made = {
        "embedded": make_app(tmp_path / "embedded"),
        "neo4j": make_app(
            tmp_path / "neo4j",
            STORE="neo4j",
            NEO4J_URI=neo4j_target.uri,
            NEO4J_USER=neo4j_target.user,
            NEO4J_PASSWORD=neo4j_target.password,
        ),
    }
    with made["neo4j"].app_context():
        get_store().clear()
    try:
        yield made
    finally:
        for app in made.values():
            close_store(app)


def ingest_everything(app: Flask, enron_hr: Path) -> list[str]:
    runner_ = app.test_cli_runner()
    outputs = []
    for kind, names in (
        ("directory", [str(DATA / "hr.csv"), str(enron_hr)]),
        ("email", [str(DATA / n) for n in EMAIL]),
        ("tickets", [str(DATA / n) for n in TICKETS]),
        ("meetings", [str(DATA / n) for n in MEETINGS]),
    ):
        result = runner_.invoke(args=["ingest", kind, *names], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return outputs


def snapshot(app: Flask) -> dict:
    with app.app_context():
        store = get_store()
        return {
            "people": list(store.people()),
            "teams": list(store.teams()),
            "ties": [(t.source, t.target, t.channel, t.month, t.count, round(t.weight, 9),
                      t.first_seen, t.last_seen) for t in store.ties(by_month=True)],
            "counts": store.counts(),
            "tickets": list(store.ticket_facts()),
        }  # fmt: skip


def ledger(app: Flask) -> list[tuple]:
    result = app.test_cli_runner().invoke(args=["ingest-runs", "--json", "--limit", "200"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    return sorted((r["kind"], r["source"], r["status"], json.dumps(r["report"])) for r in runs)


def test_all_channels_give_the_same_results_in_both_stores(apps, tmp_path):
    enron_hr = tmp_path / "enron-hr.csv"
    enron_directory([str(DATA / "enron-org"), str(enron_hr)])
    outputs = {name: ingest_everything(app, enron_hr) for name, app in apps.items()}
    assert outputs["embedded"] == outputs["neo4j"]  # the same reports, line by line
    left, right = snapshot(apps["embedded"]), snapshot(apps["neo4j"])
    assert len(left["tickets"]) == 14 and any(f.group for f in left["tickets"])
    assert left == right
    counts = left["counts"].as_dict()
    assert (counts["people"], counts["teams"], counts["departments"]) == (36, 11, 7)
    assert counts["channels"] == {
        "email": {"interactions": 21, "pairs": 15},
        "meeting": {"interactions": 26, "pairs": 10},
        "ticket": {"interactions": 12, "pairs": 8},
    }
    assert ledger(apps["embedded"]) == ledger(apps["neo4j"])
    assert len(ledger(apps["embedded"])) == 2 + len(EMAIL) + len(TICKETS) + len(MEETINGS)
    again = {name: ingest_everything(app, enron_hr) for name, app in apps.items()}
    assert again["embedded"] == again["neo4j"]
    assert snapshot(apps["embedded"]) == left == snapshot(apps["neo4j"])  # re-ingesting: no change


def test_a_strict_failure_on_the_third_record_stores_nothing_in_either_store(apps):
    mbox = DATA / "sample.mbox"  # message 2 has no Date; messages 0 and 1 make ties
    for app in apps.values():
        cli = app.test_cli_runner()
        assert cli.invoke(args=["ingest", "directory", str(DATA / "hr.csv")]).exit_code == 0
        before = snapshot(app)
        result = cli.invoke(args=["ingest", "email", "--strict", str(mbox)])
        assert result.exit_code == 1 and "record 2" in result.output
        assert snapshot(app) == before
        [run] = [r for r in _runs(app) if r.source == str(mbox)]
        assert run.status == "failed" and "record 2" in run.error
        listing = cli.invoke(args=["ingest-runs"]).output
        assert "failed email" in listing and "error: " in listing


def test_a_store_write_failing_half_way_rolls_back_the_file(apps, monkeypatch):
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    settings = IdentitySettings(key=b"stores-test", internal_domains=("example.com",))
    for app in apps.values():
        with app.app_context():
            store = get_store()
            app.test_cli_runner().invoke(args=["ingest", "directory", str(DATA / "hr.csv")])
            before = snapshot(app)
            real, calls = store.add_interactions, []

            def flaky(items, real=real, calls=calls):
                calls.append(real(items))  # really written inside the unit, then it fails
                if len(calls) == 2:
                    raise RuntimeError("disk full")
                return calls[-1]

            monkeypatch.setattr(store, "add_interactions", flaky)
            with pytest.raises(RuntimeError, match="disk full"):
                ingest_email([DATA / "sample.mbox"], store, settings)
            monkeypatch.undo()
            monkeypatch.setattr(runner, "BATCH_SIZE", 2)
            assert calls[0] > 0 and snapshot(app) == before
            [run] = [r for r in store.runs() if r.source.endswith("sample.mbox")]
            assert (run.status, run.error) == ("failed", "RuntimeError: disk full")
            with pytest.raises(IngestError):  # a later strict failure is also just a ledger entry
                ingest_email([DATA / "sample.mbox"], store, settings, strict=True)
            assert snapshot(app) == before


def _runs(app: Flask) -> list:
    with app.app_context():
        return get_store().runs(limit=500)
