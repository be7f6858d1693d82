"""End to end through the pipeline into a recording in-memory store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingest import runner
from ingest.errors import IngestError
from ingest.identity import pseudonym
from ingest.pipeline import ingest_directory
from ingest.pipeline import ingest_email
from ingest.pipeline import ingest_meetings
from ingest.pipeline import ingest_tickets
from ingest.records import Channel

from .fakes import MemorySink


def key(settings, address):
    return pseudonym(address, settings.key)


def pairs(sink, channel):
    return {
        (i.source, i.target, round(i.weight, 4))
        for i in sink.interactions.values()
        if i.channel is channel
    }


# --- directory ---------------------------------------------------------------


def test_directory_loads_people(sink, settings, data):
    [report] = ingest_directory([data / "hr.csv"], sink, settings)
    assert (report.read, report.kept, report.people_created, report.people_matched) == (6, 6, 6, 0)
    assert report.notes == {"unknown manager_id (manager left empty)": 1}
    ada = sink.people_by_key[key(settings, "ada.lovelace@example.com")]
    assert (ada.name, ada.department, ada.team) == ("Ada Lovelace", "Engineering", "Platform")


def test_directory_reload_matches_instead_of_creating(loaded, settings, data):
    [report] = ingest_directory([data / "hr.csv"], loaded, settings)
    assert (report.people_created, report.people_matched) == (0, 6)


def test_directory_bad_rows_lenient_and_strict(sink, settings, data):
    [report] = ingest_directory([data / "hr_bad.csv"], sink, settings)
    assert (report.read, report.kept) == (6, 2)
    assert report.skipped == {
        "duplicate person_id": 1,
        "not an e-mail address": 1,
        "address belongs to another person": 1,
        "missing name": 1,
    }
    with pytest.raises(IngestError, match="duplicate person_id"):
        ingest_directory([data / "hr_bad.csv"], MemorySink(), settings, strict=True)


# --- e-mail ------------------------------------------------------------------


def test_email_sample_mbox(loaded, settings, data):
    [report] = ingest_email([data / "sample.mbox"], loaded, settings)
    assert report.read == 16
    assert report.skipped == {
        "missing Date": 1,
        "Date has no UTC offset": 1,
        "missing From": 1,
        "unparseable Date": 1,
    }
    assert report.examples[0].record == "2"
    assert report.notes == {
        "duplicate message": 1,
        "external recipient left out": 1,
        "skipped: bot sender": 1,
        "skipped: list mail (List-Id)": 1,
        "skipped: broadcast (more than 3 recipients)": 1,
        "skipped: external sender": 1,
        "skipped: automated mail (Auto-Submitted/Precedence)": 2,
        "skipped: personal sender": 1,
    }
    ada, grace, alan = (
        key(settings, f"{n}@example.com") for n in ("ada.lovelace", "grace.hopper", "alan.turing")
    )
    ghopper = key(settings, "ghopper@example.com")
    assert pairs(loaded, Channel.EMAIL) == {
        (ada, grace, 0.3333),  # 3 recipients, one external
        (ada, alan, 0.3333),
        (grace, ada, 1.0),  # alovelace@ resolved by the name heuristic; Latin-1 name
        (grace, ada, 1.0),  # undisclosed-recipients + Cc
        (alan, ghopper, 1.0),  # ambiguous name form: a new person
    }
    assert (report.kept, report.interactions) == (4, 5)
    assert (report.people_created, report.people_matched) == (1, 3)
    assert loaded.people_by_key[ghopper].name == ""


def test_email_reingest_is_a_no_op(loaded, settings, data):
    ingest_email([data / "sample.mbox"], loaded, settings)
    before = dict(loaded.interactions)
    [again] = ingest_email([data / "sample.mbox"], loaded, settings)
    assert again.interactions == 0 and again.people_created == 0
    assert loaded.interactions == before


def test_email_strict_raises_the_first_error(loaded, settings, data):
    with pytest.raises(IngestError) as info:
        ingest_email([data / "sample.mbox"], loaded, settings, strict=True)
    assert (info.value.record, info.value.field) == ("2", "Date")


def test_email_detects_maildir_eml_and_mbox(loaded, settings, data):
    reports = ingest_email(
        [data / "maildir", data / "one.eml", data / "enron-sample.mbox"], loaded, settings
    )
    assert [r.read for r in reports] == [2, 1, 6]
    assert reports[1].notes["duplicate message"] == 1  # the maildir's cur/ message, new Message-ID
    assert reports[2].notes["duplicate message"] == 3  # the same 3 messages in two mailboxes


def test_enron_copies_collapse_to_one_event(sink, data):
    from ingest.identity import IdentitySettings

    enron = IdentitySettings(key=b"k", internal_domains=("enron.com",))
    [report] = ingest_email([data / "enron-sample.mbox"], sink, enron)
    assert report.notes["duplicate message"] == 3
    assert report.notes["skipped: no internal recipient"] == 1  # sent to dl-ga-all_enron_worldwide1
    assert report.notes["list recipient left out"] == 1
    assert report.interactions == 3  # sanders->haedicke, lavorato->whalley, lavorato->haedicke
    assert sorted(round(i.weight, 2) for i in sink.interactions.values()) == [0.5, 0.5, 1.0]


def test_missing_path_is_an_error_even_when_lenient(loaded, settings, tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        ingest_email([tmp_path / "typo.mbox"], loaded, settings)
    assert not (tmp_path / "typo.mbox").exists()


def test_batches_and_progress(loaded, settings, data, monkeypatch):
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    monkeypatch.setattr(runner, "PROGRESS_EVERY", 5)
    seen = []
    ingest_email([data / "sample.mbox"], loaded, settings, progress=seen.append)
    assert seen == [5, 10, 15, 16]
    assert max(loaded.batches) <= 3  # a batch is flushed once it reaches the size


# --- meetings ----------------------------------------------------------------


def test_meetings_ics(loaded, settings, data):
    [report] = ingest_meetings([data / "weekly.ics"], loaded, replace(settings, broadcast_cutoff=4))
    ada, grace, alan = (
        key(settings, f"{n}@example.com") for n in ("ada.lovelace", "grace.hopper", "alan.turing")
    )
    assert report.read == 7 and report.kept == 3
    assert report.interactions == 7  # 3 pairs x 2 weekly occurrences + 1 pair in the edited one
    assert pairs(loaded, Channel.MEETING) == {
        tuple(sorted((ada, grace))) + (0.3333,),
        tuple(sorted((ada, alan))) + (0.3333,),
        tuple(sorted((grace, alan))) + (0.3333,),
        tuple(sorted((ada, alan))) + (1.0,),
    }
    assert report.notes["skipped: cancelled meeting"] == 1
    assert report.notes["skipped: all-day event"] == 1
    assert report.notes["skipped: 1-person event"] == 1
    assert report.notes["skipped: event of 24h or more"] == 1
    assert report.notes["external participant left out"] == 2


def test_meetings_rejected_files_are_reported(loaded, settings, data):
    ics = data / "ics"
    reports = ingest_meetings([ics / "blankTzid.ics", ics / "calconnect.ics"], loaded, settings)
    assert reports[0].skipped == {"unparseable calendar": 1}
    assert reports[1].read == 5 and not reports[1].skipped
    with pytest.raises(IngestError, match="unparseable calendar"):
        ingest_meetings([ics / "blankTzid.ics"], loaded, settings, strict=True)


def test_same_meeting_in_two_files_counts_once(sink, data):
    from ingest.identity import IdentitySettings

    lotus = IdentitySettings(key=b"k", internal_domains=("coffeebean.com",))
    ics = data / "ics"
    first, second = ingest_meetings([ics / "calconnect3.ics", ics / "calconnect4.ics"], sink, lotus)
    assert first.interactions == 5
    assert second.kept == 5 and second.interactions == 0  # an update of the same UID


def test_meetings_csv(loaded, settings, data):
    [report] = ingest_meetings([data / "meetings.csv"], loaded, settings)
    assert report.skipped == {"unparseable time": 1}
    assert report.notes["skipped: large meeting (more than 3 participants)"] == 1
    assert report.notes["skipped: fewer than 2 internal participants"] == 1  # ada + an outsider
    [report] = ingest_meetings(
        [data / "meetings.csv"], loaded, replace(settings, broadcast_cutoff=4)
    )
    assert report.interactions == 3


# --- tickets -----------------------------------------------------------------


def test_tickets_csv(loaded, settings, data):
    [report] = ingest_tickets([data / "tickets.csv"], loaded, settings)
    grace, alan = (
        key(settings, "grace.hopper@example.com"),
        key(settings, "alan.turing@example.com"),
    )
    linus = key(settings, "linus.ops@example.com")
    caller = pseudonym("tickets:servicenow:Caller 2403", settings.key)
    resolver = pseudonym("tickets:servicenow:Resolver 149", settings.key)
    assert report.skipped == {"unparseable time": 1, "not a number": 1}
    assert report.notes["row without requester"] == 1
    assert report.notes["skipped: personal requester"] == 1
    assert report.notes["tickets with ties"] == 2
    got = pairs(loaded, Channel.TICKET)
    assert (grace, alan, 1.0) in got and (grace, linus, 1.0) in got  # "Linus Ops" by name
    assert (caller, resolver, 1.0) in got
    assert report.interactions == 4  # INC0001 alan once (two rows), linus; INC0002 two
    assert report.people_created == 3  # Caller 2403, Resolver 149, Updated by 21


def test_tickets_json_with_user_map(loaded, settings, data):
    from ingest.tickets import read_user_map

    users = read_user_map(data / "users.csv")
    [report] = ingest_tickets([data / "tickets.json"], loaded, settings, user_map=users)
    kj, alan = (
        key(settings, "katherine.johnson@example.com"),
        key(settings, "alan.turing@example.com"),
    )
    grace = key(settings, "grace.hopper@example.com")
    assert pairs(loaded, Channel.TICKET) == {(kj, alan, 1.0), (grace, alan, 1.0)}
    assert report.people_created == 0


def test_tickets_bad_header_lenient(loaded, settings, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,who\n1,x\n", encoding="utf-8")
    [report] = ingest_tickets([path], loaded, settings)
    assert report.skipped == {"no ticket preset fits the columns (give a mapping)": 1}
    [report] = ingest_tickets([path], loaded, settings, preset="servicenow")
    assert report.skipped == {"missing column": 1}
