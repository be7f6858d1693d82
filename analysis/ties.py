"""Monthly ties as compact columns: the input of every analysis job at scale.

A store yields one :class:`ingest.records.Tie` per (source, target, channel,
month). Holding millions of those objects costs about 270 bytes each; a
:class:`TieTable` keeps the same facts in numpy columns (about 40 bytes a
row), sorted in one canonical order so that every sum over it is the same
whatever order the store returned the rows in. Rows are grouped by unordered
pair, which makes a window of months (or the whole table) a few ``bincount``
calls away from per-pair figures (:func:`analysis.strength.pair_strengths`).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from itertools import islice
from itertools import repeat
from operator import attrgetter

import numpy as np

from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie
from ingest.records import TieColumns

__all__ = ["CHANNELS", "TieTable", "epoch_us", "from_epoch_us"]

#: Channel codes of the ``channel`` column: channels in name order.
CHANNELS: tuple[Channel, ...] = tuple(sorted(Channel, key=lambda c: c.value))
_CODE = {c: k for k, c in enumerate(CHANNELS)}
_CHUNK = 65_536
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(when: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of a timezone-aware datetime (exact)."""
    return (when - _EPOCH) // _US


_US = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH


def from_epoch_us(us: int) -> datetime:
    """The UTC datetime of :func:`epoch_us` (exact)."""
    return _EPOCH + us * _US


@dataclass(frozen=True, slots=True, eq=False)
class TieTable:
    """Directed monthly ties as columns, one row per (source, target, channel, month).

    ``people`` are the known people sorted by key; their position is their
    vertex id in every graph built from the table. Ties may also name
    ``outsiders`` (keys the directory does not know), numbered after the
    people: they count where a whole-window figure needs every tie (the
    percentile ranks of tie strength) and never become vertices.

    Rows are sorted by (pair, channel, direction, month); self-ties are
    dropped. ``pair`` indexes ``pair_lo``/``pair_hi`` (``lo < hi``, sorted),
    ``forward`` says the row runs ``lo → hi``; ``month`` indexes ``months``
    (−1 for a tie without a month); ``last_seen`` is in microseconds since
    the epoch (UTC). Self-ties keep only their month and ``last_seen``
    (``self_month``, ``self_last``), for :meth:`latest`.
    """

    people: tuple[Person, ...]
    outsiders: tuple[str, ...]
    months: tuple[str, ...]
    source: np.ndarray
    target: np.ndarray
    channel: np.ndarray
    month: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    last_seen: np.ndarray
    pair: np.ndarray
    forward: np.ndarray
    pair_lo: np.ndarray
    pair_hi: np.ndarray
    self_month: np.ndarray
    self_last: np.ndarray

    @property
    def size(self) -> int:
        """Number of people and outsiders: one more than the largest id."""
        return len(self.people) + len(self.outsiders)

    @property
    def keys(self) -> list[str]:
        """The key of every id: people first, then outsiders."""
        return [p.key for p in self.people] + list(self.outsiders)

    def __len__(self) -> int:
        return len(self.source)

    @classmethod
    def from_ties(cls, people: Iterable[Person], ties: Iterable[Tie]) -> TieTable:
        """Read ties once, in chunks, into columns (memory stays ~ the columns).

        Parameters
        ----------
        people : iterable of Person
            The directory; ties naming other keys are kept as outsiders.
        ties : iterable of Tie
            Aggregated ties in any order, typically ``store.ties(by_month=True)``.

        Returns
        -------
        TieTable

        Examples
        --------
        >>> from datetime import datetime, UTC
        >>> t = datetime(2025, 1, 5, tzinfo=UTC)
        >>> ties = [Tie("b", "a", Channel.EMAIL, 2, 2.0, t, t, "2025-01"),
        ...         Tie("a", "x", Channel.TICKET, 1, 1.0, t, t, "2025-01"),
        ...         Tie("a", "a", Channel.EMAIL, 1, 1.0, t, t, "2025-01")]
        >>> table = TieTable.from_ties([Person("a"), Person("b")], ties)
        >>> len(table), table.keys, table.forward.tolist(), table.pair_hi.tolist()
        (2, ['a', 'b', 'x'], [False, True], [1, 2])
        """
        directory = tuple(sorted(people, key=lambda p: p.key))
        index = {p.key: i for i, p in enumerate(directory)}
        outside: dict[str, int] = {}
        month_code: dict[str | None, int] = {}
        parts: list[tuple[np.ndarray, ...]] = []
        stream = iter(ties)
        while chunk := list(islice(stream, _CHUNK)):
            parts.append(_columns(chunk, index, outside, month_code))
        return cls._assemble(directory, outside, month_code, parts)

    @classmethod
    def from_columns(cls, people: Iterable[Person], columns: TieColumns) -> TieTable:
        """The table of monthly ties read as columns: :meth:`from_ties` without records.

        Parameters
        ----------
        people : iterable of Person
            The directory; ties naming other keys are kept as outsiders.
        columns : TieColumns
            Monthly ties, typically ``store.tie_columns()``.

        Returns
        -------
        TieTable
            Equal, column for column, to :meth:`from_ties` on the same ties.

        Examples
        --------
        >>> from datetime import datetime, UTC
        >>> t = datetime(2025, 1, 5, tzinfo=UTC)
        >>> columns = TieColumns.from_ties([Tie("b", "a", Channel.EMAIL, 2, 2.0, t, t, "2025-01"),
        ...                                 Tie("a", "x", Channel.TICKET, 1, 1.0, t, t, "2025-01")])
        >>> table = TieTable.from_columns([Person("a"), Person("b")], columns)
        >>> len(table), table.keys, table.forward.tolist(), table.pair_hi.tolist()
        (2, ['a', 'b', 'x'], [False, True], [1, 2])
        """
        directory = tuple(sorted(people, key=lambda p: p.key))
        index = {p.key: i for i, p in enumerate(directory)}
        source, target = columns.source, columns.target
        named = np.zeros(len(columns.keys), dtype=bool)
        named[source] = True
        named[target] = True
        # the table's id of each key code: people by directory position, outsiders after them
        ids = np.fromiter(map(index.get, columns.keys, repeat(-1)), np.int64, len(columns.keys))
        outside: dict[str, int] = {}
        for code in np.flatnonzero(named & (ids < 0)).tolist():
            ids[code] = outside[columns.keys[code]] = len(index) + len(outside)
        # months renumbered over the ones in use, as from_ties meets them
        used = np.flatnonzero(np.bincount(columns.month, minlength=len(columns.months)))
        month_code: dict[str | None, int] = {columns.months[m]: k for k, m in enumerate(used)}
        renumber = np.zeros(len(columns.months), dtype=np.int64)
        renumber[used] = np.arange(len(used))
        channel = np.array([_CODE[c] for c in TieColumns.CHANNELS], dtype=np.int8)
        part = (ids[source], ids[target], channel[columns.channel], renumber[columns.month],
                columns.count, columns.weight, columns.last_seen)  # fmt: skip
        return cls._assemble(directory, outside, month_code, [part] if len(source) else [])

    @classmethod
    def _assemble(
        cls,
        people: tuple[Person, ...],
        outside: dict[str, int],
        month_code: dict[str | None, int],
        parts: list[tuple[np.ndarray, ...]],
    ) -> TieTable:
        n = len(people)
        outsiders = tuple(sorted(outside))
        # outsiders were numbered n, n+1, ... as met; renumber them in key order
        remap = np.arange(n + len(outsiders), dtype=np.int64)
        for rank, key in enumerate(outsiders):
            remap[outside[key]] = n + rank
        months = tuple(sorted(m for m in month_code if m is not None))
        month_map = np.full(len(month_code) + 1, -1, dtype=np.int64)
        for m, code in month_code.items():
            month_map[code] = months.index(m) if m is not None else -1
        if parts:
            src, dst, chan, mon, count, weight, last = (
                np.concatenate(column) for column in zip(*parts, strict=True)
            )
        else:
            src = dst = mon = count = last = np.zeros(0, dtype=np.int64)
            chan, weight = np.zeros(0, dtype=np.int8), np.zeros(0)
        src, dst, mon = remap[src], remap[dst], month_map[mon]
        keep = src != dst
        self_month, self_last = mon[~keep], last[~keep]
        src, dst, chan, mon = src[keep], dst[keep], chan[keep], mon[keep]
        count, weight, last = count[keep], weight[keep], last[keep]
        size = n + len(outsiders)
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        backward = (src > dst).astype(np.int64)
        span = len(months) + 1
        key = ((lo * size + hi) * len(CHANNELS) + chan) * 2 + backward
        order = np.argsort(key * span + (mon + 1), kind="stable")
        pair_key = (lo * size + hi)[order]
        starts = np.flatnonzero(np.r_[True, pair_key[1:] != pair_key[:-1]]) if len(order) else order
        pair = np.cumsum(np.r_[False, pair_key[1:] != pair_key[:-1]]) if len(order) else order
        small = np.int32 if size < 2**31 else np.int64
        return cls(
            people=people,
            outsiders=outsiders,
            months=months,
            source=src[order].astype(small),
            target=dst[order].astype(small),
            channel=chan[order],
            month=mon[order].astype(np.int16 if span < 2**15 else np.int32),
            count=count[order],
            weight=weight[order],
            last_seen=last[order],
            pair=pair.astype(np.int64),
            forward=(backward[order] == 0),
            pair_lo=lo[order][starts].astype(small),
            pair_hi=hi[order][starts].astype(small),
            self_month=self_month,
            self_last=self_last,
        )

    def in_months(self, months: Sequence[str] | None) -> np.ndarray | None:
        """Row mask of the given months (``None``: every row, no mask)."""
        if months is None:
            return None
        return self._wanted(months)[self.month.astype(np.int64) + 1]

    def latest(self, months: Sequence[str] | None = None) -> datetime | None:
        """The latest ``last_seen`` of any tie (self-ties included) in the months, if any."""
        rows, own = self.last_seen, self.self_last
        if months is not None:
            wanted = self._wanted(months)
            rows, own = (
                rows[wanted[self.month.astype(np.int64) + 1]],
                own[wanted[self.self_month + 1]],
            )
        if not len(rows) and not len(own):
            return None
        return from_epoch_us(int(max(rows.max(initial=own.max(initial=0)), own.max(initial=0))))

    def _wanted(self, months: Sequence[str]) -> np.ndarray:
        wanted = np.zeros(len(self.months) + 1, dtype=bool)
        chosen = set(months)
        for code, m in enumerate(self.months):
            wanted[code + 1] = m in chosen
        return wanted


def _columns(
    chunk: list[Tie],
    index: dict[str, int],
    outside: dict[str, int],
    month_code: dict[str | None, int],
) -> tuple[np.ndarray, ...]:
    """One chunk of ties as raw columns (ids and month codes are renumbered later)."""
    size = len(chunk)
    sources = list(map(_SOURCE, chunk))
    targets = list(map(_TARGET, chunk))
    months = list(map(_MONTH, chunk))
    try:  # C-level loops; a key or month not seen before takes the slow path once
        ids = (
            np.fromiter(map(index.__getitem__, keys), np.int64, size) for keys in (sources, targets)
        )
        src, dst = ids
        mon = np.fromiter(map(month_code.__getitem__, months), np.int64, size)
    except KeyError:
        for key in (*sources, *targets):
            if key not in index and key not in outside:
                outside[key] = len(index) + len(outside)
        for m in months:
            month_code.setdefault(m, len(month_code))
        known = {**index, **outside}
        src = np.fromiter(map(known.__getitem__, sources), np.int64, size)
        dst = np.fromiter(map(known.__getitem__, targets), np.int64, size)
        mon = np.fromiter(map(month_code.__getitem__, months), np.int64, size)
    stamps = np.fromiter(map(datetime.timestamp, map(_LAST, chunk)), np.float64, size)
    return (
        src,
        dst,
        np.fromiter(map(_CODE.__getitem__, map(_CHANNEL, chunk)), np.int8, size),
        mon,
        np.fromiter(map(_COUNT, chunk), np.int64, size),
        np.fromiter(map(_WEIGHT, chunk), np.float64, size),
        np.round(stamps * 1e6).astype(np.int64),
    )


_SOURCE = attrgetter("source")
_TARGET = attrgetter("target")
_CHANNEL = attrgetter("channel")
_MONTH = attrgetter("month")
_COUNT = attrgetter("count")
_WEIGHT = attrgetter("weight")
_LAST = attrgetter("last_seen")
