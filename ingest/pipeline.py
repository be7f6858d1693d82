"""Glue: read files, parse records, resolve people, send ties to a store.

Every public function takes a list of paths and returns one
:class:`IngestReport` per path. ``strict=True`` raises the first
:class:`IngestError`; lenient mode (the default) skips bad records (and bad
calendar or ticket files) and records them in the report. A path that does
not exist is always an error, raised before anything is read.

Each file is one atomic unit with one ledger entry (see
:mod:`ingest.runner`): a file that fails half-way leaves nothing behind, and
re-running is safe because stores ignore event keys they have seen.

The directory should be loaded first: the other ingestors resolve people
against ``sink.people()``.

People marked as erased or opted out in the sink (see
:class:`~ingest.runner.ErasureSink`) are left out of every kind of file and
counted in each report's notes; directory rows of such people also mark
their other addresses and their name, so that nothing brings them back.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from collections.abc import Set
from dataclasses import replace
from pathlib import Path

import icalendar

from ingest import directory
from ingest import ical
from ingest import mail
from ingest import scan
from ingest import tickets
from ingest import trace
from ingest.errors import IngestError
from ingest.identity import IdentitySettings
from ingest.identity import Resolver
from ingest.identity import erasure_marks
from ingest.records import IngestReport
from ingest.records import Interaction
from ingest.records import Person
from ingest.runner import ERASED_NOTE
from ingest.runner import ErasureSink
from ingest.runner import FactSink
from ingest.runner import Progress
from ingest.runner import Sink
from ingest.runner import check_paths
from ingest.runner import erased_keys
from ingest.runner import run_file
from ingest.runner import run_records
from ingest.service import FactCollector
from ingest.service import summarise
from ingest.tabular import ColumnMapping
from ingest.tabular import Row
from ingest.tabular import read_csv_rows
from ingest.ties import mail_fingerprint
from ingest.ties import mail_ties
from ingest.ties import meeting_ties
from ingest.ties import ticket_ties

__all__ = [
    "Sink",
    "ingest_directory",
    "ingest_email",
    "ingest_meetings",
    "ingest_tickets",
]


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
    the ones it had (they are updated). Rows of erased or opted-out people
    are left out (``notes``) and their aliases and name marked too.
    """
    existing = {p.key for p in sink.people()}
    erased = set(erased_keys(sink))
    done = 0

    def body(path: Path) -> Callable[[IngestReport], None]:
        def load(report: IngestReport) -> None:
            nonlocal done
            entries = _directory_entries(path, report, strict=strict)
            people = directory.to_people(entries, settings)
            if erased:
                people = _without_erased(people, erased, sink, settings, report)
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

        return load

    return [run_file(sink, "directory", path, body(path)) for path in check_paths(paths)]


def _without_erased(
    people: list[Person],
    erased: set[str],
    sink: Sink,
    settings: IdentitySettings,
    report: IngestReport,
) -> list[Person]:
    """Directory people less those marked erased; the marks of the ones left out are completed.

    ``erased`` grows with the new marks, for the next files of the same call.
    """
    dropped = [p for p in people if p.key in erased or not erased.isdisjoint(p.aliases)]
    if dropped:
        marks = set().union(*(erasure_marks(p, settings.key) for p in dropped))
        if not marks <= erased and isinstance(sink, ErasureSink):
            sink.mark_erased(marks - erased)
        erased |= marks
        report.notes[ERASED_NOTE] += len(dropped)
    gone = {p.key for p in dropped}
    return [_forget_manager(p, erased) for p in people if p.key not in gone]


def _forget_manager(person: Person, erased: Set[str]) -> Person:
    return replace(person, manager=None) if person.manager in erased else person


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
    trace_mapping: ColumnMapping | None = None,
    workers: int | None = None,
) -> list[IngestReport]:
    """Ingest mbox files, ``.eml`` files, maildir folders or message-trace CSVs.

    The format is detected per path: a folder is a maildir, a ``.csv`` (or
    ``.csv.gz``) file a message trace (see :mod:`ingest.trace`; its preset
    is detected from the header unless ``trace_mapping`` names one or maps
    the columns), a file starting with ``From `` an mbox, anything else one
    ``.eml`` message.

    Copies of one message (same sender, minute, recipients and subject, even
    with different Message-IDs) count once: the ref of e-mail ties is the
    message fingerprint, and repeats are counted in ``notes`` as
    ``duplicate message``. See :mod:`ingest.ties` for the weighting.

    Headers are read by the fast scanner of :mod:`ingest.scan` (the
    standard library parses what it cannot, with identical results). With
    ``workers`` > 1, ``workers - 1`` helper processes parse each big mbox
    (byte ranges) or maildir (runs of files) while this process converts and
    stores; ``None`` lets :func:`ingest.scan.default_workers` decide (a
    helper only for mbox files of 32 MB or more while a CPU is idle).
    Records are converted in file order either way, so results and dedupe
    do not depend on it.
    """
    resolver = Resolver(settings, sink.people(), erased=erased_keys(sink))
    seen: set[str] = set()

    def read(path: Path, report: IngestReport) -> Iterable[tuple[str, object]]:
        if _is_trace(path):
            return _trace_records(path, report, trace_mapping)
        return scan.read_mail(path, workers=workers, share=False)

    def convert(raw: object, source: str, record: str, report: IngestReport) -> list[Interaction]:
        if isinstance(raw, IngestError):
            raise raw
        header: mail.MailHeader = raw  # type: ignore[assignment]
        ref = mail_fingerprint(header, settings.key)
        if ref in seen:
            report.notes["duplicate message"] += 1
            return []
        seen.add(ref)
        return mail_ties(header, resolver, ref=ref, notes=report.notes)

    return run_records(
        "email", paths, sink, resolver, read, convert, strict=strict, progress=progress
    )


def _is_trace(path: Path) -> bool:
    return path.is_file() and path.name.lower().removesuffix(".gz").endswith(".csv")


def _trace_records(
    path: Path, report: IngestReport, mapping: ColumnMapping | None
) -> Iterator[tuple[str, mail.MailHeader | IngestError]]:
    source = str(path)
    fmt = mapping.time_format if mapping else None

    def parsed() -> Iterator[tuple[str, trace.TraceRow | IngestError]]:
        columns: dict[str, tuple[str, ...]] | None = None
        for record, row, header in read_csv_rows(path):
            if columns is None:
                columns = trace.trace_columns(header, source=source, mapping=mapping)
            try:
                yield (
                    record,
                    trace.parse_trace_row(
                        row, columns, source=source, record=record, time_format=fmt
                    ),
                )
            except IngestError as err:
                yield record, err

    return trace.group_messages(parsed(), report.notes)


# --- tickets -------------------------------------------------------------


def ingest_tickets(
    paths: Sequence[Path],
    sink: Sink,
    settings: IdentitySettings,
    *,
    strict: bool = False,
    progress: Progress = None,
    preset: str | None = None,
    mapping: ColumnMapping | None = None,
    user_map: Mapping[str, str] | None = None,
) -> list[IngestReport]:
    """Ingest ticket CSV/JSON exports (event logs welcome: ties dedupe per ticket).

    The preset (``servicenow``, ``jira``, ``zendesk``) is detected per file
    from its columns unless ``preset`` or ``mapping`` says otherwise (see
    :mod:`ingest.tickets`). ``user_map`` maps ticket-system user labels to
    addresses (see :func:`ingest.tickets.read_user_map`); labels that are
    neither mapped, addresses nor unique directory names become
    pseudonymous people of their own namespace (``people_created``).

    Per-ticket service facts (:class:`~ingest.records.TicketFact`) are
    written to sinks that keep them (:class:`~ingest.runner.FactSink`) and
    summarised per assignment group in ``report.service``.
    ``notes["tickets"]`` counts distinct tickets and ``notes["tickets with
    ties"]`` those that produced at least one tie.
    """
    resolver = Resolver(settings, sink.people(), user_map=user_map, erased=erased_keys(sink))
    files: dict[str, _TicketFile] = {}

    def read(path: Path, report: IngestReport) -> Iterator[tuple[str, object]]:
        for record, row, header in tickets.read_ticket_rows(path):
            if str(path) not in files:
                files[str(path)] = _TicketFile(header, preset, mapping, source=str(path))
            yield record, row

    def convert(raw: object, source: str, record: str, report: IngestReport) -> list[Interaction]:
        return files[source].convert(raw, record, resolver, report)  # type: ignore[arg-type]

    def finish(path: Path, report: IngestReport) -> None:
        ticket_file = files.get(str(path))
        if ticket_file is not None:
            ticket_file.finish(sink, report)

    return run_records(
        "tickets", paths, sink, resolver, read, convert,
        strict=strict, progress=progress, finish=finish,
    )  # fmt: skip


class _TicketFile:
    """Columns, namespace, tied tickets and service facts of one ticket file."""

    def __init__(
        self,
        header: list[str],
        preset: str | None,
        mapping: ColumnMapping | None,
        *,
        source: str,
    ) -> None:
        if preset is None and (mapping is None or mapping.preset is not None):
            preset = (mapping.preset if mapping else None) or tickets.detect_preset(
                header, source=source
            )
        self.source = source
        self.columns = tickets.columns_for(header, preset, source=source, mapping=mapping)
        named = mapping.name if mapping and mapping.name != "custom" else None
        self.namespace = f"tickets:{named or preset or 'custom'}"
        self.time_format = mapping.time_format if mapping else None
        self.facts = FactCollector(self.namespace)
        self.tied: set[str] = set()
        self.requesters: dict[str, str | None] = {}

    def convert(
        self, raw: Row, record: str, resolver: Resolver, report: IngestReport
    ) -> list[Interaction]:
        row = tickets.parse_ticket_row(
            raw, self.columns, source=self.source, record=record, time_format=self.time_format
        )
        if row.when is None and (row.requester or row.opener):
            raise IngestError(
                "missing opened_at",
                source=self.source,
                record=f"{record} ({row.number})",
                field=self.columns.get("opened_at", ("opened_at",))[0],
            )
        ties = ticket_ties(row, resolver, namespace=self.namespace, notes=report.notes)
        self.facts.add(row, self._requester_key(row, resolver))
        if ties:
            self.tied.add(row.number)
            report.notes["tickets with ties"] = len(self.tied)
        return ties

    def _requester_key(self, row: tickets.TicketRow, resolver: Resolver) -> str | None:
        label = row.requester or row.opener
        if label is None:
            return None
        if label not in self.requesters:
            found = resolver.resolve_label(label, self.namespace)
            self.requesters[label] = None if found.how == "erased" else found.key
        return self.requesters[label]

    def finish(self, sink: Sink, report: IngestReport) -> None:
        facts = list(self.facts.facts())
        report.notes["tickets"] = len(facts)
        report.service = summarise(facts)
        if isinstance(sink, FactSink):
            sink.add_ticket_facts(facts)


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
    resolver = Resolver(settings, sink.people(), erased=erased_keys(sink))

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

    return run_records(
        "meetings", paths, sink, resolver, read, convert, strict=strict, progress=progress
    )
