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
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import Any
from typing import Protocol
from typing import TypeVar

from graph.errors import InvalidInput
from ingest.records import Channel
from ingest.records import IngestRun
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import Team
from ingest.records import TicketFact
from ingest.records import Tie

T = TypeVar("T")


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

    def write_scores(self, subject: Subject, scores: Mapping[str, Mapping[str, float]]) -> int:
        """Store analysis scores by subject key and score name; return values written."""
        ...

    def scores(self, subject: Subject) -> dict[str, dict[str, float]]:
        """Scores written so far, by subject key then score name."""
        ...

    def erase_person(self, key: str) -> Erasure:
        """Remove a person with all their ties, events and scores."""
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


def month_of(when: datetime) -> str:
    """``YYYY-MM`` of an aware datetime, in UTC."""
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"


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
