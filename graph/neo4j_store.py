"""The Neo4j store, through the official driver. The only module importing ``neo4j``.

One driver per process, closed by :meth:`Neo4jStore.close`. Writes go in
``UNWIND $rows`` batches inside one explicit transaction per call, so a call
either lands whole or not at all. Driver exceptions become
:mod:`graph.errors` exceptions here and nowhere else.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from itertools import repeat
from typing import Any
from typing import LiteralString
from typing import TypeVar

import neo4j
from neo4j import GraphDatabase
from neo4j import RoutingControl
from neo4j import exceptions as neo4j_errors

from graph import cypher
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
from graph.errors import Conflict
from graph.errors import InvalidInput
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

log = logging.getLogger(__name__)
T = TypeVar("T")

BOLT_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})

WRITE_SCORES = {
    Subject.PERSON: cypher.WRITE_PERSON_SCORES,
    Subject.TEAM: cypher.WRITE_TEAM_SCORES,
    Subject.DEPARTMENT: cypher.WRITE_DEPARTMENT_SCORES,
}
# The fields of a TIE_COLUMNS record, in TieColumnsBuilder.add order.
TIE_FIELDS = (
    "source", "targets", "channels", "months", "counts", "weights", "first_seen", "last_seen",
)  # fmt: skip
TIE_CHUNK = 65_536
READ_SCORES = {
    Subject.PERSON: cypher.PERSON_SCORES,
    Subject.TEAM: cypher.TEAM_SCORES,
    Subject.DEPARTMENT: cypher.DEPARTMENT_SCORES,
}


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn driver exceptions into ours; never log parameters (pseudonymous data)."""
    try:
        yield
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as err:
        raise StoreUnavailable(f"Neo4j is unavailable ({what}): {err}") from err
    except neo4j_errors.AuthError as err:
        raise StoreUnavailable(f"Neo4j refused the credentials ({what})") from err
    except neo4j_errors.ConstraintError as err:
        raise Conflict(f"{what} collided with a uniqueness constraint: {err.message}") from err
    except neo4j_errors.Neo4jError as err:
        log.error("Neo4j error in %s: %s", what, err.code)
        raise StoreError(f"Neo4j error in {what}: {err.code}") from err
    except neo4j_errors.DriverError as err:
        raise StoreUnavailable(f"Neo4j driver error ({what}): {err}") from err


class Neo4jStore:
    """A :class:`graph.base.Store` on a Neo4j 5 database."""

    def __init__(
        self,
        uri: str,
        *,
        user: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        batch_size: int = 10_000,
    ) -> None:
        scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise InvalidInput(
                f"must be a Bolt URI ({', '.join(sorted(BOLT_SCHEMES))})",
                field="NEO4J_URI",
                value=uri,
            )
        self.database = database
        self.batch_size = batch_size
        self._local = threading.local()
        with _translated("connect"):
            self._driver = GraphDatabase.driver(uri, auth=(user, password))
            try:
                self._driver.verify_connectivity()
            except BaseException:
                self._driver.close()
                raise
        self.ensure_schema()

    def ensure_schema(self) -> None:
        """Create the named constraints, indexes and property keys (idempotent)."""
        for statement in cypher.SCHEMA:
            self._run(statement, "ensure schema")

    def close(self) -> None:
        """Close the driver (safe to call twice)."""
        self._driver.close()

    # -- plumbing --------------------------------------------------------------------

    def _run(
        self, query: LiteralString, what: str, *, read: bool = False, **params: Any
    ) -> list[dict[str, Any]]:
        routing = RoutingControl.READ if read else RoutingControl.WRITE
        with _translated(what):
            records, _, _ = self._driver.execute_query(
                query, parameters_=params, database_=self.database, routing_=routing
            )
        return [record.data() for record in records]

    def _stream(self, query: LiteralString, what: str, **params: Any) -> Iterator[neo4j.Record]:
        with (
            _translated(what),
            self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session,
        ):
            yield from session.run(query, params)

    def _in_transaction(self, what: str, work: Callable[[neo4j.Transaction], T]) -> T:
        # An explicit transaction rather than execute_write: the input is a
        # one-pass iterable, so the unit of work cannot be retried.
        unit = getattr(self._local, "unit", None)
        if unit is not None:
            try:
                with _translated(what):
                    return work(unit["tx"])
            except BaseException:
                unit["spoiled"] = True
                raise
        with _translated(what), self._driver.session(database=self.database) as session:
            with session.begin_transaction() as tx:
                result = work(tx)
                tx.commit()
                return result

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group this thread's writes into one Neo4j transaction."""
        if getattr(self._local, "unit", None) is not None:
            raise StoreError("atomic() blocks do not nest")
        with _translated("atomic"), self._driver.session(database=self.database) as session:
            tx = session.begin_transaction()
            unit = self._local.unit = {"tx": tx, "spoiled": False}
            try:
                yield
            except BaseException:
                tx.rollback()
                raise
            else:
                if unit["spoiled"]:
                    tx.rollback()
                    raise StoreError("a write failed inside atomic(); nothing was committed")
                tx.commit()
            finally:
                self._local.unit = None
                tx.close()

    # -- people ----------------------------------------------------------------------

    def upsert_people(self, people: Iterable[Person]) -> int:
        """Insert or update people, their teams, departments and managers."""
        people = self._without_erased(people, unerased_people)

        def work(tx: neo4j.Transaction) -> int:
            written, managers = 0, []
            for batch in chunks(enumerate(people), self.batch_size):
                rows = [_person_row(check_person(pos, p)) for pos, p in batch]
                tx.run(cypher.UPSERT_PEOPLE, rows=rows).consume()
                tx.run(cypher.DROP_STALE_MEMBERSHIP, rows=rows).consume()
                tx.run(cypher.LINK_TEAMS, rows=rows).consume()
                tx.run(cypher.DROP_MANAGERS, keys=[r["key"] for r in rows]).consume()
                managers.extend(
                    {"key": r["key"], "manager": r["manager"]} for r in rows if r["manager"]
                )
                written += len(rows)
            for batch in chunks(managers, self.batch_size):
                tx.run(cypher.LINK_MANAGERS, rows=batch).consume()
            tx.run(cypher.DROP_EMPTY_TEAMS).consume()
            tx.run(cypher.DROP_EMPTY_DEPARTMENTS).consume()
            return written

        return self._in_transaction("upsert people", work)

    def people(self) -> Iterator[Person]:
        """Every person, ordered by key."""
        for record in self._stream(cypher.PEOPLE, "read people"):
            yield _person(record)

    def person(self, key: str) -> Person:
        """One person by key."""
        rows = self._run(cypher.PERSON, "read person", read=True, key=key)
        if not rows:
            raise NotFound(f"no person with key {key!r}")
        return _person(rows[0])

    def teams(self) -> Iterator[Team]:
        """Teams that have members; a team is IT when any member is."""
        for row in self._run(cypher.TEAMS, "read teams", read=True):
            yield Team(
                key=row["key"],
                name=row["name"],
                department=row["department"],
                is_it=bool(row["is_it"]),
            )

    # -- interactions ----------------------------------------------------------------

    def add_interactions(self, interactions: Iterable[Interaction]) -> int:
        """Add events in one transaction; return the number of new ones."""
        interactions = self._without_erased(interactions, unerased_interactions)

        def work(tx: neo4j.Transaction) -> int:
            added, offset, known = 0, 0, set()
            pending = None
            for batch in chunks(interactions, self.batch_size):
                # Checking this batch overlaps with Neo4j writing the last one.
                columns = event_columns(batch, offset)
                offset += len(batch)
                _check_people(tx, columns, known)
                new, pending = _merge_ties(tx, columns.first_occurrences())
                added += new
            if pending is not None:
                pending.consume()
            return added

        return self._in_transaction("add interactions", work)

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
        query = cypher.TIES_BY_MONTH if by_month else cypher.TIES_WINDOW
        params = {"since": low, "until": high, "channels": channel_values(channels)}
        for r in self._stream(query, "read ties", **params):
            yield Tie(
                r["source"], r["target"], Channel(r["channel"]), r["count"], r["weight"],
                _native(r["first_seen"]), _native(r["last_seen"]), r["month"],
            )  # fmt: skip

    def tie_columns(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        channels: Iterable[Channel] | None = None,
    ) -> TieColumns:
        """The monthly ties of a window as columns, from one read query.

        Each record carries one person's ties as lists (one per field), put
        into numpy a chunk at a time; ``keys`` are the keys the ties name.
        """
        low, high = window_months(since, until)
        params = {"since": low, "until": high, "channels": channel_values(channels)}
        builder = TieColumnsBuilder()
        chunk: list[list[Any]] = [[] for _ in TIE_FIELDS]
        for record in self._stream(cypher.TIE_COLUMNS, "read tie columns", **params):
            lists = [record[name] for name in TIE_FIELDS[1:]]
            size = len(lists[0])
            if any(len(values) != size for values in lists):
                raise StoreError("a tie lacks a field (the columns would not line up)")
            chunk[0].extend(repeat(record["source"], size))
            for column, values in zip(chunk[1:], lists, strict=True):
                column.extend(values)
            if len(chunk[0]) >= TIE_CHUNK:
                builder.add(*chunk)
                chunk = [[] for _ in TIE_FIELDS]
        if chunk[0]:
            builder.add(*chunk)
        return builder.columns(sort=True)

    # -- scores, erasure, counts --------------------------------------------------------

    def write_scores(self, subject: Subject, scores: Mapping[str, Mapping[str, float]]) -> int:
        """Set ``bw_<name>`` properties on Person, Team or Department nodes."""
        query = WRITE_SCORES[Subject(subject)]
        props: dict[str, dict[str, float]] = {}
        for key, name, value in check_scores(scores):
            props.setdefault(key, {})[f"bw_{name}"] = value
        rows = [{"key": key, "props": values} for key, values in props.items()]

        def work(tx: neo4j.Transaction) -> int:
            matched = 0
            for batch in chunks(rows, self.batch_size):
                matched += tx.run(query, rows=batch).single(strict=True)["matched"]
            if matched != len(rows):
                missing = len(rows) - matched
                raise NotFound(
                    f"{missing} of the scored {Subject(subject).value} keys are not in the store"
                )
            return sum(len(r["props"]) for r in rows)

        return self._in_transaction("write scores", work)

    def scores(self, subject: Subject) -> dict[str, dict[str, float]]:
        """Scores by subject key, then name (the ``bw_`` prefix removed)."""
        query = READ_SCORES[Subject(subject)]
        return {
            row["key"]: {name.removeprefix("bw_"): value for name, value in row["pairs"]}
            for row in self._run(query, "read scores", read=True)
        }

    def erase_person(self, key: str) -> Erasure:
        """Remove a person with their ties, events and scores."""

        def work(tx: neo4j.Transaction) -> Erasure:
            found = tx.run(cypher.ERASE_PERSON, key=key).single()
            if found is None:
                raise NotFound(f"no person with key {key!r}")
            tx.run(cypher.FORGET_MANAGER, key=key).consume()
            tx.run(cypher.FORGET_REQUESTER, key=key).consume()
            tx.run(cypher.DROP_EMPTY_TEAMS).consume()
            tx.run(cypher.DROP_EMPTY_DEPARTMENTS).consume()
            return Erasure(
                key=key, ties=found["ties"], events=found["events"], scores=found["scores"]
            )

        return self._in_transaction("erase person", work)

    def counts(self) -> StoreCounts:
        """Totals of people, teams, departments and interactions per channel."""
        nodes = self._run(cypher.COUNT_NODES, "count", read=True)[0]
        channels = {
            row["channel"]: ChannelCount(interactions=row["interactions"], pairs=row["pairs"])
            for row in self._run(cypher.COUNT_CHANNELS, "count", read=True)
        }
        interactions = sum(c.interactions for c in channels.values())
        return StoreCounts(
            nodes["people"], nodes["teams"], nodes["departments"], interactions, channels
        )

    # -- ledger and snapshots -----------------------------------------------------------

    def record_run(self, run: IngestRun) -> None:
        """Append an ingest run to the ledger (an ``:IngestRun`` node)."""
        check_run(run)
        row = {
            "id": run.id, "kind": run.kind, "source": run.source, "status": run.status,
            "started": int(run.started.timestamp()), "finished": int(run.finished.timestamp()),
            "report": json_text(run.report, field="report"), "error": run.error,
        }  # fmt: skip
        self._in_transaction("record run", lambda tx: tx.run(cypher.RECORD_RUN, row=row).consume())

    def add_ticket_facts(self, facts: Iterable[TicketFact]) -> int:
        """Insert or replace ticket facts (``:Ticket`` nodes) by ``(system, ref)``."""
        facts = self._without_erased(facts, unerased_facts)

        def work(tx: neo4j.Transaction) -> int:
            written = 0
            for batch in chunks(enumerate(facts), self.batch_size):
                rows = [_fact_row(check_fact(pos, f)) for pos, f in batch]
                tx.run(cypher.MERGE_TICKETS, rows=rows).consume()
                written += len(rows)
            return written

        return self._in_transaction("add ticket facts", work)

    def ticket_facts(self) -> Iterator[TicketFact]:
        """Every ticket fact, ordered by system and ref."""
        for r in self._stream(cypher.TICKETS, "read tickets"):
            yield TicketFact(
                r["system"], r["ref"], r["requester"], r["group"], _maybe_native(r["opened"]),
                _maybe_native(r["resolved"]), r["reopen_count"], r["satisfaction"],
            )  # fmt: skip

    def runs(self, *, limit: int = 100) -> list[IngestRun]:
        """Ingest runs, newest first."""
        return [
            IngestRun(
                r["id"],
                r["kind"],
                r["source"],
                r["status"],
                _native(r["started"]),
                _native(r["finished"]),
                json.loads(r["report"]),
                r["error"],
            )  # fmt: skip
            for r in self._run(cypher.RUNS, "read runs", read=True, limit=limit)
        ]

    def save_snapshot(self, kind: str, data: Mapping[str, Any]) -> Snapshot:
        """Store the next version of a result (a ``:Snapshot`` node)."""
        text = json_text(dict(data), field="data")
        created = datetime.now(UTC).replace(microsecond=0)
        params = {"kind": check_kind(kind), "created": int(created.timestamp()), "data": text}

        def work(tx: neo4j.Transaction) -> int:
            return tx.run(cypher.SAVE_SNAPSHOT, **params).single(strict=True)["version"]

        version = self._in_transaction("save snapshot", work)
        return Snapshot(kind, version, created, json.loads(text))

    def snapshot(self, kind: str, version: int | None = None) -> Snapshot:
        """One version of a result, the latest by default."""
        rows = self._run(
            cypher.SNAPSHOT, "read snapshot", read=True, kind=check_kind(kind), version=version
        )
        if not rows:
            raise NotFound(f"no {kind} snapshot" + (f" version {version}" if version else ""))
        row = rows[0]
        return Snapshot(kind, row["version"], _native(row["created"]), json.loads(row["data"]))

    def snapshot_versions(self, kind: str) -> list[int]:
        """Stored versions of a kind, oldest first."""
        rows = self._run(
            cypher.SNAPSHOT_VERSIONS, "read snapshots", read=True, kind=check_kind(kind)
        )
        return [r["version"] for r in rows]

    def clear(self) -> None:
        """Delete every node and relationship (tests and ``reset`` only)."""
        with _translated("clear"), self._driver.session(database=self.database) as session:
            for statement in cypher.CLEAR:
                session.run(statement).consume()

    # -- erasure marks and retention ----------------------------------------------------

    def _without_erased(
        self, records: Iterable[T], keep: Callable[..., Iterator[T]]
    ) -> Iterable[T]:
        """``records`` less those naming a marked key (read in this thread's unit, if any)."""
        erased = self._in_transaction(
            "read erased keys", lambda tx: {r["key"] for r in tx.run(cypher.ERASED_KEYS)}
        )
        return keep(records, erased) if erased else records

    def mark_erased(self, keys: Iterable[str]) -> int:
        """Remember keys as erased (``:Erased`` nodes); return how many were new."""
        rows = check_keys(keys)
        if not rows:
            return 0
        at = int(datetime.now(UTC).timestamp())

        def work(tx: neo4j.Transaction) -> int:
            return tx.run(cypher.MARK_ERASED, keys=rows, at=at).single(strict=True)["added"]

        return self._in_transaction("mark erased", work)

    def erased_keys(self) -> set[str]:
        """Every key marked as erased."""
        return {r["key"] for r in self._run(cypher.ERASED_KEYS, "read erased keys", read=True)}

    def drop_snapshots_naming(self, keys: Iterable[str]) -> int:
        """Delete every snapshot whose JSON text holds one of the keys."""
        needles = snapshot_needles(keys)
        if not needles:
            return 0

        def work(tx: neo4j.Transaction) -> int:
            return tx.run(cypher.DROP_SNAPSHOTS_NAMING, needles=needles).single(strict=True)[
                "dropped"
            ]

        return self._in_transaction("drop snapshots", work)

    def purge_before(self, month: date) -> Purge:
        """Delete tie buckets before ``month`` (their ledgers go with them) and older tickets.

        Inside an :meth:`atomic` unit everything is one transaction; on its
        own the ties go in batches of their own transactions, so a large
        purge does not run out of transaction memory (running it again
        finishes one that failed half-way).
        """
        before, start = purge_month(month)
        if getattr(self._local, "unit", None) is None:
            with _translated("purge"), self._driver.session(database=self.database) as session:
                ties = session.run(cypher.PURGE_TIES_IN_BATCHES, before=before).single(strict=True)
                counts = (ties["ties"], ties["events"])
        else:

            def purge_ties(tx: neo4j.Transaction) -> tuple[int, int]:
                found = tx.run(cypher.PURGE_TIES, before=before).single(strict=True)
                return found["ties"], found["events"]

            counts = self._in_transaction("purge", purge_ties)

        def purge_tickets(tx: neo4j.Transaction) -> int:
            return tx.run(cypher.PURGE_TICKETS, start=start).single(strict=True)["tickets"]

        tickets = self._in_transaction("purge", purge_tickets)
        return Purge(before=before, ties=counts[0], events=counts[1], tickets=tickets)


def _check_people(tx: neo4j.Transaction, columns: EventColumns, known: set[str]) -> None:
    """Raise for the first record naming someone not in the store; remember who is."""
    people = set(columns.sources).union(columns.targets) - known
    if not people:
        return
    missing = {r["key"] for r in tx.run(cypher.MISSING_PEOPLE, keys=sorted(people))}
    if missing:
        raise columns.missing_person(missing)
    known |= people


def _merge_ties(tx: neo4j.Transaction, columns: EventColumns) -> tuple[int, neo4j.Result | None]:
    """Create the batch's new ties and add new events to existing ones.

    Returns the number of new events and the still-running CREATE, which the
    caller consumes later so that Neo4j works while Python checks the next
    batch.
    """
    keys, stamps, weights = columns.keys, columns.stamps, columns.weights
    buckets = list(
        map(
            "|".join,
            zip(columns.sources, columns.targets, columns.channels, columns.months, strict=True),
        )
    )
    members: dict[str, list[int]] = {}
    for row, bucket in enumerate(buckets):
        members.setdefault(bucket, []).append(row)
    existing = tx.run(cypher.EXISTING_TIES, keys=list(members))
    # Keys and lengths of the ledgers as read: ADD_TO_TIES relies on the length.
    ledgers = {r["key"]: (set(r["events"]), len(r["events"])) for r in existing}
    creates, updates = [], []
    for bucket, rows in members.items():
        if bucket not in ledgers:
            first = rows[0]
            times = [stamps[i] for i in rows]
            creates.append({
                "key": bucket, "source": columns.sources[first], "target": columns.targets[first],
                "channel": columns.channels[first], "month": columns.months[first],
                "count": len(rows), "weight": _sum(weights[i] for i in rows),
                "first": min(times), "last": max(times), "events": [keys[i] for i in rows],
            })  # fmt: skip
        else:
            ledger, length = ledgers[bucket]
            fresh = [
                {"key": keys[i], "ts": stamps[i], "weight": weights[i]}
                for i in rows
                if keys[i] not in ledger
            ]
            if fresh:
                updates.append({"key": bucket, "seen": length, "events": fresh})
    added = sum(row["count"] for row in creates)
    if updates:
        added += tx.run(cypher.ADD_TO_TIES, rows=updates).single(strict=True)["added"]
    pending = tx.run(cypher.CREATE_TIES, rows=creates) if creates else None
    return added, pending


def _sum(values: Iterable[float]) -> float:
    """Left to right from 0.0, as the embedded store and ADD_TO_TIES sum."""
    total = 0.0
    for value in values:
        total += value
    return total


def _fact_row(f: TicketFact) -> dict[str, Any]:
    return {
        "system": f.system, "ref": f.ref, "requester": f.requester, "group": f.group,
        "opened": int(f.opened.timestamp()) if f.opened else None,
        "resolved": int(f.resolved.timestamp()) if f.resolved else None,
        "reopen_count": f.reopen_count, "satisfaction": f.satisfaction,
    }  # fmt: skip


def _maybe_native(epoch: int | None) -> datetime | None:
    return None if epoch is None else _native(epoch)


def _native(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _person_row(p: Person) -> dict[str, Any]:
    team_key = p.team_key if p.team else None
    return {
        "key": p.key, "name": p.name, "department": p.department, "team": p.team,
        "title": p.title, "is_it": p.is_it, "manager": p.manager, "team_key": team_key,
        "aliases": list(p.aliases),
    }  # fmt: skip


def _person(row: Mapping[str, Any]) -> Person:
    return Person(
        key=row["key"], name=row["name"] or "", department=row["department"] or "", team=row["team"] or "",
        title=row["title"] or "", is_it=bool(row["is_it"]), manager=row["manager"],
        aliases=tuple(row["aliases"] or ()),
    )  # fmt: skip
