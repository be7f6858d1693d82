"""Glue: read files, parse records, resolve people, send ties to a store.

Every public function takes a list of paths and returns one
:class:`IngestReport` per path. ``strict=True`` raises the first
:class:`IngestError`; lenient mode (the default) skips bad records (and bad
calendar or ticket files) and records them in the report. A path that does
not exist is always an error, raised before anything is read.

Interactions go to the store in batches of :data:`BATCH_SIZE`, so memory
stays flat; a strict run that stops half-way leaves earlier batches stored,
and re-running is safe because stores ignore event keys they have seen.

The directory should be loaded first: the other ingestors resolve people
against ``sink.people()``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import icalendar

from ingest import directory
from ingest import ical
from ingest import mail
from ingest import tickets
from ingest.errors import IngestError
from ingest.identity import IdentitySettings
from ingest.identity import Resolver
from ingest.records import IngestReport
from ingest.records import Interaction
from ingest.records import Person
from ingest.ties import mail_fingerprint
from ingest.ties import mail_ties
from ingest.ties import meeting_ties
from ingest.ties import ticket_ties

__all__ = [
    "BATCH_SIZE",
    "Sink",
    "ingest_directory",
    "ingest_email",
    "ingest_meetings",
    "ingest_tickets",
]

BATCH_SIZE = 5000
PROGRESS_EVERY = 1000

Progress = Callable[[int], None] | None
#: (path, report) -> (record id, raw record) pairs
Reader = Callable[[Path, IngestReport], Iterable[tuple[str, object]]]
#: (raw record, source, record id, report) -> interactions
Converter = Callable[[object, str, str, IngestReport], list[Interaction]]


class Sink(Protocol):
    """What the ingest layer needs from a store."""

    def upsert_people(self, people: Iterable[Person]) -> int:
        """Insert or update people; return the number written."""
        ...

    def add_interactions(self, interactions: Iterable[Interaction]) -> int:
        """Add interactions; return how many were new (seen event keys are ignored)."""
        ...

    def people(self) -> Iterator[Person]:
        """Every stored person."""
        ...


class _Batcher:
    """Buffers interactions and writes them (new people first) in batches."""

    def __init__(self, sink: Sink, resolver: Resolver, report: IngestReport) -> None:
        self.sink, self.resolver, self.report = sink, resolver, report
        self.known = resolver.known_keys
        self.matched: set[str] = set()
        self.pending: list[Interaction] = []

    def add(self, interactions: list[Interaction]) -> None:
        self.pending.extend(interactions)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        new_people = self.resolver.drain_new_people()
        if new_people:
            self.sink.upsert_people(new_people)
            self.report.people_created += len(new_people)
        if self.pending:
            self.matched.update(
                k for i in self.pending for k in (i.source, i.target) if k in self.known
            )
            self.report.interactions += self.sink.add_interactions(self.pending)
            self.pending = []
        self.report.people_matched = len(self.matched)


def _check_paths(paths: Sequence[Path]) -> list[Path]:
    checked = [Path(p) for p in paths]
    for path in checked:
        if not path.exists():
            raise IngestError(
                "no such file or directory", source=str(path), record="path"
            ) from FileNotFoundError(path)
    return checked


def _run(
    kind: str,
    paths: Sequence[Path],
    sink: Sink,
    resolver: Resolver,
    read: Reader,
    convert: Converter,
    *,
    strict: bool,
    progress: Progress,
) -> list[IngestReport]:
    reports, done = [], 0
    for path in _check_paths(paths):
        report = IngestReport(source=str(path), kind=kind)
        reports.append(report)
        batcher = _Batcher(sink, resolver, report)
        try:
            for record, raw in read(path, report):
                report.read += 1
                done += 1
                _convert_one(raw, str(path), record, report, convert, batcher, strict=strict)
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done)
        except IngestError as err:  # a whole file is unreadable (header, calendar, JSON)
            if strict:
                raise
            report.skip(err.as_skip())
        batcher.flush()
        if progress:
            progress(done)
    return reports


def _convert_one(
    raw: object,
    source: str,
    record: str,
    report: IngestReport,
    convert: Converter,
    batcher: _Batcher,
    *,
    strict: bool,
) -> None:
    try:
        ties = convert(raw, source, record, report)
    except IngestError as err:
        if strict:
            raise
        report.skip(err.as_skip())
        return
    if ties:
        report.kept += 1
        batcher.add(ties)


# --- directory -----------------------------------------------------------


def ingest_directory(
    paths: Sequence[Path],
    sink: Sink,
    settings: IdentitySettings,
    *,
    strict: bool = False,
    progress: Progress = None,
) -> list[IngestReport]:
    """Load HR directory CSVs into the store as :class:`Person` records.

    Duplicate ``person_id`` values or addresses used by two rows are errors.
    ``people_created`` counts keys the store did not have, ``people_matched``
    the ones it had (they are updated).
    """
    existing = {p.key for p in sink.people()}
    reports, done = [], 0
    for path in _check_paths(paths):
        report = IngestReport(source=str(path), kind="directory")
        reports.append(report)
        entries = _directory_entries(path, report, strict=strict)
        people = directory.to_people(entries, settings)
        known_ids = {e.person_id for e in entries}
        unknown = sum(1 for e in entries if e.manager_id and e.manager_id not in known_ids)
        if unknown:
            report.notes["unknown manager_id (manager left empty)"] = unknown
        sink.upsert_people(people)
        report.kept = len(people)
        report.people_created = sum(1 for p in people if p.key not in existing)
        report.people_matched = len(people) - report.people_created
        existing.update(p.key for p in people)
        done += report.read
        if progress:
            progress(done)
    return reports


def _directory_entries(
    path: Path, report: IngestReport, *, strict: bool
) -> list[directory.DirectoryEntry]:
    entries: list[directory.DirectoryEntry] = []
    ids: set[str] = set()
    owners: dict[str, str] = {}
    try:
        for record, row in directory.read_directory_csv(path):
            report.read += 1
            try:
                entry = directory.parse_directory_row(row, source=str(path), record=record)
                _check_unique(entry, ids, owners, source=str(path), record=record)
            except IngestError as err:
                if strict:
                    raise
                report.skip(err.as_skip())
                continue
            entries.append(entry)
    except IngestError as err:  # the header; row errors are handled above
        if strict:
            raise
        report.skip(err.as_skip())
    return entries


def _check_unique(
    entry: directory.DirectoryEntry,
    ids: set[str],
    owners: dict[str, str],
    *,
    source: str,
    record: str,
) -> None:
    if entry.person_id in ids:
        raise IngestError(
            "duplicate person_id",
            source=source,
            record=record,
            field="person_id",
            value=entry.person_id,
        )
    for address in (entry.email, *entry.aliases):
        if owners.get(address, entry.person_id) != entry.person_id:
            raise IngestError(
                "address belongs to another person",
                source=source,
                record=record,
                field="email/aliases",
                value=f"person_id {owners[address]}",
            )
    ids.add(entry.person_id)
    owners.update(dict.fromkeys((entry.email, *entry.aliases), entry.person_id))


# --- e-mail --------------------------------------------------------------


def ingest_email(
    paths: Sequence[Path],
    sink: Sink,
    settings: IdentitySettings,
    *,
    strict: bool = False,
    progress: Progress = None,
) -> list[IngestReport]:
    """Ingest mbox files, ``.eml`` files or maildir folders (detected per path).

    Copies of one message (same sender, minute, recipients and subject, even
    with different Message-IDs) count once: the ref of e-mail ties is the
    message fingerprint, and repeats are counted in ``notes`` as
    ``duplicate message``. See :mod:`ingest.ties` for the weighting.
    """
    resolver = Resolver(settings, sink.people())
    seen: set[str] = set()

    def convert(raw: object, source: str, record: str, report: IngestReport) -> list[Interaction]:
        header = mail.parse_headers(raw, source=source, record=record)  # type: ignore[arg-type]
        ref = mail_fingerprint(header, settings.key)
        if ref in seen:
            report.notes["duplicate message"] += 1
            return []
        seen.add(ref)
        return mail_ties(header, resolver, ref=ref, notes=report.notes)

    return _run(
        "email", paths, sink, resolver, _mail_records, convert, strict=strict, progress=progress
    )


def _mail_records(path: Path, report: IngestReport) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        return mail.read_maildir(path)
    with open(path, "rb") as handle:
        is_mbox = handle.read(5) == b"From "
    return mail.read_mbox(path) if is_mbox else mail.read_eml(path)


# --- tickets -------------------------------------------------------------


def ingest_tickets(
    paths: Sequence[Path],
    sink: Sink,
    settings: IdentitySettings,
    *,
    strict: bool = False,
    progress: Progress = None,
    preset: str = "servicenow",
    user_map: Mapping[str, str] | None = None,
) -> list[IngestReport]:
    """Ingest ticket CSV/JSON exports (event logs welcome: ties dedupe per ticket).

    ``user_map`` maps ticket-system user labels to addresses (see
    :func:`ingest.tickets.read_user_map`); labels that are neither mapped,
    addresses nor unique directory names become pseudonymous people of their
    own namespace (``people_created``). ``notes["tickets with ties"]`` counts
    distinct ticket numbers that produced at least one tie.
    """
    resolver = Resolver(settings, sink.people(), user_map=user_map)
    namespace = f"tickets:{preset}"
    columns: dict[str, dict[str, str]] = {}
    tied: dict[str, set[str]] = {}

    def read(path: Path, report: IngestReport) -> Iterator[tuple[str, object]]:
        for record, row, header in tickets.read_ticket_rows(path):
            if str(path) not in columns:
                columns[str(path)] = tickets.columns_for(header, preset, source=str(path))
            yield record, row

    def convert(raw: object, source: str, record: str, report: IngestReport) -> list[Interaction]:
        row = tickets.parse_ticket_row(raw, columns[source], source=source, record=record)  # type: ignore[arg-type]
        if row.when is None and (row.requester or row.opener):
            raise IngestError(
                "missing opened_at",
                source=source,
                record=f"{record} ({row.number})",
                field=columns[source].get("opened_at", "opened_at"),
            )
        ties = ticket_ties(row, resolver, namespace=namespace, notes=report.notes)
        if ties:
            numbers = tied.setdefault(source, set())
            numbers.add(row.number)
            report.notes["tickets with ties"] = len(numbers)
        return ties

    return _run("tickets", paths, sink, resolver, read, convert, strict=strict, progress=progress)


# --- meetings ------------------------------------------------------------


def ingest_meetings(
    paths: Sequence[Path],
    sink: Sink,
    settings: IdentitySettings,
    *,
    strict: bool = False,
    progress: Progress = None,
) -> list[IngestReport]:
    """Ingest ``.ics`` calendars (recurrences expanded) or meeting CSVs.

    A calendar that cannot be parsed or expanded is rejected as a whole and
    recorded in its report (lenient) or raised (strict); in lenient mode bad
    recurring series are dropped and the rest of the calendar is kept.
    """
    resolver = Resolver(settings, sink.people())

    def read(path: Path, report: IngestReport) -> Iterable[tuple[str, object]]:
        if path.suffix.lower() == ".csv":
            return ical.read_meeting_csv(path)
        events = ical.expand_calendar(
            ical.read_ics(path), source=str(path), skip_bad_series=not strict
        )
        return ((str(e.get("UID", "?")), e) for e in events)

    def convert(raw: object, source: str, record: str, report: IngestReport) -> list[Interaction]:
        if isinstance(raw, icalendar.Event):
            meeting = ical.parse_occurrence(raw, source=source)
        else:
            meeting = ical.parse_meeting_row(raw, source=source, record=record)  # type: ignore[arg-type]
        return meeting_ties(meeting, resolver, notes=report.notes)

    return _run("meetings", paths, sink, resolver, read, convert, strict=strict, progress=progress)
