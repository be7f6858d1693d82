"""Times in exports (tickets, message traces): a few unambiguous forms, or a given format.

Read without a format: ISO 8601 (``2016-03-01T10:00:00Z``, ``+0100`` offsets,
any number of fraction digits), day-first ``D/M/YYYY HH:MM[:SS]`` (the
ServiceNow / UCI export), and Jira's ``dd/Mon/yy h:mm AM``. Anything else
(for instance US month-first dates) needs an explicit ``strptime`` format.
Times without an offset are taken as UTC: exports rarely say which zone
they use, and message traces are documented as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from functools import lru_cache

__all__ = ["parse_time"]

_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_MONTH_NAME = re.compile(r"\d{1,2}/[A-Za-z]{3}/\d{2,4} \d{1,2}:\d{2}(?::\d{2})? ?[AaPp][Mm]")
_ZONE_WORD = re.compile(r"\s+(UTC|GMT|Z)$", re.IGNORECASE)


@lru_cache(maxsize=65536)
def parse_time(value: str, fmt: str | None = None) -> datetime:
    """Parse one time (see the module docstring); raise ``ValueError`` when unreadable."""
    if fmt:
        try:
            parsed = datetime.strptime(value, fmt)
        except re.error as err:  # a format naming a field twice, such as %Y%Y
            raise ValueError(f"bad time format {fmt!r}: {err}") from err
    else:
        parsed = _parse(_ZONE_WORD.sub("", value.strip()))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as err:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(f"{value!r} is out of range in UTC") from err


def _parse(value: str) -> datetime:
    match = _DAY_FIRST.fullmatch(value)
    if match:
        day, month, year, hour, minute, second = match.groups()
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    if _MONTH_NAME.fullmatch(value):
        return _month_name(value)
    return datetime.fromisoformat(value.replace("/", "-", 2) if value[4:5] == "/" else value)


def _month_name(value: str) -> datetime:
    text = re.sub(r"\s*([AaPp][Mm])$", r" \1", value)  # %b and %p ignore case
    year = "%Y" if re.search(r"/\d{4} ", text) else "%y"
    seconds = ":%S" if text.count(":") == 2 else ""
    return datetime.strptime(text, f"%d/%b/{year} %I:%M{seconds} %p")
