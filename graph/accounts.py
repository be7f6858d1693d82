"""The app database: user accounts, the append-only audit log and the task queue.

One SQLite file in the instance folder (``ACCOUNTS_PATH``), separate from the
graph store: accounts, audit and tasks stay here even when the graph lives in
Neo4j. Each call opens its own short connection, so the class is safe to share
between threads and between the processes of one server (web workers and the
task worker), which all see the same tasks.

Passwords are hashed with scrypt (RFC 7914) from :mod:`hashlib`:
``N = 2**15``, ``r = 8``, ``p = 1``, a 16-byte random salt and a 32-byte key,
stored as ``scrypt:N:r:p$salt$key`` (base64). The parameters travel with each
hash, so they can be raised later and older hashes still verify (and are
rehashed at the next login). Hashes are compared in constant time.

The audit log refuses ``UPDATE`` and ``DELETE`` with triggers: rows can only
be appended.

Background tasks (ingests, analyses) are rows of the ``task`` table, described
by data (their kind and JSON parameters), so any process can run them. At
most one task runs at a time across every process: :meth:`Accounts.claim_task`
takes the oldest queued task in one write transaction (``BEGIN IMMEDIATE``)
only when none is running, and a partial unique index refuses a second
running row anyway. A running task's process beats its heartbeat; a task
whose heartbeat is older than a limit is failed (its process died), so the
queue cannot jam.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import closing
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

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
    "purge",
)
#: scrypt cost: N (CPU and memory), r (block size), p (parallelism); about 32 MiB and 0.1 s
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
TARGET_CHARS = 1000
#: a task's states, in the order it goes through them
TASK_STATES = ("queued", "running", "done", "failed")
#: how many progress messages a task keeps (the newest)
TASK_MESSAGES = 50

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
CREATE TABLE IF NOT EXISTS task (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    heartbeat REAL,
    steps INTEGER,
    step INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    messages TEXT NOT NULL DEFAULT '[]',
    result TEXT,
    error TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    user TEXT NOT NULL DEFAULT '',
    worker TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS login_failure (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failure_key ON login_failure (key, at);
CREATE INDEX IF NOT EXISTS task_state ON task (state, seq);
CREATE UNIQUE INDEX IF NOT EXISTS task_one_running ON task (state) WHERE state = 'running';
"""

ACCOUNT_COLUMNS = "id, name, password, role, identify, disabled, epoch, created, last_login"
TASK_COLUMNS = (
    "seq, id, kind, label, state, created, started, finished, heartbeat, steps, step, "
    "message, messages, result, error, params, user, worker"
)


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


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One background task as the app database holds it.

    ``seq`` orders tasks as they were queued; ``params`` says what to do
    (the handler of ``kind`` reads them); ``worker`` names the process that
    runs or ran it and ``heartbeat`` when that process last said it is alive.
    Times are seconds since the epoch (UTC).
    """

    seq: int
    id: str
    kind: str
    label: str
    state: str
    created: float
    started: float | None
    finished: float | None
    heartbeat: float | None
    steps: int | None
    step: int
    message: str
    messages: list[str]
    result: dict[str, Any] | None
    error: str
    params: dict[str, Any]
    user: str
    worker: str


def _task(row: tuple) -> TaskRecord:
    values = list(row)
    values[12] = json.loads(values[12])
    values[13] = None if values[13] is None else json.loads(values[13])
    values[15] = json.loads(values[15])
    return TaskRecord(*values)


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

    @contextmanager
    def _exclusive(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its start (``BEGIN IMMEDIATE``).

        Other writers wait (up to 30 s) until it ends, so what it reads stays
        true until it commits.
        """
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreUnavailable(f"cannot open {self.path}: {err}") from err
        with closing(conn):
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

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

    # -- failed logins ----------------------------------------------------------------------

    def login_failures(self, keys: Iterable[str], since: float) -> dict[str, list[float]]:
        """When failed logins under each key happened after ``since``, oldest first."""
        found: dict[str, list[float]] = {key: [] for key in keys}
        with self._connect() as conn:
            for key in found:
                rows = conn.execute(
                    "SELECT at FROM login_failure WHERE key = ? AND at > ? ORDER BY at",
                    (key, since),
                )
                found[key] = [at for (at,) in rows]
        return found

    def add_login_failure(self, keys: Iterable[str], at: float, *, forget_before: float) -> None:
        """Count a failed login under each key at ``at``; drop failures before ``forget_before``."""
        with self._connect() as conn:
            conn.execute("DELETE FROM login_failure WHERE at < ?", (forget_before,))
            conn.executemany(
                "INSERT INTO login_failure (key, at) VALUES (?, ?)", [(k, at) for k in keys]
            )

    def forget_login_failures(self, key: str) -> None:
        """Forget every failed login under ``key``."""
        with self._connect() as conn:
            conn.execute("DELETE FROM login_failure WHERE key = ?", (key,))

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

    # -- background tasks -------------------------------------------------------------------

    def add_task(
        self,
        task_id: str,
        kind: str,
        label: str,
        params: dict[str, Any],
        *,
        steps: int | None = None,
        user: str = "",
    ) -> TaskRecord:
        """Queue a task behind those already waiting; return it."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO task (id, kind, label, created, steps, params, user) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (task_id, kind, label, _clock(), steps, json.dumps(params), user[:200]),
            )
        found = self.task(task_id)
        assert found is not None
        return found

    def task(self, task_id: str) -> TaskRecord | None:
        """The task with that id, or ``None``."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {TASK_COLUMNS} FROM task WHERE id = ?", (task_id,)
            ).fetchone()
        return _task(row) if row else None

    def tasks(self, limit: int = 20, *, state: str | None = None) -> list[TaskRecord]:
        """The newest tasks first, optionally only those in one state."""
        clause, values = ("WHERE state = ?", (state,)) if state else ("", ())
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {TASK_COLUMNS} FROM task {clause} ORDER BY seq DESC LIMIT ?",
                (*values, limit),
            ).fetchall()
        return [_task(row) for row in rows]

    def count_tasks(self, state: str) -> int:
        """How many tasks are in ``state``."""
        with self._connect() as conn:
            return int(
                conn.execute("SELECT count(*) FROM task WHERE state = ?", (state,)).fetchone()[0]
            )

    def claim_task(self, worker: str, *, stale_after: float) -> TaskRecord | None:
        """Start the oldest queued task for ``worker`` if no task is running; return it.

        One write transaction fails running tasks whose heartbeat is older
        than ``stale_after`` seconds, checks that none is left running and
        marks the oldest queued task as running by ``worker``. Returns
        ``None`` when a task is running or none is queued.
        """
        now = _clock()
        with self._exclusive() as conn:
            _fail_stale(conn, now, stale_after)
            if conn.execute("SELECT 1 FROM task WHERE state = 'running' LIMIT 1").fetchone():
                return None
            row = conn.execute(
                "SELECT seq FROM task WHERE state = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE task SET state = 'running', started = ?, heartbeat = ?, worker = ? "
                "WHERE seq = ?",
                (now, now, worker, row[0]),
            )
            found = conn.execute(
                f"SELECT {TASK_COLUMNS} FROM task WHERE seq = ?", (row[0],)
            ).fetchone()
        return _task(found)

    def fail_stale_tasks(self, stale_after: float) -> int:
        """Fail running tasks whose heartbeat is older than ``stale_after`` seconds; how many."""
        with self._exclusive() as conn:
            return _fail_stale(conn, _clock(), stale_after)

    def update_task(
        self,
        task_id: str,
        worker: str,
        *,
        step: int | None = None,
        message: str | None = None,
        messages: list[str] | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        """Write a running task's progress and beat its heartbeat.

        Only the given fields change. Returns ``False`` when the task is no
        longer running for ``worker`` (it was failed as stale): that worker
        should give it up.
        """
        assignments, values = ["heartbeat = ?"], [_clock()]
        for column, value in (("step", step), ("message", message)):
            if value is not None:
                assignments.append(f"{column} = ?")
                values.append(value)
        if messages is not None:
            assignments.append("messages = ?")
            values.append(json.dumps(messages[-TASK_MESSAGES:]))
        if result is not None:
            assignments.append("result = ?")
            values.append(json.dumps(result))
        with self._connect() as conn:
            changed = conn.execute(
                f"UPDATE task SET {', '.join(assignments)} "
                "WHERE id = ? AND state = 'running' AND worker = ?",
                (*values, task_id, worker),
            ).rowcount
        return bool(changed)

    def finish_task(
        self,
        task_id: str,
        worker: str,
        *,
        state: str,
        result: dict[str, Any] | None = None,
        error: str = "",
    ) -> bool:
        """End a task ``worker`` runs as ``done`` or ``failed``; ``False`` if it no longer runs it."""
        if state not in ("done", "failed"):
            raise InvalidInput("must be done or failed", field="state", value=state)
        now = _clock()
        with self._connect() as conn:
            changed = conn.execute(
                "UPDATE task SET state = ?, finished = ?, heartbeat = ?, error = ?, "
                "result = coalesce(?, result) WHERE id = ? AND state = 'running' AND worker = ?",
                (
                    state,
                    now,
                    now,
                    error,
                    None if result is None else json.dumps(result),
                    task_id,
                    worker,
                ),
            ).rowcount
        return bool(changed)

    def prune_tasks(self, keep: int) -> int:
        """Forget finished tasks but the newest ``keep``; return how many went."""
        with self._connect() as conn:
            return conn.execute(
                "DELETE FROM task WHERE state IN ('done', 'failed') AND seq NOT IN "
                "(SELECT seq FROM task WHERE state IN ('done', 'failed') "
                "ORDER BY seq DESC LIMIT ?)",
                (keep,),
            ).rowcount


def _clock() -> float:
    return datetime.now(UTC).timestamp()


def _fail_stale(conn: sqlite3.Connection, now: float, stale_after: float) -> int:
    """Fail the running tasks whose process stopped beating their heartbeat."""
    minutes = stale_after / 60
    limit = f"{minutes:g} minutes" if minutes >= 1 else f"{stale_after:g} seconds"
    error = (
        f"stopped: the process running it gave no sign of life for more than {limit} "
        "(it was stopped or crashed); start it again"
    )
    return conn.execute(
        "UPDATE task SET state = 'failed', finished = ?, error = ? "
        "WHERE state = 'running' AND coalesce(heartbeat, started, created) < ?",
        (now, error, now - stale_after),
    ).rowcount
