"""Helpdesk tickets: CSV or JSON rows, mapped to :class:`TicketRow` by a preset or mapping.

Presets name, for each canonical field, the columns (CSV headers or dotted
JSON paths) that may hold it, in preference order; each row takes the first
of them that has a value. ``servicenow`` reads the CSV/REST exports and the
UCI event log, ``jira`` the issue-navigator CSV and the REST search JSON
(``issues[].fields.reporter.emailAddress`` ...), ``zendesk`` the ticket CSV
and the API JSON (``tickets[].requester_id``, ``satisfaction_rating.score``
...). Without a preset the one whose columns fit the header best is used.
A user mapping (:func:`read_mapping`) overrides or replaces preset columns.

Exports are often event logs (one row per update, e.g. the UCI ServiceNow
log); every row is parsed on its own and the pipeline dedupes ties per
ticket. See :mod:`ingest.times` for the time formats read.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.errors import IngestError
from ingest.tabular import ColumnMapping
from ingest.tabular import Row
from ingest.tabular import find_columns
from ingest.tabular import lookup
from ingest.tabular import open_text
from ingest.tabular import read_mapping as read_mapping_file
from ingest.tabular import read_rows
from ingest.tabular import readable
from ingest.times import parse_time

__all__ = [
    "FIELDS",
    "PRESETS",
    "TicketMapping",
    "TicketRow",
    "columns_for",
    "detect_preset",
    "parse_ticket_row",
    "parse_time",
    "read_mapping",
    "read_ticket_rows",
    "read_user_map",
]

MISSING = frozenset({"", "?", "null", "none", "n/a", "nan", "-"})
TIME_FIELDS = ("opened_at", "updated_at", "resolved_at", "closed_at")
LABEL_FIELDS = ("requester", "opener", "group", "assignee", "updater", "resolver", "state")
FIELDS = ("number", *LABEL_FIELDS, *TIME_FIELDS, "reopen_count", "satisfaction")
REQUIRED = ("number", "requester")
#: longest ticket number (Neo4j cannot index much longer keys)
MAX_NUMBER = 1_000
#: what stands for an object value (reference field, user, component), first found
_OBJECT_KEYS = ("display_value", "value", "emailAddress", "email", "name", "displayName")
#: Zendesk-style ratings; ``offered``/``unoffered`` mean not rated
RATINGS = {"good": 1.0, "bad": 0.0, "offered": None, "unoffered": None}

#: preset -> canonical field -> accepted columns, in preference order
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
    "jira": {
        "number": ("Issue key", "key"),
        "requester": ("Reporter", "fields.reporter.emailAddress", "fields.reporter.displayName"),
        "opener": ("Creator", "fields.creator.emailAddress", "fields.creator.displayName"),
        "group": ("Component/s", "fields.components"),
        "assignee": ("Assignee", "fields.assignee.emailAddress", "fields.assignee.displayName"),
        "opened_at": ("Created", "fields.created"),
        "updated_at": ("Updated", "fields.updated"),
        "resolved_at": ("Resolved", "fields.resolutiondate"),
        "state": ("Status", "fields.status.name"),
        "satisfaction": ("Satisfaction rating", "Custom field (Satisfaction rating)"),
    },
    "zendesk": {
        "number": ("id", "Id", "Ticket ID"),
        "requester": ("requester.email", "Requester email", "requester_id", "Requester"),
        "opener": ("submitter.email", "Submitter email", "submitter_id", "Submitter"),
        "group": ("group.name", "Group", "group_id"),
        "assignee": ("assignee.email", "Assignee email", "assignee_id", "Assignee"),
        "opened_at": ("created_at", "Created at"),
        "updated_at": ("updated_at", "Updated at"),
        "resolved_at": ("solved_at", "metric_set.solved_at", "Solved at"),
        "state": ("status", "Status"),
        "reopen_count": ("metric_set.reopens", "Reopens"),
        "satisfaction": ("satisfaction_rating.score", "Satisfaction Score", "Satisfaction"),
    },
}


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One ticket row (or one event of a ticket's log). People are raw labels.

    ``satisfaction`` is on a 0–1 scale (see :class:`ingest.records.TicketFact`).
    """

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
    satisfaction: float | None = None

    @property
    def when(self) -> datetime | None:
        """The ticket's timestamp for ties: when it was opened, else this update."""
        return self.opened_at or self.updated_at


#: a user-supplied column mapping for ticket exports
TicketMapping = ColumnMapping


def read_mapping(path: str | os.PathLike[str]) -> TicketMapping:
    """Read a ticket column mapping (see :func:`ingest.tabular.read_mapping`)."""
    return read_mapping_file(path, fields=FIELDS, presets=PRESETS)


def detect_preset(header: Sequence[str], *, source: str) -> str:
    """The preset whose required columns are all present and which matches most fields."""
    scores = {
        name: len(found)
        for name, wanted in PRESETS.items()
        if all(f in (found := find_columns(header, wanted)) for f in REQUIRED)
    }
    if not scores:
        raise IngestError(
            "no ticket preset fits the columns (give a mapping)",
            source=source,
            record="header",
            field=", ".join(PRESETS),
            value=", ".join(sorted(header))[:120],
        )
    return max(scores, key=lambda name: scores[name])


def columns_for(
    header: Sequence[str],
    preset: str | None,
    *,
    source: str,
    mapping: TicketMapping | None = None,
) -> dict[str, tuple[str, ...]]:
    """Map canonical fields to the candidate columns present; raise if a required one is missing."""
    base = preset or (mapping.preset if mapping else None)
    if base is None and mapping is None:
        base = detect_preset(header, source=source)
    if base is not None and base not in PRESETS:
        raise IngestError(
            "unknown ticket preset", source=source, record="header", field="preset", value=base
        )
    wanted = dict(PRESETS[base]) if base else {}
    wanted.update(mapping.columns if mapping else {})
    found = find_columns(header, wanted)
    for name in REQUIRED:
        if name not in found:
            raise IngestError(
                "missing column",
                source=source,
                record="header",
                field=wanted.get(name, (name,))[0],
                value=", ".join(sorted(header))[:120],
            )
    return found


def parse_ticket_row(
    row: Row,
    columns: Mapping[str, Sequence[str]],
    *,
    source: str,
    record: str,
    time_format: str | None = None,
) -> TicketRow:
    """Turn one raw row into a :class:`TicketRow`, or raise :class:`IngestError`."""
    if None in row:
        extra = row[None]  # type: ignore[index]
        raise IngestError("row has extra fields", source=source, record=record, value=extra)
    values = {f: _first(row, cols) for f, cols in columns.items()}
    number = values.get("number", (None, ""))[0]
    if not number:
        raise IngestError("missing ticket number", source=source, record=record, field="number")
    if len(number) > MAX_NUMBER:
        raise IngestError(
            f"ticket number longer than {MAX_NUMBER:,} characters",
            source=source,
            record=record,
            field=values["number"][1],
            value=number,
        )
    where = {"source": source, "record": f"{record} ({number})"}
    times = {f: _time(values.get(f), time_format, **where) for f in TIME_FIELDS}
    return TicketRow(
        number=number,
        **{f: values.get(f, (None, ""))[0] for f in LABEL_FIELDS},
        reopen_count=_int(values.get("reopen_count"), **where),
        satisfaction=_satisfaction(values.get("satisfaction"), **where),
        **times,
    )


def _first(row: Row, columns: Sequence[str]) -> tuple[str | None, str]:
    """The first cleaned, non-missing value among the columns, and its column."""
    for column in columns:
        value = _clean(lookup(row, column))
        if value is not None:
            return value, column
    return None, columns[0]


def _clean(value: object) -> str | None:
    text = value if type(value) is str else _scalar(value)
    if text is None:
        return None
    text = " ".join(text.split())
    return None if text.lower() in MISSING else text


def _scalar(value: object) -> str | None:
    """Text of a JSON value; objects and lists stand for one of their values."""
    if isinstance(value, list):  # e.g. Jira components: the first one
        value = next((v for v in value if _clean(v) is not None), None)
    if isinstance(value, Mapping):  # ServiceNow reference fields, Jira/Zendesk objects
        value = next((value[k] for k in _OBJECT_KEYS if value.get(k)), None)
    if value is None or isinstance(value, Mapping | list):
        return None
    return str(value)


def _int(found: tuple[str | None, str] | None, *, source: str, record: str) -> int | None:
    value, column = found or (None, "")
    if value is None:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError) as err:  # not a number, NaN, infinite
        raise IngestError(
            "not a number", source=source, record=record, field=column, value=value
        ) from err


def _satisfaction(
    found: tuple[str | None, str] | None, *, source: str, record: str
) -> float | None:
    value, column = found or (None, "")
    if value is None:
        return None
    if value.lower() in RATINGS:
        return RATINGS[value.lower()]
    score = _int(found, source=source, record=record)
    if score is None or not 1 <= score <= 5:
        raise IngestError(
            "satisfaction not 1-5, good or bad",
            source=source,
            record=record,
            field=column,
            value=value,
        )
    return (score - 1) / 4


def _time(
    found: tuple[str | None, str] | None, fmt: str | None, *, source: str, record: str
) -> datetime | None:
    value, column = found or (None, "")
    if value is None:
        return None
    try:
        return parse_time(value, fmt)
    except ValueError as err:
        raise IngestError(
            "unparseable time", source=source, record=record, field=column, value=value
        ) from err


def read_ticket_rows(path: str | os.PathLike[str]) -> Iterator[tuple[str, Row, list[str]]]:
    """Yield ``(record, row, header)`` from a ticket CSV or JSON file (``.gz`` allowed).

    CSV records are line numbers; JSON records are 1-based item numbers. See
    :mod:`ingest.tabular` for the JSON shapes read.
    """
    return read_rows(Path(path))


def read_user_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a ``user,email`` CSV mapping ticket-system user labels to addresses."""
    file = Path(path)
    with open_text(file) as handle:
        reader = csv.DictReader(handle)
        with readable(file, lambda: f"line {reader.line_num + 1}"):
            if not {"user", "email"} <= set(reader.fieldnames or []):
                raise IngestError(
                    "user map needs columns user,email", source=str(file), record="header"
                )
            return {
                " ".join(row["user"].split()): row["email"].strip()
                for row in reader
                if row["user"] and row["email"]
            }
