"""Message-trace CSVs (one row per recipient) grouped back into messages.

Presets (columns in preference order; a mapping may override any field):

* ``m365`` — Exchange Online ``Get-MessageTrace | Export-Csv`` and the
  admin-centre summary download: ``Received``, ``SenderAddress``,
  ``RecipientAddress``, ``Subject``, ``Status``, ``MessageId``.
* ``m365-report`` — the downloadable enhanced-summary / historical search
  report: ``origin_timestamp_utc``, ``sender_address``, ``message_subject``,
  ``message_id`` and ``recipient_status`` (``addr##Receive, Deliver;addr2##...``).
* ``google`` — Google Workspace email log search export: ``Message ID``,
  ``Start date``, ``Sender``, ``Subject``, ``Recipient address`` and, when
  present, an event status column.

Rows of one ``MessageId`` become one :class:`~ingest.mail.MailHeader`
(recipients in To, date = the earliest row), wherever they are in the file,
so the whole file is grouped before messages are yielded. A recipient whose
status says the message did not reach a person (failed, quarantined, spam,
a distribution group that was expanded into member rows) is left out and
counted. The subject is only hashed, as for mail files. Trace recipients
include Bcc, so a traced message and its mailbox copy only collapse when
there was no Bcc.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ingest.errors import IngestError
from ingest.identity import canonical_address
from ingest.mail import MailAddress
from ingest.mail import MailHeader
from ingest.mail import subject_hash
from ingest.tabular import ColumnMapping
from ingest.tabular import Row
from ingest.tabular import find_columns
from ingest.tabular import lookup
from ingest.times import parse_time

__all__ = [
    "TRACE_PRESETS",
    "TraceRow",
    "dropped_status",
    "group_messages",
    "parse_trace_row",
    "trace_columns",
]

FIELDS = ("message_id", "date", "sender", "recipient", "subject", "status")
REQUIRED = ("message_id", "date", "sender", "recipient")
TRACE_PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "m365": {
        "message_id": ("MessageId", "Message ID"),
        "date": ("Received", "Date (UTC)", "Date"),
        "sender": ("SenderAddress", "Sender address"),
        "recipient": ("RecipientAddress", "Recipient address"),
        "subject": ("Subject",),
        "status": ("Status",),
    },
    "m365-report": {
        "message_id": ("message_id",),
        "date": ("origin_timestamp_utc", "origin_timestamp"),
        "sender": ("sender_address",),
        "recipient": ("recipient_status", "Recipient_status"),
        "subject": ("message_subject",),
    },
    "google": {
        "message_id": ("Message ID",),
        "date": ("Start date", "Date"),
        "sender": ("Sender",),
        "recipient": ("Recipient address", "Recipient"),
        "subject": ("Subject",),
        "status": ("Event status", "Status"),
    },
}
#: status words (lower-case) of a recipient the message did not reach as a person
DROPPED = ("fail", "quarantine", "filteredasspam", "spam", "reject", "bounce", "drop", "expanded")
_SPLIT = re.compile(r"[;,]")


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One parsed trace row: recipients are canonical, with the status of each."""

    message_id: str
    date: datetime
    sender: str
    recipients: tuple[tuple[str, str], ...]
    subject_hash: str


def trace_columns(
    header: Sequence[str],
    *,
    source: str,
    preset: str | None = None,
    mapping: ColumnMapping | None = None,
) -> dict[str, tuple[str, ...]]:
    """Candidate columns per field: a preset (the mapping's, or the best fit) plus the mapping."""
    columns = dict(mapping.columns) if mapping else {}
    preset = preset or (mapping.preset if mapping else None)
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise IngestError(
            f"unknown trace field (fields: {', '.join(FIELDS)})",
            source=source,
            record="mapping",
            field=", ".join(unknown),
        )
    if preset is not None and preset not in TRACE_PRESETS:
        raise IngestError("unknown trace preset", source=source, record="header", value=preset)
    scores = {
        name: find_columns(header, {**wanted, **columns})
        for name, wanted in TRACE_PRESETS.items()
        if preset in (None, name)
    }
    fitting = {n: c for n, c in scores.items() if all(f in c for f in REQUIRED)}
    if not fitting:
        raise IngestError(
            "missing message-trace columns (give a mapping)",
            source=source,
            record="header",
            field=", ".join(REQUIRED),
            value=", ".join(sorted(header))[:120],
        )
    return max(fitting.values(), key=len)


def parse_trace_row(
    row: Row,
    columns: Mapping[str, Sequence[str]],
    *,
    source: str,
    record: str,
    time_format: str | None = None,
) -> TraceRow:
    """Parse one trace row; raise a located :class:`IngestError` when it is unusable."""
    if None in row:
        raise IngestError("row has extra fields", source=source, record=record, value=row[None])  # type: ignore[index]
    values = {f: _first(row, columns.get(f, ())) for f in FIELDS}
    message_id = values["message_id"][0].strip()
    if not message_id:
        raise IngestError(
            "missing MessageId", source=source, record=record, field=values["message_id"][1]
        )
    sender_text, sender_column = values["sender"]
    sender = _sender(sender_text)
    if not sender:
        raise IngestError(
            "sender is not an address",
            source=source,
            record=record,
            field=sender_column,
            value=sender_text,
        )
    date_text, date_column = values["date"]
    try:
        date = parse_time(date_text.strip(), time_format)
    except ValueError as err:
        raise IngestError(
            "unparseable time", source=source, record=record, field=date_column, value=date_text
        ) from err
    return TraceRow(
        message_id=message_id,
        date=date,
        sender=sender,
        recipients=tuple(_recipients(values["recipient"][0], values["status"][0])),
        subject_hash=subject_hash(values["subject"][0]),
    )


def _first(row: Row, columns: Sequence[str]) -> tuple[str, str]:
    for column in columns:
        value = lookup(row, column)
        if value is not None and str(value).strip():
            return str(value), column
    return "", columns[0] if columns else ""


def _sender(text: str) -> str | None:
    """The first address of a sender cell (Google adds the delegate's)."""
    return next((a for a in map(canonical_address, _SPLIT.split(text)) if a), None)


def _recipients(text: str, status: str) -> Iterator[tuple[str, str]]:
    """``(address, status)`` per recipient; ``addr##events`` carries its own status."""
    entries = text.split(";") if "##" in text else _SPLIT.split(text)
    for entry in entries:
        address, _, events = entry.partition("##")
        yield (canonical_address(address) or ""), (events or status).strip()


def dropped_status(status: str) -> str | None:
    """Why a recipient with this status is left out, or ``None`` when it counts."""
    words = status.lower().replace(" ", "")
    return next((word for word in DROPPED if word in words), None)


def group_messages(
    rows: Iterable[tuple[str, TraceRow | IngestError]], notes: Counter[str]
) -> Iterator[tuple[str, MailHeader | IngestError]]:
    """Group parsed rows by MessageId into headers, in order of first appearance.

    Bad rows (errors) come out at their own position, so a strict run stops
    at the first one. ``notes`` counts trace rows and left-out recipients.
    """
    order: list[tuple[str, str | IngestError]] = []
    groups: dict[str, list[TraceRow]] = {}
    for record, row in rows:
        notes["trace rows"] += 1
        if isinstance(row, IngestError):
            order.append((record, row))
            continue
        if row.message_id not in groups:
            order.append((record, row.message_id))
        groups.setdefault(row.message_id, []).append(row)
    for record, item in order:
        if isinstance(item, IngestError):
            yield record, item
        else:
            yield f"{record} ({item})", _header(groups.pop(item), notes)


def _header(rows: list[TraceRow], notes: Counter[str]) -> MailHeader:
    recipients: dict[str, None] = {}
    invalid = 0
    for row in rows:
        for address, status in row.recipients:
            reason = dropped_status(status)
            if reason:
                notes[f"trace recipient left out: {reason}"] += 1
            elif address:
                recipients[address] = None
            else:
                invalid += 1
    first = min(rows, key=lambda r: r.date)
    return MailHeader(
        message_id=first.message_id,
        sender=MailAddress("", first.sender),
        to=tuple(MailAddress("", a) for a in recipients),
        cc=(),
        bcc=(),
        date=first.date,
        subject_hash=first.subject_hash,
        invalid=invalid,
    )
