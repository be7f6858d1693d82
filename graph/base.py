"""The store contract: one interface, shared checks, shared result types.

Both implementations (:mod:`graph.embedded` and :mod:`graph.neo4j_store`)
validate records with the helpers here, so a bad record gets the same error
whichever database is behind the store.

Time windows are whole months, half-open: ``since`` is the first month
included and ``until`` the first month excluded. Ties are aggregated per
ordered pair, channel and UTC month, which is the finest grain the store
keeps.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from collections.abc import Set
from contextlib import AbstractContextManager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timezone
from enum import StrEnum
from hashlib import blake2b
from itertools import islice
from itertools import repeat
from operator import attrgetter
from operator import eq
from typing import Any
from typing import Protocol
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from graph.errors import InvalidInput
from ingest.records import Channel
from ingest.records import IngestRun
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import Team
from ingest.records import TicketFact
from ingest.records import Tie
from ingest.records import TieColumns
from ingest.records import event_key

T = TypeVar("T")

# Beyond about ±2**33 s (years 1697 to 2242) a float timestamp no longer
# tells the microsecond before a month boundary from the boundary itself.
SAFE_EPOCH = 2.0**33


SCORE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Subject(StrEnum):
    """What an analysis score belongs to."""

    PERSON = "person"
    TEAM = "team"
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class ChannelCount:
    """Per-channel totals: distinct events and distinct ordered pairs."""

    interactions: int = 0
    pairs: int = 0


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """How much the store holds."""

    people: int
    teams: int
    departments: int
    interactions: int
    channels: dict[str, ChannelCount] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "people": self.people,
            "teams": self.teams,
            "departments": self.departments,
            "interactions": self.interactions,
            "channels": {
                name: {"interactions": c.interactions, "pairs": c.pairs}
                for name, c in sorted(self.channels.items())
            },
        }


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing one person removed."""

    key: str
    ties: int
    events: int
    scores: int


@dataclass(frozen=True, slots=True)
class Purge:
    """What purging the months before ``before`` (``YYYY-MM``) removed.

    ``ties`` counts tie buckets (pair, channel, month), ``events`` the event
    keys that went with them and ``tickets`` the ticket facts opened before.
    """

    before: str
    ties: int
    events: int
    tickets: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A versioned analysis result: ``version`` counts up per ``kind``."""

    kind: str
    version: int
    created: datetime
    data: dict[str, Any]


class Store(Protocol):
    """What every graph store offers. Methods return our records only."""

    def upsert_people(self, people: Iterable[Person]) -> int:
        """Insert or update people (and their teams and departments); return how many."""
        ...

    def people(self) -> Iterator[Person]:
        """Every person, ordered by key."""
        ...

    def person(self, key: str) -> Person:
        """One person; raises :class:`~graph.errors.NotFound`."""
        ...

    def teams(self) -> Iterator[Team]:
        """Every team with at least one member, ordered by key."""
        ...

    def add_interactions(self, interactions: Iterable[Interaction]) -> int:
        """Add events atomically; return how many were new (seen events are ignored)."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """Group this thread's writes into one transaction, committed on exit.

        An exception leaving the block rolls everything back. A store write
        that fails inside the block spoils it: the block then commits nothing,
        even if the caller caught the error.
        """
        ...

    def record_run(self, run: IngestRun) -> None:
        """Append an ingest run to the ledger."""
        ...

    def add_ticket_facts(self, facts: Iterable[TicketFact]) -> int:
        """Insert or replace ticket service facts by ``(system, ref)``; return how many."""
        ...

    def ticket_facts(self) -> Iterator[TicketFact]:
        """Every ticket fact, ordered by system and ref."""
        ...

    def runs(self, *, limit: int = 100) -> list[IngestRun]:
        """Ingest runs, newest first."""
        ...

    def save_snapshot(self, kind: str, data: Mapping[str, Any]) -> Snapshot:
        """Store a new version of an analysis result (JSON-ready data)."""
        ...

    def snapshot(self, kind: str, version: int | None = None) -> Snapshot:
        """One version of a result (the latest by default); raises NotFound."""
        ...

    def snapshot_versions(self, kind: str) -> list[int]:
        """The versions stored for a kind, oldest first."""
        ...

    def ties(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        channels: Iterable[Channel] | None = None,
        by_month: bool = False,
    ) -> Iterator[Tie]:
        """Aggregated ties in a window of whole months, ordered by pair and channel."""
        ...

    def tie_columns(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        channels: Iterable[Channel] | None = None,
    ) -> TieColumns:
        """The monthly ties of a window as columns: ``ties(by_month=True)`` without records.

        Same rows in the same order, read in one consistent snapshot, with
        person keys and months given once and referred to by integer codes
        (see :class:`~ingest.records.TieColumns`). For analysis at scale,
        where millions of :class:`~ingest.records.Tie` objects would cost
        more than the analysis.
        """
        ...

    def write_scores(self, subject: Subject, scores: Mapping[str, Mapping[str, float]]) -> int:
        """Store analysis scores by subject key and score name; return values written."""
        ...

    def scores(self, subject: Subject) -> dict[str, dict[str, float]]:
        """Scores written so far, by subject key then score name."""
        ...

    def erase_person(self, key: str) -> Erasure:
        """Remove a person with all their ties, events and scores."""
        ...

    def mark_erased(self, keys: Iterable[str]) -> int:
        """Remember keys as erased; return how many were not marked before.

        From then on :meth:`upsert_people` leaves out people whose key or
        any alias is marked (and forgets a marked manager),
        :meth:`add_interactions` leaves out interactions naming a marked
        key, without error, and :meth:`add_ticket_facts` forgets a marked
        requester: the marks keep erased and opted-out people from
        coming back, whichever path the data takes. :meth:`clear` removes
        the marks too.
        """
        ...

    def erased_keys(self) -> set[str]:
        """Every key marked as erased."""
        ...

    def drop_snapshots_naming(self, keys: Iterable[str]) -> int:
        """Delete every analysis snapshot (all versions) whose data mentions a key; return how many."""
        ...

    def purge_before(self, month: date) -> Purge:
        """Delete the tie buckets of months before ``month`` with their event keys.

        ``month`` is the first day of a month. Ticket facts opened (or, when
        not known, resolved) before it go too. Running it again removes
        nothing more.
        """
        ...

    def counts(self) -> StoreCounts:
        """Totals for the overview page and ``report``."""
        ...

    def clear(self) -> None:
        """Delete everything (tests and ``reset`` only)."""
        ...

    def close(self) -> None:
        """Release connections. Safe to call twice."""
        ...


def check_run(run: IngestRun) -> IngestRun:
    """Validate a ledger entry."""
    for name in ("id", "kind", "source", "status"):
        _text(0, name, getattr(run, name), required=True)
    if run.status not in ("ok", "failed"):
        raise InvalidInput("must be ok or failed", field="status", value=run.status)
    for name in ("started", "finished"):
        value = getattr(run, name)
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise InvalidInput("must be a timezone-aware datetime", field=name, value=value)
    json_text(run.report, field="report")
    return run


def check_fact(position: int, fact: TicketFact) -> TicketFact:
    """Validate one ticket fact; raise :class:`InvalidInput` naming the field."""
    if not isinstance(fact, TicketFact):
        raise InvalidInput("is not a TicketFact", record=position, value=type(fact).__name__)
    _text(position, "system", fact.system, required=True)
    _text(position, "ref", fact.ref, required=True)
    _text(position, "group", fact.group)
    if fact.requester is not None:
        _text(position, "requester", fact.requester, required=True)
    for name in ("opened", "resolved"):
        value = getattr(fact, name)
        if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
            raise InvalidInput(
                "must be a timezone-aware datetime", record=position, field=name, value=value
            )
    if (
        isinstance(fact.reopen_count, bool)
        or not isinstance(fact.reopen_count, int)
        or fact.reopen_count < 0
    ):
        raise InvalidInput(
            "must be a whole number ≥ 0",
            record=position,
            field="reopen_count",
            value=fact.reopen_count,
        )
    sat = fact.satisfaction
    if sat is not None and (
        isinstance(sat, bool) or not isinstance(sat, int | float) or not 0 <= sat <= 1
    ):
        raise InvalidInput(
            "must be between 0 and 1", record=position, field="satisfaction", value=sat
        )
    return fact


def json_text(data: Any, *, field: str) -> str:
    """Serialise JSON-ready data, or raise InvalidInput naming the field."""
    try:
        return json.dumps(data, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"is not JSON-ready data: {err}", field=field) from None


def check_kind(kind: str) -> str:
    """Snapshot kinds are short names such as ``liaison`` or ``isolation``."""
    if not isinstance(kind, str) or not SCORE_NAME.match(kind):
        raise InvalidInput("kinds are lower-case letters, digits and _", field="kind", value=kind)
    return kind


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` items, consuming ``items`` lazily."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def check_keys(keys: Iterable[str]) -> list[str]:
    """Validate person keys (or other erasure marks); return them sorted, each once."""
    if isinstance(keys, str):
        raise InvalidInput("give a collection of keys, not one string", field="keys", value=keys)
    checked = set()
    for position, key in enumerate(keys):
        _text(position, "key", key, required=True)
        checked.add(key)
    return sorted(checked)


def snapshot_needles(keys: Iterable[str]) -> list[str]:
    """How keys appear inside a snapshot's JSON text (as :func:`json_text` escapes them).

    >>> snapshot_needles(["p_0b", "p_0a", "p_0b"])
    ['p_0a', 'p_0b']
    """
    return [json.dumps(key)[1:-1] for key in check_keys(keys)]


def purge_month(month: date) -> tuple[str, int]:
    """Check the first month kept by a purge: its ``YYYY-MM`` and first second (UTC epoch)."""
    if month is None:
        raise InvalidInput("give the first month to keep", field="month", value=month)
    window_months(month, None)
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    return f"{month.year:04d}-{month.month:02d}", int(start.timestamp())


def unerased_people(people: Iterable[Person], erased: Set[str]) -> Iterator[Person]:
    """People whose key and aliases are not marked erased; an erased manager is forgotten.

    Anything that is not a well-formed :class:`Person` passes through, to
    fail the store's checks.
    """
    for person in people:
        if isinstance(person, Person) and isinstance(person.aliases, tuple):
            if _marked(erased, (person.key, *person.aliases)):
                continue
            if _marked(erased, (person.manager,)):
                person = replace(person, manager=None)
        yield person


def unerased_interactions(
    interactions: Iterable[Interaction], erased: Set[str]
) -> Iterator[Interaction]:
    """Interactions naming no key marked erased (anything else passes through, to be checked)."""
    for item in interactions:
        if isinstance(item, Interaction) and _marked(erased, (item.source, item.target)):
            continue
        yield item


def unerased_facts(facts: Iterable[TicketFact], erased: Set[str]) -> Iterator[TicketFact]:
    """Ticket facts with a requester who is marked erased forgotten (the ticket stays)."""
    for fact in facts:
        if isinstance(fact, TicketFact) and _marked(erased, (fact.requester,)):
            fact = replace(fact, requester=None)
        yield fact


def _marked(erased: Set[str], values: tuple[object, ...]) -> bool:
    return any(isinstance(value, str) and value in erased for value in values)


def month_of(when: datetime) -> str:
    """``YYYY-MM`` of an aware datetime, in UTC."""
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"


class TieColumnsBuilder:
    """Monthly ties gathered a chunk at a time into :class:`~ingest.records.TieColumns`.

    Keys, channel values and month labels arrive as text and leave as
    integer codes, mapped at C speed while they are known ones. Seed it
    with the keys expected (the people's, sorted) so that it rarely meets
    a new one.

    >>> builder = TieColumnsBuilder(["a", "b"])
    >>> builder.add(["b", "a"], ["c", "b"], ["email", "ticket"], ["2025-02", "2025-01"],
    ...             [1, 2], [1.0, 0.5], [60, 0], [120, 30])
    >>> columns = builder.columns(sort=True)
    >>> columns.keys, columns.months, columns.source.tolist(), columns.last_seen.tolist()
    (('a', 'b', 'c'), ('2025-01', '2025-02'), [0, 1], [30000000, 120000000])
    """

    _DTYPES = (np.int32, np.int32, np.int8, np.int32, np.int64, np.float64, np.int64, np.int64)

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._keys: dict[str, int] = {}
        for key in keys:
            self._keys.setdefault(key, len(self._keys))
        self._months: dict[str, int] = {}
        self._channels = {channel.value: code for code, channel in enumerate(TieColumns.CHANNELS)}
        # chunks of each column, in TieColumns order
        self._chunks: list[list[np.ndarray]] = [[] for _ in self._DTYPES]

    def add(
        self,
        sources: Sequence[str],
        targets: Sequence[str],
        channels: Sequence[str],
        months: Sequence[str],
        counts: Sequence[int],
        weights: Sequence[float],
        first_seen: Sequence[int],
        last_seen: Sequence[int],
    ) -> None:
        """One chunk of rows, a sequence per field; times in whole seconds since the epoch."""
        size = len(sources)
        try:
            ids = [_codes(self._keys, sources, size), _codes(self._keys, targets, size)]
        except KeyError:
            for key in (*sources, *targets):
                self._keys.setdefault(key, len(self._keys))
            ids = [_codes(self._keys, sources, size), _codes(self._keys, targets, size)]
        try:
            month = _codes(self._months, months, size)
        except KeyError:
            for label in months:
                self._months.setdefault(label, len(self._months))
            month = _codes(self._months, months, size)
        chunk = (
            *ids, np.fromiter(map(self._channels.__getitem__, channels), np.int8, size), month,
            # contiguous copies: a view would keep the caller's chunk (and its text) alive
            np.ascontiguousarray(counts, dtype=np.int64),
            np.ascontiguousarray(weights, dtype=np.float64),
            np.asarray(first_seen, dtype=np.int64) * 1_000_000,
            np.asarray(last_seen, dtype=np.int64) * 1_000_000,
        )  # fmt: skip
        for column, part in zip(self._chunks, chunk, strict=True):
            column.append(part)

    def columns(self, *, sort: bool = False) -> TieColumns:
        """Everything added, codes renumbered to sorted keys and months; ``sort``: rows in key order."""
        keys, key_code = _sorted_codes(self._keys)
        months, month_code = _sorted_codes(self._months)
        columns = []
        for chunks, dtype in zip(self._chunks, self._DTYPES, strict=True):
            columns.append(np.concatenate(chunks) if chunks else np.zeros(0, dtype))
            chunks.clear()  # each column's chunks let go once joined
        columns[0], columns[1], columns[3] = (
            key_code[columns[0]], key_code[columns[1]], month_code[columns[3]],
        )  # fmt: skip
        if sort and len(columns[0]):
            order = np.lexsort((columns[3], columns[2], columns[1], columns[0]))
            columns = [column[order] for column in columns]
        return TieColumns(keys, months, *columns)


def _codes(known: Mapping[str, int], values: Sequence[str], size: int) -> np.ndarray:
    return np.fromiter(map(known.__getitem__, values), np.int32, size)


def _sorted_codes(codes: Mapping[str, int]) -> tuple[list[str], np.ndarray]:
    """Names sorted, and each provisional code's position among them."""
    names = sorted(codes)
    position = np.zeros(len(codes), dtype=np.int32)
    position[np.fromiter(map(codes.__getitem__, names), np.int64, len(names))] = np.arange(
        len(names)
    )
    return names, position


def window_months(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    """Check a window of whole months and return its bounds as ``YYYY-MM``."""
    bounds = []
    for name, value in (("since", since), ("until", until)):
        if value is None:
            bounds.append(None)
            continue
        if not isinstance(value, date):
            raise InvalidInput("must be a date", field=name, value=value)
        if isinstance(value, datetime) or value.day != 1:
            raise InvalidInput(
                "windows are whole months: give the first day of a month", field=name, value=value
            )
        bounds.append(f"{value.year:04d}-{value.month:02d}")
    if bounds[0] and bounds[1] and bounds[0] >= bounds[1]:
        raise InvalidInput("must be after since", field="until", value=until)
    return bounds[0], bounds[1]


def channel_values(channels: Iterable[Channel] | None) -> list[str]:
    """Check a channel filter; ``None`` means every channel."""
    if channels is None:
        return [c.value for c in Channel]
    values = []
    for channel in channels:
        values.append(_channel(channel, record=None).value)
    return sorted(set(values))


def check_person(position: int, person: Person) -> Person:
    """Validate one person record; raise :class:`InvalidInput` naming the field."""
    if not isinstance(person, Person):
        raise InvalidInput("is not a Person", record=position, value=type(person).__name__)
    _text(position, "key", person.key, required=True)
    for name in ("name", "department", "team", "title"):
        _text(position, name, getattr(person, name))
    if person.team and not person.department:
        raise InvalidInput("a team needs a department", record=position, field="department")
    if person.manager is not None:
        _text(position, "manager", person.manager, required=True)
    if not isinstance(person.aliases, tuple):
        raise InvalidInput(
            "must be a tuple", record=position, field="aliases", value=person.aliases
        )
    for alias in person.aliases:
        _text(position, "aliases", alias, required=True)
    if not isinstance(person.is_it, bool):
        raise InvalidInput(
            "must be true or false", record=position, field="is_it", value=person.is_it
        )
    return person


def check_interaction(position: int, item: Interaction) -> Interaction:
    """Validate one interaction; raise :class:`InvalidInput` naming the field."""
    if not isinstance(item, Interaction):
        raise InvalidInput("is not an Interaction", record=position, value=type(item).__name__)
    _text(position, "source", item.source, required=True)
    _text(position, "target", item.target, required=True)
    _text(position, "ref", item.ref, required=True)
    if item.source == item.target:
        raise InvalidInput(
            "a tie needs two people", record=position, field="target", value=item.target
        )
    _channel(item.channel, record=position)
    stamp = item.timestamp
    if not isinstance(stamp, datetime):
        raise InvalidInput("must be a datetime", record=position, field="timestamp", value=stamp)
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise InvalidInput(
            "must be timezone-aware (naive datetimes are ambiguous)",
            record=position,
            field="timestamp",
            value=stamp,
        )
    weight = item.weight
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
        raise InvalidInput("must be a finite number", record=position, field="weight", value=weight)
    if weight <= 0:
        raise InvalidInput("must be positive", record=position, field="weight", value=weight)
    return item


def check_scores(scores: Mapping[str, Mapping[str, float]]) -> list[tuple[str, str, float]]:
    """Flatten and validate scores to ``(key, name, value)`` rows."""
    rows = []
    for position, (key, values) in enumerate(scores.items()):
        _text(position, "key", key, required=True)
        for name, value in values.items():
            if not isinstance(name, str) or not SCORE_NAME.match(name):
                raise InvalidInput(
                    "score names are lower-case letters, digits and _",
                    record=position,
                    field="name",
                    value=name,
                )
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise InvalidInput(
                    "must be a finite number", record=position, field=name, value=value
                )
            rows.append((key, name, float(value)))
    return rows


def _channel(channel: object, *, record: int | None) -> Channel:
    if isinstance(channel, Channel):
        return channel
    try:
        return Channel(channel)
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise InvalidInput(
            f"unknown channel (known: {known})", record=record, field="channel", value=channel
        ) from None


def _text(position: int, name: str, value: object, *, required: bool = False) -> None:
    if not isinstance(value, str):
        raise InvalidInput("must be text", record=position, field=name, value=value)
    if required and not value.strip():
        raise InvalidInput("is required", record=position, field=name, value=value)


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Checked interactions, one list per field, in call order.

    ``positions`` are the records' numbers in the call (for error messages);
    ``channels`` hold channel values, ``months`` the UTC ``YYYY-MM`` bucket,
    ``stamps`` whole epoch seconds and ``keys`` the event keys.
    """

    positions: Sequence[int]
    keys: list[str]
    sources: list[str]
    targets: list[str]
    channels: list[str]
    months: list[str]
    stamps: list[int]
    weights: list[float]

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, rows: Sequence[int]) -> EventColumns:
        """The events at the given row numbers, in that order."""
        return EventColumns(
            *([column[i] for i in rows] for column in (
                self.positions, self.keys, self.sources, self.targets,
                self.channels, self.months, self.stamps, self.weights,
            ))
        )  # fmt: skip

    def first_occurrences(self) -> EventColumns:
        """Each event once: the first record with a given key wins."""
        keys = self.keys
        if len(set(keys)) == len(keys):
            return self
        first: dict[str, int] = {}
        return self.take([i for i, key in enumerate(keys) if first.setdefault(key, i) == i])

    def missing_person(self, missing: set[str]) -> InvalidInput:
        """The error for the first record naming someone in ``missing``."""
        for position, source, target in zip(
            self.positions, self.sources, self.targets, strict=True
        ):
            if source in missing or target in missing:
                side, key = ("source", source) if source in missing else ("target", target)
                return InvalidInput(
                    "no such person in the store (load the directory first)",
                    record=position,
                    field=side,
                    value=key,
                )
        raise ValueError("none of these people is missing")


def event_columns(batch: Sequence[Interaction], offset: int = 0) -> EventColumns:
    """Check a batch of interactions and return them column by column.

    Raises the same :class:`InvalidInput` as :func:`check_interaction` would
    for the first bad record. Ordinary batches (exact types, fixed-offset or
    IANA time zones) are checked a column at a time; anything unusual falls
    back to checking record by record.
    """
    positions = range(offset, offset + len(batch))
    columns = _fast_columns(batch)
    if columns is None:
        columns = _checked_columns(batch, offset)
    return EventColumns(positions, *columns)


_FIELDS = ("source", "target", "channel", "timestamp", "ref", "weight")


def _fast_columns(batch: Sequence[Interaction]) -> tuple[list[Any], ...] | None:
    """Columns of a batch that passes every check in bulk, or ``None``."""
    if not batch or set(map(type, batch)) != {Interaction}:
        return None
    # One list per field: no per-record tuples, so no garbage-collector churn.
    sources, targets, channels, stamps, refs, weights = (
        list(map(attrgetter(name), batch)) for name in _FIELDS
    )
    try:
        if set(map(type, sources)) | set(map(type, targets)) | set(map(type, refs)) != {str}:
            return None
        if not all(map(str.strip, set(sources) | set(targets))) or not all(map(str.strip, refs)):
            return None
        if any(map(eq, sources, targets)):
            return None
        values = {}
        for channel in set(channels):
            if type(channel) not in (Channel, str):
                return None
            values[channel] = Channel(channel).value
        if set(map(type, stamps)) != {datetime}:
            return None
        for zone in set(map(attrgetter("tzinfo"), stamps)):
            if type(zone) is not timezone and not isinstance(zone, ZoneInfo):
                return None
        kinds = set(map(type, weights))
        if not kinds <= {float, int} or not all(map(math.isfinite, weights)) or min(weights) <= 0:
            return None
    except (TypeError, ValueError, OverflowError):
        return None
    seconds = list(map(datetime.timestamp, stamps))
    low, high = min(seconds), max(seconds)
    if low < -SAFE_EPOCH or high >= SAFE_EPOCH:
        return None
    bounds, labels = _month_starts(low, high)
    # bisect_right(bounds, s) is 1 for the first month: labels[0] is never used.
    months = list(map(labels.__getitem__, map(bisect_right, repeat(bounds), seconds)))
    channels = list(map(values.__getitem__, channels))
    keys = _event_keys(channels, refs, sources, targets)
    if kinds != {float}:
        weights = list(map(float, weights))
    return keys, sources, targets, channels, months, list(map(int, seconds)), weights


def _event_keys(
    channels: list[str], refs: list[str], sources: list[str], targets: list[str]
) -> list[str]:
    """:func:`ingest.records.event_key` over columns of channel values, inlined.

    About 40 % faster than calling it per event; ``tests/graph/test_columns.py``
    holds the two to the same answers.
    """
    return [
        blake2b(
            f"{channel}\x1f{ref}\x1f{source}\x1f{target}".encode("utf-8", "surrogatepass"),
            digest_size=16,
        ).hexdigest()
        for channel, ref, source, target in zip(channels, refs, sources, targets, strict=True)
    ]


def _month_starts(low: float, high: float) -> tuple[list[float], list[str]]:
    """Epoch seconds and ``YYYY-MM`` labels of the UTC months from ``low`` to ``high``.

    The labels start with a placeholder, so that ``labels[bisect_right(bounds, t)]``
    is the month of ``t``.
    """
    first = datetime.fromtimestamp(math.floor(low), UTC)
    year, month = first.year, first.month
    bounds, labels = [], [""]
    while True:
        start = datetime(year, month, 1, tzinfo=UTC).timestamp()
        if start > high:
            return bounds, labels
        bounds.append(start)
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _checked_columns(batch: Sequence[Interaction], offset: int) -> tuple[list[Any], ...]:
    """Columns of a batch checked record by record (raises on the first bad one)."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [])
    keys, sources, targets, channels, months, stamps, weights = columns
    for position, item in enumerate(batch, start=offset):
        check_interaction(position, item)
        channel = Channel(item.channel).value
        keys.append(event_key(channel, item.ref, item.source, item.target))
        sources.append(item.source)
        targets.append(item.target)
        channels.append(channel)
        months.append(month_of(item.timestamp))
        stamps.append(int(item.timestamp.timestamp()))
        weights.append(float(item.weight))
    return columns
