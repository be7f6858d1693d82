"""The embedded store: one SQLite file, zero set-up.

Tables: ``person``; ``event`` (the dedupe ledger: one row per event key,
with its pair and month); ``tie`` (events aggregated per ordered pair,
channel and UTC month); ``score``; ``erased`` (keys of erased and opted-out
people, which writes of people and interactions leave out).
Each call that writes runs in one transaction, so a bad record anywhere in a
call leaves the store as it was.

Each thread gets its own connection (SQLite connections are not shared
between threads); WAL lets readers carry on while one writer writes.

Durability: WAL with ``synchronous=NORMAL``. A commit is atomic and the file
never corrupts, but a power cut (not a crash of this process) can lose the
last transactions committed since the most recent checkpoint. Re-running that
ingest puts them back, since adding events is idempotent.

Writing interactions: each batch is checked a column at a time
(:func:`graph.base.event_columns`), its events go into the ledger in key
order with ``ON CONFLICT DO NOTHING``, and only the new ones are summed per
pair, channel and month in Python and upserted into ``tie`` in key order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from graph.base import ChannelCount
from graph.base import Erasure
from graph.base import EventColumns
from graph.base import IngestRun
from graph.base import Purge
from graph.base import Snapshot
from graph.base import StoreCounts
from graph.base import Subject
from graph.base import TieColumnsBuilder
from graph.base import channel_values
from graph.base import check_fact
from graph.base import check_keys
from graph.base import check_kind
from graph.base import check_person
from graph.base import check_run
from graph.base import check_scores
from graph.base import chunks
from graph.base import event_columns
from graph.base import json_text
from graph.base import purge_month
from graph.base import snapshot_needles
from graph.base import unerased_facts
from graph.base import unerased_interactions
from graph.base import unerased_people
from graph.base import window_months
from graph.errors import NotFound
from graph.errors import StoreError
from graph.errors import StoreUnavailable
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import Team
from ingest.records import TicketFact
from ingest.records import Tie
from ingest.records import TieColumns
from ingest.records import team_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS person (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    team TEXT NOT NULL,
    title TEXT NOT NULL,
    is_it INTEGER NOT NULL,
    manager TEXT,
    aliases TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    month TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tie (
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    channel TEXT NOT NULL,
    month TEXT NOT NULL,
    count INTEGER NOT NULL,
    weight REAL NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (source, target, channel, month)
) WITHOUT ROWID;
-- No index on tie (target): it cost a third of a large load, and erasure,
-- its only user, scans the (larger, unindexed) event ledger anyway.
DROP INDEX IF EXISTS tie_target;
CREATE TABLE IF NOT EXISTS ingest_run (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    started INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    report TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot (
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    created INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ticket_fact (
    system TEXT NOT NULL,
    ref TEXT NOT NULL,
    requester TEXT,
    grp TEXT NOT NULL,
    opened INTEGER,
    resolved INTEGER,
    reopen_count INTEGER NOT NULL,
    satisfaction REAL,
    PRIMARY KEY (system, ref)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS score (
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (subject, key, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS erased (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL
) WITHOUT ROWID;
"""

# Stores made before events knew their month: their old events have ''.
EVENT_MONTH = "ALTER TABLE event ADD COLUMN month TEXT NOT NULL DEFAULT ''"

INSERT_EVENT = """
INSERT INTO event (key, source, target, month) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO NOTHING
"""

SEEN_EVENTS = "SELECT key FROM event WHERE key IN (SELECT value FROM json_each(?))"

KNOWN_PEOPLE = "SELECT key FROM person WHERE key IN (SELECT value FROM json_each(?))"

# One row per tie bucket, already summed over the batch's new events.
MERGE_TIE = """
INSERT INTO tie (source, target, channel, month, count, weight, first_seen, last_seen)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source, target, channel, month) DO UPDATE SET
    count = count + excluded.count,
    weight = weight + excluded.weight,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen)
"""

UPSERT_PERSON = """
INSERT INTO person (key, name, department, team, title, is_it, manager, aliases)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    name = excluded.name, department = excluded.department, team = excluded.team,
    title = excluded.title, is_it = excluded.is_it, manager = excluded.manager,
    aliases = excluded.aliases
"""

TIES_WINDOW = """
SELECT source, target, channel, {month}, sum(count), sum(weight), min(first_seen), max(last_seen)
FROM tie
WHERE (:since IS NULL OR month >= :since) AND (:until IS NULL OR month < :until)
  AND channel IN (SELECT value FROM json_each(:channels))
GROUP BY source, target, channel{group}
ORDER BY source, target, channel{group}
"""

# The rows of TIES_WINDOW by month, before any sum: each bucket is one row already.
TIE_ROWS = """
SELECT source, target, channel, month, count, weight, first_seen, last_seen
FROM tie
WHERE (:since IS NULL OR month >= :since) AND (:until IS NULL OR month < :until)
  AND channel IN (SELECT value FROM json_each(:channels))
ORDER BY source, target, channel, month
"""

PERSON_KEYS = "SELECT key FROM person ORDER BY key"

# One row of TIE_ROWS, for numpy.fromiter: no Python record per row.
TIE_ROW = np.dtype([
    ("source", object), ("target", object), ("channel", object), ("month", object),
    ("count", np.int64), ("weight", np.float64), ("first_seen", np.int64), ("last_seen", np.int64),
])  # fmt: skip
TIE_CHUNK = 65_536


UPSERT_SCORE = """
INSERT INTO score VALUES (?, ?, ?, ?)
ON CONFLICT (subject, key, name) DO UPDATE SET value = excluded.value
"""

UNKNOWN_SCORED = {
    Subject.PERSON: "SELECT count(DISTINCT key) FROM score WHERE subject = 'person' "
    "AND key NOT IN (SELECT key FROM person)",
    Subject.TEAM: "SELECT count(DISTINCT key) FROM score WHERE subject = 'team' "
    "AND key NOT IN (SELECT department || '/' || team FROM person WHERE team != '')",
    Subject.DEPARTMENT: "SELECT count(DISTINCT key) FROM score WHERE subject = 'department' "
    "AND key NOT IN (SELECT department FROM person WHERE team != '')",
}


# Scores of teams and departments left without members go with them.
ORPHAN_SCORES = """
DELETE FROM score WHERE
    (subject = 'team' AND key NOT IN (SELECT department || '/' || team FROM person WHERE team != ''))
    OR (subject = 'department' AND key NOT IN (SELECT department FROM person WHERE team != ''))
"""


class EmbeddedStore:
    """A :class:`graph.base.Store` on a SQLite file (``":memory:"`` for tests)."""

    def __init__(self, path: str | Path, *, batch_size: int = 100_000) -> None:
        self.batch_size = batch_size
        if str(path) == ":memory:":
            # A named shared-cache database, so every thread sees the same data.
            self._target = f"file:bridgework-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._uri = True
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._target, self._uri = str(path), False
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        conn = self._conn()
        conn.executescript(SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(event)")}
        if "month" not in columns:
            try:
                conn.execute(EVENT_MONTH)
            except sqlite3.OperationalError as err:  # another process added it first
                if "duplicate column" not in str(err):
                    raise

    # -- connections and transactions -------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StoreUnavailable("the store is closed")
        try:
            conn = sqlite3.connect(
                self._target,
                uri=self._uri,
                isolation_level=None,
                check_same_thread=False,
                timeout=30,
            )
        except sqlite3.Error as err:
            raise StoreUnavailable(f"cannot open {self._target}: {err}") from err
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache per connection (the default is 2 MiB): a large
        # load touches every page of the event ledger in each batch.
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA foreign_keys=ON")
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, or a part of the thread's open :meth:`atomic` unit."""
        conn = self._conn()
        unit = getattr(self._local, "unit", None)
        if unit is not None:
            try:
                yield conn
            except BaseException:
                unit["spoiled"] = True
                raise
            return
        self._begin(conn)
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise StoreUnavailable(f"the store is busy: {err}") from err

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group this thread's writes into one transaction."""
        if getattr(self._local, "unit", None) is not None:
            raise StoreError("atomic() blocks do not nest")
        conn = self._conn()
        self._begin(conn)
        unit = self._local.unit = {"spoiled": False}
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            if unit["spoiled"]:
                conn.execute("ROLLBACK")
                raise StoreError("a write failed inside atomic(); nothing was committed")
            conn.execute("COMMIT")
        finally:
            self._local.unit = None

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- people ----------------------------------------------------------------------

    def upsert_people(self, people: Iterable[Person]) -> int:
        """Insert or update people; teams and departments follow from them."""
        written = 0
        with self._write() as conn:
            erased = _erased(conn)
            if erased:
                people = unerased_people(people, erased)
            for batch in chunks(enumerate(people), self.batch_size):
                rows = [_person_row(check_person(pos, p)) for pos, p in batch]
                conn.executemany(UPSERT_PERSON, rows)
                written += len(rows)
            conn.execute(ORPHAN_SCORES)
        return written

    def people(self) -> Iterator[Person]:
        """Every person, ordered by key."""
        cursor = self._conn().execute(
            "SELECT key, name, department, team, title, is_it, manager, aliases FROM person ORDER BY key"
        )
        for row in cursor:
            yield _person(row)

    def person(self, key: str) -> Person:
        """One person by key."""
        row = (
            self._conn()
            .execute(
                "SELECT key, name, department, team, title, is_it, manager, aliases FROM person WHERE key = ?",
                (key,),
            )
            .fetchone()
        )
        if row is None:
            raise NotFound(f"no person with key {key!r}")
        return _person(row)

    def teams(self) -> Iterator[Team]:
        """Teams that have members; a team is IT when any member is."""
        cursor = self._conn().execute(
            "SELECT department, team, max(is_it) FROM person WHERE team != '' "
            "GROUP BY department, team ORDER BY department || '/' || team"
        )
        for department, team, is_it in cursor:
            yield Team(
                key=team_key(department, team), name=team, department=department, is_it=bool(is_it)
            )

    # -- interactions ----------------------------------------------------------------

    def add_interactions(self, interactions: Iterable[Interaction]) -> int:
        """Add events in one transaction; return the number of new ones."""
        added, offset, known = 0, 0, set()
        with self._write() as conn:
            erased = _erased(conn)
            if erased:
                interactions = unerased_interactions(interactions, erased)
            for batch in chunks(interactions, self.batch_size):
                columns = event_columns(batch, offset)
                offset += len(batch)
                _check_people(conn, columns, known)
                added += _merge_events(conn, columns.first_occurrences())
        return added

    def ties(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        channels: Iterable[Channel] | None = None,
        by_month: bool = False,
    ) -> Iterator[Tie]:
        """Aggregated ties in a window of whole months."""
        low, high = window_months(since, until)
        sql = TIES_WINDOW.format(
            month="month" if by_month else "NULL", group=", month" if by_month else ""
        )
        params = {"since": low, "until": high, "channels": _json_list(channel_values(channels))}
        for source, target, channel, month, count, weight, first, last in self._conn().execute(
            sql, params
        ):
            yield Tie(
                source, target, Channel(channel), count, weight, _utc(first), _utc(last), month
            )

    def tie_columns(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        channels: Iterable[Channel] | None = None,
    ) -> TieColumns:
        """The monthly ties of a window as columns, read in one transaction."""
        low, high = window_months(since, until)
        params = {"since": low, "until": high, "channels": _json_list(channel_values(channels))}
        conn = self._conn()
        with _one_snapshot(conn):
            builder = TieColumnsBuilder(key for (key,) in conn.execute(PERSON_KEYS))
            cursor = conn.execute(TIE_ROWS, params)
            while len(chunk := np.fromiter(islice(cursor, TIE_CHUNK), TIE_ROW)):
                builder.add(*(chunk[name] for name in TIE_ROW.names))
        return builder.columns()

    # -- scores, erasure, counts --------------------------------------------------------

    def write_scores(self, subject: Subject, scores: Mapping[str, Mapping[str, float]]) -> int:
        """Replace the named scores of the given subjects."""
        subject = Subject(subject)
        rows = [(subject.value, key, name, value) for key, name, value in check_scores(scores)]
        with self._write() as conn:
            conn.executemany(UPSERT_SCORE, rows)
            missing = conn.execute(UNKNOWN_SCORED[subject]).fetchone()[0]
            if missing:
                raise NotFound(f"{missing} of the scored {subject.value} keys are not in the store")
        return len(rows)

    def scores(self, subject: Subject) -> dict[str, dict[str, float]]:
        """Scores by subject key, then name."""
        result: dict[str, dict[str, float]] = {}
        cursor = self._conn().execute(
            "SELECT key, name, value FROM score WHERE subject = ? ORDER BY key, name",
            (Subject(subject).value,),
        )
        for key, name, value in cursor:
            result.setdefault(key, {})[name] = value
        return result

    def erase_person(self, key: str) -> Erasure:
        """Remove a person with their ties, events and scores."""
        with self._write() as conn:
            if conn.execute("DELETE FROM person WHERE key = ?", (key,)).rowcount == 0:
                raise NotFound(f"no person with key {key!r}")
            ties = conn.execute(
                "DELETE FROM tie WHERE source = ? OR target = ?", (key, key)
            ).rowcount
            events = conn.execute(
                "DELETE FROM event WHERE source = ? OR target = ?", (key, key)
            ).rowcount
            scores = conn.execute(
                "DELETE FROM score WHERE subject = 'person' AND key = ?", (key,)
            ).rowcount
            conn.execute("UPDATE person SET manager = NULL WHERE manager = ?", (key,))
            conn.execute("UPDATE ticket_fact SET requester = NULL WHERE requester = ?", (key,))
            conn.execute(ORPHAN_SCORES)
        return Erasure(key=key, ties=ties, events=events, scores=scores)

    def mark_erased(self, keys: Iterable[str]) -> int:
        """Remember keys as erased; return how many were new."""
        rows = check_keys(keys)
        at = _epoch(datetime.now(UTC))
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO erased (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                ((key, at) for key in rows),
            )
            added = conn.total_changes - before
        return added

    def erased_keys(self) -> set[str]:
        """Every key marked as erased."""
        return _erased(self._conn())

    def drop_snapshots_naming(self, keys: Iterable[str]) -> int:
        """Delete every snapshot whose JSON text holds one of the keys."""
        dropped = 0
        with self._write() as conn:
            for needle in snapshot_needles(keys):
                dropped += conn.execute(
                    "DELETE FROM snapshot WHERE instr(data, ?) > 0", (needle,)
                ).rowcount
        return dropped

    def purge_before(self, month: date) -> Purge:
        """Delete tie buckets before ``month``, their events, and tickets opened before it.

        Events stored before events knew their month go once no tie of
        their pair is left.
        """
        before, start = purge_month(month)
        with self._write() as conn:
            ties = conn.execute("DELETE FROM tie WHERE month < ?", (before,)).rowcount
            events = conn.execute(
                "DELETE FROM event WHERE month != '' AND month < ?", (before,)
            ).rowcount
            events += conn.execute(
                "DELETE FROM event WHERE month = '' AND NOT EXISTS (SELECT 1 FROM tie "
                "WHERE tie.source = event.source AND tie.target = event.target)"
            ).rowcount
            tickets = conn.execute(
                "DELETE FROM ticket_fact WHERE coalesce(opened, resolved) < ?", (start,)
            ).rowcount
        return Purge(before=before, ties=ties, events=events, tickets=tickets)

    def counts(self) -> StoreCounts:
        """Totals of people, teams, departments and interactions per channel."""
        conn = self._conn()
        people, departments = conn.execute(
            "SELECT count(*), count(DISTINCT nullif(department, '')) FROM person"
        ).fetchone()
        teams = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM person WHERE team != '' GROUP BY department, team)"
        ).fetchone()[0]
        channels = {
            channel: ChannelCount(interactions=total, pairs=pairs)
            for channel, total, pairs in conn.execute(
                "SELECT channel, sum(count), count(DISTINCT source || ' ' || target) FROM tie GROUP BY channel"
            )
        }
        interactions = sum(c.interactions for c in channels.values())
        return StoreCounts(people, teams, departments, interactions, channels)

    # -- ledger and snapshots -----------------------------------------------------------

    def record_run(self, run: IngestRun) -> None:
        """Append an ingest run to the ledger."""
        check_run(run)
        row = (run.id, run.kind, run.source, run.status, _epoch(run.started), _epoch(run.finished))
        with self._write() as conn:
            conn.execute(
                "INSERT INTO ingest_run VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, json_text(run.report, field="report"), run.error),
            )

    def add_ticket_facts(self, facts: Iterable[TicketFact]) -> int:
        """Insert or replace ticket facts by ``(system, ref)``."""
        written = 0
        with self._write() as conn:
            erased = _erased(conn)
            if erased:
                facts = unerased_facts(facts, erased)
            for batch in chunks(enumerate(facts), self.batch_size):
                rows = [_fact_row(check_fact(pos, f)) for pos, f in batch]
                conn.executemany(
                    "INSERT OR REPLACE INTO ticket_fact VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
                written += len(rows)
        return written

    def ticket_facts(self) -> Iterator[TicketFact]:
        """Every ticket fact, ordered by system and ref."""
        cursor = self._conn().execute("SELECT * FROM ticket_fact ORDER BY system, ref")
        for system, ref, requester, group, opened, resolved, reopen_count, satisfaction in cursor:
            yield TicketFact(
                system,
                ref,
                requester,
                group,
                _maybe_utc(opened),
                _maybe_utc(resolved),
                reopen_count,
                satisfaction,
            )

    def runs(self, *, limit: int = 100) -> list[IngestRun]:
        """Ingest runs, newest first."""
        cursor = self._conn().execute(
            "SELECT id, kind, source, status, started, finished, report, error FROM ingest_run "
            "ORDER BY started DESC, finished DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [
            IngestRun(
                id_, kind, source, status, _utc(started), _utc(finished), json.loads(report), error
            )
            for id_, kind, source, status, started, finished, report, error in cursor
        ]

    def save_snapshot(self, kind: str, data: Mapping[str, Any]) -> Snapshot:
        """Store the next version of a result."""
        text = json_text(dict(data), field="data")
        created = datetime.now(UTC).replace(microsecond=0)
        with self._write() as conn:
            (last,) = conn.execute(
                "SELECT coalesce(max(version), 0) FROM snapshot WHERE kind = ?", (check_kind(kind),)
            ).fetchone()
            conn.execute(
                "INSERT INTO snapshot VALUES (?, ?, ?, ?)", (kind, last + 1, _epoch(created), text)
            )
        return Snapshot(kind, last + 1, created, json.loads(text))

    def snapshot(self, kind: str, version: int | None = None) -> Snapshot:
        """One version of a result, the latest by default."""
        row = (
            self._conn()
            .execute(
                "SELECT version, created, data FROM snapshot WHERE kind = ? "
                "AND (? IS NULL OR version = ?) ORDER BY version DESC LIMIT 1",
                (check_kind(kind), version, version),
            )
            .fetchone()
        )
        if row is None:
            raise NotFound(f"no {kind} snapshot" + (f" version {version}" if version else ""))
        return Snapshot(kind, row[0], _utc(row[1]), json.loads(row[2]))

    def snapshot_versions(self, kind: str) -> list[int]:
        """Stored versions of a kind, oldest first."""
        cursor = self._conn().execute(
            "SELECT version FROM snapshot WHERE kind = ? ORDER BY version", (check_kind(kind),)
        )
        return [v for (v,) in cursor]

    def clear(self) -> None:
        """Delete every row."""
        with self._write() as conn:
            for table in (
                "tie",
                "event",
                "score",
                "person",
                "ingest_run",
                "snapshot",
                "ticket_fact",
                "erased",
            ):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


@contextmanager
def _one_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Several reads in one read transaction (or in the one already open)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _erased(conn: sqlite3.Connection) -> set[str]:
    return {key for (key,) in conn.execute("SELECT key FROM erased")}


def _check_people(conn: sqlite3.Connection, columns: EventColumns, known: set[str]) -> None:
    """Raise for the first record naming someone not in the store.

    ``known`` collects the people already found during this call: inside the
    write transaction nobody else can remove them.
    """
    people = set(columns.sources).union(columns.targets) - known
    if not people:
        return
    found = {key for (key,) in conn.execute(KNOWN_PEOPLE, (json.dumps(sorted(people)),))}
    if len(found) < len(people):
        raise columns.missing_person(people - found)
    known |= found


def _merge_events(conn: sqlite3.Connection, columns: EventColumns) -> int:
    """Record the batch's unseen events in the ledger and add them to their ties.

    Events go in key order and ties in key order, so each B-tree is walked
    once per batch. A batch that is wholly new or wholly seen (the usual
    cases) takes one pass; a mixed batch is rolled back to a savepoint and
    redone with only its new events.
    """
    keys = columns.keys
    conn.execute("SAVEPOINT batch")
    before = conn.total_changes
    _insert_events(conn, columns)
    added = conn.total_changes - before
    if 0 < added < len(keys):
        conn.execute("ROLLBACK TO batch")
        seen = set()
        for part in chunks(keys, 100_000):
            seen.update(key for (key,) in conn.execute(SEEN_EVENTS, (json.dumps(part),)))
        columns = columns.take([i for i, key in enumerate(keys) if key not in seen])
        _insert_events(conn, columns)
        added = len(columns)
    conn.execute("RELEASE batch")
    if added:
        conn.executemany(MERGE_TIE, _tie_rows(columns))
    return added


def _insert_events(conn: sqlite3.Connection, columns: EventColumns) -> None:
    keys = columns.keys
    order = sorted(range(len(keys)), key=keys.__getitem__)
    conn.executemany(
        INSERT_EVENT,
        zip(*_pick(order, keys, columns.sources, columns.targets, columns.months), strict=True),
    )


def _tie_rows(columns: EventColumns) -> Iterator[tuple]:
    """Sum events per pair, channel and month: count, weight, first and last second.

    Rows come in key order, one at a time (executemany frees each before
    the next), and each bucket's weights are summed in call order.
    """
    sources, targets, channels, months = (
        columns.sources, columns.targets, columns.channels, columns.months,
    )  # fmt: skip
    stamps, weights = columns.stamps, columns.weights
    # A string per bucket, not a tuple: nothing for the garbage collector.
    buckets = list(map("\x1f".join, zip(sources, targets, channels, months, strict=True)))
    current, first, count, weight, low, high = None, 0, 0, 0.0, 0, 0
    for row in sorted(range(len(buckets)), key=buckets.__getitem__):
        if buckets[row] != current:
            if current is not None:
                yield (sources[first], targets[first], channels[first], months[first],
                       count, weight, low, high)  # fmt: skip
            current, first, count = buckets[row], row, 1
            weight, low, high = weights[row], stamps[row], stamps[row]
        else:
            count += 1
            weight += weights[row]
            if stamps[row] < low:
                low = stamps[row]
            elif stamps[row] > high:
                high = stamps[row]
    if current is not None:
        yield (sources[first], targets[first], channels[first], months[first],
               count, weight, low, high)  # fmt: skip


def _pick(order: list, *columns: Sequence | Mapping) -> list[list]:
    """Each column's items at ``order``."""
    return [list(map(column.__getitem__, order)) for column in columns]


def _person_row(p: Person) -> tuple:
    return (
        p.key,
        p.name,
        p.department,
        p.team,
        p.title,
        int(p.is_it),
        p.manager,
        json.dumps(p.aliases),
    )


def _person(row: tuple) -> Person:
    key, name, department, team, title, is_it, manager, aliases = row
    return Person(
        key, name, department, team, title, bool(is_it), manager, tuple(json.loads(aliases))
    )


def _fact_row(f: TicketFact) -> tuple:
    opened = _epoch(f.opened) if f.opened else None
    resolved = _epoch(f.resolved) if f.resolved else None
    return (f.system, f.ref, f.requester, f.group, opened, resolved, f.reopen_count, f.satisfaction)


def _maybe_utc(epoch: int | None) -> datetime | None:
    return None if epoch is None else _utc(epoch)


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _json_list(values: list[str]) -> str:
    return json.dumps(values)
