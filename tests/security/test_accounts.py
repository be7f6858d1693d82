"""The app database: password hashes, user rules and the append-only audit log."""

from __future__ import annotations

import sqlite3

import pytest

from graph import accounts as accounts_module
from graph.accounts import Accounts
from graph.accounts import hash_password
from graph.accounts import needs_rehash
from graph.accounts import verify_password
from graph.errors import Conflict
from graph.errors import InvalidInput
from graph.errors import NotFound

PASSWORD = "a long enough password"


@pytest.fixture
def db(tmp_path):
    return Accounts(tmp_path / "accounts.sqlite3")


def test_hash_is_salted_scrypt_and_verifies():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # a new salt each time
    assert first.startswith("scrypt:32768:8:1$") and PASSWORD not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password("garbage", PASSWORD)
    assert not verify_password("pbkdf2:1:1:1$AA==$AA==", PASSWORD)


def test_no_plaintext_password_in_the_database_file(db):
    db.create_user("ann", PASSWORD, "analyst")
    raw = db.path.read_bytes()
    wal = db.path.with_name(db.path.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert PASSWORD.encode() not in raw
    with sqlite3.connect(db.path) as conn:
        stored = conn.execute("SELECT password FROM account").fetchone()[0]
    conn.close()
    assert stored.startswith("scrypt:") and verify_password(stored, PASSWORD)


def test_names_are_unique_in_any_letter_case(db):
    created = db.create_user("Ann", PASSWORD, "viewer")
    assert created.name == "Ann" and db.user("ANN").id == created.id
    with pytest.raises(Conflict):
        db.create_user("aNN", PASSWORD, "admin")


@pytest.mark.parametrize("name", ["", " ", "a b", "-lead", "x" * 65, "ann;drop", "ünï"])
def test_bad_names_are_refused(db, name):
    with pytest.raises(InvalidInput, match="name"):
        db.create_user(name, PASSWORD, "viewer")


def test_short_passwords_and_unknown_roles_are_refused(db):
    with pytest.raises(InvalidInput, match="password"):
        db.create_user("ann", "short", "viewer")
    with pytest.raises(InvalidInput, match="role"):
        db.create_user("ann", PASSWORD, "superuser")
    assert db.users() == []


def test_authenticate(db):
    db.create_user("ann", PASSWORD, "analyst", identify=True)
    user = db.authenticate("ANN", PASSWORD)
    assert user is not None and user.name == "ann" and user.identify
    assert db.authenticate("ann", "wrong password!") is None
    assert db.authenticate("nobody", PASSWORD) is None
    assert db.authenticate("ann", "x" * 5000) is None


def test_changes_and_epochs(db):
    ann = db.create_user("ann", PASSWORD, "viewer")
    assert db.set_role("ann", "analyst").role == "analyst"
    assert db.set_identify("ann", True).identify is True
    disabled = db.set_disabled("ann", True)
    assert disabled.disabled and disabled.epoch == ann.epoch + 1
    assert db.authenticate("ann", PASSWORD).disabled  # the web layer refuses it
    enabled = db.set_disabled("ann", False)
    assert not enabled.disabled and enabled.epoch == disabled.epoch
    renewed = db.set_password("ann", "another long password")
    assert renewed.epoch == enabled.epoch + 1
    assert db.authenticate("ann", PASSWORD) is None
    db.end_sessions(ann.id)
    assert db.user("ann").epoch == renewed.epoch + 1
    with pytest.raises(NotFound):
        db.set_role("bob", "admin")
    with pytest.raises(InvalidInput):
        db.set_role("ann", "root")


def test_old_hash_parameters_are_upgraded_at_login(db, monkeypatch):
    monkeypatch.setattr(accounts_module, "SCRYPT_N", 2**14)
    db.create_user("ann", PASSWORD, "viewer")
    monkeypatch.undo()
    with sqlite3.connect(db.path) as conn:
        old = conn.execute("SELECT password FROM account").fetchone()[0]
    conn.close()
    assert old.startswith("scrypt:16384:") and needs_rehash(old)
    assert db.authenticate("ann", PASSWORD) is not None
    with sqlite3.connect(db.path) as conn:
        new = conn.execute("SELECT password FROM account").fetchone()[0]
    conn.close()
    assert new.startswith("scrypt:32768:") and verify_password(new, PASSWORD)


def test_audit_rows_are_appended_and_read_newest_first(db):
    for n in range(3):
        db.append_audit(user="ann", role="analyst", action="view", target=f"t{n}", ip="10.0.0.1")
    db.append_audit(user="Bob", role="admin", action="ingest", target="hr.csv", ip="")
    entries, total = db.audit()
    assert total == 4 and [e.target for e in entries] == ["hr.csv", "t2", "t1", "t0"]
    entries, total = db.audit(user="ANN", limit=2, offset=1)
    assert total == 3 and [e.target for e in entries] == ["t1", "t0"]
    entries, total = db.audit(action="ingest")
    assert total == 1 and entries[0].as_dict()["user"] == "Bob"
    with pytest.raises(InvalidInput, match="action"):
        db.append_audit(user="x", role="", action="hack", target="", ip="")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET user = 'someone else'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE id = 1",
    ],
)
def test_audit_log_refuses_update_and_delete(db, statement):
    db.append_audit(user="ann", role="analyst", action="view", target="t", ip="")
    conn = sqlite3.connect(db.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    finally:
        conn.close()
    entries, total = db.audit()
    assert total == 1 and entries[0].user == "ann"
