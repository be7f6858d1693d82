"""The ingest CLI: the ledger listing, service summaries, presets and mappings."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from web.cli import run_ingest
from web.store import get_store

DATA = Path(__file__).resolve().parents[1] / "data"


def invoke(runner, *args):
    return runner.invoke(args=[str(a) for a in args], catch_exceptions=False)


def test_ingest_runs_lists_the_ledger(runner):
    assert invoke(runner, "ingest-runs").output == "No ingest runs yet.\n"
    invoke(runner, "ingest", "directory", DATA / "hr.csv")
    invoke(runner, "ingest", "email", DATA / "sample.mbox", DATA / "one.eml")
    failed = invoke(runner, "ingest", "email", "--strict", DATA / "sample.mbox")
    assert failed.exit_code == 1
    runs = json.loads(invoke(runner, "ingest-runs", "--json").output)
    assert len(runs) == 4
    assert sorted(r["status"] for r in runs) == ["failed", "ok", "ok", "ok"]
    [bad] = [r for r in runs if r["status"] == "failed"]
    assert "record 2" in bad["error"] and bad["report"]["read"] == 3
    assert {r["kind"] for r in runs} == {"directory", "email"}
    text = invoke(runner, "ingest-runs", "--limit", 2).output
    assert len([line for line in text.splitlines() if not line.startswith("  ")]) == 2
    listing = invoke(runner, "ingest-runs").output
    assert "failed email" in listing and "error: " in listing and "hr.csv: read 6" in listing


def test_ticket_ingest_prints_the_service_summary(runner):
    result = invoke(runner, "ingest", "tickets", DATA / "tickets-presets" / "zendesk.csv")
    assert result.exit_code == 0, result.output
    assert "service by group (2 groups; busiest first):" in result.output
    assert "Service Desk: 2 tickets, 2 resolved, median time to resolve 25.0 h" in result.output


def test_run_ingest_takes_presets_and_mappings(app):
    app.config["INTERNAL_DOMAINS"] = ["example.com"]
    folder = DATA / "tickets-presets"
    with app.app_context():
        [report] = run_ingest(
            "tickets",
            [folder / "helpdesk.csv"],
            strict=False,
            mapping=folder / "helpdesk-mapping.json",
        )
        assert report.notes["tickets"] == 2 and report.skipped == {"unparseable time": 1}
        [report] = run_ingest("tickets", [folder / "jira.csv"], strict=False, preset="jira")
        assert report.notes["tickets with ties"] == 3
        traces = DATA / "traces"
        [report] = run_ingest(
            "email", [traces / "m365.csv"], strict=False, mapping=traces / "m365-mapping.json"
        )
        assert report.skipped == {"missing MessageId": 1}
        assert report.interactions == 3
        assert get_store().counts().channels["email"].interactions == 3


def test_mappings_only_apply_to_tickets_and_email(app):
    with (
        app.app_context(),
        pytest.raises(click.ClickException, match="'preset': goes with tickets only"),
    ):
        run_ingest("meetings", [DATA / "weekly.ics"], strict=False, preset="jira")
    with (
        app.app_context(),
        pytest.raises(click.ClickException, match="'mapping': goes with tickets or email"),
    ):
        run_ingest("meetings", [DATA / "weekly.ics"], strict=False, mapping=DATA / "tickets.json")


def test_a_bad_mapping_is_a_clean_cli_error(app, tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text('{"columns": {"owner": "x"}}', encoding="utf-8")
    with app.app_context(), pytest.raises(click.ClickException, match="unknown field"):
        run_ingest("tickets", [DATA / "tickets.csv"], strict=False, mapping=bad)
