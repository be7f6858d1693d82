"""One atomic unit and one ledger entry per file; failures leave nothing behind."""

from __future__ import annotations

import pytest

from ingest import runner
from ingest.errors import IngestError
from ingest.pipeline import ingest_directory
from ingest.pipeline import ingest_email
from ingest.pipeline import ingest_meetings
from ingest.pipeline import ingest_tickets

from .fakes import MemorySink


class FailingSink(MemorySink):
    """Fails the n-th ``add_interactions`` call after writing part of it."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.fail_on, self.calls = fail_on, 0

    def add_interactions(self, interactions):
        self.calls += 1
        batch = list(interactions)
        if self.calls == self.fail_on:
            super().add_interactions(batch[:1])  # a partial write, then the failure
            raise RuntimeError("disk full")
        return super().add_interactions(batch)


class BrokenLedger(MemorySink):
    def record_run(self, run):
        if run.status == "failed":
            raise OSError("ledger unavailable")
        super().record_run(run)


def test_every_file_gets_an_ok_entry_with_its_report(loaded, settings, data):
    before = len(loaded.ledger)
    reports = ingest_email([data / "sample.mbox", data / "one.eml"], loaded, settings)
    runs = loaded.runs()[: len(reports)][::-1]
    assert len(loaded.ledger) == before + 2
    assert [r.status for r in runs] == ["ok", "ok"]
    assert [r.report for r in runs] == [r.as_dict() for r in reports]
    assert [(r.kind, r.source) for r in runs] == [("email", r.source) for r in reports]
    assert all(len(r.id) == 32 and int(r.id, 16) >= 0 and not r.error for r in runs)
    assert all(r.started <= r.finished and r.started.utcoffset() is not None for r in runs)
    assert len({r.id for r in loaded.ledger}) == len(loaded.ledger)


def test_strict_failure_on_the_third_record_stores_nothing_of_that_file(loaded, settings, data):
    ingest_email([data / "one.eml"], loaded, settings)
    kept = (dict(loaded.people_by_key), dict(loaded.interactions))
    with pytest.raises(IngestError) as info:
        ingest_email([data / "sample.mbox"], loaded, settings, strict=True)
    assert info.value.record == "2"  # messages 0 and 1 were fine and made ties
    assert (loaded.people_by_key, loaded.interactions) == kept
    failed = loaded.runs()[0]
    assert (failed.status, failed.kind) == ("failed", "email")
    assert failed.source.endswith("sample.mbox") and "record 2" in failed.error
    assert failed.report["read"] == 3 and failed.report["interactions"] == 0


def test_a_store_write_failing_half_way_rolls_the_file_back(settings, data, monkeypatch):
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    sink = FailingSink(fail_on=2)
    ingest_directory([data / "hr.csv"], sink, settings)
    people = dict(sink.people_by_key)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_email([data / "sample.mbox", data / "one.eml"], sink, settings)
    assert sink.calls == 2 and sink.interactions == {} and sink.people_by_key == people
    assert [r.status for r in sink.runs()] == ["failed", "ok"]  # one.eml was never read
    assert sink.runs()[0].error == "RuntimeError: disk full"


def test_the_original_error_survives_a_ledger_failure(settings, data):
    sink = BrokenLedger()
    with pytest.raises(IngestError) as info:
        ingest_email([data / "sample.mbox"], sink, settings, strict=True)
    assert "the failed run could not be recorded: ledger unavailable" in info.value.__notes__[0]
    assert sink.ledger == [] and sink.interactions == {}


def test_re_ingesting_adds_a_run_but_no_data(loaded, settings, data):
    ingest_email([data / "sample.mbox"], loaded, settings)
    snapshot = (dict(loaded.people_by_key), dict(loaded.interactions))
    [again] = ingest_email([data / "sample.mbox"], loaded, settings)
    assert (loaded.people_by_key, loaded.interactions) == snapshot
    assert loaded.runs()[0].status == "ok" and again.interactions == 0


def test_a_rejected_calendar_is_an_ok_run_that_says_why(loaded, settings, data):
    [report] = ingest_meetings([data / "ics" / "blankTzid.ics"], loaded, settings)
    run = loaded.runs()[0]
    assert run.status == "ok" and run.report["skipped"] == {"unparseable calendar": 1}
    assert report.kept == 0


def test_directory_strict_failure_leaves_no_people(settings, data):
    sink = MemorySink()
    with pytest.raises(IngestError):
        ingest_directory([data / "hr_bad.csv"], sink, settings, strict=True)
    assert sink.people_by_key == {} and [r.status for r in sink.ledger] == ["failed"]


def test_ticket_facts_commit_with_the_file(loaded, settings, data):
    [report] = ingest_tickets([data / "tickets.csv"], loaded, settings)
    assert len(loaded.facts) == report.notes["tickets"] == 6 - 2  # two rows are bad
    assert loaded.runs()[0].report["service"] == report.service
    sink = MemorySink()
    with pytest.raises(IngestError):
        ingest_tickets([data / "tickets.csv"], sink, settings, strict=True)
    assert sink.facts == {} and sink.people_by_key == {}
