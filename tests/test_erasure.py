"""Erasure, opt-out and retention through the commands, on the embedded store and Neo4j alike.

Real exports from ``tests/data`` go through ``flask --app app ingest``; the
people are erased with ``erase`` or ``opt-out`` (or left out by the
``OPT_OUT`` list), and the same files are ingested again: nothing of the
erased person comes back and no count changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from ingest.identity import erasure_marks
from ingest.identity import pseudonym
from ingest.runner import ERASED_NOTE
from tests.apps import make_app
from web import cli
from web.auth import accounts
from web.cache import data_version
from web.store import close_store
from web.store import get_store

DATA = Path(__file__).resolve().parent / "data"
KEY = "erasure-test"
FILES = (
    ("directory", ["hr.csv"]),
    ("email", ["sample.mbox"]),
    ("meetings", ["weekly.ics", "meetings.csv"]),
    ("tickets", ["tickets.csv"]),
)


def person_key(address: str) -> str:
    return pseudonym(address, KEY.encode())


ADA = person_key("ada.lovelace@example.com")
GRACE = person_key("grace.hopper@example.com")
ALAN = person_key("alan.turing@example.com")
LINUS = person_key("linus.ops@example.com")
GHOPPER = person_key(
    "ghopper@example.com"
)  # "g.hopper" fits two directory names: a person of its own


def build(root: Path, kind: str, target, **config: object) -> Flask:
    if kind == "embedded":
        return make_app(root, PSEUDONYM_KEY=KEY, INTERNAL_DOMAINS=["example.com"], **config)
    app = make_app(
        root,
        PSEUDONYM_KEY=KEY,
        INTERNAL_DOMAINS=["example.com"],
        STORE="neo4j",
        NEO4J_URI=target.uri,
        NEO4J_USER=target.user,
        NEO4J_PASSWORD=target.password,
        **config,
    )
    with app.app_context():
        get_store().clear()
    return app


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """Build apps on one kind of store (``make(**config)``); each is closed afterwards."""
    made: list[Flask] = []
    target = request.getfixturevalue("neo4j_target") if request.param == "neo4j" else None

    def factory(**config: object) -> Flask:
        app = build(tmp_path / f"app{len(made)}", request.param, target, **config)
        made.append(app)
        return app

    yield factory
    for app in made:
        close_store(app)


def invoke(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def ingest_all(app: Flask) -> str:
    return "".join(
        invoke(app, "ingest", kind, *(str(DATA / name) for name in names)) for kind, names in FILES
    )


def state(app: Flask) -> dict:
    with app.app_context():
        store = get_store()
        return {
            "people": sorted(p.key for p in store.people()),
            "ties": sorted(
                (t.source, t.target, t.channel.value, t.month, t.count, round(t.weight, 9))
                for t in store.ties(by_month=True)
            ),
            "counts": store.counts().as_dict(),
            "tickets": sorted((f.system, f.ref, f.requester) for f in store.ticket_facts()),
        }


def mentions(app: Flask, key: str) -> bool:
    found = state(app)
    return key in found["people"] or any(key in tie[:2] for tie in found["ties"])


def audit_rows(app: Flask, action: str) -> list:
    with app.app_context():
        return accounts().audit(action=action)[0]


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("ada@example.com", ADA),  # an alias: the name heuristic also matched "alovelace"
        ("Grace Hopper", GRACE),  # an exact name; "ghopper" stays a person of its own
        (LINUS, LINUS),  # a key; tickets name him by his name only
    ],
)
def test_erased_people_do_not_come_back_when_the_files_are_loaded_again(make, reference, key):
    app = make()
    ingest_all(app)
    assert mentions(app, key)
    with app.app_context():
        store = get_store()
        store.save_snapshot("brokers", {"result": {"top": [[key, 0.5]]}})
        store.save_snapshot("isolation", {"result": {"teams": 3}})
        before = data_version(store)
    output = invoke(app, "erase", reference, "--yes")
    assert f"Erased {key}." in output
    assert "1 analysis snapshots" in output
    assert "stay until the next analysis" in output
    assert not mentions(app, key)
    erased = state(app)
    with app.app_context():
        store = get_store()
        assert store.snapshot_versions("brokers") == []
        assert store.snapshot_versions("isolation") == [1]
        assert key in store.erased_keys()
        assert data_version(store) != before
        assert [run.kind for run in store.runs()].count("erase") == 1
    [row] = audit_rows(app, "erase")
    assert (row.user, row.target.split(":")[0]) == ("cli", key)
    [line] = [x for x in invoke(app, "ingest-runs").splitlines() if " erase     erase: " in x]
    assert "people 1," in line and "snapshots 1," in line

    again = ingest_all(app)
    assert state(app) == erased
    assert ERASED_NOTE.removeprefix("skipped: ") in again
    assert GHOPPER in erased["people"]


def test_alias_and_name_marks_are_made_at_erasure(make):
    app = make()
    invoke(app, "ingest", "directory", str(DATA / "hr.csv"))
    with app.app_context():
        ada = get_store().person(ADA)
    invoke(app, "erase", ADA, "--yes")
    with app.app_context():
        marks = get_store().erased_keys()
    assert marks == erasure_marks(ada, KEY.encode())
    assert person_key("ada@example.com") in marks and len(marks) == 3 + 6  # key, 2 aliases, name


def test_opt_out_list_applied_at_ingest_equals_erasing_afterwards(make, tmp_path):
    listed = tmp_path / "opt-out.txt"
    listed.write_text("# people who said no\n\n  Alan.Turing@Example.com  # by mail, 2025-01\n")
    opted = make(OPT_OUT=str(listed))
    output = ingest_all(opted)
    assert "opted out or erased" in output
    plain = make()
    ingest_all(plain)
    invoke(plain, "erase", ALAN, "--yes")
    assert state(opted) == state(plain)
    assert not mentions(opted, ALAN)
    with opted.app_context():
        marks = get_store().erased_keys()
    # The address was marked, and at the directory row his name was too.
    assert ALAN in marks and len(marks) > 1
    [row] = audit_rows(opted, "erase")
    assert row.user == "opt-out list"
    # The list is read before every ingest; marked addresses change nothing more.
    again = state(opted)
    ingest_all(opted)
    assert state(opted) == again
    assert len(audit_rows(opted, "erase")) == 1


def test_an_unreadable_opt_out_list_stops_the_ingest(make, tmp_path):
    listed = tmp_path / "opt-out.txt"
    listed.write_text("alan.turing@example.com\nnot an address\n")
    app = make(OPT_OUT=str(listed))
    result = app.test_cli_runner().invoke(args=["ingest", "directory", str(DATA / "hr.csv")])
    assert result.exit_code == 1
    assert "record 2" in result.output and "not an e-mail address" in result.output
    assert "not an address" not in result.output  # values are not echoed
    assert state(app)["people"] == []


def test_opt_out_command_erases_people_present_and_keeps_them_out(make):
    app = make()
    ingest_all(app)
    output = invoke(app, "opt-out", "GRACE.HOPPER@example.com", "nobody@example.com", "--yes")
    assert "2 addresses opted out" in output
    assert "Removed 1 people" in output
    assert not mentions(app, GRACE)
    after = state(app)
    ingest_all(app)
    assert state(app) == after
    # nobody@example.com never comes in either, though a message could name them.
    assert person_key("nobody@example.com") not in after["people"]


def test_purge_removes_older_months_only_and_twice_is_once(make):
    app = make()
    ingest_all(app)
    months = {tie[3] for tie in state(app)["ties"]}
    assert min(months) < "2024-02" <= max(months)
    with app.app_context():
        found = cli.purge(1, today=date(2024, 3, 15))
        version = data_version(get_store())
        again = cli.purge(1, today=date(2024, 3, 15))
        assert data_version(get_store()) == version
    assert found.before == "2024-02" and found.ties > 0 and found.tickets > 0
    assert (again.ties, again.events, again.tickets) == (0, 0, 0)
    kept = state(app)
    assert {tie[3] for tie in kept["ties"]} == {m for m in months if m >= "2024-02"}
    assert kept["counts"]["interactions"] == sum(tie[4] for tie in kept["ties"])


def test_purge_command_uses_the_retention_setting_and_is_audited(make):
    app = make(RETENTION_MONTHS=1)
    ingest_all(app)
    output = invoke(app, "purge", "--yes")
    assert "Deleted" in output and "before" in output
    assert state(app)["counts"]["interactions"] == 0
    assert "Deleted 0 tie months (0 events) and 0 ticket facts" in invoke(app, "purge", "--yes")
    with app.app_context():
        kinds = [run.kind for run in get_store().runs()]
    assert kinds.count("purge") == 1
    assert len(audit_rows(app, "purge")) == 2
