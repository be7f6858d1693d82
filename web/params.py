"""Query parameters shared by pages and the API: the data window and channels.

This module also hands out what the window's ties become, computed once per
window and data version (:mod:`web.cache`): every person (:func:`people`)
and their groups (:func:`groups`), the person graph (:func:`people_graph`,
:func:`shared_people_graph`, :func:`visible_people_graph`), the team graph
(:func:`visible_team_graph`), the channels behind the ties between teams
(:func:`frame`) and each person's ties by channel (:func:`contacts`); and,
once per analysis, the latest snapshots (:func:`snapshot`) and stored scores.

Every page and endpoint that reads ties accepts the same three parameters,
``since=YYYY-MM``, ``until=YYYY-MM`` (whole months, ``until`` excluded) and any
number of ``channel=`` values. Bad values raise :class:`~graph.errors.InvalidInput`,
which the error handlers turn into a 400 that names the parameter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections import defaultdict
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import igraph as ig
import numpy as np
from flask import request

from analysis.build import pair_slots
from analysis.build import person_graph_of_columns
from analysis.maps import team_graph
from graph.base import Subject
from graph.errors import InvalidInput
from ingest.records import Channel
from ingest.records import Person
from ingest.records import TieColumns
from web import policy
from web import results
from web.cache import cached
from web.cache import snapshot_version
from web.store import get_store

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: seconds the person scores are kept at most (see :func:`stored_scores`)
SCORES_TTL = 60.0


@dataclass(frozen=True, slots=True)
class Window:
    """The slice of ties a request asks for."""

    since: date | None = None
    until: date | None = None
    channels: tuple[Channel, ...] | None = None

    def query(self) -> dict[str, str | list[str]]:
        """The window as query parameters (for links that keep the filter)."""
        args: dict[str, str | list[str]] = {}
        if self.since:
            args["since"] = self.since.strftime("%Y-%m")
        if self.until:
            args["until"] = self.until.strftime("%Y-%m")
        if self.channels:
            args["channel"] = [c.value for c in self.channels]
        return args


def month(name: str) -> date | None:
    """The month in query parameter ``name`` (``YYYY-MM``), or ``None`` when absent."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    match = MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput("must be a month, YYYY-MM", field=name, value=value)
    return date(int(match.group(1)), int(match.group(2)), 1)


def channels() -> tuple[Channel, ...] | None:
    """The ``channel`` query parameters, or ``None`` for all channels."""
    values = request.args.getlist("channel")
    if not values:
        return None
    known = {c.value: c for c in Channel}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise InvalidInput(
            f"unknown channel (known: {', '.join(known)})", field="channel", value=unknown[0]
        )
    return tuple(known[v] for v in values)


def window() -> Window:
    """The window the current request asks for."""
    return Window(month("since"), month("until"), channels())


def window_key(wanted: Window) -> Hashable:
    """The window as a cache key: the same ties give the same key.

    >>> from ingest.records import Channel
    >>> a = window_key(Window(channels=(Channel.EMAIL, Channel.TICKET)))
    >>> a == window_key(Window(channels=(Channel.TICKET, Channel.EMAIL, Channel.EMAIL)))
    True
    """
    chosen = tuple(sorted({c.value for c in wanted.channels})) if wanted.channels else None
    return (wanted.since, wanted.until, chosen)


@dataclass(frozen=True, slots=True)
class Frame:
    """What one read of a window's ties gives: the person graph and the team-pair channels.

    Shared between requests (:mod:`web.cache`): read it, never change it.
    """

    graph: ig.Graph
    team_channels: Mapping[tuple[str, str], Counter[str]]


@dataclass(frozen=True, slots=True)
class Contacts:
    """Every tie of a window, found from either end: whom a person is tied to, on which channel.

    Shared between requests (:mod:`web.cache`): read it, never change it.
    Columns hold one row per tie (self-ties and ties naming unknown people
    left out); ``ends`` is every row's source then every row's target, in
    ``order``, so that a person's rows are one slice of it.
    """

    keys: tuple[str, ...]
    source: np.ndarray
    target: np.ndarray
    channel: np.ndarray
    weight: np.ndarray
    count: np.ndarray
    order: np.ndarray
    ends: np.ndarray

    def of(self, key: str) -> list[tuple[str, Channel, float, int]]:
        """``(other, channel, weight, count)`` of every tie of ``key``, in either direction."""
        index = _index(self.keys, key)
        if index is None:
            return []
        low = int(np.searchsorted(self.ends, index, side="left"))
        high = int(np.searchsorted(self.ends, index, side="right"))
        rows = self.order[low:high]
        size = len(self.source)
        found = []
        for row in rows.tolist():
            tie, outgoing = row % size, row < size
            other = int(self.target[tie] if outgoing else self.source[tie])
            found.append((
                self.keys[other], CHANNELS[int(self.channel[tie])],
                float(self.weight[tie]), int(self.count[tie]),
            ))  # fmt: skip
        return found


#: channels by their number in :class:`Contacts`
CHANNELS = tuple(Channel)


def _index(keys: tuple[str, ...], key: str) -> int | None:
    """Where ``key`` is in the sorted ``keys``, or ``None``."""
    from bisect import bisect_left

    at = bisect_left(keys, key)
    return at if at < len(keys) and keys[at] == key else None


def contacts(wanted: Window) -> Contacts:
    """The window's ties by person and channel (read once per window and data version).

    The ties are policy-free here: callers keep only the people the viewer may see.
    """
    return cached("contacts", window_key(wanted), lambda: _contacts(wanted))


def _contacts(wanted: Window) -> Contacts:
    keys = tuple(sorted(p.key for p in people()))
    number = {key: n for n, key in enumerate(keys)}
    channel = {c: n for n, c in enumerate(CHANNELS)}
    chosen = list(wanted.channels) if wanted.channels else None
    source: list[int] = []
    target: list[int] = []
    kind: list[int] = []
    weight: list[float] = []
    count: list[int] = []
    for tie in get_store().ties(since=wanted.since, until=wanted.until, channels=chosen):
        a, b = number.get(tie.source), number.get(tie.target)
        if a is not None and b is not None and a != b:
            source.append(a)
            target.append(b)
            kind.append(channel[tie.channel])
            weight.append(tie.weight)
            count.append(tie.count)
    ends = np.concatenate([np.asarray(source, np.int32), np.asarray(target, np.int32)])
    order = np.argsort(ends, kind="stable").astype(np.int64)
    return Contacts(
        keys=keys,
        source=np.asarray(source, np.int32),
        target=np.asarray(target, np.int32),
        channel=np.asarray(kind, np.int8),
        weight=np.asarray(weight, np.float64),
        count=np.asarray(count, np.int64),
        order=order,
        ends=ends[order],
    )


def people() -> tuple[Person, ...]:
    """Every person in the store, ordered by key (read once per data version)."""
    return cached("people", None, lambda: tuple(get_store().people()))


def groups() -> policy.Groups:
    """Every group with the viewer's view of it (once per data version, role side and k).

    :meth:`web.policy.Groups.of` depends on the people and, for the viewer,
    only on whether they see everything and on the minimum group size.
    """
    key = (policy.sees_all(), policy.min_group_size())
    return cached("groups", key, lambda: policy.Groups.of(people()))


def stored_scores(subject: Subject) -> Mapping[str, Mapping[str, float]]:
    """The stored scores of every person, team or department, read once per analysis.

    Shared: read them, never change them. The key is the latest version of
    every analysis snapshot. An analysis saves its snapshots before it
    writes the scores, so an answer read in between would be kept under the
    new versions: the entry lives at most :data:`SCORES_TTL` seconds (an
    analysis run from the web clears the cache when it ends).
    """
    from web.jobs import JOBS

    versions = tuple(snapshot_version(kind) for kind in JOBS)
    return cached(
        "scores", (Subject(subject), versions), lambda: get_store().scores(subject), ttl=SCORES_TTL
    )


def stored_person_scores() -> Mapping[str, Mapping[str, float]]:
    """Every person's stored scores (see :func:`stored_scores`)."""
    return stored_scores(Subject.PERSON)


def frame(wanted: Window | None = None) -> Frame:
    """The window's person graph and team-pair channel mix (computed once per window)."""
    wanted = wanted or window()
    return cached("frame", window_key(wanted), lambda: _frame(wanted))


def shared_people_graph(wanted: Window | None = None) -> ig.Graph:
    """The window's person graph as cached: read it, never change it (see :func:`people_graph`)."""
    return frame(wanted).graph


def people_graph(wanted: Window | None = None) -> ig.Graph:
    """The undirected person graph (weights summed over months) for a window.

    A copy of the cached graph: the caller may change it.
    """
    return shared_people_graph(wanted).copy()


def _frame(wanted: Window) -> Frame:
    # Columns, not Tie records: at 10k people the records alone took 4 of
    # the 6.5 s of a first map request.
    chosen = list(wanted.channels) if wanted.channels else None
    columns = get_store().tie_columns(since=wanted.since, until=wanted.until, channels=chosen)
    everyone = people()
    return Frame(person_graph_of_columns(everyone, columns), team_channels(everyone, columns))


def seen() -> int | None:
    """What decides who the viewer sees: nothing for admins, else the minimum group size.

    Everything computed over the visible people depends on the data, the
    window and this value only: it is part of the key of such entries.
    """
    return None if policy.sees_all() else policy.min_group_size()


def visible_people_graph(wanted: Window | None = None) -> ig.Graph:
    """The window's person graph without hidden teams' people (shared: read it, never change it)."""
    wanted = wanted or window()
    graph = shared_people_graph(wanted)
    if policy.sees_all():
        return graph
    return cached(
        "visible-graph", (window_key(wanted), seen()), lambda: policy.visible_graph(graph)
    )


def visible_team_graph(wanted: Window | None = None) -> ig.Graph:
    """The team graph of the window's visible people (shared: read it, never change it)."""
    wanted = wanted or window()
    return cached(
        "team-graph",
        (window_key(wanted), seen()),
        lambda: team_graph(visible_people_graph(wanted)),
    )


def snapshot(kind: str) -> dict | None:
    """:func:`web.results.latest`, read once per snapshot version (shared: never change it)."""
    return cached("snapshot", (kind, snapshot_version(kind)), lambda: results.latest(kind))


def snapshot_result(kind: str) -> dict | None:
    """Just the ``result`` of :func:`snapshot`, or ``None``."""
    found = snapshot(kind)
    return found["result"] if found else None


def snapshot_neighbours(kind: str = "isolation") -> Mapping[str, frozenset[str]]:
    """:func:`web.policy.snapshot_neighbours` in the window of the latest ``kind`` snapshot.

    Computed once per snapshot version, data version and :func:`seen`
    (``{}`` for admins, who see every team).
    """
    if policy.sees_all():
        return {}
    return cached(
        "hidden-neighbours",
        (kind, snapshot_version(kind), seen()),
        lambda: policy.snapshot_neighbours((snapshot(kind) or {}).get("window")),
    )


def pair(a: str, b: str) -> tuple[str, str]:
    """Two names in order: the key of an undirected pair."""
    return (a, b) if a < b else (b, a)


def team_channels(
    everyone: Iterable[Person], columns: TieColumns
) -> dict[tuple[str, str], Counter[str]]:
    """Events per channel between each pair of teams: the evidence behind a map edge.

    Keys are team-key pairs in name order; ties of people without a team,
    inside one team or naming unknown people count nowhere.
    """
    team_of = {p.key: p.team_key for p in everyone if p.team}
    teams = sorted(set(team_of.values()))  # codes in name order: a lower code is a lower name
    code = {team: n for n, team in enumerate(teams)}
    of_key = np.array([code.get(team_of.get(key, ""), -1) for key in columns.keys], np.int64)
    if not len(teams) or not len(of_key):
        return {}
    a, b = of_key[columns.source], of_key[columns.target]
    keep = (a >= 0) & (b >= 0) & (a != b)
    pairs, slot = pair_slots(a[keep], b[keep], len(teams))
    kinds = len(TieColumns.CHANNELS)
    found, cell = np.unique(slot * kinds + columns.channel[keep], return_inverse=True)
    sums = np.bincount(cell, weights=columns.count[keep], minlength=len(found))
    mix: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for found_cell, total in zip(found.tolist(), sums.tolist(), strict=True):
        at, kind = divmod(found_cell, kinds)
        low, high = pairs[at].tolist()
        mix[(teams[low], teams[high])][TieColumns.CHANNELS[kind].value] = int(total)
    return dict(mix)
