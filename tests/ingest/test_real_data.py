"""The ingest layer on the full real data sets in /work/shared/data.

Skipped (with the reason) when the data sets are not present. Counts are
pinned so that a behaviour change shows up as a diff here.
"""

from __future__ import annotations

import csv
import gzip
import mailbox
from collections import Counter

import pytest

from ingest.errors import IngestError
from ingest.identity import IdentitySettings
from ingest.mail import parse_headers
from ingest.mail import read_maildir
from ingest.mail import read_mbox
from ingest.pipeline import ingest_email
from ingest.pipeline import ingest_meetings
from ingest.pipeline import ingest_tickets
from ingest.records import Channel

from .fakes import MemorySink

pytestmark = pytest.mark.slow
ENRON = IdentitySettings(key=b"real-data-test", internal_domains=("enron.com",))


def test_every_enron_mbox_message_parses_or_is_located(shared):
    files = sorted((shared / "enron-mbox-sample" / "mbox").iterdir())
    parsed, errors = 0, []
    for path in files:
        box = mailbox.mbox(path, create=False)
        try:
            expected = len(box)
        finally:
            box.close()
        records = list(read_mbox(path))
        assert len(records) == expected, path.name
        for record, raw in records:
            try:
                parse_headers(raw, source=str(path), record=record)
                parsed += 1
            except IngestError as err:
                assert err.source == str(path) and err.record == record and err.field
                errors.append(err)
    assert parsed + len(errors) == 4431
    assert errors == []  # the two bogus 2004 dates are well-formed, so they parse


def test_enron_mbox_pipeline(shared):
    sink = MemorySink()
    files = sorted((shared / "enron-mbox-sample" / "mbox").iterdir())
    reports = ingest_email(files, sink, ENRON)
    total = Counter()
    for report in reports:
        total.update(read=report.read, kept=report.kept, ties=report.interactions)
        total.update(report.notes)
    assert total["read"] == 4431
    assert total["duplicate message"] == 108  # copies in two mailboxes, other Message-IDs
    assert total["kept"] == 2772
    assert total["ties"] == len(sink.interactions) == 8141
    assert total["skipped: broadcast (more than 25 recipients)"] == 110
    assert total["skipped: bot sender"] == 89
    assert len(sink.people_by_key) == 1291
    assert all(i.channel is Channel.EMAIL and 0 < i.weight <= 1 for i in sink.interactions.values())
    assert not any(r.skipped for r in reports)


def test_enron_maildir_mini(shared):
    root = shared / "enron-maildir-mini"
    ids = Counter()
    for record, raw in read_maildir(root):
        ids[parse_headers(raw, source=str(root), record=record).message_id] += 1
    assert sum(ids.values()) == 49 and len(ids) == 48  # allen-p/_sent_mail/1. is in both sets
    sink = MemorySink()
    reports = ingest_email([root / "maildir", root / "juparog-test-tgz"], sink, ENRON)
    assert [r.read for r in reports] == [6, 43]
    assert reports[1].notes["duplicate message"] == 1
    assert len(sink.interactions) == sum(r.interactions for r in reports) == 49


def test_servicenow_event_log_ties_every_incident_with_a_requester(shared):
    path = shared / "itsm-incident-event-log" / "incident_event_log.csv.gz"
    sink = MemorySink()
    [report] = ingest_tickets([path], sink, IdentitySettings(key=b"real-data-test"))
    assert report.read == 141712 and not report.skipped
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        requesters: dict[str, set[str]] = {}
        for row in csv.DictReader(handle):
            people = {row["caller_id"], row["opened_by"]} - {"?"}
            requesters.setdefault(row["number"], set()).update(people)
    assert len(requesters) == 24918
    tied = {i.ref for i in sink.interactions.values()}
    without = {n for n, people in requesters.items() if not people}
    assert without == {"INC0012463", "INC0016876"}  # no caller_id nor opened_by in any row
    assert tied == set(requesters) - without
    assert report.notes["tickets with ties"] == 24916
    assert report.interactions == len(sink.interactions) == 112006
    assert report.people_created == len(sink.people_by_key) == 6325
    # service facts: one per incident, summarised per assignment group
    facts = list(sink.facts.values())
    assert report.notes["tickets"] == len(facts) == 24918
    assert sum(1 for f in facts if f.requester) == 24916
    assert sum(1 for f in facts if f.hours_to_resolve is not None) == 23362
    assert sum(1 for f in facts if f.reopen_count) == 275
    assert len(report.service) == 73 and sum(g["tickets"] for g in report.service.values()) == 24918
    assert report.service["Group 70"] == {
        "tickets": 11041,
        "resolved": 9502,
        "median_hours_to_resolve": 0.48,
        "reopened": 102,
        "rated": 0,
        "mean_satisfaction": None,
    }
    assert report.service["Group 25"]["median_hours_to_resolve"] == 113.41


def test_every_real_calendar_ingests_or_is_rejected_with_a_reason(shared):
    paths = sorted((shared / "ics-real-fixtures").glob("*/*.ics"))
    assert len(paths) == 40
    internal = ("example.com", "coffeebean.com")
    sink = MemorySink()
    reports = ingest_meetings(paths, sink, IdentitySettings(key=b"k", internal_domains=internal))
    rejected = {
        r.source.rsplit("/", 1)[1]: [(s.record, s.reason) for s in r.examples]
        for r in reports
        if r.skipped
    }
    assert rejected == {
        "blankTzid.ics": [("file", "unparseable calendar")],
        "issue_27_multiple_periods_in_freebusy_multiple_freebusies.ics": [
            ("file", "no VEVENT with a DTSTART")
        ],
    }
    assert sum(r.read for r in reports) == 12248
    assert sum(r.interactions for r in reports) == len(sink.interactions) == 28
