"""Fast path for e-mail headers: the common case without the generic parser.

:func:`fast_header` reads a raw header block (as sliced by
:func:`ingest.mail.split_mbox` or :func:`ingest.mail.read_header_block`)
with a few regular expressions and returns the :class:`~ingest.mail.MailHeader`
that :func:`ingest.mail.parse_headers` would return, or ``None`` when the
block is not plain enough to be sure. :func:`parse_block` then falls back to
the standard library path, so every block gives exactly the slow path's
record or error.

The fast path takes a block only when all of this holds (anything else goes
to the standard library):

* every byte is printable ASCII, tab, or part of a line end (``LF`` or
  ``CRLF``): no 8-bit bytes, no lone ``CR``, no other control characters;
* every line is a header line (``name:`` with a name of printable
  characters other than ``:``) or a continuation line (leading space or
  tab), and the first line is not a continuation;
* every From/To/Cc/Bcc value is a comma-separated list of plain entries:
  ``local@domain``, ``<local@domain>``, ``words <local@domain>`` or
  ``"quoted text" <local@domain>``; no comments, groups, source routes,
  escapes in quoted strings, empty entries or white space inside an
  address;
* there is a sender address, and ``Date`` is ``[Day, ]D Mon YYYY H:MM[:SS]
  ±HHMM`` (optionally followed by white space and anything else) with a
  year from 1971 on and a plausible instant.

Display names and subjects are decoded by the same helper as the slow path,
so encoded words (``=?utf-8?q?...?=``) in them are fine. Parsed address
lists, decoded names and subject hashes are cached by their raw text (the
caches are cleared when they grow past :data:`CACHE_LIMIT` entries).

The readers (:func:`read_mail`, :func:`scan_mbox`, :func:`scan_maildir`)
yield ``(record, MailHeader | IngestError)`` in the order of the slow
readers (:func:`~ingest.mail.read_mbox`, :func:`~ingest.mail.read_maildir`,
:func:`~ingest.mail.read_eml` plus ``parse_headers``), with the same record
ids. With ``workers > 1`` an mbox of 8 MB or more is cut into byte ranges at
message boundaries (a maildir into runs of files) that helper processes
parse, and the results are put back in file order, so the output is the
same. Helpers send their records pickled; that costs about 5 µs of CPU per
message, so they only pay off when a CPU is otherwise idle.
"""

from __future__ import annotations

import gc
import mmap
import os
import pickle
import re
import threading
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from datetime import UTC
from datetime import datetime
from itertools import compress
from multiprocessing import get_all_start_methods
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.identity import canonical_address
from ingest.mail import EARLIEST_DATE
from ingest.mail import FUTURE_SLACK
from ingest.mail import MailAddress
from ingest.mail import MailHeader
from ingest.mail import decoded_text
from ingest.mail import list_id_value
from ingest.mail import message_files
from ingest.mail import parse_headers
from ingest.mail import read_header_block
from ingest.mail import subject_hash

__all__ = [
    "AUTO_WORKERS_BYTES",
    "CACHE_LIMIT",
    "START_METHOD",
    "Parsed",
    "clear_caches",
    "default_workers",
    "fast_header",
    "header_blocks",
    "parse_block",
    "read_mail",
    "scan_maildir",
    "scan_mbox",
]

#: parsed record or the error that :func:`ingest.mail.parse_headers` raised
Parsed = MailHeader | IngestError

CACHE_LIMIT = 50_000
#: with ``workers=None``, mbox files at least this big may be parsed by two processes
AUTO_WORKERS_BYTES = 32 * 1024 * 1024
#: how helper processes start (a multiprocessing start method); ``None`` chooses
START_METHOD: str | None = None
#: messages per maildir task; largest and smallest bytes per mbox task
_FILES_PER_TASK = 2000
_BYTES_PER_TASK = 8 * 1024 * 1024
_MIN_TASK_BYTES = 4 * 1024 * 1024  # smaller files are read in one process

_NEXT_FROM = re.compile(rb"\nFrom ")
_PLAIN = bytes(range(32, 127)) + b"\t\r\n"
_WANTED = (
    "from|to|cc|bcc|date|message-id|in-reply-to|references|subject|list-id|"
    "auto-submitted|precedence"
)


def _any_case(name: str) -> str:
    """A pattern for an ASCII header name in any case (faster than ``re.IGNORECASE``)."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in name)


#: the rest of a header line and its continuation lines
_VALUE = r"[^\n]*+(?:\n[ \t][^\n]*+)*+"
#: one header line with its continuation lines: (name, value) for a wanted field,
#: (None, None) for any other. ``split`` leaves any other text between the matches.
#: Matches start only at a line's start: tried at every position of a long line
#: that is no header line, the name part alone made ``split`` quadratic (a
#: 40 kB line took 2 s; found by fuzzing).
_HEADER = re.compile(
    rf"(?<![^\n])(?:({'|'.join(map(_any_case, _WANTED.split('|')))}):[ \t]*+({_VALUE})"
    rf"|[!-9;-~]++:{_VALUE})\n"
)

_WS = r"[ \t\r\n]*+"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]++"
_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]++@[A-Za-z0-9.-]++"
_PHRASE = rf"(?:{_ATOM}(?:[ \t\r\n]++{_ATOM})*+)?{_WS}<{_ADDR}>"
_QUOTED = rf'"[^"\\\r\n]*+"{_WS}<{_ADDR}>'
#: one entry with white space around it: groups (quoted name, its address, phrase,
#: its address, bare address)
_ONE = re.compile(
    rf'{_WS}(?:"([^"\\\r\n]*+)"{_WS}<({_ADDR})>'
    rf"|({_ATOM}(?:[ \t\r\n]++{_ATOM})*+)?{_WS}<({_ADDR})>"
    rf"|({_ADDR})){_WS}"
)
#: the entries of an address list: ``split`` gives [between, entry, between, entry, ...,
#: between], and every ``between`` is empty when the whole list is plain
_SPLIT = re.compile(rf"(?:\A|(?!\A),){_WS}({_PHRASE}|{_QUOTED}|{_ADDR}){_WS}")

_DATE = re.compile(
    r"[ \t]*(?:[A-Za-z]{3},[ \t]+)?(\d{1,2}[ \t]+[A-Za-z]{3}[ \t]+\d{1,4})[ \t]+"
    r"(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?[ \t]+([+-]\d{4})(?:\s[\s\S]*)?"
)
_EARLIEST = int(EARLIEST_DATE.timestamp())
_LATEST_YEAR = 9000  # later years are implausible anyway; this keeps clear of datetime.max
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_NONE: tuple[tuple[MailAddress, ...], int] = ((), 0)
_NO = "no"
#: the fields of :class:`~ingest.mail.MailHeader`, in order
_FIELDS = (
    "message_id", "sender", "to", "cc", "bcc", "date", "in_reply_to", "references",
    "subject_hash", "list_id", "auto_submitted", "precedence", "invalid",
)  # fmt: skip


class _Bounded(dict):
    """A cache that computes a missing value with ``make`` and forgets everything when full.

    ``cache[key]`` (or ``map(cache.__getitem__, keys)``) costs one C-level
    dictionary lookup for a known key. ``limit`` defaults to :data:`CACHE_LIMIT`.
    """

    def __init__(self, make: Callable[[Any], object], limit: int | None = None) -> None:
        super().__init__()
        self.make = make
        self.limit = limit

    def __missing__(self, key: Any) -> object:
        value = self.make(key)
        if len(self) >= (self.limit or CACHE_LIMIT):
            self.clear()
        self[key] = value
        return value


def _record_maker() -> Callable[..., MailHeader]:
    """A faster ``MailHeader(*values)``: the same record, its slots set directly.

    The frozen dataclass's ``__init__`` sets each of its 13 fields through
    ``object.__setattr__``; setting the slots through their descriptors takes
    half the time. Should the class change (other fields, no slots, a
    ``__post_init__``), this is the class itself.
    """
    attributes = vars(MailHeader)
    if (
        tuple(f.name for f in fields(MailHeader)) != _FIELDS
        or "__slots__" not in attributes
        or hasattr(MailHeader, "__post_init__")
    ):
        return MailHeader
    setters = (attributes[name].__set__ for name in _FIELDS)
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12 = setters
    new = object.__new__

    def make(
        message_id: str,
        sender: MailAddress,
        to: tuple[MailAddress, ...],
        cc: tuple[MailAddress, ...],
        bcc: tuple[MailAddress, ...],
        date: datetime,
        in_reply_to: str,
        references: tuple[str, ...],
        subject: str,
        list_id: str,
        auto_submitted: bool,
        precedence: str,
        invalid: int,
    ) -> MailHeader:
        record = new(MailHeader)
        s0(record, message_id)
        s1(record, sender)
        s2(record, to)
        s3(record, cc)
        s4(record, bcc)
        s5(record, date)
        s6(record, in_reply_to)
        s7(record, references)
        s8(record, subject)
        s9(record, list_id)
        s10(record, auto_submitted)
        s11(record, precedence)
        s12(record, invalid)
        return record

    return make


_record = _record_maker()


# --- one header block -----------------------------------------------------


def fast_header(block: bytes, limit: datetime | None = None) -> MailHeader | None:
    """The record :func:`~ingest.mail.parse_headers` gives for ``block``, or ``None``.

    ``None`` means the block is not plain enough (see the module docstring)
    or is unusable (no sender, bad date): the caller must use the standard
    library path, which gives the record or the located error. ``limit`` is
    the latest plausible date (now plus the slack of
    :func:`~ingest.mail.parse_date`); dates after it return ``None``.

    >>> block = b"From: Ada <ada@example.com>\\nTo: b@example.com\\nDate: Tue, 5 Mar 2024 10:00:00 +0100\\n"
    >>> fast_header(block).sender
    MailAddress(name='Ada', address='ada@example.com')
    >>> fast_header(b"From: =?utf-8?q?Ad=C3=A0?= <ada@example.com>\\n") is None  # no Date
    True
    """
    return _fast(block, (limit or _limit()).timestamp())


def _fast(block: bytes, latest: float) -> MailHeader | None:
    """:func:`fast_header` with the latest plausible date in seconds since the epoch.

    One regular-expression pass checks every line and picks out the wanted
    fields; the first value of each field counts, except that From, To, Cc
    and Bcc given more than once use every value (as ``get_all``).
    """
    if block.translate(None, _PLAIN):
        return None  # 8-bit or control characters
    parts = _HEADER.split(block.decode())
    if any(parts[::3]):
        return None  # a line that is no header line
    names = parts[1::3]
    keys = list(map(_names.__getitem__, filter(None, names)))
    values = list(compress(parts[2::3], names))
    if b"\r" in block:
        if block.count(b"\r") != block.count(b"\r\n"):
            return None  # a lone CR ends a line for the standard library
        values = [value.rstrip("\r\n") for value in values]
    first = dict(zip(keys, values, strict=True))
    get = first.get
    if len(first) == len(keys):
        sender = _senders[get("from", "")]
        to = _address_list(get("to", "")) if "to" in first else _NONE
        cc = _address_list(get("cc", "")) if "cc" in first else _NONE
        bcc = _address_list(get("bcc", "")) if "bcc" in first else _NONE
    else:  # a field given more than once
        pairs = list(zip(keys, values, strict=True))
        first = dict(reversed(pairs))
        get = first.get
        sender, to, cc, bcc = (_addresses(pairs, field) for field in ("from", "to", "cc", "bcc"))
    if sender is None or not sender[0] or to is None or cc is None or bcc is None:
        return None
    when = _date(get("date", ""), latest)
    if when is None:
        return None
    automated = get("auto-submitted", _NO)
    list_id = get("list-id")
    return _record(
        get("message-id", "").strip(),
        sender[0][0],
        to[0],
        cc[0],
        bcc[0],
        when,
        get("in-reply-to", "").strip(),
        tuple(get("references", "").split()),
        _subjects[get("subject", "")],
        list_id_value(list_id) if list_id else "",
        automated is not _NO and automated.strip().lower() != "no",
        get("precedence", "").strip().lower(),
        to[1] + cc[1],
    )


def parse_block(
    block: bytes, *, source: str, record: str, limit: datetime | None = None
) -> MailHeader:
    """:func:`fast_header`, or :func:`~ingest.mail.parse_headers` when it says ``None``."""
    return fast_header(block, limit) or parse_headers(block, source=source, record=record)


#: (addresses, number of entries that are not addresses) of address fields
_Entries = tuple[tuple[MailAddress, ...], int]


def _addresses(pairs: list[tuple[str, str]], field: str) -> _Entries | None:
    """Every ``field`` value's entries together, as ``getaddresses(get_all(field))``."""
    good: tuple[MailAddress, ...] = ()
    bad = 0
    for name, value in pairs:
        if name == field:
            entries = _address_list(value)
            if entries is None:
                return None
            good += entries[0]
            bad += entries[1]
    return good, bad


def _address_list(value: str) -> _Entries | None:
    """The entries of one plain address list as the slow path reads them; ``None`` if not plain.

    One regular-expression pass cuts the list into entries; each entry's
    address is then looked up by the entry's text (see :func:`_mailbox`).
    """
    parts = _SPLIT.split(value)
    if any(parts[::2]):  # text outside the entries
        return None if value.strip() else _NONE
    texts = parts[1::2]
    good = tuple(filter(None, map(_entries.__getitem__, texts)))
    return good, len(texts) - len(good)


def _mailbox(text: str) -> MailAddress | None:
    """The address of one entry that :data:`_SPLIT` cut out, ``None`` when it is no address."""
    match = _ONE.fullmatch(text)
    return _entry(*match.groups("")) if match else None


def _entry(
    quoted: str, address_q: str, phrase: str, address_p: str, bare: str
) -> MailAddress | None:
    """One matched entry as the slow path sees it (``getaddresses``, then canonical form)."""
    if bare:
        name, address = "", bare
    elif address_q:
        name, address = quoted, address_q
    else:
        name, address = " ".join(phrase.split()), address_p
    return _mailboxes[(name, address)]  # type: ignore[return-value]


def _address(written: tuple[str, str]) -> MailAddress | None:
    """A (display name, address) as written, canonical; ``None`` when it is no address."""
    name, address = written
    canonical = canonical_address(address)
    # not an address: counted as invalid (the entry is never empty)
    return MailAddress(decoded_text(name).strip(), canonical) if canonical else None


def _subject(value: str) -> str:
    """The subject hash of a raw ``Subject`` value, as the slow path computes it."""
    return subject_hash(decoded_text(value))


def _lower(name: str) -> str:
    return name.lower()


def _date(text: str, latest: float) -> datetime | None:
    """``parsedate_to_datetime`` in UTC for the plain RFC 5322 form, if plausible; else ``None``.

    ``latest`` is the latest plausible instant in seconds since the epoch.
    Days and zones are parsed once and cached (as seconds).
    """
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    day_text, hour, minute, second, zone_text = match.groups()
    day, zone = _days[day_text], _zones[zone_text]
    hours, minutes, seconds = int(hour), int(minute), int(second or 0)
    if day is None or zone is None or hours > 23 or minutes > 59 or seconds > 59:
        return None  # out-of-range values are errors for datetime, hence the slow path
    stamp = day + hours * 3600 + minutes * 60 + seconds - zone
    return datetime.fromtimestamp(stamp, UTC) if _EARLIEST <= stamp <= latest else None


def _day(text: str) -> int | None:
    """Midnight UTC of ``D Mon YYYY`` in seconds since the epoch (two-digit years as the
    standard library reads them); ``None`` for no such day or an implausible year."""
    day, month, year = text.split()
    number = _MONTHS.get(month.lower())
    year_number = int(year)
    if year_number < 100:
        year_number += 1900 if year_number > 68 else 2000
    if number is None or not EARLIEST_DATE.year <= year_number <= _LATEST_YEAR:
        return None  # the slow path says why (unparseable or implausible)
    try:
        return int(datetime(year_number, number, int(day), tzinfo=UTC).timestamp())
    except ValueError:
        return None


def _zone(text: str) -> int | None:
    """``±HHMM`` in seconds as the standard library reads it; ``None`` for ``-0000`` and 24 h+."""
    value = int(text[1:])
    offset = (value // 100) * 3600 + (value % 100) * 60
    if (not offset and text[0] == "-") or offset >= 86400:
        return None  # -0000 means "no UTC offset" to the slow path; >= 24 h is an error
    return -offset if text[0] == "-" else offset


def _limit() -> datetime:
    """The latest plausible date, as :func:`~ingest.mail.parse_date` checks it now."""
    return datetime.now(UTC) + FUTURE_SLACK


# --- caches: raw text -> what the slow path makes of it -----------------------

#: From value -> its entries (senders recur, so the whole value is the key)
_senders = _Bounded(_address_list)
#: text of one entry of an address list -> its address (``None``: no address)
_entries = _Bounded(_mailbox)
#: (display name, address) as written -> its address (``None``: no address)
_mailboxes = _Bounded(_address)
#: spelling of a wanted header name -> lower case
_names = _Bounded(_lower, 4096)
#: raw Subject value -> its hash
_subjects = _Bounded(_subject)
#: ``D Mon YYYY`` and ``±HHMM`` texts -> seconds (``None``: not plausible)
_days = _Bounded(_day)
_zones = _Bounded(_zone)


def clear_caches() -> None:
    """Forget the cached senders, entries, mailboxes, subject hashes, days and zones."""
    for cache in (_senders, _entries, _mailboxes, _names, _subjects, _days, _zones):
        cache.clear()


# --- mbox -------------------------------------------------------------------


def header_blocks(
    data: bytes | mmap.mmap, start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """Header blocks of the messages in ``data[start:end]``, as :func:`~ingest.mail.split_mbox`.

    ``start`` must be 0 or the start of a line. Every line starting with
    ``From `` opens a message; text before the first one is ignored; a block
    ends at the first empty line (``LF`` or ``CRLF``) and gets one ``LF``.
    """
    end = len(data) if end is None else end
    starts = [m.start() + 1 for m in _NEXT_FROM.finditer(data, start, end)]
    if data[start : start + 5] == b"From ":
        starts.insert(0, start)
    starts.append(end)
    find = data.find
    for index in range(len(starts) - 1):
        first, stop = starts[index], starts[index + 1]
        line_end = find(b"\n", first, stop)
        if line_end < 0:
            yield b""
            continue
        cut = find(b"\n\n", line_end, stop)  # from the line end: an empty block is b""
        block = data[line_end + 1 : cut + 1] if cut >= 0 else data[line_end + 1 : stop] + b"\n"
        yield _block(data, line_end + 1, stop) if b"\r" in block else block


def _block(data: bytes | mmap.mmap, start: int, stop: int) -> bytes:
    """The header block from ``start``: up to the first ``\\r?\\n\\r?\\n`` before ``stop``."""
    if data[start : start + 1] == b"\n" or data[start : start + 2] == b"\r\n":
        return b""
    lf = data.find(b"\n\n", start, stop)
    crlf = data.find(b"\n\r\n", start, lf + 2 if lf >= 0 else stop)
    cut = crlf if crlf >= 0 else lf
    if cut < 0:
        return data[start:stop] + b"\n"
    if cut > start and data[cut - 1 : cut] == b"\r":
        return data[start : cut - 1] + b"\n"
    return data[start : cut + 1]


def scan_mbox(
    path: str | os.PathLike[str], *, workers: int | None = 1, share: bool = True
) -> Iterator[tuple[str, Parsed]]:
    """``(message index, record or error)`` for every message of an mbox file.

    The same records, ids and errors as :func:`~ingest.mail.read_mbox` plus
    :func:`~ingest.mail.parse_headers`. With ``workers`` > 1 the file is cut
    into byte ranges at message boundaries, parsed by that many processes in
    all (``None``: :func:`default_workers`): this one and ``workers - 1``
    helpers. With ``share=False`` this process only collects the results (for
    callers with work of their own, such as the pipeline).
    """
    source = str(path)
    workers = default_workers(path) if workers is None else workers
    if workers > 1:
        size = os.stat(path).st_size // (4 * workers)  # a few tasks per process
        ranges = _mbox_ranges(path, max(min(size, _BYTES_PER_TASK), _MIN_TASK_BYTES))
        if len(ranges) > 1:
            tasks = [(source, start, end) for start, end in ranges]
            chunks = _parallel(_scan_range, tasks, workers, share=share)
            yield from _located(source, (r for chunk in chunks for r in chunk), _numbers())
            return
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            latest = _limit().timestamp()
            for index, block in enumerate(header_blocks(data)):
                record = str(index)
                header = _fast(block, latest)
                if header is None:
                    try:
                        header = parse_headers(block, source=source, record=record)
                    except IngestError as err:
                        yield record, err
                        continue
                yield record, header


def _scan_range(source: str, start: int, end: int) -> list[MailHeader | bytes]:
    """Task: records of the messages in one byte range; the raw block when one fails."""
    out: list[MailHeader | bytes] = []
    with open(source, "rb") as handle:
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            latest = _limit().timestamp()
            for block in header_blocks(data, start, end):
                out.append(_parse_or_block(block, source, latest))
    return out


def _parse_or_block(block: bytes, source: str, latest: float) -> MailHeader | bytes:
    header = _fast(block, latest)
    if header is not None:
        return header
    try:
        return parse_headers(block, source=source, record="?")
    except IngestError:
        return block  # re-parsed by the caller with its real record id


def _mbox_ranges(path: str | os.PathLike[str], size: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``size`` bytes, each starting at a ``From `` line (or 0)."""
    with open(path, "rb") as handle:
        total = os.fstat(handle.fileno()).st_size
        if total == 0:
            return []
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            cuts = [0]
            while cuts[-1] + size < total:
                found = data.find(b"\nFrom ", cuts[-1] + size)
                if found < 0:
                    break
                cuts.append(found + 1)
    cuts.append(total)
    return list(zip(cuts, cuts[1:], strict=False))


def _numbers() -> Iterator[str]:
    index = 0
    while True:
        yield str(index)
        index += 1


def _located(
    source: str, results: Iterator[MailHeader | bytes], records: Iterator[str]
) -> Iterator[tuple[str, Parsed]]:
    """Attach record ids; re-parse failed blocks so their errors name the record."""
    for record, result in zip(records, results, strict=False):
        if isinstance(result, MailHeader):
            yield record, result
            continue
        try:
            yield record, parse_headers(result, source=source, record=record)
        except IngestError as err:
            yield record, err


# --- maildir, .eml, dispatch --------------------------------------------------


def scan_maildir(
    path: str | os.PathLike[str], *, workers: int | None = 1, share: bool = True
) -> Iterator[tuple[str, Parsed]]:
    """``(relative path, record or error)`` per message, as :func:`~ingest.mail.read_maildir`.

    ``workers`` and ``share`` as for :func:`scan_mbox`, over runs of files
    (``None`` means one process).
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"no such maildir: {root}")
    files = list(message_files(root))
    names = [file.relative_to(root).as_posix() for file in files]
    workers = 1 if workers is None else workers
    if workers > 1 and len(files) > _FILES_PER_TASK:
        tasks = [
            ([str(f) for f in files[i : i + _FILES_PER_TASK]], str(root))
            for i in range(0, len(files), _FILES_PER_TASK)
        ]
        chunks = _parallel(_scan_files, tasks, workers, share=share)
        yield from _located(str(root), (r for chunk in chunks for r in chunk), iter(names))
        return
    latest = _limit().timestamp()
    for file, record in zip(files, names, strict=True):
        block = read_header_block(file)
        header = _fast(block, latest)
        if header is None:
            try:
                header = parse_headers(block, source=str(root), record=record)
            except IngestError as err:
                yield record, err
                continue
        yield record, header


def _scan_files(files: list[str], source: str) -> list[MailHeader | bytes]:
    """Worker: records of a run of message files; the raw block when one fails."""
    latest = _limit().timestamp()
    return [_parse_or_block(read_header_block(f), source, latest) for f in files]


def read_mail(
    path: Path, *, workers: int | None = 1, share: bool = True
) -> Iterator[tuple[str, Parsed]]:
    """Records of a maildir folder, an mbox (starts with ``From ``) or one ``.eml`` file."""
    if path.is_dir():
        return scan_maildir(path, workers=workers, share=share)
    with open(path, "rb") as handle:
        is_mbox = handle.read(5) == b"From "
    if is_mbox:
        return scan_mbox(path, workers=workers, share=share)
    return _scan_eml(path)


def _scan_eml(path: Path) -> Iterator[tuple[str, Parsed]]:
    record = path.name
    try:
        yield record, parse_block(read_header_block(path), source=str(path), record=record)
    except IngestError as err:
        yield record, err


def default_workers(path: str | os.PathLike[str]) -> int:
    """Processes for ``workers=None``: 2 for an mbox of :data:`AUTO_WORKERS_BYTES` or more
    when a CPU is idle, else 1.

    A helper process costs about 5 µs of extra CPU per message (pickling the
    records both ways), so it only pays when a second CPU is free: on a busy
    2-CPU machine (load average 2 or more) two processes measured slower than
    one. Maildirs are read in one process.
    """
    if Path(path).is_dir() or os.stat(path).st_size < AUTO_WORKERS_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        busy = 0.0
    return 2 if cpus - busy >= 1 else 1


def _parallel(
    function: Callable[..., list], tasks: Sequence[tuple], workers: int, *, share: bool
) -> Iterator[list]:
    """``function(*task)`` for every task in ``workers`` processes in all; results in task order.

    ``workers - 1`` helper processes run the tasks; with ``share`` this
    process runs every ``workers``-th task itself. At most ``2 * (workers -
    1)`` tasks are in flight, so a slow consumer does not make the results of
    a whole file pile up in memory.
    """
    helpers = max(workers - 1, 1)
    remote = [i for i in range(len(tasks)) if not (share and i % workers == 0)]
    queue = iter(remote)
    pending: dict[int, Future] = {}
    context = get_context(_start_method())
    with ProcessPoolExecutor(max_workers=helpers, mp_context=context) as pool:

        def top_up() -> None:
            while len(pending) < 2 * helpers and (index := next(queue, None)) is not None:
                pending[index] = pool.submit(_pickled, function, *tasks[index])

        top_up()
        for index, task in enumerate(tasks):
            if index in pending:
                blob = pending.pop(index).result()
                top_up()
                yield _unpickled(blob)
            else:
                yield function(*task)


def _pickled(function: Callable[..., list], *args: object) -> bytes:
    """Helper process: run a task and pickle its result (no cycles: no garbage collection)."""
    gc.disable()
    try:
        return pickle.dumps(function(*args), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        gc.enable()


def _unpickled(blob: bytes) -> list:
    """Unpickle a task's records with the cycle collector paused (records hold no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(blob)
    finally:
        if enabled:
            gc.enable()


def _start_method() -> str:
    """:data:`START_METHOD`, or ``fork`` from a single-threaded process (cheap and safe),
    else ``forkserver`` or ``spawn``.

    With ``forkserver`` and ``spawn`` the main module is imported again in
    the helpers, so scripts need the ``if __name__ == "__main__":`` guard.
    """
    if START_METHOD:
        return START_METHOD
    methods = get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"
