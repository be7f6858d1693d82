"""The app database: user accounts and the append-only audit log.

One SQLite file in the instance folder (``ACCOUNTS_PATH``), separate from the
graph store: accounts and audit stay here even when the graph lives in Neo4j.
Each call opens its own short connection, so the class is safe to share
between threads and between the worker processes of one server.

Passwords are hashed with scrypt (RFC 7914) from :mod:`hashlib`:
``N = 2**15``, ``r = 8``, ``p = 1``, a 16-byte random salt and a 32-byte key,
stored as ``scrypt:N:r:p$salt$key`` (base64). The parameters travel with each
hash, so they can be raised later and older hashes still verify (and are
rehashed at the next login). Hashes are compared in constant time.

The audit log refuses ``UPDATE`` and ``DELETE`` with triggers: rows can only
be appended.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from graph.errors import Conflict
from graph.errors import InvalidInput
from graph.errors import NotFound
from graph.errors import StoreUnavailable

#: roles from least to most allowed
ROLES = ("viewer", "analyst", "admin")
#: what the audit log records
ACTIONS = (
    "view",
    "export",
    "ingest",
    "analysis",
    "login",
    "login_failed",
    "logout",
    "user_admin",
    "erase",
)
#: scrypt cost: N (CPU and memory), r (block size), p (parallelism); about 32 MiB and 0.1 s
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
TARGET_CHARS = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    identify INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    epoch INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    last_login INTEGER
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action, id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

ACCOUNT_COLUMNS = "id, name, password, role, identify, disabled, epoch, created, last_login"


@dataclass(frozen=True, slots=True)
class User:
    """One account. ``epoch`` grows whenever older sessions must stop working."""

    id: int
    name: str
    role: str
    identify: bool
    disabled: bool
    epoch: int
    created: datetime
    last_login: datetime | None

    def at_least(self, role: str) -> bool:
        """Whether this user's role is ``role`` or above it."""
        return rank(self.role) >= rank(role)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log."""

    id: int
    at: datetime
    user: str
    role: str
    action: str
    target: str
    ip: str

    def as_dict(self) -> dict[str, object]:
        """The entry, JSON-ready."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user": self.user,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "ip": self.ip,
        }


def rank(role: str) -> int:
    """The position of ``role`` in :data:`ROLES` (higher allows more).

    >>> rank("viewer") < rank("analyst") < rank("admin")
    True
    """
    if role not in ROLES:
        raise InvalidInput(f"must be one of {', '.join(ROLES)}", field="role", value=role)
    return ROLES.index(role)


# -- passwords ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    memory = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=memory, dklen=length)


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` with its parameters: ``scrypt:N:r:p$salt$key``."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        method, salt, key = stored.split("$")
        name, n, r, p = method.split(":")
        if name != "scrypt":
            return False
        expected = base64.b64decode(key)
        found = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's."""
    return not stored.startswith(f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}$")


# A hash to check against when the user does not exist, so that a wrong name
# takes as long as a wrong password (no timing hint about which names exist).
_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


def check_name(name: str) -> str:
    """``name`` stripped, or :class:`InvalidInput` when it is not a valid user name.

    >>> check_name(" ada.lovelace@example.org ")
    'ada.lovelace@example.org'
    """
    name = name.strip()
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            "1–64 letters, digits or . _ @ - (starting with a letter or digit)",
            field="name",
            value=name,
        )
    return name


def check_password(password: str) -> str:
    """``password`` unchanged, or :class:`InvalidInput` when too short or too long."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"must have {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )
    return password


def _time(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


# -- the database ---------------------------------------------------------------------------


class Accounts:
    """Users and the audit log in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction: committed on success, rolled back on error."""
        try:
            conn = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as err:
            raise StoreUnavailable(f"cannot open {self.path}: {err}") from err
        with closing(conn):
            conn.execute("PRAGMA journal_mode=WAL")
            with conn:
                yield conn

    # -- users ------------------------------------------------------------------------------

    def create_user(self, name: str, password: str, role: str, *, identify: bool = False) -> User:
        """Add a user; :class:`Conflict` when the name is taken (in any letter case)."""
        name = check_name(name)
        rank(role)
        hashed = hash_password(check_password(password))
        try:
            with self._connect() as conn:
                conn.execute(
                    "INSERT INTO account (name, password, role, identify, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, hashed, role, int(identify), _now()),
                )
        except sqlite3.IntegrityError as err:
            raise Conflict(f"a user named {name!r} exists already") from err
        return self.user(name)

    def _row_to_user(self, row: tuple) -> User:
        return User(
            id=row[0],
            name=row[1],
            role=row[3],
            identify=bool(row[4]),
            disabled=bool(row[5]),
            epoch=row[6],
            created=_time(row[7]),
            last_login=_time(row[8]),
        )

    def _find(self, where: str, value: object) -> tuple | None:
        with self._connect() as conn:
            return conn.execute(
                f"SELECT {ACCOUNT_COLUMNS} FROM account WHERE {where}", (value,)
            ).fetchone()

    def find(self, name: str) -> User | None:
        """The user of that name (any letter case), or ``None``."""
        row = self._find("name = ?", name.strip())
        return self._row_to_user(row) if row else None

    def user(self, name: str) -> User:
        """The user of that name (any letter case); :class:`NotFound` when there is none."""
        found = self.find(name)
        if found is None:
            raise NotFound(f"no user named {name!r}")
        return found

    def user_by_id(self, user_id: int) -> User | None:
        """The user with that id, or ``None``."""
        row = self._find("id = ?", user_id)
        return self._row_to_user(row) if row else None

    def users(self) -> list[User]:
        """Every user, by name."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY name COLLATE NOCASE"
            ).fetchall()
        return [self._row_to_user(row) for row in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs (disabled or not), else ``None``.

        A name that does not exist costs the same hashing time as a wrong
        password. A hash made with older parameters is replaced.
        """
        row = self._find("name = ?", name.strip())
        if row is None or len(password) > MAX_PASSWORD:
            verify_password(_dummy_hash(), password[:MAX_PASSWORD])
            return None
        if not verify_password(row[2], password):
            return None
        if needs_rehash(row[2]):
            with self._connect() as conn:
                conn.execute(
                    "UPDATE account SET password = ? WHERE id = ?",
                    (hash_password(password), row[0]),
                )
        return self._row_to_user(row)

    def _update(self, name: str, assignments: str, values: tuple) -> User:
        with self._connect() as conn:
            changed = conn.execute(
                f"UPDATE account SET {assignments} WHERE name = ?", (*values, name.strip())
            ).rowcount
        if not changed:
            raise NotFound(f"no user named {name!r}")
        return self.user(name)

    def set_role(self, name: str, role: str) -> User:
        """Give a user another role (takes effect at their next request)."""
        rank(role)
        return self._update(name, "role = ?", (role,))

    def set_identify(self, name: str, identify: bool) -> User:
        """Allow or stop an analyst seeing people's names (takes effect at their next request)."""
        return self._update(name, "identify = ?", (int(identify),))

    def set_disabled(self, name: str, disabled: bool) -> User:
        """Disable (or enable) a user; disabling ends their sessions."""
        if disabled:
            return self._update(name, "disabled = 1, epoch = epoch + 1", ())
        return self._update(name, "disabled = 0", ())

    def set_password(self, name: str, password: str) -> User:
        """Give a user a new password; their other sessions end."""
        hashed = hash_password(check_password(password))
        return self._update(name, "password = ?, epoch = epoch + 1", (hashed,))

    def end_sessions(self, user_id: int) -> None:
        """End every session of the user (raise their epoch): logging out, everywhere."""
        with self._connect() as conn:
            conn.execute("UPDATE account SET epoch = epoch + 1 WHERE id = ?", (user_id,))

    def touch_login(self, user_id: int) -> None:
        """Note that the user logged in now."""
        with self._connect() as conn:
            conn.execute("UPDATE account SET last_login = ? WHERE id = ?", (_now(), user_id))

    # -- the audit log ----------------------------------------------------------------------

    def append_audit(self, *, user: str, role: str, action: str, target: str, ip: str) -> int:
        """Append one row to the audit log; return its id."""
        if action not in ACTIONS:
            raise InvalidInput(f"must be one of {', '.join(ACTIONS)}", field="action", value=action)
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO audit (at, user, role, action, target, ip) VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), user[:200], role, action, target[:TARGET_CHARS], ip[:64]),
            )
        return int(cursor.lastrowid or 0)

    def audit(
        self,
        *,
        user: str | None = None,
        action: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditEntry], int]:
        """Audit rows, newest first, optionally of one user and one action; and how many match."""
        where, values = [], []
        if user:
            where.append("user = ? COLLATE NOCASE")
            values.append(user.strip())
        if action:
            where.append("action = ?")
            values.append(action)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._connect() as conn:
            total = conn.execute(f"SELECT count(*) FROM audit {clause}", values).fetchone()[0]
            rows = conn.execute(
                f"SELECT id, at, user, role, action, target, ip FROM audit {clause} "
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (*values, limit, offset),
            ).fetchall()
        entries = [AuditEntry(r[0], _time(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]
        return entries, int(total)
