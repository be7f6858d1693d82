"""Calendar of the demo period: days, daily volumes, time zones, formatting.

All times are integers (POSIX seconds); formatting is done by hand with
English names so the output never depends on the process locale.
"""

from __future__ import annotations

import calendar
import random
import time
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from demo import names as vocab

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ICS_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Timeline:
    """The days of the period with their weights and UTC offsets per office."""

    days: tuple[date, ...]
    midnight: tuple[int, ...]
    weights: tuple[float, ...]
    offsets: dict[str, tuple[int, ...]]
    end: int

    def inside(self, ts: int) -> int:
        """Fold a time that a time zone pushed out of the period back inside it."""
        if ts < self.midnight[0]:
            return self.midnight[0] + (self.midnight[0] - ts) % 3600
        if ts >= self.end:
            return self.end - 1 - (ts - self.end) % 3600
        return ts

    def counts(self, total: int) -> list[int]:
        """Split ``total`` events over the days, proportional to the weights."""
        return spread(total, self.weights)


def add_months(start: date, months: int) -> date:
    """The date ``months`` months after ``start`` (day clamped to month end)."""
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def make_timeline(start: date, months: int) -> Timeline:
    """Build the timeline from ``start`` for ``months`` months."""
    end = add_months(start, months)
    days = tuple(start + timedelta(days=i) for i in range((end - start).days))
    midnight = tuple(calendar.timegm(d.timetuple()) for d in days)
    offsets = {office: _offsets(days, ZoneInfo(zone)) for office, zone in vocab.LOCATIONS.items()}
    weights = tuple(_day_weight(d) for d in days)
    return Timeline(days, midnight, weights, offsets, calendar.timegm(end.timetuple()))


def _offsets(days: tuple[date, ...], zone: ZoneInfo) -> tuple[int, ...]:
    """UTC offset (seconds) of ``zone`` at noon of each day."""
    out = []
    for d in days:
        delta = datetime(d.year, d.month, d.day, 12, tzinfo=zone).utcoffset()
        out.append(int(delta.total_seconds()) if delta is not None else 0)
    return tuple(out)


def _day_weight(d: date) -> float:
    """Relative activity of a day: quiet weekends, August and the holidays."""
    weight = 1.0 if d.weekday() < 5 else 0.04
    if d.month == 8:
        weight *= 0.75
    if (d.month == 12 and d.day >= 23) or (d.month == 1 and d.day == 1):
        weight *= 0.3
    return weight


def spread(total: int, weights: tuple[float, ...] | list[float]) -> list[int]:
    """Integer counts summing exactly to ``total`` (cumulative rounding)."""
    scale = sum(weights) or 1.0
    out, acc, done = [], 0.0, 0
    for w in weights:
        acc += w
        upto = round(total * acc / scale)
        out.append(upto - done)
        done = upto
    return out


def work_second(rng: random.Random) -> int:
    """A second of the local working day (mostly 08:00 to 18:30)."""
    hour = 8 + rng.random() * 10.5 if rng.random() < 0.95 else rng.random() * 24
    return int(hour * 3600)


def rfc2822(ts: int, offset: int) -> str:
    """``Tue, 07 Jan 2025 09:14:03 +0100`` for POSIX ``ts`` seen at ``offset``."""
    tm = time.gmtime(ts + offset)
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return (
        f"{DAY_NAMES[tm.tm_wday]}, {tm.tm_mday:02d} {MONTH_NAMES[tm.tm_mon - 1]} {tm.tm_year} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {sign}{hours:02d}{minutes:02d}"
    )


def asctime(ts: int) -> str:
    """The mbox ``From`` line date, ``Tue Jan  7 08:14:03 2025`` (UTC)."""
    return time.asctime(time.gmtime(ts))


def iso_utc(ts: int) -> str:
    """ISO 8601 UTC, ``2025-01-07T08:14:03Z``."""
    tm = time.gmtime(ts)
    return (
        f"{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T"
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}Z"
    )


def ics_stamp(ts: int, utc: bool = True) -> str:
    """iCalendar date-time: ``20250107T081403Z`` (or floating local form)."""
    tm = time.gmtime(ts)
    text = (
        f"{tm.tm_year:04d}{tm.tm_mon:02d}{tm.tm_mday:02d}T"
        f"{tm.tm_hour:02d}{tm.tm_min:02d}{tm.tm_sec:02d}"
    )
    return text + "Z" if utc else text


def ics_date(ts: int) -> str:
    """iCalendar date, ``20250107``."""
    tm = time.gmtime(ts)
    return f"{tm.tm_year:04d}{tm.tm_mon:02d}{tm.tm_mday:02d}"
