"""Meetings from iCalendar files (and a small CSV form).

Recurrences (RRULE, RDATE, EXDATE, edited instances) are expanded by
``recurring_ical_events``; nothing here re-implements RFC 5545. Each
occurrence becomes a :class:`Meeting` whose ``ref`` is the UID plus the
occurrence's original start (RECURRENCE-ID), so an edited instance keeps its
identity. Floating times (no zone) are taken as UTC.

Expansion is bounded, as the expander lists every start of a rule from its
DTSTART on before it filters them: a rule that would give more than
:data:`MAX_SERIES_OCCURRENCES` starts up to the end of the window (worked out
from FREQ, INTERVAL, the BY... lists, COUNT and UNTIL before expanding, so
``FREQ=SECONDLY`` is refused at once) or a series that gives more than that
many occurrences makes a bad series; a calendar of more than
:data:`MAX_OCCURRENCES` occurrences in all is refused. An event that gives
DTSTART, DTEND, DURATION, RECURRENCE-ID or UID twice is a bad series too.
Bad series are errors in strict mode and left out otherwise.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Callable
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
from ingest.tabular import readable

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
#: most starts one recurring series may have up to the window's end (hourly for five years fits)
MAX_SERIES_OCCURRENCES = 50_000
#: most occurrences one calendar file may have in the window
MAX_OCCURRENCES = 1_000_000
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
#: properties an event may give once
_ONCE = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "UID")
#: seconds in one period of each FREQ (months and years at their shortest)
_PERIOD = {
    "SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3_600, "DAILY": 86_400,
    "WEEKLY": 7 * 86_400, "MONTHLY": 28 * 86_400, "YEARLY": 365 * 86_400,
}  # fmt: skip
#: BY... parts that add starts within one period, by FREQ (the others only filter)
_EXPANDING = {
    "SECONDLY": (), "MINUTELY": ("BYSECOND",), "HOURLY": ("BYSECOND", "BYMINUTE"),
    "DAILY": ("BYSECOND", "BYMINUTE", "BYHOUR"),
    "WEEKLY": ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY"),
    "MONTHLY": ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY"),
    "YEARLY": ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
               "BYWEEKNO", "BYMONTH"),
}  # fmt: skip


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
    VEVENTs, calendars of more than :data:`MAX_OCCURRENCES` occurrences and
    series the expander rejects or that have more than
    :data:`MAX_SERIES_OCCURRENCES` (unless ``skip_bad_series``).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    # OSError: a TZID too long for a zoneinfo file name; AttributeError and the like:
    # the parser gave up on a malformed component (e.g. BEGIN:VTIEZONE ... END:VTIMEZONE)
    except (ValueError, OSError, AttributeError, TypeError, KeyError, IndexError) as err:
        raise IngestError(
            "unparseable calendar", source=source, record="file", value=_why(err)
        ) from err
    _bad_events(calendar, _given_twice, source=source, drop=skip_bad_series)
    window = window or default_window(calendar, source=source)
    _bad_events(calendar, _too_many_starts(window[1]), source=source, drop=skip_bad_series)
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=skip_bad_series)
        return _occurrences(query, window, source=source, skip_bad_series=skip_bad_series)
    except IngestError:
        raise
    except (ValueError, OverflowError, OSError) as err:  # InvalidCalendar family, bad TZIDs
        raise IngestError(
            "invalid recurrence or time", source=source, record="file", value=_why(err)
        ) from err
    except (AttributeError, TypeError, KeyError, IndexError) as err:  # the expander gave up
        raise IngestError(
            "calendar the recurrence expander cannot read",
            source=source,
            record="file",
            value=f"{type(err).__name__}: {err}",
        ) from err


#: what is wrong with an event (reason, field), or None
Problem = Callable[[icalendar.Event], tuple[str, str] | None]


def _bad_events(calendar: icalendar.Calendar, problem: Problem, *, source: str, drop: bool) -> None:
    """Raise for the first event with a ``problem``, or (with ``drop``) remove every one."""
    for parent in calendar.walk():
        for event in list(parent.subcomponents):
            if event.name != "VEVENT":
                continue
            found = problem(event)
            if found is None:
                continue
            if not drop:
                reason, field = found
                raise IngestError(reason, source=source, record=_uid(event), field=field)
            parent.subcomponents.remove(event)


def _given_twice(event: icalendar.Event) -> tuple[str, str] | None:
    """A one-off property given twice arrives as a list, which the expander cannot read.

    (Several RRULEs are fine: their occurrences are merged.)
    """
    name = next((name for name in _ONCE if isinstance(event.get(name), list)), None)
    return ("property given more than once", name) if name else None


def _too_many_starts(end: datetime) -> Problem:
    """An event with a rule of more than :data:`MAX_SERIES_OCCURRENCES` starts before ``end``."""

    def problem(event: icalendar.Event) -> tuple[str, str] | None:
        rules = event.get("RRULE")
        try:
            first = _utc(event["DTSTART"].dt)
        except (KeyError, AttributeError, ValueError, TypeError, OSError):
            return None  # the expander or parse_occurrence says what is wrong
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            if _starts(rule, first, end) > MAX_SERIES_OCCURRENCES:
                reason = f"recurring series with more than {MAX_SERIES_OCCURRENCES:,} occurrences"
                return reason, "RRULE"
        return None

    return problem


def _starts(rule: object, first: datetime, end: datetime) -> float:
    """About how many starts the expander lists for ``rule`` from ``first`` to ``end``.

    An upper bound for rules it can read; 0 for rules it cannot (it says why).
    """
    if not isinstance(rule, Mapping):
        return 0
    freq = str(_part(rule, "FREQ") or "").upper()
    if freq not in _PERIOD:
        return 0
    try:
        interval = max(int(_part(rule, "INTERVAL") or 1), 1)
        until = _part(rule, "UNTIL")
        stop = min(end, _utc(until)) if isinstance(until, date) else end
        count = _part(rule, "COUNT")
    except (TypeError, ValueError):
        return 0
    periods = max((stop - first).total_seconds(), 0) / (_PERIOD[freq] * interval) + 1
    per_period = math.prod(len(_list(rule.get(name))) or 1 for name in _EXPANDING[freq])
    starts = periods * per_period
    return min(starts, count) if isinstance(count, int) and count > 0 else starts


def _part(rule: Mapping, name: str) -> object:
    values = _list(rule.get(name))
    return values[0] if values else None


def _list(value: object) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _why(err: Exception) -> object:
    """What to say about ``err``; an ``OSError`` (from a TZID looked up as a file) names
    a server path, so it is not quoted; errors the parser did not mean say their type."""
    if isinstance(err, OSError):
        return "a TZID that is no time zone name"
    return err if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"


def _uid(event: icalendar.Event) -> str:
    uid = event.get("UID")
    return str(uid).strip() if isinstance(uid, str) and str(uid).strip() else "(no UID)"


def _occurrences(
    query: recurring_ical_events.CalendarQuery,
    window: tuple[datetime, datetime],
    *,
    source: str,
    skip_bad_series: bool,
) -> list[icalendar.Event]:
    """``query.between(*window)``, series by series, stopping at the limits."""
    # The same steps as CalendarQuery.between, with a count on each series.
    start, end = (query.to_datetime(t) for t in window)
    skipped = tuple(query.suppressed_errors) if skip_bad_series else ()
    events: list[icalendar.Event] = []
    for series in query.series:
        found: list[icalendar.Event] = []
        try:
            for occurrence in series.between(start, end):
                found.append(occurrence.as_component(False))
                if len(found) > MAX_SERIES_OCCURRENCES:
                    raise _TooMany(series)
        except skipped:
            pass  # as the library does: what the series gave before the error stays
        except _TooMany as err:
            if not skip_bad_series:
                raise IngestError(
                    f"recurring series with more than {MAX_SERIES_OCCURRENCES:,} occurrences",
                    source=source,
                    record=err.uid,
                    field="RRULE",
                ) from None
            continue
        events += found
        if len(events) > MAX_OCCURRENCES:
            raise IngestError(
                f"calendar with more than {MAX_OCCURRENCES:,} occurrences",
                source=source,
                record="file",
            )
    return events


class _TooMany(Exception):
    """A series went past :data:`MAX_SERIES_OCCURRENCES`."""

    def __init__(self, series: object) -> None:
        super().__init__()
        self.uid = str(getattr(series, "uid", "") or "(no UID)")


def default_window(calendar: icalendar.Calendar, *, source: str) -> tuple[datetime, datetime]:
    """Earliest DTSTART to :data:`HORIZON` after the latest one."""
    starts = []
    for event in calendar.walk("VEVENT"):
        prop = event.get("DTSTART")
        try:
            value = getattr(prop, "dt", None)
        except (ValueError, OSError) as err:  # OSError: a TZID too long for a file name
            raise IngestError(
                "unparseable DTSTART",
                source=source,
                record=str(event.get("UID", "?")),
                value=_why(err),
            ) from err
        if isinstance(value, date):
            try:
                starts.append(_utc(value))
            except ValueError as err:
                raise IngestError(
                    "DTSTART out of range",
                    source=source,
                    record=str(event.get("UID", "?")),
                    value=value,
                ) from err
    if not starts:
        raise IngestError("no VEVENT with a DTSTART", source=source, record="file")
    latest = max(starts)
    return min(starts), latest + HORIZON if latest < _FAR_FUTURE - HORIZON else _FAR_FUTURE


def parse_occurrence(event: icalendar.Event, *, source: str) -> Meeting:
    """Turn one expanded VEVENT occurrence into a :class:`Meeting`."""
    uid = str(event.get("UID", "")).strip()
    record = uid or "(no UID)"
    try:
        start_value = event["DTSTART"].dt
        end_value = _end(event, start_value)
        original = event.get("RECURRENCE-ID")
        original_start = original.dt if original is not None else start_value
        start, end, original_utc = _utc(start_value), _utc(end_value), _utc(original_start)
    except (KeyError, ValueError, TypeError, OverflowError, OSError) as err:
        raise IngestError("missing or bad DTSTART/DTEND", source=source, record=record) from err
    attendees = tuple(_attendees(event.get("ATTENDEE")))
    organizer = _address(event.get("ORGANIZER"))
    if not uid:  # RFC 5545 requires a UID; fall back to a stable fingerprint
        uid = "nouid-" + _fingerprint(start, organizer, attendees)
    return Meeting(
        ref=f"{uid}/{original_utc.isoformat()}",
        start=start,
        end=end,
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
    """Aware UTC; ``ValueError`` for a time that has no UTC equivalent (before year 1)."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as err:
        raise ValueError(f"{value.isoformat()} is out of range in UTC") from err


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
        with readable(file, lambda: f"line {reader.line_num + 1}"):
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
