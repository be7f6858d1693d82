"""The shared vocabulary: frozen, typed records that every layer speaks.

Ingestors yield these records, ``graph`` stores them and ``analysis`` reads
them. Nothing here touches a file, a database or the network.

Person keys are pseudonymous (see :mod:`ingest.identity`); raw e-mail
addresses never travel in these records.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from typing import Any
from typing import ClassVar

import numpy as np


class Channel(StrEnum):
    """How two people interacted."""

    EMAIL = "email"
    MEETING = "meeting"
    TICKET = "ticket"
    CHAT = "chat"


@dataclass(frozen=True, slots=True)
class Person:
    """One person from the HR directory (or seen in the traces).

    ``key`` is the stable pseudonymous identifier; ``manager`` is the key of
    the person's manager, if known. ``team`` and ``department`` are names as
    the directory spells them; ``is_it`` says whether the person's unit is IT.
    ``aliases`` holds the pseudonyms of the person's other addresses (never
    the addresses), so later ingests resolve mail sent from an alias.
    """

    key: str
    name: str = ""
    department: str = ""
    team: str = ""
    title: str = ""
    is_it: bool = False
    manager: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def team_key(self) -> str:
        """The key of the person's team: unique across departments."""
        return team_key(self.department, self.team)


def team_key(department: str, team: str) -> str:
    """Key of a team: teams are named within their department."""
    return f"{department}/{team}"


@dataclass(frozen=True, slots=True)
class Team:
    """A formal team, part of a department."""

    key: str
    name: str
    department: str
    is_it: bool = False


@dataclass(frozen=True, slots=True)
class Interaction:
    """One observed contact from ``source`` to ``target`` on one channel.

    ``timestamp`` must be timezone-aware (it is stored in UTC); ``ref`` is the
    provenance of the event (Message-ID or fingerprint, ticket number, meeting
    UID plus occurrence). ``weight`` is a strength: 1 for an ordinary contact,
    less for a contact diluted among many recipients or attendees.
    """

    source: str
    target: str
    channel: Channel
    timestamp: datetime
    ref: str
    weight: float = 1.0

    @property
    def event_key(self) -> str:
        """Dedupe key: the same event between the same pair counts once."""
        return event_key(self.channel, self.ref, self.source, self.target)

    @property
    def month(self) -> str:
        """The UTC month bucket, ``YYYY-MM``."""
        return self.timestamp.astimezone(UTC).strftime("%Y-%m")


def event_key(channel: Channel | str, ref: str, source: str, target: str) -> str:
    """Hash of what identifies one event between one ordered pair."""
    value = channel.value if isinstance(channel, Channel) else str(channel)
    raw = "\x1f".join((value, ref, source, target)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Tie:
    """Interactions from ``source`` to ``target`` on one channel, aggregated.

    ``count`` is the number of distinct events, ``weight`` the sum of their
    weights; ``first_seen`` and ``last_seen`` are UTC datetimes. ``month`` is
    ``YYYY-MM`` for a single month bucket, or ``None`` when the tie sums a
    whole window.
    """

    source: str
    target: str
    channel: Channel
    count: int
    weight: float
    first_seen: datetime
    last_seen: datetime
    month: str | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True, eq=False)
class TieColumns:
    """Monthly ties as columns: the rows of ``Store.ties(by_month=True)``, one array per field.

    Millions of :class:`Tie` records cost a Python object each (about 270
    bytes); these columns hold the same facts in about 50 bytes a row.
    ``source`` and ``target`` index ``keys`` (person keys, sorted; there
    may be keys no tie names), ``channel`` indexes :attr:`CHANNELS` and
    ``month`` indexes ``months`` (``YYYY-MM``, sorted). ``first_seen`` and
    ``last_seen`` are microseconds since 1970-01-01 UTC. Rows come in the
    order of ``ties()``: by source key, target key, channel and month.
    Columns are coerced to their dtypes on construction.

    Examples
    --------
    >>> t = datetime(2025, 1, 5, tzinfo=UTC)
    >>> columns = TieColumns.from_ties([Tie("b", "a", Channel.EMAIL, 2, 2.0, t, t, "2025-01")])
    >>> columns.keys, columns.source.tolist(), columns.target.tolist(), len(columns)
    (('a', 'b'), [1], [0], 1)
    >>> list(columns.ties()) == [Tie("b", "a", Channel.EMAIL, 2, 2.0, t, t, "2025-01")]
    True
    """

    #: The channel of each ``channel`` code: channels in value order.
    CHANNELS: ClassVar[tuple[Channel, ...]] = tuple(sorted(Channel))
    _DTYPES: ClassVar[dict[str, type]] = {
        "source": np.int32, "target": np.int32, "channel": np.int8, "month": np.int32,
        "count": np.int64, "weight": np.float64, "first_seen": np.int64, "last_seen": np.int64,
    }  # fmt: skip

    keys: tuple[str, ...]
    months: tuple[str, ...]
    source: np.ndarray
    target: np.ndarray
    channel: np.ndarray
    month: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.keys))
        object.__setattr__(self, "months", tuple(self.months))
        for name, dtype in self._DTYPES.items():
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        lengths = {len(getattr(self, name)) for name in self._DTYPES}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.source)

    @classmethod
    def from_ties(cls, ties: Iterable[Tie]) -> TieColumns:
        """Columns of monthly :class:`Tie` records, in their order (every tie needs a month)."""
        rows = list(ties)
        if any(t.month is None for t in rows):
            raise ValueError("columns hold monthly ties: a tie has no month")
        keys = sorted({t.source for t in rows} | {t.target for t in rows})
        months = sorted({t.month for t in rows})
        key_code = {key: code for code, key in enumerate(keys)}
        month_code = {month: code for code, month in enumerate(months)}
        channel_code = {channel: code for code, channel in enumerate(cls.CHANNELS)}
        return cls(
            keys, months,
            [key_code[t.source] for t in rows], [key_code[t.target] for t in rows],
            [channel_code[Channel(t.channel)] for t in rows], [month_code[t.month] for t in rows],
            [t.count for t in rows], [t.weight for t in rows],
            [(t.first_seen - _EPOCH) // _MICROSECOND for t in rows],
            [(t.last_seen - _EPOCH) // _MICROSECOND for t in rows],
        )  # fmt: skip

    def ties(self) -> Iterator[Tie]:
        """The rows as :class:`Tie` records, one at a time."""
        columns = (self.source, self.target, self.channel, self.month, self.count,
                   self.weight, self.first_seen, self.last_seen)  # fmt: skip
        for source, target, channel, month, count, weight, first, last in zip(
            *(column.tolist() for column in columns), strict=True
        ):
            yield Tie(
                self.keys[source], self.keys[target], self.CHANNELS[channel], count, weight,
                _EPOCH + first * _MICROSECOND, _EPOCH + last * _MICROSECOND, self.months[month],
            )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Skip:
    """One record that was not kept, and why."""

    source: str
    record: str
    field: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        value = f" (value {self.value!r})" if self.value else ""
        return f"{self.source}: record {self.record}: field {self.field!r}: {self.reason}{value}"


@dataclass(slots=True)
class IngestReport:
    """What an ingest run read, kept and skipped. Mutable while the run lasts."""

    source: str
    kind: str
    read: int = 0
    kept: int = 0
    interactions: int = 0
    people_created: int = 0
    people_matched: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[Skip] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    max_examples: int = 20
    service: dict[str, dict[str, float | int | None]] = field(default_factory=dict)

    def skip(self, skip: Skip) -> None:
        """Count a skipped record, keeping the first few as examples."""
        self.skipped[skip.reason] += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(skip)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view of the report."""
        return {
            "source": self.source,
            "kind": self.kind,
            "read": self.read,
            "kept": self.kept,
            "interactions": self.interactions,
            "people_created": self.people_created,
            "people_matched": self.people_matched,
            "skipped": dict(self.skipped),
            "examples": [str(s) for s in self.examples],
            "notes": dict(self.notes),
            "service": {group: dict(values) for group, values in self.service.items()},
        }


@dataclass(frozen=True, slots=True)
class IngestRun:
    """One ingest of one file: the ledger entry and its report.

    ``status`` is ``"ok"`` (everything the report counts was committed) or
    ``"failed"`` (nothing from the file was committed; ``error`` says why).
    ``report`` is :meth:`IngestReport.as_dict`; ``started`` and ``finished``
    are aware UTC datetimes.
    """

    id: str
    kind: str
    source: str
    status: str
    started: datetime
    finished: datetime
    report: dict[str, Any]
    error: str = ""


@dataclass(frozen=True, slots=True)
class TicketFact:
    """Service facts of one ticket, for ITIL-style metrics per group or business unit.

    ``ref`` is the ticket number and ``system`` the ticket system's namespace
    (``tickets:<preset>``), so ``(system, ref)`` identifies a ticket.
    ``requester`` is the requester's person key (``None`` when the ticket
    names nobody who resolves to a person). ``group`` is the assignment
    group as the ticket system names it (``""`` when none). Times are aware
    UTC. ``reopen_count`` is 0 when the export does not say. ``satisfaction``
    is on a 0–1 scale: a 1–5 score ``s`` becomes ``(s - 1) / 4``, ``good``
    1.0 and ``bad`` 0.0; ``None`` when not rated.
    """

    system: str
    ref: str
    requester: str | None
    group: str
    opened: datetime | None
    resolved: datetime | None
    reopen_count: int = 0
    satisfaction: float | None = None

    @property
    def hours_to_resolve(self) -> float | None:
        """Hours from opened to resolved, when both are known and in order."""
        if self.opened is None or self.resolved is None or self.resolved < self.opened:
            return None
        return (self.resolved - self.opened).total_seconds() / 3600
