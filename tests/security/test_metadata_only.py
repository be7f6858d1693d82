"""Metadata only: no body, attachment, subject or description text reaches either store.

Every channel is ingested from files full of marked secrets (mail bodies,
attachments and their names, subjects plain and RFC 2047-encoded, message
trace subjects, ticket descriptions and notes, meeting summaries,
descriptions, locations, comments and attachments), through the ``ingest``
and ``analyze`` commands, into the embedded store and into a real Neo4j.
Then everything each store holds is dumped: for SQLite every column of
every table and the raw bytes of the database file with its WAL; for Neo4j
every property of every node and relationship, read with the driver. No
marker may appear, while the ties and ticket facts show the files were read.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.apps import make_app
from web.store import close_store
from web.store import get_store

pytestmark = pytest.mark.neo4j

DATA = Path(__file__).resolve().parents[1] / "data"
#: every secret holds this marker (no hex digits, so no hash can contain it by chance)
MARK = "QZXWV"
BODY = f"SECRET-BODY-{MARK}"
SUBJECT = f"SECRET-SUBJECT-{MARK}"
ATTACHMENT = f"SECRET-ATTACH-{MARK}"
ATTACHMENT_NAME = f"SECRET-ATTACH-NAME-{MARK}.txt"
ENCODED_SUBJECT = f"SECRET-ENCODED-SUBJECT-{MARK}"
TRACE_SUBJECT = f"SECRET-TRACE-SUBJECT-{MARK}"
TICKET = f"SECRET-TICKET-{MARK}"
MEETING = f"SECRET-MEETING-{MARK}"
SECRETS = [
    BODY, SUBJECT, ATTACHMENT, ATTACHMENT_NAME, ENCODED_SUBJECT, TRACE_SUBJECT, TICKET, MEETING,
    base64.b64encode(ATTACHMENT.encode()).decode(), "SECRET", MARK,
]  # fmt: skip
ADA, GRACE, ALAN = "ada.lovelace@example.com", "grace.hopper@example.com", "alan.turing@example.com"


def message(number: int, sender: str, to: str) -> str:
    """A multipart message with a secret subject, body and attachment."""
    encoded = base64.b64encode(ENCODED_SUBJECT.encode()).decode()
    subject = SUBJECT if number % 2 else f"=?utf-8?b?{encoded}?="
    return (
        f"Message-ID: <secret-{number}@example.com>\n"
        f"Date: Tue, {number + 1} Apr 2024 10:00:00 +0000\n"
        f"From: {sender}\nTo: {to}\nCc: {ALAN}\n"
        f"Subject: {subject}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"\n\n'
        f"--b1\nContent-Type: text/plain\n\n{BODY}\nFrom the desk of {BODY}\n\n"
        f'--b1\nContent-Type: text/plain; name="{ATTACHMENT_NAME}"\n'
        f'Content-Disposition: attachment; filename="{ATTACHMENT_NAME}"\n\n{ATTACHMENT}\n'
        f'--b1\nContent-Type: application/octet-stream; name="{ATTACHMENT_NAME}"\n'
        "Content-Transfer-Encoding: base64\n\n"
        f"{base64.b64encode(ATTACHMENT.encode()).decode()}\n--b1--\n"
    )


def write_files(folder: Path) -> dict[str, list[Path]]:
    """Exports of every channel, each full of secrets."""
    folder.mkdir(parents=True)
    messages = [message(0, ADA, GRACE), message(1, GRACE, ADA), message(2, ALAN, ADA)]
    mbox = folder / "mail.mbox"
    mbox.write_text("".join(f"From x Tue Apr  2 10:00:00 2024\n{m}\n" for m in messages))
    maildir = folder / "maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for number, text in enumerate(messages):
        (maildir / "cur" / f"{number}.host:2,S").write_text(text.replace("Apr", "May"))
    eml = folder / "one.eml"
    eml.write_text(message(5, ADA, ALAN).replace("Apr", "Jun"))
    trace = folder / "trace.csv"
    trace.write_text(
        "MessageId,Received,SenderAddress,RecipientAddress,Subject,Status\n"
        f"<t1@example.com>,2024-07-01T10:00:00Z,{ADA},{GRACE},{TRACE_SUBJECT},Delivered\n"
        f"<t1@example.com>,2024-07-01T10:00:00Z,{ADA},{ALAN},{TRACE_SUBJECT},Delivered\n"
    )
    tickets = folder / "tickets.csv"
    tickets.write_text(
        "number,caller_id,opened_by,assigned_to,assignment_group,opened_at,short_description,"
        "description,close_notes,comments,work_notes\n"
        f"INC1,{ADA},{ADA},{GRACE},Service Desk,2024-04-02 10:00:00,{TICKET} short,"
        f"{TICKET} long,{TICKET} notes,{TICKET} comment,{TICKET} work\n"
    )
    tickets_json = folder / "tickets.json"
    tickets_json.write_text(
        json.dumps(
            {
                "result": [
                    {
                        "number": "INC2", "caller_id": GRACE, "assigned_to": ALAN,
                        "assignment_group": "Service Desk", "opened_at": "2024-04-03 10:00:00",
                        "short_description": TICKET, "description": {"value": TICKET},
                        "comments_and_work_notes": [TICKET],
                    }
                ]
            }
        )
    )  # fmt: skip
    ics = folder / "meeting.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:secret-meeting@example.com\r\nDTSTART:20240408T100000Z\r\nDTEND:20240408T110000Z\r\n"
        f"SUMMARY:{MEETING} summary\r\nDESCRIPTION:{MEETING} description\r\n"
        f"LOCATION:{MEETING} room\r\nCOMMENT:{MEETING} comment\r\n"
        f"ATTACH;FMTTYPE=text/plain;ENCODING=BASE64;VALUE=BINARY:"
        f"{base64.b64encode(MEETING.encode()).decode()}\r\n"
        f"ORGANIZER;CN={MEETING}:mailto:{ADA}\r\n"
        f"ATTENDEE;CN={MEETING}:mailto:{GRACE}\r\nATTENDEE:mailto:{ALAN}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    meetings = folder / "meetings.csv"
    meetings.write_text(
        "uid,organizer,attendees,start,end,subject,location,description\n"
        f"m1,{GRACE},{ADA};{ALAN},2024-04-09T10:00:00+00:00,2024-04-09T11:00:00+00:00,"
        f"{MEETING},{MEETING},{MEETING}\n"
    )
    return {
        "directory": [DATA / "hr.csv"],
        "email": [mbox, maildir, eml, trace],
        "tickets": [tickets, tickets_json],
        "meetings": [ics, meetings],
    }


@pytest.fixture
def apps(tmp_path: Path, neo4j_target) -> Iterator[dict[str, Flask]]:
    made = {
        "embedded": make_app(tmp_path / "embedded", INTERNAL_DOMAINS=["example.com"]),
        "neo4j": make_app(
            tmp_path / "neo4j",
            INTERNAL_DOMAINS=["example.com"],
            STORE="neo4j",
            NEO4J_URI=neo4j_target.uri,
            NEO4J_USER=neo4j_target.user,
            NEO4J_PASSWORD=neo4j_target.password,
        ),
    }
    with made["neo4j"].app_context():
        get_store().clear()
    try:
        yield made
    finally:
        for app in made.values():
            close_store(app)


def load(app: Flask, files: dict[str, list[Path]]) -> None:
    """Ingest every file through the ``ingest`` command, then run the analysis."""
    cli = app.test_cli_runner()
    for kind, paths in files.items():
        result = cli.invoke(args=["ingest", kind, *map(str, paths)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    result = cli.invoke(args=["analyze", "--seed", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def sqlite_dump(path: Path) -> tuple[str, bytes]:
    """Every value of every table, as text, and the raw bytes of the file and its WAL."""
    values = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert {"person", "event", "tie", "ingest_run", "snapshot", "ticket_fact", "score"} <= set(
            tables
        )
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            for row in conn.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 - names from the file
                values.append(repr(row))
    conn.close()
    raw = b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )
    return "\n".join(values), raw


def neo4j_dump(target) -> str:
    """Every label, relationship type and property in the database, read with the driver."""
    import neo4j

    with neo4j.GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver:
        nodes, _, _ = driver.execute_query(
            "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
        )
        ties, _, _ = driver.execute_query(
            "MATCH ()-[r]->() RETURN type(r) AS type, properties(r) AS props"
        )
    assert nodes and ties
    return "\n".join(repr(record.data()) for record in [*nodes, *ties])


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in text.lower()]


def test_no_body_attachment_subject_or_description_reaches_either_store(
    apps, tmp_path, neo4j_target
):
    files = write_files(tmp_path / "exports")
    for folder in files["email"] + files["tickets"] + files["meetings"]:
        contents = (
            "".join(p.read_text() for p in folder.rglob("*") if p.is_file())
            if folder.is_dir()
            else folder.read_text()
        )
        assert MARK in contents  # the exports really are full of secrets
    for app in apps.values():
        load(app, files)
        with app.app_context():
            counts = get_store().counts().as_dict()
            facts = list(get_store().ticket_facts())
        assert counts["people"] == 6
        assert set(counts["channels"]) == {"email", "meeting", "ticket"}, counts
        assert counts["channels"]["email"]["interactions"] >= 10
        assert {f.ref for f in facts} == {"INC1", "INC2"}

    text, raw = sqlite_dump(Path(apps["embedded"].config["SQLITE_PATH"]))
    assert "p_" in text and "liaison" in text  # people and snapshots are in the dump
    assert leaked(text) == []
    assert MARK.encode() not in raw and b"SECRET" not in raw.upper()
    dump = neo4j_dump(neo4j_target)
    assert "Person" in dump and "INTERACTS" in dump and "Snapshot" in dump
    assert leaked(dump) == []
