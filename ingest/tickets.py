"""Helpdesk tickets: CSV or JSON rows, mapped to :class:`TicketRow` by a preset.

Exports are often event logs (one row per update, e.g. the UCI ServiceNow
log); every row is parsed on its own and the pipeline dedupes ties per
ticket. Times without an offset are taken as UTC (ticket exports rarely say
which zone they use); day-first ``D/M/YYYY HH:MM[:SS]`` and ISO 8601 are read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO

from ingest.errors import IngestError

__all__ = [
    "PRESETS",
    "TicketRow",
    "parse_ticket_row",
    "read_ticket_rows",
    "read_user_map",
]

MISSING = frozenset({"", "?", "null", "none", "n/a", "nan"})
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")

#: canonical field -> accepted column names, first match wins
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "servicenow": {
        "number": ("number",),
        "requester": ("caller_id",),
        "opener": ("opened_by",),
        "group": ("assignment_group",),
        "assignee": ("assigned_to",),
        "updater": ("sys_updated_by",),
        "resolver": ("resolved_by",),
        "opened_at": ("opened_at",),
        "updated_at": ("sys_updated_at",),
        "resolved_at": ("resolved_at",),
        "closed_at": ("closed_at",),
        "state": ("state", "incident_state"),
        "reopen_count": ("reopen_count",),
        "satisfaction": ("satisfaction",),
    },
}
REQUIRED = ("number", "requester")


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One ticket row (or one event of a ticket's log). People are raw labels."""

    number: str
    requester: str | None = None
    opener: str | None = None
    group: str | None = None
    assignee: str | None = None
    updater: str | None = None
    resolver: str | None = None
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    state: str | None = None
    reopen_count: int | None = None
    satisfaction: int | None = None

    @property
    def when(self) -> datetime | None:
        """The ticket's timestamp for ties: when it was opened, else this update."""
        return self.opened_at or self.updated_at


def columns_for(header: Iterator[str] | list[str], preset: str, *, source: str) -> dict[str, str]:
    """Map canonical fields to the columns present; raise if a required one is missing."""
    try:
        wanted = PRESETS[preset]
    except KeyError as err:
        raise IngestError(
            "unknown ticket preset", source=source, record="header", field="preset", value=preset
        ) from err
    present = set(header)
    found = {f: next((c for c in cols if c in present), "") for f, cols in wanted.items()}
    for name in REQUIRED:
        if not found[name]:
            raise IngestError(
                "missing column",
                source=source,
                record="header",
                field=wanted[name][0],
                value=", ".join(sorted(present))[:120],
            )
    return {f: c for f, c in found.items() if c}


def parse_ticket_row(
    row: Mapping[str, object], columns: Mapping[str, str], *, source: str, record: str
) -> TicketRow:
    """Turn one raw row into a :class:`TicketRow`, or raise :class:`IngestError`."""
    if None in row:
        extra = row[None]  # type: ignore[index]
        raise IngestError("row has extra fields", source=source, record=record, value=extra)
    values = {f: _clean(row.get(c)) for f, c in columns.items()}
    number = values.get("number")
    if not number:
        raise IngestError("missing ticket number", source=source, record=record, field="number")
    where = {"source": source, "record": f"{record} ({number})"}
    times = {
        f: _time(values.get(f), field=columns.get(f, f), **where)
        for f in ("opened_at", "updated_at", "resolved_at", "closed_at")
    }
    return TicketRow(
        number=number,
        **{f: values.get(f) for f in ("requester", "opener", "group", "assignee", "updater")},
        resolver=values.get("resolver"),
        state=values.get("state"),
        reopen_count=_int(values.get("reopen_count"), field="reopen_count", **where),
        satisfaction=_satisfaction(values.get("satisfaction"), **where),
        **times,
    )


def _clean(value: object) -> str | None:
    if isinstance(value, Mapping):  # ServiceNow JSON reference fields
        value = value.get("display_value") or value.get("value")
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in MISSING else text


def _int(value: str | None, *, field: str, source: str, record: str) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError as err:
        raise IngestError(
            "not a number", source=source, record=record, field=field, value=value
        ) from err


def _satisfaction(value: str | None, *, source: str, record: str) -> int | None:
    score = _int(value, field="satisfaction", source=source, record=record)
    if score is not None and not 1 <= score <= 5:
        raise IngestError(
            "satisfaction outside 1-5",
            source=source,
            record=record,
            field="satisfaction",
            value=score,
        )
    return score


def _time(value: str | None, *, field: str, source: str, record: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as err:
        raise IngestError(
            "unparseable time", source=source, record=record, field=field, value=value
        ) from err


@lru_cache(maxsize=65536)
def parse_time(value: str) -> datetime:
    """ISO 8601 or day-first ``D/M/YYYY HH:MM[:SS]``; naive times are UTC."""
    match = _DAY_FIRST.fullmatch(value)
    if match:
        day, month, year, hour, minute, second = match.groups()
        parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    else:
        parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_ticket_rows(
    path: str | os.PathLike[str],
) -> Iterator[tuple[str, Mapping[str, object], list[str]]]:
    """Yield ``(record, row, header)`` from a ticket CSV or JSON file (``.gz`` allowed).

    CSV records are line numbers; JSON records are 1-based item numbers. JSON
    may be a list of objects or an object with a ``result`` or ``records`` list
    (the ServiceNow REST shape).
    """
    file = Path(path)
    if file.name.removesuffix(".gz").endswith(".json"):
        yield from _json_rows(file)
        return
    with _open_text(file) as handle:
        reader = csv.DictReader(handle, dialect="excel")
        header = list(reader.fieldnames or [])
        for row in reader:
            yield str(reader.line_num), row, header


def _json_rows(file: Path) -> Iterator[tuple[str, Mapping[str, object], list[str]]]:
    with _open_text(file) as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as err:
            raise IngestError(
                "invalid JSON", source=str(file), record=f"line {err.lineno}", value=err.msg
            ) from err
    if isinstance(data, Mapping):
        data = data.get("result", data.get("records"))
    if not isinstance(data, list):
        raise IngestError("JSON is not a list of tickets", source=str(file), record="top level")
    header = sorted({k for item in data if isinstance(item, Mapping) for k in item})
    for index, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise IngestError("ticket is not an object", source=str(file), record=str(index))
        yield str(index), item, header


def read_user_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a ``user,email`` CSV mapping ticket-system user labels to addresses."""
    file = Path(path)
    with _open_text(file) as handle:
        reader = csv.DictReader(handle)
        if not {"user", "email"} <= set(reader.fieldnames or []):
            raise IngestError(
                "user map needs columns user,email", source=str(file), record="header"
            )
        return {
            " ".join(row["user"].split()): row["email"].strip()
            for row in reader
            if row["user"] and row["email"]
        }
