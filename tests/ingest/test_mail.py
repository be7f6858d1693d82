"""Header parsing and the mbox / maildir / .eml readers."""

from __future__ import annotations

import mailbox
from datetime import UTC
from datetime import datetime
from email.utils import formataddr

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ingest.errors import IngestError
from ingest.mail import MailAddress
from ingest.mail import parse_headers
from ingest.mail import read_eml
from ingest.mail import read_maildir
from ingest.mail import read_mbox
from ingest.mail import split_mbox
from ingest.mail import subject_hash

HEADER = (
    b"Message-ID: <m@example.com>\n"
    b"Date: Tue, 5 Mar 2024 10:00:01 +0100\n"
    b"From: =?utf-8?q?Ada_Lov=C3=A9lace?= <Ada.Lovelace@Example.com>\n"
    b'To: b@y.com, "Doe, C" <c@z.com>\n'
    b"To: d@example.com\n"
    b"Cc: e@example.com,\n f@example.com\n"
    b"Subject: Re: Plans\n"
)


def parse(raw: bytes):
    return parse_headers(raw, source="test", record="0")


def test_parse_headers_reads_all_recipients_and_decodes_names():
    header = parse(HEADER)
    assert header.sender == MailAddress("Ada Lovélace", "ada.lovelace@example.com")
    assert [a.address for a in header.to] == ["b@y.com", "c@z.com", "d@example.com"]
    assert header.to[1].name == "Doe, C"
    assert header.recipients == (
        "b@y.com",
        "c@z.com",
        "d@example.com",
        "e@example.com",
        "f@example.com",
    )
    assert header.date == datetime(2024, 3, 5, 9, 0, 1, tzinfo=UTC)
    assert header.subject_hash == subject_hash("plans")
    assert "Plans" not in repr(header)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_line_endings_do_not_matter(newline):
    assert parse(HEADER.replace(b"\n", newline)) == parse(HEADER)


def test_reversed_header_order_gives_the_same_record():
    lines = HEADER.replace(b"\n f@", b" f@").splitlines(keepends=True)
    assert parse(b"".join(reversed(lines))).recipients[-2:] == ("e@example.com", "f@example.com")


@pytest.mark.parametrize(
    ("raw", "reason", "field"),
    [
        (b"From: a@example.com\n", "missing Date", "Date"),
        (b"From: a@example.com\nDate: yesterday\n", "unparseable Date", "Date"),
        (
            b"From: a@example.com\nDate: Tue, 5 Mar 2024 10:00:00\n",
            "Date has no UTC offset",
            "Date",
        ),
        (
            b"From: a@example.com\nDate: Tue, 5 Mar 1901 10:00:00 +0000\n",
            "implausible Date",
            "Date",
        ),
        (b"Date: Tue, 5 Mar 2024 10:00:00 +0000\n", "missing From", "From"),
        (b"From: Nobody\nDate: Tue, 5 Mar 2024 10:00:00 +0000\n", "From has no address", "From"),
    ],
)
def test_unusable_headers_raise_located_errors(raw, reason, field):
    with pytest.raises(IngestError) as info:
        parse_headers(raw, source="box", record="12")
    assert (info.value.reason, info.value.field, info.value.record) == (reason, field, "12")
    assert str(info.value).startswith("box: record 12:")


def test_non_utf8_bytes_are_tolerated():
    raw = b"From: Gr\xe4ce <g@example.com>\nTo: Caf\xe9 <a@example.com>\nDate: Tue, 5 Mar 2024 10:00:00 +0000\nSubject: Caf\xe9\n"
    header = parse(raw)
    assert header.sender.address == "g@example.com"
    assert header.recipients == ("a@example.com",)


def test_list_and_automation_headers():
    raw = HEADER + b"List-Id: Team news <Team.Example.com>\nAuto-Submitted: auto-replied\n"
    header = parse(raw)
    assert header.list_id == "team.example.com"
    assert header.automated
    assert parse(HEADER + b"Precedence: bulk\n").automated
    assert not parse(HEADER + b"Auto-Submitted: no\n").automated


def test_split_mbox_matches_the_stdlib_and_keeps_no_body(data):
    raw = (data / "sample.mbox").read_bytes()
    blocks = list(split_mbox(raw))
    box = mailbox.mbox(data / "sample.mbox", create=False)
    try:
        assert len(blocks) == len(box) == 16
        assert [i for i, _ in blocks] == list(range(16))
        for (_, block), key in zip(blocks, box.keys(), strict=True):
            assert block.split(b"\n")[0] == box.get_bytes(key).split(b"\n")[0]
    finally:
        box.close()
    assert not any(
        b"the start" in block or b"Subject: not a header" in block for _, block in blocks
    )


def test_read_mbox_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(read_mbox(tmp_path / "typo.mbox"))
    assert not (tmp_path / "typo.mbox").exists()


def test_read_mbox_empty_file(tmp_path):
    (tmp_path / "empty.mbox").write_bytes(b"")
    assert list(read_mbox(tmp_path / "empty.mbox")) == []


def test_read_maildir_standard_layout_skips_tmp(data):
    records = dict(read_maildir(data / "maildir"))
    assert sorted(records) == ["cur/1709715600.M1P1.host:2,S", "new/1709715900.M2P1.host"]
    parsed = [parse(raw) for raw in records.values()]
    assert {h.message_id for h in parsed} == {"<md1@example.com>", "<md2@example.com>"}
    assert all(b"body" not in raw for raw in records.values())


def test_read_maildir_enron_layout(data):
    records = list(read_maildir(data / "enron-maildir"))
    assert len(records) == 6
    assert records[0][0] == "allen-p/_sent_mail/1."
    headers = [parse_headers(raw, source="enron", record=r) for r, raw in records]
    assert all(h.message_id.endswith("JavaMail.evans@thyme>") for h in headers)


def test_read_maildir_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(read_maildir(tmp_path / "nope"))


def test_read_eml(data):
    [(record, raw)] = list(read_eml(data / "one.eml"))
    assert record == "one.eml"
    assert parse(raw).message_id == "<eml1@example.com>"


NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=12)
LOCALS = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}", fullmatch=True)
DOMAINS = st.from_regex(r"[a-z0-9]{1,8}\.(com|org|de)", fullmatch=True)


@hsettings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(NAMES, LOCALS, DOMAINS), min_size=1, max_size=6, unique_by=lambda t: t[1:]),
    st.integers(1, 3),
)
def test_every_recipient_survives_any_split_into_to_headers(people, headers):
    addresses = [f"{local}@{domain}" for _, local, domain in people]
    entries = [
        formataddr((name.strip(), a), charset="utf-8")
        for (name, _, _), a in zip(people, addresses, strict=True)
    ]
    chunks = [entries[i::headers] for i in range(headers)]
    to_lines = b"".join(b"To: " + ", ".join(c).encode() + b"\n" for c in chunks if c)
    raw = b"From: x@example.com\nDate: Tue, 5 Mar 2024 10:00:00 +0000\n" + to_lines
    header = parse(raw)
    assert sorted(a.address for a in header.to) == sorted(addresses)
    names = {a.address: a.name for a in header.to}
    for (name, _, _), address in zip(people, addresses, strict=True):
        assert names[address] == " ".join(name.split()) or names[address] == name.strip()
