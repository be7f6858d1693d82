"""Calendars: expansion, occurrence refs, attendee rules, the CSV form."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from ingest.errors import IngestError
from ingest.ical import expand_calendar
from ingest.ical import parse_meeting_row
from ingest.ical import parse_occurrence
from ingest.ical import read_ics
from ingest.ical import read_meeting_csv
from ingest.ical import skip_reason


def meetings(path, **kw):
    events = expand_calendar(read_ics(path), source=str(path), **kw)
    return [parse_occurrence(e, source=str(path)) for e in events]


def test_weekly_series_is_expanded_with_exdate_and_edited_instance(data):
    weekly = [m for m in meetings(data / "weekly.ics") if m.ref.startswith("weekly-1")]
    assert [m.start for m in weekly] == [
        datetime(2024, 1, 8, 10, tzinfo=UTC),
        datetime(2024, 1, 22, 14, tzinfo=UTC),  # moved from 10:00
        datetime(2024, 1, 29, 10, tzinfo=UTC),
    ]
    assert weekly[1].ref == "weekly-1@example.com/2024-01-22T10:00:00+00:00"  # original start
    assert weekly[0].participants() == (
        "ada.lovelace@example.com",
        "grace.hopper@example.com",
        "alan.turing@example.com",
        "partner@vendor.test",
    )  # the room is not a person
    assert weekly[1].participants() == ("ada.lovelace@example.com", "alan.turing@example.com")


def test_skip_reasons(data):
    reasons = {m.ref.split("/")[0]: skip_reason(m) for m in meetings(data / "weekly.ics")}
    assert reasons == {
        "weekly-1@example.com": None,
        "cancelled-1@example.com": "cancelled meeting",
        "allday-1@example.com": "all-day event",
        "solo-1@example.com": "1-person event",
        "offsite-1@example.com": "event of 24h or more",
    }


def test_window_limits_expansion(data):
    window = (datetime(2024, 1, 20, tzinfo=UTC), datetime(2024, 1, 25, tzinfo=UTC))
    assert [m.ref for m in meetings(data / "weekly.ics", window=window)] == [
        "weekly-1@example.com/2024-01-22T10:00:00+00:00"
    ]


def test_real_lotus_notes_invitation(data):
    found = meetings(data / "ics" / "calconnect.ics")
    assert len(found) == 5  # RRULE FREQ=DAILY;COUNT=5
    assert found[0].organizer == "icalchair@coffeebean.com"
    assert found[0].participants() == ("icalchair@coffeebean.com", "icalparticipant@coffeebean.com")
    assert found[0].start == datetime(2005, 4, 11, 13, tzinfo=UTC)


def test_partstat_and_role_rules_with_odd_folding(data):
    [event] = meetings(data / "ics" / "event_dt_partstat.ics")
    # iamboss is a NON-PARTICIPANT, another@ declined; hcabot's address is
    # folded with two spaces and still recovered
    assert event.participants() == (
        "hcabot@example.com",
        "jdoe@example.com",
        "jqpublic@example.com",
        "tent@example.com",
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("blankTzid.ics", "unparseable calendar"),
        (
            "issue_27_multiple_periods_in_freebusy_multiple_freebusies.ics",
            "no VEVENT with a DTSTART",
        ),
        ("google_birthday.ics", "invalid recurrence or time"),
    ],
)
def test_rejected_calendars_say_why(data, name, reason):
    with pytest.raises(IngestError) as info:
        expand_calendar(read_ics(data / "ics" / name), source=name)
    assert info.value.reason == reason
    assert info.value.record == "file"


def test_bad_series_can_be_skipped(data):
    events = expand_calendar(
        read_ics(data / "ics" / "google_birthday.ics"), source="b", skip_bad_series=True
    )
    assert len(events) == 3


def test_meeting_csv(data):
    rows = list(read_meeting_csv(data / "meetings.csv"))
    first = parse_meeting_row(rows[0][1], source="m", record=rows[0][0])
    assert first.ref == "m1/2016-03-01T10:00:00+00:00"
    assert len(first.participants()) == 4
    with pytest.raises(IngestError) as info:
        parse_meeting_row(rows[2][1], source="m", record=rows[2][0])
    assert (info.value.field, info.value.record) == ("end", "4")


def test_google_export_keeps_local_time_across_daylight_saving(data):
    """A real Google Calendar export: a weekly Europe/Berlin series with an EXDATE."""
    found = meetings(data / "ics" / "google_daylight_saving_time.ics")
    thursdays = [m.start for m in found if m.ref.startswith("7g6502aejkun96i5fenfu6hvc1")]
    assert thursdays[:5] == [
        datetime(2019, 2, 28, 7, 30, tzinfo=UTC),  # 08:30 CET
        datetime(2019, 3, 14, 7, 30, tzinfo=UTC),  # 7 March is an EXDATE
        datetime(2019, 3, 21, 7, 30, tzinfo=UTC),
        datetime(2019, 3, 28, 7, 30, tzinfo=UTC),
        datetime(2019, 4, 4, 6, 30, tzinfo=UTC),  # 08:30 CEST
    ]
    assert datetime(2019, 10, 31, 7, 30, tzinfo=UTC) in thursdays  # back to CET
    counted = [m for m in found if m.ref.startswith("37jkbgv9regint2hqhlmd9risn")]
    assert len(counted) == 6  # RRULE COUNT=6
    assert len(found) == 721
