"""Inputs for the fuzz targets: real samples mutated, generated near-valid documents, raw bytes.

:func:`mutated` starts from the real exports in ``tests/data`` and applies a
few edits: byte flips, cuts, truncations, odd Unicode, NULs, stray bytes of
broken UTF-8, huge fields, repeated ranges, changed line ends and whole-file
re-encodings (UTF-16, Latin-1). The grammar strategies build documents of
the right shape from hostile parts (header lines, iCalendar properties and
recurrence rules, CSV cells under real column names, JSON values and deep
nesting), which reach the code behind the first syntax check.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from hypothesis import strategies as st

from ingest import mail
from ingest import tickets
from ingest import trace
from tests.fuzz.harness import MAILDIR_SPLIT

DATA = Path(__file__).resolve().parents[1] / "data"


def _read(*names: str) -> list[bytes]:
    return [(DATA / name).read_bytes() for name in names]


def _blocks() -> list[bytes]:
    blocks = [b for name in ("sample.mbox", "enron-sample.mbox")
              for _, b in mail.split_mbox((DATA / name).read_bytes())]  # fmt: skip
    return [b for b in blocks if b] + [mail.read_header_block(DATA / "one.eml")]


SAMPLES: dict[str, list[bytes]] = {
    "header": _blocks(),
    "mbox": _read("sample.mbox", "enron-sample.mbox"),
    "eml": _read(
        "one.eml",
        "maildir/cur/1709715600.M1P1.host:2,S",
        "enron-maildir/allen-p/_sent_mail/1.",
        "enron-maildir/mcconnell-m/all_documents/520.",
    ),
    "trace": _read("traces/m365.csv", "traces/m365-report.csv", "traces/google.csv"),
    "ics": _read(
        "weekly.ics",
        "ics/calconnect.ics",
        "ics/calconnect3.ics",
        "ics/calconnect4.ics",
        "ics/event_dt_partstat.ics",
        "ics/blankTzid.ics",
        "ics/google_birthday.ics",
    ),
    "meetings": _read("meetings.csv"),
    "tickets csv": _read(
        "tickets.csv",
        "tickets-presets/jira.csv",
        "tickets-presets/zendesk.csv",
    ),
    "tickets json": _read(
        "tickets.json", "tickets-presets/jira-search.json", "tickets-presets/zendesk.json"
    ),
    "directory": _read("hr.csv", "hr_bad.csv"),
    "mapping": _read("tickets-presets/helpdesk-mapping.json", "traces/m365-mapping.json"),
    "users": _read("users.csv", "tickets-presets/zendesk-users.csv"),
}

#: short hostile pieces inserted anywhere
NASTY: list[bytes] = [
    b"\x00", b"\r", b"\r\n", b"\n", b"\n\n", b"\t", b" ", b"\x0b", b"\x1b[2J",
    b"\xff", b"\xfe", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xc0\xaf",
    "\u202e".encode(), "\u2028".encode(), "\u0301\u0301".encode(), "\U0001d518".encode(),
    "İ".encode(), "ß".encode(), "\ufffd".encode(), "\ufeff".encode(),
    b'"', b"'", b"`", b",", b";", b":", b"=", b"\\", b"<", b">", b"@", b"(", b")",
    b"[", b"]", b"{", b"}", b"null", b"true", b"-", b"?", b"%s", b"%n", b"${x}",
    b"=?utf-8?b?w6k=?=", b"=?utf-8?q?=FF=FE?=", b"=?x-unknown?q?a?=", b"=?utf-8?b?***?=",
    b"From ", b"\nFrom x\n", b">From ", b"To:", b"\nDate: ", b" +2400", b" -0000",
    b"0001-01-01T00:00:00+01:00", b"9999-12-31T23:59:59-01:00", b"1/1/0001 00:00",
    b"31/12/9999 23:59", b"29/2/2023 10:00", b"99/99/9999 99:99", b"Mon, 1 Jan 0001 00:00:00 +0100",
    b"1e400", b"-1e400", b"NaN", b"Infinity", b"9" * 30, b"0x10", b"\\ud800", b"\\udfff",
    b"BEGIN:VEVENT", b"END:VEVENT", b"BEGIN:VCALENDAR", b"RRULE:FREQ=SECONDLY",
    b"RRULE:FREQ=DAILY;COUNT=999999", b"TZID=Mars/Olympus", b";VALUE=DATE", b"\r\n ",
    b"mailto:", b"MAILTO:x@example.com", b"a@example.com", b"@@", b"a@b@c",
]  # fmt: skip
ENCODINGS = ("utf-16", "utf-16-be", "latin-1", "cp1252", "utf-8-sig", "utf-32")
HUGE = (1_000, 70_000, 140_000)
_OPS = ("flip", "insert", "delete", "truncate", "repeat", "huge", "newlines", "encode", "nest")


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A real sample with one to eight edits."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(_OPS))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[at:]
        elif op == "repeat":
            piece = bytes(data[at : at + draw(st.integers(1, 200))])
            data[at:at] = piece * draw(st.integers(1, 50))
        elif op == "huge":
            unit = draw(st.sampled_from([b"A", b"\xc3\xa9", b",", b'"', b"\n ", b"x@"]))
            data[at:at] = unit * (draw(st.sampled_from(HUGE)) // len(unit))
        elif op == "newlines":
            old, new = draw(st.sampled_from([(b"\r\n", b"\n"), (b"\n", b"\r\n"), (b"\n", b"\r")]))
            data = bytearray(bytes(data).replace(old, new))
        elif op == "encode":
            text = bytes(data).decode("utf-8", "replace")
            data = bytearray(text.encode(draw(st.sampled_from(ENCODINGS)), "replace"))
        elif op == "nest":
            depth = draw(st.sampled_from([10, 1_000, 100_000]))
            opener = draw(st.sampled_from([b"[", b'{"a":', b"[{}, ", b"(", b"<"]))
            data[at:at] = opener * depth
    return bytes(data)


def raw(max_size: int = 3_000) -> st.SearchStrategy[bytes]:
    """Any bytes at all."""
    return st.binary(max_size=max_size)


# -- e-mail headers ----------------------------------------------------------------------------

HEADER_NAMES = [
    "From", "To", "Cc", "Bcc", "Date", "Message-ID", "Subject", "List-Id", "Auto-Submitted",
    "Precedence", "In-Reply-To", "References", "Sender", "Reply-To", "X-Mailer",
    "FROM", "to", "Content-Type",
]  # fmt: skip
ADDRESSES = [
    "ada.lovelace@example.com", "Grace <grace.hopper@example.com>", '"Turing, Alan" <alan.turing@example.com>',
    "partner@vendor.test", "undisclosed-recipients:;", "group: a@example.com, b@example.com;",
    "<@route:x@example.com>", "a(comment)@example.com", '"quoted \\" name" <q@example.com>',
    "=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", "no-at-sign", "@example.com", "x@", "<>",
    "noreply@example.com", "list-bounces@example.com", "a@b@c", "a@[10.0.0.1]", "ä@ö.example",
]  # fmt: skip
DATES = [
    "Tue, 5 Mar 2024 10:00:01 +0100", "5 Mar 2024 10:00 -0000", "Tue, 5 Mar 24 10:00:01 +0100",
    "Mon, 1 Jan 0001 00:00:00 +0100", "Fri, 31 Dec 9999 23:59:59 -2359", "Tue, 5 Mar 2024 25:61:61 +0100",
    "Tue, 5 Mar 2024 10:00:01", "Tue, 5 Mar 2024 10:00:01 +9999", "Tue, 5 Foo 2024 10:00:01 +0100",
    "Tue, 31 Feb 2024 10:00:01 +0100", "1 Jan 1970 00:00:00 +0000", "Sun, 1 Jan 2090 00:00:00 +0000",
    "Tue, 5 Mar 2024 10:00:01 GMT", "Tue, 5 Mar 2024 10:00:01 EST", "", "yesterday",
    "2024-03-05T10:00:01Z", "Tue, 5 Mar 2024 10:00:01 +0100 (CET)", "99999999999999999999",
]  # fmt: skip
_ODD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from("\t\r\n,;:<>\"'()@=?"),
    max_size=40,
)  # fmt: skip


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    """Header lines with plausible and hostile names, addresses and dates, any line ends."""
    lines = []
    for _ in range(draw(st.integers(0, 10))):
        name = draw(st.sampled_from(HEADER_NAMES) | st.text(min_size=1, max_size=8))
        if name.lower() in ("from", "to", "cc", "bcc", "sender", "reply-to"):
            parts = draw(st.lists(st.sampled_from(ADDRESSES) | _ODD_TEXT, max_size=4))
            value = draw(st.sampled_from([", ", ",", ",\n ", " "])).join(parts)
        elif name.lower() == "date":
            value = draw(st.sampled_from(DATES) | _ODD_TEXT)
        else:
            value = draw(_ODD_TEXT)
        lines.append(f"{name}:{draw(st.sampled_from(['', ' ', '  ', chr(9)]))}{value}")
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(lines) + end
    return text.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), "replace")


@st.composite
def mboxes(draw: st.DrawFn) -> bytes:
    """An mbox of generated header blocks and bodies."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        separator = draw(
            st.sampled_from([b"From x Tue Mar  5 10:00:00 2024\n", b"From \n", b"From "])
        )
        body = draw(st.sampled_from([b"\nbody\n", b"\r\n\r\nbody\r\n", b"", b"\n>From x\n"]))
        parts.append(separator + draw(header_blocks()) + body)
    return b"".join(parts)


# -- iCalendar ---------------------------------------------------------------------------------

ICS_TIMES = [
    "20240108T100000", "20240108T100000Z", "20240108", "00010101T000000", "99991231T235959Z",
    "20241301T250000", "2024-01-08T10:00:00", "", "x", "20240108T100000Z/PT1H",
]  # fmt: skip
ICS_PARAMS = [
    "",
    ";TZID=Europe/London",
    ";TZID=Mars/Olympus",
    ";VALUE=DATE",
    ";VALUE=PERIOD",
    ";TZID=",
]
RRULES = [
    "FREQ=WEEKLY;COUNT=4", "FREQ=DAILY", "FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=SECONDLY",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=WEEKLY;UNTIL=20240101T000000Z", "FREQ=MONTHLY;BYDAY=5FR",
    "FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;COUNT=-1", "FREQ=DAILY;COUNT=99999999", "FREQ=FOO",
    "FREQ=WEEKLY;UNTIL=20240101", "FREQ=DAILY;BYSETPOS=400", "", "FREQ=DAILY;UNTIL=00010101T000000Z",
]  # fmt: skip
ATTENDEES = [
    "mailto:grace.hopper@example.com", "MAILTO:alan.turing@example.com", "mailto:", "mailto:x",
    "mailto:room-1@example.com", "mailto:partner@vendor.test", "tel:+100", "",
]  # fmt: skip
ATTENDEE_PARAMS = [
    "",
    ";PARTSTAT=DECLINED",
    ";CUTYPE=ROOM",
    ";ROLE=NON-PARTICIPANT",
    ';CN="A, B"',
    ";PARTSTAT=",
]


@st.composite
def calendars(draw: st.DrawFn) -> bytes:
    """A calendar of a few events with odd times, zones, recurrences and attendees."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN"]
    if draw(st.booleans()):
        lines += ["CALSCALE:" + draw(st.sampled_from(["GREGORIAN", "CHINESE"]))]
    for number in range(draw(st.integers(0, 4))):
        lines.append("BEGIN:VEVENT")
        if draw(st.booleans()):
            lines.append(f"UID:{draw(st.sampled_from(['e1', 'e2', f'e{number}', '']))}@example.com")
        for name in draw(
            st.lists(
                st.sampled_from(["DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"]),
                max_size=4,
            )
        ):
            lines.append(
                f"{name}{draw(st.sampled_from(ICS_PARAMS))}:{draw(st.sampled_from(ICS_TIMES))}"
            )
        if draw(st.booleans()):
            lines.append(
                "DURATION:" + draw(st.sampled_from(["PT1H", "P1D", "-PT1H", "P9999W", "x"]))
            )
        if draw(st.booleans()):
            lines.append("RRULE:" + draw(st.sampled_from(RRULES)))
        if draw(st.booleans()):
            lines.append("ORGANIZER:" + draw(st.sampled_from(ATTENDEES)))
        for _ in range(draw(st.integers(0, 3))):
            lines.append(
                f"ATTENDEE{draw(st.sampled_from(ATTENDEE_PARAMS))}:{draw(st.sampled_from(ATTENDEES))}"
            )
        if draw(st.booleans()):
            lines.append("STATUS:" + draw(st.sampled_from(["CANCELLED", "CONFIRMED", "", "x"])))
        if draw(st.booleans()):
            lines.append("SUMMARY:" + draw(_ODD_TEXT).replace("\n", " ").replace("\r", " "))
        if draw(st.booleans()):
            lines.append("END:VEVENT")
    if draw(st.booleans()):
        lines.append("END:VCALENDAR")
    end = draw(st.sampled_from(["\r\n", "\n"]))
    return (end.join(lines) + end).encode("utf-8")


# -- CSV and JSON exports ------------------------------------------------------------------

CELLS = [
    "ada.lovelace@example.com", "grace.hopper@example.com", "Alan Turing", "Caller 2403", "partner@vendor.test",
    "2016-03-01T10:00:00Z", "29/2/2016 01:16", "31/12/9999 23:59", "1/1/0001 00:00", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "12/Mar/24 9:15 AM", "3/4/2024 9:15:02 AM", "2016/03/01 10:00",
    "0", "1", "5", "6", "-1", "1e400", "nan", "inf", "good", "bad", "offered", "?", "", "null",
    "true", "maybe", "INC0001", "Service Desk", "a##Receive, Deliver;b@example.com##Fail",
    "<m1@example.com>", "Delivered", "Failed", "Expanded", "1;2;3", "a@example.com;b@example.com",
]  # fmt: skip
_CELL = st.sampled_from(CELLS) | _ODD_TEXT

DIRECTORY_COLUMNS = [
    "person_id", "name", "email", "aliases", "department", "team", "title", "manager_id", "location", "is_it",
]  # fmt: skip
MEETING_COLUMNS = ["uid", "organizer", "attendees", "start", "end"]
TICKET_COLUMNS = sorted(
    {c for preset in tickets.PRESETS.values() for cs in preset.values() for c in cs}
)
TRACE_COLUMNS = sorted(
    {c for preset in trace.TRACE_PRESETS.values() for cs in preset.values() for c in cs}
)
USER_COLUMNS = ["user", "email"]


@st.composite
def csv_documents(draw: st.DrawFn, columns: list[str]) -> bytes:
    """A CSV whose header is mostly real column names and whose cells are hostile."""
    header = draw(
        st.lists(st.sampled_from(columns) | _ODD_TEXT, min_size=0, max_size=len(columns) + 2)
    )
    if draw(st.booleans()):
        header = list(dict.fromkeys(columns + header))  # everything present, extras after
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.integers(-2, 2))
        writer.writerow([draw(_CELL) for _ in range(max(width, 0))])
    return out.getvalue().encode(
        draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])), "replace"
    )


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(CELLS) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | st.sampled_from(TICKET_COLUMNS), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@st.composite
def json_documents(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A real JSON export with values swapped for arbitrary JSON, or arbitrary JSON, or deep nesting."""
    kind = draw(st.sampled_from(["edit", "any", "deep", "surrogates"]))
    if kind == "any":
        return json.dumps(draw(_JSON)).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([100, 900, 1_000, 5_000, 200_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"result":[', "]}")]))
        return (opener * depth + "1" + closer * depth).encode()
    data = json.loads(draw(st.sampled_from(samples)))
    items = (
        data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    )
    for _ in range(draw(st.integers(1, 6))):
        item = draw(st.sampled_from(items))
        if isinstance(item, dict):
            key = draw(st.sampled_from(sorted(item)) | st.sampled_from(TICKET_COLUMNS))
            item[key] = draw(_JSON)
    text = json.dumps(data, allow_nan=True)
    if kind == "surrogates":  # lone surrogates are legal JSON escapes and illegal Unicode
        text = text.replace('"', '"\\ud800', 3)
    return text.encode()


@st.composite
def gzipped(draw: st.DrawFn, inner: st.SearchStrategy[bytes]) -> bytes:
    """``inner`` compressed, sometimes cut short or with a byte changed."""
    data = bytearray(gzip.compress(draw(inner)))
    damage = draw(st.sampled_from(["none", "cut", "flip"]))
    if damage == "cut":
        del data[draw(st.integers(0, len(data))) :]
    elif damage == "flip" and data:
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


TIME_FORMATS = [
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d",
    "%",
    "%Q",
    "%Y%Y",
    "",
    "%d/%m/%y %I:%M %p",
    "%s",
    "%z %Z",
]


@st.composite
def mappings(draw: st.DrawFn) -> bytes:
    """A column mapping with real and made-up fields, columns, presets and time formats."""
    fields = sorted(set(tickets.FIELDS) | set(trace.FIELDS))
    columns = draw(
        st.dictionaries(
            st.sampled_from(fields) | st.text(max_size=8),
            st.sampled_from(TICKET_COLUMNS + TRACE_COLUMNS + ["Ticket", "Raised by", "CSAT"])
            | st.lists(
                st.sampled_from(TICKET_COLUMNS + ["Ticket"]) | st.text(max_size=5), max_size=3
            )
            | _JSON,
            max_size=6,
        )
    )
    data: dict[str, object] = (
        {"columns": columns} if draw(st.booleans()) else {"columns": draw(_JSON)}
    )
    if draw(st.booleans()):
        data["preset"] = draw(
            st.sampled_from([*tickets.PRESETS, *trace.TRACE_PRESETS, "remedy"]) | _JSON
        )
    if draw(st.booleans()):
        data["name"] = draw(st.text(max_size=10) | _JSON)
    if draw(st.booleans()):
        data["time_format"] = draw(st.sampled_from(TIME_FORMATS) | _JSON)
    return json.dumps(data).encode()


def _maildir_parts() -> st.SearchStrategy[bytes]:
    # files of at most 20 kB: huge headers are the mbox and .eml targets' business
    part = (mutated(SAMPLES["eml"]) | header_blocks() | raw(300)).map(lambda b: b[:20_000])
    return st.lists(part, min_size=1, max_size=4).map(MAILDIR_SPLIT.join)


#: the inputs of each fuzz target, by kind: mutated samples, generated documents, random bytes
INPUTS: dict[str, dict[str, st.SearchStrategy[bytes]]] = {
    "email header block": {
        "mutated": mutated(SAMPLES["header"]),
        "generated": header_blocks(),
        "random": raw(1_000),
    },
    "mbox": {
        "mutated": mutated(SAMPLES["mbox"]),
        "generated": mboxes(),
        "random": raw().map(lambda data: b"From " + data),
    },
    "eml": {"mutated": mutated(SAMPLES["eml"]), "generated": header_blocks(), "random": raw()},
    "maildir": {"mixed": _maildir_parts()},
    "message trace csv": {
        "mutated": mutated(SAMPLES["trace"]),
        "generated": csv_documents(TRACE_COLUMNS),
        "random": raw(),
    },
    "ics": {"mutated": mutated(SAMPLES["ics"]), "generated": calendars(), "random": raw()},
    "meetings csv": {
        "mutated": mutated(SAMPLES["meetings"]),
        "generated": csv_documents(MEETING_COLUMNS),
        "random": raw(),
    },
    "tickets csv": {
        "mutated": mutated(SAMPLES["tickets csv"]),
        "generated": csv_documents(TICKET_COLUMNS),
        "random": raw(),
    },
    "tickets json": {
        "mutated": mutated(SAMPLES["tickets json"]),
        "generated": json_documents(SAMPLES["tickets json"]),
        "random": raw(),
    },
    "tickets csv.gz": {"compressed": gzipped(mutated(SAMPLES["tickets csv"])), "random": raw()},
    "directory csv": {
        "mutated": mutated(SAMPLES["directory"]),
        "generated": csv_documents(DIRECTORY_COLUMNS),
        "random": raw(),
    },
    "column mapping json": {
        "mutated": mutated(SAMPLES["mapping"]),
        "generated": mappings(),
        "random": raw(500),
    },
    "user map csv": {
        "mutated": mutated(SAMPLES["users"]),
        "generated": csv_documents(USER_COLUMNS),
        "random": raw(500),
    },
}
