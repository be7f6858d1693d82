"""What the fuzzers found and what was fixed, one plain test per finding.

Each input here once escaped as a bare exception (``UnicodeDecodeError``,
``OverflowError``, ``RecursionError``, ``TypeError``, ``re.error``,
``AttributeError``) or made the calendar expander run without end. Now each
is a located :class:`~ingest.errors.IngestError` (strict mode) or a counted
skip (lenient mode), and nothing else.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from ingest import ical
from ingest import mail
from ingest import scan
from ingest.errors import IngestError
from ingest.pipeline import ingest_directory
from ingest.pipeline import ingest_email
from ingest.pipeline import ingest_meetings
from ingest.pipeline import ingest_tickets
from ingest.tabular import read_json_rows
from ingest.tabular import read_mapping
from ingest.tickets import FIELDS
from ingest.tickets import PRESETS
from ingest.tickets import read_user_map
from tests.fuzz.harness import PEOPLE
from tests.fuzz.harness import SETTINGS
from tests.ingest.fakes import MemorySink

HR = b"person_id,name,email,department,team\n"
TICKETS = b"number,caller_id,opened_at,reopen_count\n"
TRACE = b"MessageId,Received,SenderAddress,RecipientAddress\n"
MEETINGS = b"uid,organizer,attendees,start,end\n"


def strict_error(ingest, path: Path, *, skipped: bool = True) -> IngestError:
    """The error a strict ingest of ``path`` raises; lenient mode reports it as a skip
    (or, with ``skipped=False``, leaves the bad part out as the module documents)."""
    [report] = ingest([path], MemorySink(PEOPLE), SETTINGS)
    with pytest.raises(IngestError) as caught:
        ingest([path], MemorySink(PEOPLE), SETTINGS, strict=True)
    err = caught.value
    assert (report.skipped[err.reason] >= 1) is skipped, report.skipped
    assert err.source == str(path)
    return err


@pytest.mark.parametrize(
    ("ingest", "name", "content", "line"),
    [
        (ingest_directory, "hr.csv", HR + b"1,Ad\xe9,a@example.com,D,T\n", 2),
        (
            ingest_tickets,
            "t.csv",
            TICKETS + b"INC1,a@example.com,2020-01-01,0\n" * 3 + b"\xff\n",
            5,
        ),
        (ingest_email, "trace.csv", TRACE + b"<1>,2020-01-01,a@example.com,b@example.com\xc3\n", 2),
        (ingest_meetings, "m.csv", MEETINGS + b"u,a@example.com,b@ex\xed\xa0\x80ample.com,,\n", 2),
        (
            ingest_tickets,
            "utf16.csv",
            (TICKETS.decode() + "INC1,a@example.com,,\n").encode("utf-16"),
            1,
        ),
    ],
)
def test_text_that_is_not_utf8_names_its_line(tmp_path, ingest, name, content, line):
    path = tmp_path / name
    path.write_bytes(content)
    err = strict_error(ingest, path)
    assert err.reason == "not UTF-8 text (save the export as UTF-8)"
    assert err.record == f"line {line}"


def test_user_map_that_is_not_utf8(tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(b"user,email\nadmin,a@example.com\nJos\xe9,j@example.com\n")
    with pytest.raises(IngestError, match="not UTF-8") as caught:
        read_user_map(path)
    assert caught.value.record == "line 3"


@pytest.mark.parametrize(
    ("ingest", "name", "content", "field"),
    [
        (ingest_tickets, "t.csv", TICKETS + b"INC1,a@example.com,0001-01-01T00:00:00+01:00,0\n", "opened_at"),
        (ingest_email, "trace.csv", TRACE + b"<1>,0001-01-01T00:30:00+01:00,a@example.com,b@example.com\n", "Received"),
        (ingest_meetings, "m.csv", MEETINGS + b"u,a@example.com,b@example.com,0001-01-01T00:00+05:00,2020-01-01T00:00\n", "start"),
        (ingest_tickets, "big.csv", TICKETS + b"INC1,a@example.com,2020-01-01,1e400\n", "reopen_count"),
        (ingest_tickets, "inf.csv", TICKETS + b"INC1,a@example.com,2020-01-01,-inf\n", "reopen_count"),
    ],
)  # fmt: skip
def test_numbers_and_times_out_of_range_are_bad_fields(tmp_path, ingest, name, content, field):
    path = tmp_path / name
    path.write_bytes(content)
    err = strict_error(ingest, path)
    assert err.field == field and err.record.startswith("2")
    assert err.reason in {"unparseable time", "not a number"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
        (b'{"result": [{"number": ' + b"9" * 5_000 + b"}]}", "invalid JSON"),
        (b"[{]", "invalid JSON"),
    ],
)
def test_json_too_deep_or_too_big(tmp_path, content, reason):
    path = tmp_path / "t.json"
    path.write_bytes(content)
    assert strict_error(ingest_tickets, path).reason == reason


def test_json_lone_surrogates_become_replacement_characters(tmp_path):
    path = tmp_path / "t.json"
    rows = [
        {
            "number": "INC\\ud800",
            "caller_id": "a@example.com",
            "assignment_group": {"x\\udfff": "\\udc00"},
        }
    ]
    path.write_text(json.dumps(rows).replace("\\\\", "\\"))
    [(_, row, header)] = list(read_json_rows(path))
    assert row == {
        "number": "INC\ufffd",
        "caller_id": "a@example.com",
        "assignment_group": {"x\ufffd": "\ufffd"},
    }
    assert "assignment_group.x\ufffd" in header
    "".join(header).encode()  # no surrogates left anywhere


def test_header_paths_of_deep_json_do_not_recurse(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('[{"number": "1", "deep": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}]")
    [(_, _, header)] = list(read_json_rows(path))
    assert len(header) == 902


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (gzip.compress(TICKETS + b"INC1,a@example.com,2020-01-01,0\n")[:-12], "damaged gzip file"),
        (b"not gzip at all", "damaged gzip file"),
        (
            gzip.compress(TICKETS + b'INC1,"' + b"x" * 140_000 + b'",2020-01-01,0\n'),
            "malformed CSV",
        ),
    ],
)
def test_damaged_gzip_and_overlong_fields(tmp_path, content, reason):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(content)
    assert strict_error(ingest_tickets, path).reason == reason


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"columns": {}, "preset": []}, "unknown preset"),
        ({"columns": {}, "preset": {"a": 1}}, "unknown preset"),
        ({"columns": {}, "name": "n" * 101}, "name longer than 100 characters"),
    ],
)
def test_mapping_with_a_preset_that_is_not_text(tmp_path, mapping, reason):
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping))
    with pytest.raises(IngestError) as caught:
        read_mapping(path, fields=FIELDS, presets=PRESETS)
    assert caught.value.reason == reason and caught.value.source == str(path)


def test_time_format_naming_a_field_twice(tmp_path):
    path = tmp_path / "mapping.json"
    path.write_text(
        json.dumps(
            {
                "columns": {"number": "Ticket", "requester": "By", "opened_at": "At"},
                "time_format": "%Y%Y",
            }
        )
    )
    mapping = read_mapping(path, fields=FIELDS, presets=PRESETS)
    export = tmp_path / "t.csv"
    export.write_text("Ticket,By,At\n1,a@example.com,20202020\n")
    with pytest.raises(IngestError) as caught:
        ingest_tickets([export], MemorySink(PEOPLE), SETTINGS, strict=True, mapping=mapping)
    assert caught.value.reason == "unparseable time" and caught.value.field == "At"


def calendar(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e}END:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".encode()


MEETING = (
    "ORGANIZER:mailto:ada.lovelace@example.com\r\nATTENDEE:mailto:grace.hopper@example.com\r\n"
)
GOOD = "UID:good\r\nDTSTART:20240108T100000Z\r\nDTEND:20240108T110000Z\r\n" + MEETING


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;INTERVAL=1",
        "FREQ=DAILY;BYHOUR="
        + ",".join(map(str, range(24)))
        + ";BYMINUTE=0,5,10,15,20,25,30,35,40,45,50,55",
    ],
)
def test_runaway_recurrence_is_a_bad_series_not_a_hang(tmp_path, rule):
    path = tmp_path / "c.ics"
    runaway = f"UID:runaway\r\nDTSTART:20240101T000000Z\r\nDTEND:20240101T000001Z\r\nRRULE:{rule}\r\n{MEETING}"
    path.write_bytes(calendar(runaway, GOOD))
    started = time.perf_counter()
    err = strict_error(ingest_meetings, path, skipped=False)  # lenient: a bad series is dropped
    assert err.record == "runaway" and err.field == "RRULE"
    assert (
        err.reason == f"recurring series with more than {ical.MAX_SERIES_OCCURRENCES:,} occurrences"
    )
    sink = MemorySink(PEOPLE)
    [report] = ingest_meetings([path], sink, SETTINGS)
    assert report.read == 1 and report.kept == 1 and not report.skipped
    assert time.perf_counter() - started < 5  # refused before expanding


def test_calendar_occurrence_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ical, "MAX_OCCURRENCES", 20)
    path = tmp_path / "c.ics"
    daily = (
        "DTSTART:20240101T100000Z\r\nDTEND:20240101T110000Z\r\nRRULE:FREQ=DAILY;COUNT=15\r\n"
        + MEETING
    )
    path.write_bytes(calendar("UID:one\r\n" + daily, "UID:two\r\n" + daily))
    err = strict_error(ingest_meetings, path)
    assert err.reason == "calendar with more than 20 occurrences" and err.record == "file"


def test_property_given_twice(tmp_path):
    path = tmp_path / "c.ics"
    twice = (
        "UID:twice\r\nDTSTART:20240108T100000Z\r\nDTSTART:20240109T100000Z\r\nDTEND:20240108T110000Z\r\n"
        + MEETING
    )
    path.write_bytes(calendar(twice, GOOD))
    err = strict_error(ingest_meetings, path, skipped=False)
    assert (err.reason, err.record, err.field) == (
        "property given more than once",
        "twice",
        "DTSTART",
    )
    [report] = ingest_meetings([path], MemorySink(PEOPLE), SETTINGS)
    assert report.read == 1 and report.kept == 1  # lenient: only the good event


@pytest.mark.parametrize(
    "start",
    ["00010101T000000", "99991231T000000Z"],
)
def test_calendar_times_at_the_ends_of_the_datetime_range(tmp_path, start):
    path = tmp_path / "c.ics"
    path.write_bytes(
        calendar(f"UID:edge\r\nDTSTART;TZID=Asia/Tokyo:{start}\r\nDURATION:PT1H\r\n{MEETING}")
    )
    for strict in (False, True):
        try:
            ingest_meetings([path], MemorySink(PEOPLE), SETTINGS, strict=strict)
        except IngestError as err:
            assert strict and err.source == str(path) and err.record


def test_long_but_reasonable_series_are_still_expanded(tmp_path):
    path = tmp_path / "c.ics"
    hourly = "UID:hourly\r\nDTSTART:20240101T000000Z\r\nDTEND:20240101T003000Z\r\nRRULE:FREQ=HOURLY;COUNT=3000\r\n"
    path.write_bytes(
        calendar(
            hourly + MEETING,
            "UID:old\r\nDTSTART:19900101T100000Z\r\nDTEND:19900101T110000Z\r\nRRULE:FREQ=DAILY\r\n"
            + MEETING,
        )
    )
    [report] = ingest_meetings([path], MemorySink(PEOPLE), SETTINGS, strict=True)
    end = datetime(2024, 1, 1) + ical.HORIZON  # the window: the latest DTSTART plus the horizon
    days = math.ceil((end - datetime(1990, 1, 1, 10)) / timedelta(days=1))
    assert report.read == 3000 + days


# -- e-mail headers ------------------------------------------------------------------------------

DATE = b"Date: Tue, 5 Mar 2024 10:00:01 +0100\n"


def parse(block: bytes) -> mail.MailHeader | IngestError:
    """The slow path's record or error, and the fast path agreeing when it takes the block."""
    try:
        outcome: mail.MailHeader | IngestError = mail.parse_headers(
            block, source="f.mbox", record="3"
        )
    except IngestError as err:
        outcome = err
    fast = scan.fast_header(block)
    assert fast is None or fast == outcome
    return outcome


def test_address_comments_nested_past_the_recursion_limit_are_not_addresses():
    deep = b"(" * 5_000
    sender = parse(b"From: " + deep + b"\n" + DATE)
    assert isinstance(sender, IngestError)
    assert (sender.reason, sender.field) == ("From has no address", "From")
    header = parse(b"From: a@example.com\nTo: " + deep + b"\nCc: b@example.com\n" + DATE)
    assert isinstance(header, mail.MailHeader)
    assert header.recipients == ("b@example.com",) and header.invalid == 1


@pytest.mark.parametrize(
    "date",
    [
        b"Tue, 5 Mar 99999999999999999999 10:00:01 +0100",
        b"Tue, 99999999999 Mar 2024 10:00:01 +0100",
        b"Tue, 5 Mar 2024 99999999999:00:01 +0100",
    ],
)
def test_huge_numbers_in_the_date(date):
    outcome = parse(b"From: a@example.com\nDate: " + date + b"\n")
    assert isinstance(outcome, IngestError)
    assert (outcome.reason, outcome.field) == ("unparseable Date", "Date")


def test_encoded_word_with_a_charset_name_that_is_not_ascii():
    outcome = parse("From: =?\u202eutf-8?q?Ada?= <ada@example.com>\n".encode() + DATE)
    assert isinstance(outcome, mail.MailHeader)
    assert outcome.sender.address == "ada@example.com"
    assert outcome.sender.name.endswith("utf-8?q?Ada?=")  # kept as written


def test_one_bad_message_does_not_stop_an_mbox(tmp_path):
    path = tmp_path / "m.mbox"
    good = (
        b"From x\nFrom: ada.lovelace@example.com\nTo: grace.hopper@example.com\n"
        + DATE
        + b"\nbody\n"
    )
    path.write_bytes(
        good + b"From x\nFrom: a@example.com\nDate: Tue, 5 Mar 99999999999 10:00 +0100\n\n" + good
    )
    [report] = ingest_email([path], MemorySink(PEOPLE), SETTINGS)
    assert report.read == 3 and report.skipped == {"unparseable Date": 1}


def test_time_zone_name_too_long_for_a_file_name(tmp_path):
    path = tmp_path / "c.ics"
    zone = "Eastern" + "é" * 200
    path.write_bytes(calendar(f"UID:tz\r\nDTSTART;TZID={zone}:20240108T100000\r\n{MEETING}"))
    err = strict_error(ingest_meetings, path)
    assert err.reason == "unparseable calendar" and err.value == "a TZID that is no time zone name"
    assert "site-packages" not in str(err)


def test_component_begun_and_ended_under_different_names(tmp_path):
    path = tmp_path / "c.ics"
    zone = (
        "BEGIN:VTIEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    path.write_bytes(calendar(GOOD).replace(b"BEGIN:VEVENT", zone.encode() + b"BEGIN:VEVENT", 1))
    err = strict_error(ingest_meetings, path)
    assert err.reason == "unparseable calendar" and err.value.startswith("AttributeError")


def test_encoded_word_with_a_nul_in_its_charset_name():
    outcome = parse(b"From: =?ut\x00f-8?q?Ada?= <ada@example.com>\n" + DATE)
    assert isinstance(outcome, mail.MailHeader)
    assert outcome.sender.address == "ada@example.com"
