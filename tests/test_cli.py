"""The CLI contract: ingest, analyze, report, reset, on a real embedded store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.base import Subject
from ingest.identity import pseudonym
from web.jobs import JOBS
from web.store import get_store

DATA = Path(__file__).resolve().parent / "data"
KEY = b"test-key"

ALIAS_MAIL = b"""From ada@example.com Mon Mar  3 09:00:00 2025
From: "Lovelace, Ada" <ada@example.com>
To: grace.hopper@example.com, "Turing, Alan" <alan.turing@example.com>
Date: Mon, 03 Mar 2025 09:00:00 +0000
Message-ID: <alias-1@example.com>
Subject: planning

body is never read

From grace.hopper@example.com Mon Mar  3 10:00:00 2025
From: grace.hopper@example.com
To: ada.lovelace@example.com
Date: Mon, 03 Mar 2025 10:00:00 +0000
Message-ID: <reply-1@example.com>
Subject: Re: planning

fine

"""


def key(address: str) -> str:
    return pseudonym(address, KEY)


@pytest.fixture
def mbox(tmp_path):
    path = tmp_path / "alias.mbox"
    path.write_bytes(ALIAS_MAIL)
    return path


def invoke(runner, *args):
    result = runner.invoke(args=list(args), catch_exceptions=False)
    return result


def test_ingest_directory_then_mail_resolves_aliases(app, runner, mbox):
    result = invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    assert result.exit_code == 0, result.output
    assert "hr.csv: read" in result.output
    result = invoke(runner, "ingest", "email", str(mbox))
    assert result.exit_code == 0, result.output
    assert "new interactions 3" in result.output
    with app.app_context():
        ties = {(t.source, t.target) for t in get_store().ties()}
    ada = key("ada.lovelace@example.com")
    assert ties == {
        (ada, key("grace.hopper@example.com")),
        (ada, key("alan.turing@example.com")),
        (key("grace.hopper@example.com"), ada),
    }


def test_re_ingesting_changes_nothing(app, runner, mbox):
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    invoke(runner, "ingest", "email", str(mbox))
    before = json.loads(invoke(runner, "report", "--json").output)
    again = invoke(runner, "ingest", "email", str(mbox))
    assert "new interactions 0" in again.output
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    assert json.loads(invoke(runner, "report", "--json").output) == before


def test_report_json_counts_channels(runner, mbox):
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    invoke(runner, "ingest", "email", str(mbox))
    report = json.loads(invoke(runner, "report", "--json").output)
    assert report["store"] == "sqlite"
    assert report["counts"]["interactions"] == 3
    assert report["counts"]["channels"] == {"email": {"interactions": 3, "pairs": 3}}
    assert report["counts"]["people"] >= 4


def test_analyze_writes_scores_back(app, runner, mbox):
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    invoke(runner, "ingest", "email", str(mbox))
    result = invoke(runner, "analyze")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pairs"] == 2  # undirected: Ada–Grace, Ada–Alan
    with app.app_context():
        people = get_store().scores(Subject.PERSON)
        teams = get_store().scores(Subject.TEAM)
    assert people[key("ada.lovelace@example.com")]["degree"] == 2.0
    assert teams["Engineering/Platform"]["internal_ties"] == 1.0
    assert teams["Engineering/Platform"]["external_ties"] == 1.0
    report = json.loads(invoke(runner, "report", "--json").output)
    assert set(report["results"]) >= {"isolated_teams", "liaison_scores", "single_liaison_units"}
    with app.app_context():
        store = get_store()
        assert all(store.snapshot_versions(job) == [1] for job in JOBS)


def test_strict_ingest_names_file_record_and_field(runner, tmp_path):
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(
        b"From x Mon Mar  3 09:00:00 2025\nFrom: a@example.com\nTo: b@example.com\n\nno date\n"
    )
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    result = invoke(runner, "ingest", "email", "--strict", str(bad))
    assert result.exit_code == 1
    assert "bad.mbox" in result.output and "Date" in result.output


def test_lenient_ingest_reports_skips(runner, tmp_path):
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(
        b"From x Mon Mar  3 09:00:00 2025\nFrom: a@example.com\nTo: b@example.com\n\nno date\n"
    )
    result = invoke(runner, "ingest", "email", str(bad))
    assert result.exit_code == 0, result.output
    assert "skipped 1" in result.output


def test_missing_path_is_refused(runner, tmp_path):
    result = runner.invoke(args=["ingest", "email", str(tmp_path / "nope.mbox")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_reset_needs_confirmation(app, runner, mbox):
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    refused = invoke(runner, "reset")
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert invoke(runner, "reset", "--yes").exit_code == 0
    with app.app_context():
        assert get_store().counts().people == 0


def test_demo_generates_ingests_and_analyses(app, runner, tmp_path):
    result = invoke(
        runner, "demo", "--people", "60", "--seed", "3", "--out", str(tmp_path / "demo")
    )
    assert result.exit_code == 0, result.output
    for name in ("hr.csv", "mail.mbox", "meetings.ics", "tickets.csv", "truth.json"):
        assert (tmp_path / "demo" / name).is_file()
    report = json.loads(invoke(runner, "report", "--json").output)
    counts = report["counts"]
    assert counts["people"] >= 60
    assert set(counts["channels"]) == {"email", "meeting", "ticket"}
    assert all(c["interactions"] > 0 for c in counts["channels"].values())
    assert report["results"]["liaison_scores"]
    again = invoke(runner, "demo", "--people", "60", "--seed", "3", "--out", str(tmp_path / "demo"))
    assert again.exit_code == 0, again.output
    assert json.loads(invoke(runner, "report", "--json").output)["counts"] == counts
    page = app.test_client().get("/").get_data(as_text=True)
    assert f'id="people">{counts["people"]}<' in page


def test_analyze_window_and_bad_months(app, runner, mbox):
    invoke(runner, "ingest", "directory", str(DATA / "hr.csv"))
    invoke(runner, "ingest", "email", str(mbox))
    result = invoke(runner, "analyze", "--since", "2025-03", "--until", "2025-04", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pairs"] == 2
    assert "[9/9] roles" in result.stderr
    with app.app_context():
        window = get_store().snapshot("liaison").data["window"]
    assert (window["since"], window["until"], window["months"]) == (
        "2025-03-01",
        "2025-04-01",
        ["2025-03"],
    )
    bad = runner.invoke(args=["analyze", "--since", "March"])
    assert bad.exit_code == 2 and "is not a month" in bad.output


def test_ingest_options_that_do_not_fit_are_refused(runner, mbox):
    result = runner.invoke(args=["ingest", "email", "--preset", "jira", str(mbox)])
    assert result.exit_code == 2 and "--preset goes with tickets only" in result.output
