"""E-mail headers: mbox, maildir and .eml readers plus a header-only parser.

Readers only open files and yield ``(record, raw header block)`` pairs; the
header block ends at the first empty line, so bodies are never kept.
:func:`parse_headers` is pure and turns one block into a :class:`MailHeader`.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import fields
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.errors import CharsetError
from email.errors import HeaderParseError
from email.header import decode_header
from email.header import make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from email.utils import parsedate_to_datetime
from operator import attrgetter
from pathlib import Path

from ingest.errors import IngestError
from ingest.identity import canonical_address

__all__ = [
    "EARLIEST_DATE",
    "FUTURE_SLACK",
    "MailAddress",
    "MailHeader",
    "decoded_text",
    "list_id_value",
    "message_files",
    "parse_date",
    "parse_headers",
    "read_eml",
    "read_maildir",
    "read_mbox",
    "split_mbox",
    "subject_hash",
]

_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_PARSER = BytesHeaderParser(policy=compat32)
#: dates before this instant are implausible
EARLIEST_DATE = datetime(1971, 1, 1, tzinfo=UTC)
#: dates later than now plus this are implausible
FUTURE_SLACK = timedelta(days=2)
_READ_CHUNK = 16384
_SURROGATES = re.compile("[\udc80-\udcff]")
_LIST_ID = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True, slots=True)
class MailAddress:
    """A display name (RFC 2047-decoded) and a canonical address."""

    name: str
    address: str

    def __reduce__(self) -> tuple[type[MailAddress], tuple[str, str]]:
        """Pickle as a constructor call (faster than the dataclass default)."""
        return MailAddress, (self.name, self.address)


@dataclass(frozen=True, slots=True)
class MailHeader:
    """The headers of one message that matter for the network; no subject, no body.

    ``subject_hash`` is a BLAKE2b digest of the normalised subject (reply and
    forward prefixes removed, case and white space folded). ``invalid`` counts
    recipient entries that were not addresses (e.g. ``undisclosed-recipients:;``).
    """

    message_id: str
    sender: MailAddress
    to: tuple[MailAddress, ...]
    cc: tuple[MailAddress, ...]
    bcc: tuple[MailAddress, ...]
    date: datetime
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    subject_hash: str = ""
    list_id: str = ""
    auto_submitted: bool = False
    precedence: str = ""
    invalid: int = 0

    @property
    def recipients(self) -> tuple[str, ...]:
        """Distinct To and Cc addresses, in order (Bcc is not counted)."""
        return tuple(dict.fromkeys(a.address for a in self.to + self.cc))

    @property
    def automated(self) -> bool:
        """True for auto-submitted or bulk/list/junk precedence mail."""
        return self.auto_submitted or self.precedence in {"bulk", "list", "junk"}

    def __reduce__(self) -> tuple[type[MailHeader], tuple[object, ...]]:
        """Pickle as a constructor call: worker processes send many of these."""
        return MailHeader, _header_values(self)


_header_values = attrgetter(*(f.name for f in fields(MailHeader)))


def split_mbox(data: bytes | mmap.mmap) -> Iterator[tuple[int, bytes]]:
    """Yield ``(index, header block)`` per message of an mbox (0-based, as ``mailbox.mbox``).

    Every line starting with ``From `` opens a message (mboxo/mboxrd escape
    such lines in bodies as ``>From``). Text before the first ``From `` line
    is ignored. Only the headers are sliced out.
    """
    starts = [m.start() for m in _FROM_LINE.finditer(data)]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(data)
        line_end = data.find(b"\n", start, end)
        if line_end < 0:
            yield index, b""
            continue
        yield index, _header_block(data, line_end + 1, end)


def _header_block(data: bytes | mmap.mmap, start: int, end: int) -> bytes:
    if data[start : start + 1] == b"\n" or data[start : start + 2] == b"\r\n":
        return b""  # empty header block
    match = _HEADER_END.search(data, start, end)
    return bytes(data[start : match.start() if match else end]) + b"\n"


def parse_headers(raw: bytes, *, source: str, record: str) -> MailHeader:
    """Parse one header block; raise :class:`IngestError` when it is unusable.

    Missing ``From`` or a ``From`` without an address, and a missing,
    unparseable, offset-less or implausible ``Date`` are errors: the file time
    is never used instead.
    """
    msg = _PARSER.parsebytes(raw)
    where = {"source": source, "record": record}
    senders = _addresses(msg.get_all("From", []))
    if not senders:
        field_value = _text(msg.get("From", ""))
        reason = "missing From" if not field_value.strip() else "From has no address"
        raise IngestError(reason, field="From", value=field_value, **where)
    to, bad_to = _address_list(msg, "To")
    cc, bad_cc = _address_list(msg, "Cc")
    bcc, _ = _address_list(msg, "Bcc")
    return MailHeader(
        message_id=_text(msg.get("Message-ID", "")).strip(),
        sender=senders[0],
        to=to,
        cc=cc,
        bcc=bcc,
        date=parse_date(msg.get("Date"), **where),
        in_reply_to=_text(msg.get("In-Reply-To", "")).strip(),
        references=tuple(_text(msg.get("References", "")).split()),
        subject_hash=subject_hash(decoded_text(msg.get("Subject", ""))),
        list_id=_list_id(msg),
        auto_submitted=_text(msg.get("Auto-Submitted", "no")).strip().lower() != "no",
        precedence=_text(msg.get("Precedence", "")).strip().lower(),
        invalid=bad_to + bad_cc,
    )


def parse_date(value: object, *, source: str, record: str) -> datetime:
    """An RFC 5322 ``Date`` as an aware UTC datetime, or :class:`IngestError`."""
    text = _text(value or "").strip()
    if not text:
        raise IngestError("missing Date", source=source, record=record, field="Date")
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError) as err:
        raise IngestError(
            "unparseable Date", source=source, record=record, field="Date", value=text
        ) from err
    if parsed.tzinfo is None:
        raise IngestError(
            "Date has no UTC offset", source=source, record=record, field="Date", value=text
        )
    parsed = parsed.astimezone(UTC)
    if not EARLIEST_DATE <= parsed <= datetime.now(UTC) + FUTURE_SLACK:
        raise IngestError(
            "implausible Date", source=source, record=record, field="Date", value=text
        )
    return parsed


def subject_hash(subject: str) -> str:
    """BLAKE2b (16 bytes) of the normalised subject; the subject itself is dropped."""
    normal = " ".join(_REPLY_PREFIX.sub("", subject).casefold().split())
    return hashlib.blake2b(normal.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _text(value: object) -> str:
    """Header text with undecodable bytes (kept as surrogates by compat32) replaced."""
    text = str(value)
    if not text.isascii() and _SURROGATES.search(text):
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def decoded_text(value: object) -> str:
    """RFC 2047-decode a header value; undecodable words are kept as written.

    >>> decoded_text("=?utf-8?q?Zo=C3=AB?= B")
    'Zoë B'
    """
    text = _text(value)
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    # ValueError: undecodable bytes (UnicodeError) or a NUL in the charset name
    except (HeaderParseError, CharsetError, LookupError, ValueError):
        return text  # cosmetic field only: the raw text is a faithful fallback


def _addresses(values: Iterable[object]) -> list[MailAddress]:
    return [a for a in _all_addresses(values) if isinstance(a, MailAddress)]


def _all_addresses(values: Iterable[object]) -> list[MailAddress | None]:
    found: list[MailAddress | None] = []
    try:
        pairs = getaddresses([_text(v) for v in values])
    except RecursionError:  # comments nested deeper than the parser recurses: no address
        return [None]
    for name, address in pairs:
        canonical = canonical_address(address)
        if canonical:
            found.append(MailAddress(decoded_text(name).strip(), canonical))
        elif name or address:
            found.append(None)
    return found


def _address_list(msg: Message, field: str) -> tuple[tuple[MailAddress, ...], int]:
    entries = _all_addresses(msg.get_all(field, []))
    good = tuple(a for a in entries if a is not None)
    return good, len(entries) - len(good)


def _list_id(msg: Message) -> str:
    return list_id_value(_text(msg.get("List-Id", "")))


def list_id_value(value: str) -> str:
    """The list identifier of a ``List-Id`` value: the part in angle brackets, lower-cased.

    >>> list_id_value(" Team news <Team.Example.com> ")
    'team.example.com'
    """
    value = value.strip()
    match = _LIST_ID.search(value)
    return (match.group(1) if match else value).strip().lower()


def read_mbox(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(message index, header block)`` from an mbox file.

    A missing path raises :class:`FileNotFoundError` (like
    ``mailbox.mbox(path, create=False)``), it is never an empty mailbox.
    The file is memory-mapped, so large mailboxes are not read into memory.
    """
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for index, block in split_mbox(data):
                yield str(index), block


def read_eml(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """Yield the single ``(file name, header block)`` of an ``.eml`` file."""
    yield Path(path).name, read_header_block(path)


def read_header_block(path: str | os.PathLike[str]) -> bytes:
    """Read a message file up to the end of its headers (CRLF or LF)."""
    chunks: list[bytes] = []
    with open(path, "rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            chunks.append(chunk)
            data = b"".join(chunks)
            if data.startswith((b"\n", b"\r\n")):
                return b""
            match = _HEADER_END.search(data)
            if match:
                return data[: match.start()] + b"\n"
    return b"".join(chunks)


def read_maildir(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(relative path, header block)`` for every message under a maildir.

    Accepts standard maildirs (``cur/`` and ``new/``; ``tmp/`` is skipped)
    and Enron-style trees of numbered files (``1.``, ``1_``). Hidden files
    and ``*.md`` notes are ignored. Files come in a stable, sorted order.
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"no such maildir: {root}")
    for file in message_files(root):
        yield file.relative_to(root).as_posix(), read_header_block(file)


def message_files(root: Path) -> Iterator[Path]:
    """The message files of a maildir tree, in the order :func:`read_maildir` reads them."""
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "tmp" and not d.startswith("."))
        for name in sorted(files, key=_natural):
            if not name.startswith(".") and not name.lower().endswith(".md"):
                yield Path(directory, name)


def _natural(name: str) -> tuple[int, str]:
    match = re.match(r"\d+", name)
    return (int(match.group()) if match else -1, name)
