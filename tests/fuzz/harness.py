"""Fuzz targets: each parser entry point fed raw bytes, and the property every one must keep.

A target writes the bytes where an upload would put them and runs the same
ingest function as the ``ingest`` command and the Data page
(:mod:`ingest.pipeline`), into the recording store of the ingest tests, in
lenient and in strict mode. The property:

* lenient mode never raises: every file ends in a report, bad records and
  bad files are counted as skips that name the file;
* strict mode returns the reports or raises :class:`~ingest.errors.IngestError`
  naming the file and the record (``header``, ``file``, a line or item
  number...), and records a ``failed`` ledger entry;
* nothing else escapes: no ``KeyError``, ``UnicodeDecodeError``,
  ``OverflowError``, ``RecursionError``... and nothing hangs (the targets
  have to finish for the tests to);
* whatever is stored is consistent: every tie's people are in the store.

The e-mail header target also checks that the fast scanner
(:func:`ingest.scan.fast_header`) agrees with the standard-library parser on
every block it takes. :data:`COUNTS` counts the inputs each target was given,
which ``bench/fuzz_volume.py`` reports.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings

from ingest import mail
from ingest import scan
from ingest import tickets
from ingest import trace
from ingest.errors import IngestError
from ingest.identity import IdentitySettings
from ingest.pipeline import ingest_directory
from ingest.pipeline import ingest_email
from ingest.pipeline import ingest_meetings
from ingest.pipeline import ingest_tickets
from ingest.records import Person
from ingest.tabular import read_mapping
from tests.ingest.fakes import MemorySink

DATA = Path(__file__).resolve().parents[1] / "data"

#: examples per fuzz test; the CI default keeps ``tests/fuzz`` well under a minute
EXAMPLES = int(os.environ.get("BRIDGEWORK_FUZZ_EXAMPLES", "50"))
#: ``1`` for fresh random inputs on every run (the benchmark); CI replays the same ones
RANDOM = os.environ.get("BRIDGEWORK_FUZZ_RANDOM", "") == "1"

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

SETTINGS = IdentitySettings(
    key=b"fuzz-key-not-secret",
    internal_domains=("example.com", "enron.com"),
    it_units=("IT", "Engineering/Platform"),
    broadcast_cutoff=25,
)

#: inputs given to each target (by parser)
COUNTS: Counter[str] = Counter()


def _directory_people() -> list[Person]:
    sink = MemorySink()
    ingest_directory([DATA / "hr.csv"], sink, SETTINGS, strict=True)
    return list(sink.people())


PEOPLE = _directory_people()


# -- the property --------------------------------------------------------------------------


def check_error(err: IngestError, path: Path) -> None:
    """An error of ours that says which file and which record."""
    assert isinstance(err, IngestError), type(err)
    assert err.source == str(path) or err.source.startswith(f"{path}{os.sep}"), err.source
    assert err.reason.strip(), repr(err)
    assert err.record.strip(), f"no record in {err}"
    assert str(path) in str(err)


def check_ingest(ingest: Callable[..., list[Any]], path: Path, **options: Any) -> None:
    """Lenient mode reports, strict mode reports or raises a located :class:`IngestError`."""
    sink = MemorySink(PEOPLE)
    [report] = ingest([path], sink, SETTINGS, strict=False, **options)
    assert 0 <= report.kept <= report.read, report
    for skip in report.examples:
        assert skip.source == str(path) or skip.source.startswith(f"{path}{os.sep}"), skip
        assert skip.reason.strip() and skip.record.strip(), skip
    assert [run.status for run in sink.ledger] == ["ok"]
    check_stored(sink)

    sink = MemorySink(PEOPLE)
    try:
        ingest([path], sink, SETTINGS, strict=True, **options)
    except IngestError as err:
        check_error(err, path)
        assert [run.status for run in sink.ledger] == ["failed"]
        assert sink.ledger[0].error == str(err)
        assert not sink.interactions and not sink.facts
        return
    assert [run.status for run in sink.ledger] == ["ok"]
    check_stored(sink)


def check_stored(sink: MemorySink) -> None:
    """Every stored tie joins two stored people at an aware time."""
    for interaction in sink.interactions.values():
        assert interaction.source in sink.people_by_key, interaction
        assert interaction.target in sink.people_by_key, interaction
        assert interaction.timestamp.tzinfo is not None, interaction
        assert interaction.weight > 0, interaction


def in_file(name: str, data: bytes, check: Callable[[Path], None]) -> None:
    """Write ``data`` to a fresh file called ``name`` and check it."""
    with tempfile.TemporaryDirectory(prefix="bw-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        check(path)


# -- targets: one per parser entry point ------------------------------------------------------


def header_block(data: bytes) -> None:
    """One raw header block: the standard-library parser, and the fast scanner agreeing with it."""
    COUNTS["email header block"] += 1
    source, record = "fuzz.mbox", "7"
    try:
        slow: mail.MailHeader | IngestError = mail.parse_headers(data, source=source, record=record)
    except IngestError as err:
        assert err.source == source and err.record == record and err.reason, repr(err)
        slow = err
    fast = scan.fast_header(data)
    if fast is not None:
        assert fast == slow, (fast, slow)


def mbox_file(data: bytes) -> None:
    """An mbox: the pipeline, and the fast reader giving the slow reader's records."""
    COUNTS["mbox"] += 1

    def check(path: Path) -> None:
        check_ingest(ingest_email, path)
        if data.startswith(b"From "):
            assert _outcomes(scan.scan_mbox(path, workers=1)) == _outcomes(
                (record, _parsed(block, path, record)) for record, block in mail.read_mbox(path)
            )

    in_file("mail.mbox", data, check)


def eml_file(data: bytes) -> None:
    """One message file (``.eml``)."""
    COUNTS["eml"] += 1
    in_file("message.eml", data, lambda path: check_ingest(ingest_email, path))


#: separates the message files of one maildir input
MAILDIR_SPLIT = b"\n\x0c\n"


def maildir(data: bytes) -> None:
    """A maildir folder: ``data`` cut at :data:`MAILDIR_SPLIT` into message files."""
    COUNTS["maildir"] += 1
    with tempfile.TemporaryDirectory(prefix="bw-fuzz-") as folder:
        root = Path(folder) / "maildir"
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir(parents=True)
        for number, part in enumerate(data.split(MAILDIR_SPLIT)[:20]):
            (root / ("cur" if number % 2 else "new") / f"{number}.host").write_bytes(part)
        check_ingest(ingest_email, root)
        assert _outcomes(scan.scan_maildir(root, workers=1)) == _outcomes(
            (record, _parsed(block, root, record)) for record, block in mail.read_maildir(root)
        )


def trace_csv(data: bytes) -> None:
    """A message-trace CSV (preset detected from the header)."""
    COUNTS["message trace csv"] += 1
    in_file("trace.csv", data, lambda path: check_ingest(ingest_email, path))


def calendar_ics(data: bytes) -> None:
    """An iCalendar file, recurrences expanded."""
    COUNTS["ics"] += 1
    in_file("calendar.ics", data, lambda path: check_ingest(ingest_meetings, path))


def meetings_csv(data: bytes) -> None:
    """A ``uid,organizer,attendees,start,end`` meetings CSV."""
    COUNTS["meetings csv"] += 1
    in_file("meetings.csv", data, lambda path: check_ingest(ingest_meetings, path))


def tickets_csv(data: bytes) -> None:
    """A ticket CSV export (preset detected from the header)."""
    COUNTS["tickets csv"] += 1
    in_file("tickets.csv", data, lambda path: check_ingest(ingest_tickets, path))


def tickets_json(data: bytes) -> None:
    """A ticket JSON export (a list, or an object holding one)."""
    COUNTS["tickets json"] += 1
    in_file("tickets.json", data, lambda path: check_ingest(ingest_tickets, path))


def tickets_gz(data: bytes) -> None:
    """A gzip-compressed ticket CSV (``data`` is the compressed file)."""
    COUNTS["tickets csv.gz"] += 1
    in_file("tickets.csv.gz", data, lambda path: check_ingest(ingest_tickets, path))


def directory_csv(data: bytes) -> None:
    """An HR directory CSV."""
    COUNTS["directory csv"] += 1

    def check(path: Path) -> None:
        check_ingest(ingest_directory, path)

    in_file("hr.csv", data, check)


def column_mapping(data: bytes) -> None:
    """A JSON column mapping, read for tickets and for traces, then used on a real export."""
    COUNTS["column mapping json"] += 1

    def check(path: Path) -> None:
        for fields, presets, export, ingest, option in (
            (tickets.FIELDS, tickets.PRESETS, "tickets-presets/helpdesk.csv", ingest_tickets, "mapping"),
            (trace.FIELDS, trace.TRACE_PRESETS, "traces/m365.csv", ingest_email, "trace_mapping"),
        ):  # fmt: skip
            try:
                mapping = read_mapping(path, fields=fields, presets=presets)
            except IngestError as err:
                check_error(err, path)
                continue
            check_ingest(ingest, DATA / export, **{option: mapping})

    in_file("mapping.json", data, check)


def user_map(data: bytes) -> None:
    """A ``user,email`` CSV mapping ticket-system users to addresses."""
    COUNTS["user map csv"] += 1

    def check(path: Path) -> None:
        try:
            found = tickets.read_user_map(path)
        except IngestError as err:
            check_error(err, path)
            return
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in found.items())
        sink = MemorySink(PEOPLE)
        ingest_tickets([DATA / "tickets-presets/zendesk.csv"], sink, SETTINGS, user_map=found)
        check_stored(sink)

    in_file("users.csv", data, check)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "email header block": header_block,
    "mbox": mbox_file,
    "eml": eml_file,
    "maildir": maildir,
    "message trace csv": trace_csv,
    "ics": calendar_ics,
    "meetings csv": meetings_csv,
    "tickets csv": tickets_csv,
    "tickets json": tickets_json,
    "tickets csv.gz": tickets_gz,
    "directory csv": directory_csv,
    "column mapping json": column_mapping,
    "user map csv": user_map,
}


def _parsed(block: bytes, path: Path, record: str) -> mail.MailHeader | IngestError:
    try:
        return mail.parse_headers(block, source=str(path), record=record)
    except IngestError as err:
        return err


def _outcomes(pairs: Any) -> list[tuple[str, object]]:
    """Records and outcomes, errors compared by what they say."""
    return [
        (record, str(result) if isinstance(result, IngestError) else result)
        for record, result in pairs
    ]


def run(name: str, data: bytes) -> None:
    """Run the target ``name`` on ``data``."""
    TARGETS[name](data)
