"""The batch runner: one atomic unit and one ledger entry per file.

Each file is ingested inside ``with sink.atomic():``. People created while
reading it, its interactions (written in batches of :data:`BATCH_SIZE`, so
memory stays flat), any service facts, and its ``ok`` ledger entry commit
together or not at all. When anything fails, the unit rolls back, a
``failed`` entry (with the error, and the counts of what was read) is
recorded in a separate call, and the error is raised: nothing of the file
is stored, and later files are not read.

Lenient mode (the default) skips bad records, and bad ticket or calendar
files as a whole, recording them in the report; strict mode raises the
first :class:`~ingest.errors.IngestError`, so its file fails.

People marked as erased or opted out (sinks that keep marks:
:class:`ErasureSink`) are left out on purpose, in either mode: a record
whose every tie names one is counted in ``notes`` as ``skipped: opted out
or erased``, and ties left out of other records as ``ties with opted-out or
erased people left out``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Protocol
from typing import runtime_checkable

from ingest.errors import IngestError
from ingest.identity import Resolver
from ingest.records import IngestReport
from ingest.records import IngestRun
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import TicketFact

__all__ = [
    "BATCH_SIZE",
    "ERASED_NOTE",
    "ERASED_TIES_NOTE",
    "PROGRESS_EVERY",
    "Batcher",
    "ErasureSink",
    "FactSink",
    "Progress",
    "Sink",
    "check_paths",
    "erased_keys",
    "run_file",
    "run_records",
]

BATCH_SIZE = 5000
PROGRESS_EVERY = 1000
#: the note of records left out because they name only erased or opted-out people
ERASED_NOTE = "skipped: opted out or erased"
#: the note of single ties left out for the same reason (the rest of the record is kept)
ERASED_TIES_NOTE = "ties with opted-out or erased people left out"

Progress = Callable[[int], None] | None
#: (path, report) -> (record id, raw record) pairs
Reader = Callable[[Path, IngestReport], Iterable[tuple[str, object]]]
#: (raw record, source, record id, report) -> interactions
Converter = Callable[[object, str, str, IngestReport], list[Interaction]]
#: called inside the file's unit after its last batch: (path, report)
Finisher = Callable[[Path, IngestReport], None]


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

    def atomic(self) -> AbstractContextManager[None]:
        """Group writes into one transaction: all commit on exit, or none on an exception."""
        ...

    def record_run(self, run: IngestRun) -> None:
        """Append an ingest run to the ledger."""
        ...


@runtime_checkable
class FactSink(Protocol):
    """A sink that also keeps per-ticket service facts (optional)."""

    def add_ticket_facts(self, facts: Iterable[TicketFact]) -> int:
        """Insert or replace facts by ``(system, ref)``; return the number written."""
        ...


@runtime_checkable
class ErasureSink(Protocol):
    """A sink that keeps erasure marks (optional): its writes leave marked people out."""

    def erased_keys(self) -> set[str]:
        """Every key marked as erased."""
        ...

    def mark_erased(self, keys: Iterable[str]) -> int:
        """Mark keys as erased; return how many were new."""
        ...


def erased_keys(sink: Sink) -> frozenset[str]:
    """The sink's erasure marks (none for sinks that keep no marks)."""
    return frozenset(sink.erased_keys()) if isinstance(sink, ErasureSink) else frozenset()


class Batcher:
    """Buffers interactions and writes them (new people first) in batches."""

    def __init__(self, sink: Sink, resolver: Resolver, report: IngestReport) -> None:
        self.sink, self.resolver, self.report = sink, resolver, report
        self.matched: set[str] = set()
        self.pending: list[Interaction] = []
        self.known = resolver.known_keys
        self.erased = resolver.erased

    def admit(self, ties: list[Interaction]) -> list[Interaction]:
        """The ties that name no erased or opted-out person (the rest are counted in notes)."""
        erased = self.erased
        if not erased:
            return ties
        kept = [t for t in ties if t.source not in erased and t.target not in erased]
        if len(kept) < len(ties):
            if kept:
                self.report.notes[ERASED_TIES_NOTE] += len(ties) - len(kept)
            else:
                self.report.notes[ERASED_NOTE] += 1
        return kept

    def add(self, interactions: list[Interaction]) -> None:
        """Queue interactions; write a batch once :data:`BATCH_SIZE` are waiting."""
        self.pending.extend(interactions)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Write people created so far, then the queued interactions."""
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


def check_paths(paths: Sequence[Path]) -> list[Path]:
    """Paths as :class:`Path`; a missing one is an error before anything is read."""
    checked = [Path(p) for p in paths]
    for path in checked:
        if not path.exists():
            raise IngestError(
                "no such file or directory", source=str(path), record="path"
            ) from FileNotFoundError(path)
    return checked


def run_file(
    sink: Sink, kind: str, path: Path, body: Callable[[IngestReport], None]
) -> IngestReport:
    """Run ``body`` for one file inside one atomic unit and record the run."""
    report = IngestReport(source=str(path), kind=kind)
    started = _now()
    try:
        with sink.atomic():
            body(report)
            sink.record_run(_entry(report, started, "ok"))
    except Exception as err:
        report.interactions = report.people_created = report.people_matched = 0
        try:
            sink.record_run(_entry(report, started, "failed", error=_describe(err)))
        except Exception as ledger_err:  # keep the original error; say why the entry is missing
            err.add_note(f"the failed run could not be recorded: {ledger_err}")
        raise
    return report


def _entry(report: IngestReport, started: datetime, status: str, error: str = "") -> IngestRun:
    return IngestRun(
        id=uuid.uuid4().hex,
        kind=report.kind,
        source=report.source,
        status=status,
        started=started,
        finished=_now(),
        report=report.as_dict(),
        error=error,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _describe(err: Exception) -> str:
    text = str(err)
    return text if isinstance(err, IngestError) else f"{type(err).__name__}: {text}"


def run_records(
    kind: str,
    paths: Sequence[Path],
    sink: Sink,
    resolver: Resolver,
    read: Reader,
    convert: Converter,
    *,
    strict: bool,
    progress: Progress,
    finish: Finisher | None = None,
) -> list[IngestReport]:
    """Read, convert and store every file's records, one atomic unit per file."""
    counter = _Counter(progress)

    def body(path: Path) -> Callable[[IngestReport], None]:
        def ingest(report: IngestReport) -> None:
            batcher = Batcher(sink, resolver, report)
            try:
                for record, raw in read(path, report):
                    report.read += 1
                    _convert_one(raw, str(path), record, report, convert, batcher, strict=strict)
                    counter.tick()
            except IngestError as err:  # a whole file is unreadable (header, calendar, JSON)
                if strict:
                    raise
                report.skip(err.as_skip())
            batcher.flush()
            if finish:
                finish(path, report)
            counter.done()

        return ingest

    return [run_file(sink, kind, path, body(path)) for path in check_paths(paths)]


class _Counter:
    def __init__(self, progress: Progress) -> None:
        self.progress, self.count = progress, 0

    def tick(self) -> None:
        self.count += 1
        if self.progress and self.count % PROGRESS_EVERY == 0:
            self.progress(self.count)

    def done(self) -> None:
        if self.progress:
            self.progress(self.count)


def _convert_one(
    raw: object,
    source: str,
    record: str,
    report: IngestReport,
    convert: Converter,
    batcher: Batcher,
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
        ties = batcher.admit(ties)
    if ties:
        report.kept += 1
        batcher.add(ties)
