"""Meetings from iCalendar files (and a small CSV form).

Recurrences (RRULE, RDATE, EXDATE, edited instances) are expanded by
``recurring_ical_events``; nothing here re-implements RFC 5545. Each
occurrence becomes a :class:`Meeting` whose ``ref`` is the UID plus the
occurrence's original start (RECURRENCE-ID), so an edited instance keeps its
identity. Floating times (no zone) are taken as UTC.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import icalendar
import recurring_ical_events

from ingest.errors import IngestError
from ingest.identity import canonical_address

__all__ = [
    "Attendee",
    "Meeting",
    "default_window",
    "expand_calendar",
    "parse_meeting_row",
    "parse_occurrence",
    "read_ics",
    "read_meeting_csv",
    "skip_reason",
]

#: how far past the last explicit DTSTART open-ended recurrences are expanded
HORIZON = timedelta(days=366)
MAX_DURATION = timedelta(hours=24)
NOT_PEOPLE = frozenset({"ROOM", "RESOURCE", "UNKNOWN"})
MEETING_CSV_COLUMNS = ("uid", "organizer", "attendees", "start", "end")


@dataclass(frozen=True, slots=True)
class Attendee:
    """An attendee's canonical address and iCalendar parameters (upper-case)."""

    address: str
    partstat: str = "NEEDS-ACTION"
    cutype: str = "INDIVIDUAL"
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True, slots=True)
class Meeting:
    """One occurrence of a meeting; times are aware UTC (all-day: midnight UTC)."""

    ref: str
    start: datetime
    end: datetime
    organizer: str | None
    attendees: tuple[Attendee, ...]
    status: str = "CONFIRMED"
    all_day: bool = False

    def participants(self) -> tuple[str, ...]:
        """Organiser plus attendees who did not decline, without rooms; deduplicated."""
        people = [self.organizer] if self.organizer else []
        people += [
            a.address
            for a in self.attendees
            if a.partstat != "DECLINED"
            and a.cutype not in NOT_PEOPLE
            and a.role != "NON-PARTICIPANT"
        ]
        return tuple(dict.fromkeys(people))


def skip_reason(meeting: Meeting) -> str | None:
    """Why a meeting makes no tie (cancelled, all-day, 24h+, one person), else None."""
    if meeting.status == "CANCELLED":
        return "cancelled meeting"
    if meeting.all_day:
        return "all-day event"
    if meeting.end - meeting.start >= MAX_DURATION:
        return "event of 24h or more"
    if len(meeting.participants()) < 2:
        return "1-person event"
    return None


def read_ics(path: str | os.PathLike[str]) -> bytes:
    """Read an ``.ics`` file (a missing path raises ``FileNotFoundError``)."""
    return Path(path).read_bytes()


def expand_calendar(
    data: bytes,
    *,
    source: str,
    window: tuple[datetime, datetime] | None = None,
    skip_bad_series: bool = False,
) -> list[icalendar.Event]:
    """Parse a calendar and return its VEVENT occurrences inside ``window``.

    Without a window, occurrences from the earliest DTSTART to one
    :data:`HORIZON` after the latest are returned. Raises
    :class:`IngestError` for unparseable calendars, calendars without
    VEVENTs and series the expander rejects (unless ``skip_bad_series``).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as err:
        raise IngestError("unparseable calendar", source=source, record="file", value=err) from err
    window = window or default_window(calendar, source=source)
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=skip_bad_series)
        return list(query.between(*window))
    except ValueError as err:  # the library's InvalidCalendar family
        raise IngestError(
            "invalid recurrence or time", source=source, record="file", value=err
        ) from err


def default_window(calendar: icalendar.Calendar, *, source: str) -> tuple[datetime, datetime]:
    """Earliest DTSTART to :data:`HORIZON` after the latest one."""
    starts = []
    for event in calendar.walk("VEVENT"):
        prop = event.get("DTSTART")
        try:
            value = getattr(prop, "dt", None)
        except ValueError as err:
            raise IngestError(
                "unparseable DTSTART", source=source, record=str(event.get("UID", "?")), value=err
            ) from err
        if isinstance(value, date):
            starts.append(_utc(value))
    if not starts:
        raise IngestError("no VEVENT with a DTSTART", source=source, record="file")
    return min(starts), max(starts) + HORIZON


def parse_occurrence(event: icalendar.Event, *, source: str) -> Meeting:
    """Turn one expanded VEVENT occurrence into a :class:`Meeting`."""
    uid = str(event.get("UID", "")).strip()
    record = uid or "(no UID)"
    try:
        start_value = event["DTSTART"].dt
        end_value = _end(event, start_value)
        original = event.get("RECURRENCE-ID")
        original_start = original.dt if original is not None else start_value
    except (KeyError, ValueError, TypeError) as err:
        raise IngestError("missing or bad DTSTART/DTEND", source=source, record=record) from err
    start = _utc(start_value)
    attendees = tuple(_attendees(event.get("ATTENDEE")))
    organizer = _address(event.get("ORGANIZER"))
    if not uid:  # RFC 5545 requires a UID; fall back to a stable fingerprint
        uid = "nouid-" + _fingerprint(start, organizer, attendees)
    return Meeting(
        ref=f"{uid}/{_utc(original_start).isoformat()}",
        start=start,
        end=_utc(end_value),
        organizer=organizer,
        attendees=attendees,
        status=str(event.get("STATUS", "CONFIRMED")).upper(),
        all_day=not isinstance(start_value, datetime),
    )


def _end(event: icalendar.Event, start: date) -> date:
    if event.get("DTEND") is not None:
        return event["DTEND"].dt
    if event.get("DURATION") is not None:
        return start + event["DURATION"].dt
    return start + timedelta(days=1) if not isinstance(start, datetime) else start


def _utc(value: date) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _address(prop: object) -> str | None:
    # Addresses never contain white space; some writers fold lines with two
    # spaces, which leaves one inside the address after unfolding.
    return canonical_address("".join(str(prop).split())) if prop is not None else None


def _attendees(prop: object) -> Iterator[Attendee]:
    for item in prop if isinstance(prop, list) else [prop] if prop is not None else []:
        address = _address(item)
        if address:
            params = getattr(item, "params", {})
            yield Attendee(
                address,
                partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                cutype=str(params.get("CUTYPE", "INDIVIDUAL")).upper(),
                role=str(params.get("ROLE", "REQ-PARTICIPANT")).upper(),
            )


def _fingerprint(start: datetime, organizer: str | None, attendees: tuple[Attendee, ...]) -> str:
    raw = "\x1f".join([start.isoformat(), organizer or "", *sorted(a.address for a in attendees)])
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def read_meeting_csv(path: str | os.PathLike[str]) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Yield ``(line number, row)`` from a ``uid,organizer,attendees,start,end`` CSV."""
    file = Path(path)
    with open(file, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in MEETING_CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise IngestError(
                "missing column", source=str(file), record="header", field=", ".join(missing)
            )
        for row in reader:
            yield str(reader.line_num), row


def parse_meeting_row(row: Mapping[str, str], *, source: str, record: str) -> Meeting:
    """Turn a meeting CSV row into a :class:`Meeting` (attendees ``;``-separated)."""
    uid = (row.get("uid") or "").strip()
    if not uid:
        raise IngestError("missing uid", source=source, record=record, field="uid")
    start = _iso(row, "start", source=source, record=record)
    end = _iso(row, "end", source=source, record=record)
    if end < start:
        raise IngestError("end before start", source=source, record=record, field="end")
    attendees = tuple(
        Attendee(a) for a in map(canonical_address, (row.get("attendees") or "").split(";")) if a
    )
    return Meeting(
        ref=f"{uid}/{start.isoformat()}",
        start=start,
        end=end,
        organizer=canonical_address(row.get("organizer") or ""),
        attendees=attendees,
    )


def _iso(row: Mapping[str, str], field: str, *, source: str, record: str) -> datetime:
    value = (row.get(field) or "").strip()
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError as err:
        raise IngestError(
            "unparseable time", source=source, record=record, field=field, value=value
        ) from err
