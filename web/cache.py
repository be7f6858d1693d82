"""A per-app cache of expensive, policy-free intermediate results.

The map and the liaison matrix rebuild the same things on every request: the
ties of a window, the person graph made from them, the team graph and its
layout, the liaison cells. Those depend only on the stored data and on the
request's window and channels, never on who is asking, so they are kept here
and shared by every viewer. What a viewer may see (:mod:`web.policy`: roles,
names, the minimum group size) is applied by the caller *after* the cache,
on every request.

An entry is valid while the store's :func:`data_version` is the one it was
computed under, for at most :data:`TTL_SECONDS`. The version token changes
whenever an ingest run is recorded (every ingest, from the web or the command
line in another process, records one in the same transaction as its data) or
the store is reset; work started from the web also calls :func:`clear` when it
ends. Entries are few (:data:`MAX_ENTRIES`, least recently used first out),
and a value is computed once even when many threads ask for it at once.

Cached values are shared between threads: callers must not change them (copy
an igraph graph before deleting from it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypeVar

import flask
from flask import Flask
from flask import current_app
from flask import g
from flask import has_request_context
from flask.globals import request_ctx

from graph.base import Store
from web.store import get_store

T = TypeVar("T")

#: where the cache lives on the app
KEY = "bridgework.cache"
#: entries kept at most (each a graph or a set of cells of one window)
MAX_ENTRIES = 48
#: seconds an entry is trusted at most, whatever the version token says
TTL_SECONDS = 600.0
#: newest ingest runs that make up the data version
LEDGER_DEPTH = 8
#: where a request keeps the data version and snapshot versions it read (``flask.g``)
VERSION_ATTR = "bridgework_data_version"
SNAPSHOTS_ATTR = "bridgework_snapshot_versions"
_MISSING = object()
#: where the app's built URLs are remembered, and how many at most
URLS_KEY = "bridgework.urls"
URLS_MAX = 100_000
#: ``url_for``'s own options: a URL built with any of them is not remembered
_OPTIONS = frozenset({"_anchor", "_method", "_scheme", "_external"})

_CREATE = threading.Lock()


@dataclass(slots=True)
class _Entry:
    version: Hashable
    expires: float
    value: Any


@dataclass(slots=True)
class _Pending:
    """A value being computed by one thread while others wait for it."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    failed: bool = False


@dataclass(frozen=True, slots=True)
class Stats:
    """How the cache has done so far."""

    entries: int
    hits: int
    misses: int
    waits: int


class Cache:
    """A thread-safe LRU cache whose entries carry a data version and expire.

    Parameters
    ----------
    size : int
        Entries kept at most; the least recently used one goes first.
    ttl : float
        Seconds an entry is kept at most.
    clock : callable
        Monotonic seconds (tests pass their own).

    Examples
    --------
    >>> cache = Cache(size=2)
    >>> cache.get("answer", 1, lambda: 42)
    42
    >>> cache.get("answer", 1, lambda: 0)  # a hit: not computed again
    42
    >>> cache.get("answer", 2, lambda: 43)  # the data changed
    43
    >>> cache.stats()
    Stats(entries=1, hits=1, misses=2, waits=0)
    """

    def __init__(
        self,
        *,
        size: int = MAX_ENTRIES,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size, self.ttl, self.clock = size, ttl, clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._hits = self._misses = self._waits = 0

    def get(
        self,
        key: Hashable,
        version: Hashable,
        compute: Callable[[], T],
        *,
        ttl: float | None = None,
    ) -> T:
        """The value of ``key`` computed under ``version``; ``compute()`` it when missing.

        Threads asking for a key that another thread is computing wait for
        that result instead of computing it again. ``ttl`` shortens the
        cache's time limit for this entry.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version and entry.expires > self.clock():
                self._entries.move_to_end(key)
                self._hits += 1
                return entry.value
            pending = self._pending.get((key, version))
            owner = pending is None
            if owner:
                pending = self._pending[(key, version)] = _Pending()
                generation = self._generation
                self._misses += 1
            else:
                self._waits += 1
        if not owner:
            pending.done.wait()
            if not pending.failed:
                return pending.value
            return compute()  # the owner failed: try (and fail) on our own
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._pending.pop((key, version), None)
            pending.failed = True
            pending.done.set()
            raise
        with self._lock:
            self._pending.pop((key, version), None)
            if generation == self._generation:  # not cleared meanwhile
                limit = self.ttl if ttl is None else min(ttl, self.ttl)
                self._entries[key] = _Entry(version, self.clock() + limit, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        pending.value = value
        pending.done.set()
        return value

    def clear(self) -> None:
        """Forget every entry (values being computed now are not kept either)."""
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def stats(self) -> Stats:
        """Entries held, hits, misses and waits for another thread's result so far."""
        with self._lock:
            return Stats(len(self._entries), self._hits, self._misses, self._waits)


def for_app(app: Flask) -> Cache:
    """The app's cache, created on first use."""
    found = app.extensions.get(KEY)
    if found is None:
        with _CREATE:
            found = app.extensions.setdefault(KEY, Cache())
    return found


def clear(app: Flask | None = None) -> None:
    """Forget everything cached for ``app`` (the current app by default).

    Call it when work in this process changed the store (an ingest or an
    analysis ended); work in other processes is noticed by :func:`data_version`.
    """
    for_app(app or current_app._get_current_object()).clear()  # type: ignore[attr-defined]


def data_version(store: Store) -> Hashable:
    """A cheap token that changes whenever an ingest or a reset changes the store's data.

    Every ingest records a run in the same transaction as its data, so the
    newest runs (ids and ends) name the data; an empty ledger is ``()``.
    The ledger is ordered by start: :data:`LEDGER_DEPTH` runs are read so
    that a long ingest ending after shorter ones that started later still
    shows. Erasures, opt-outs and purges record runs too (see :mod:`web.cli`).
    """
    return tuple((run.id, run.finished.isoformat()) for run in store.runs(limit=LEDGER_DEPTH))


def cached(name: str, params: Hashable, compute: Callable[[], T], *, ttl: float | None = None) -> T:
    """``compute()`` once per ``(name, params)`` and data version of the current app's store."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return for_app(app).get((name, params), request_version(), compute, ttl=ttl)


def request_version() -> Hashable:
    """:func:`data_version` of the current app's store, read once per request.

    Data that changes while a request runs is seen by the next one.
    """
    if not has_request_context():
        return data_version(get_store())
    found = g.get(VERSION_ATTR, _MISSING)
    if found is _MISSING:
        found = data_version(get_store())
        setattr(g, VERSION_ATTR, found)
    return found


def snapshot_version(kind: str) -> int | None:
    """The latest version of an analysis snapshot kind (``None`` without one), once per request."""
    if not has_request_context():
        return _latest(kind)
    versions = g.get(SNAPSHOTS_ATTR)
    if versions is None:
        versions = {}
        setattr(g, SNAPSHOTS_ATTR, versions)
    if kind not in versions:
        versions[kind] = _latest(kind)
    return versions[kind]


def _latest(kind: str) -> int | None:
    versions = get_store().snapshot_versions(kind)
    return versions[-1] if versions else None


def url_for(endpoint: str, **values: Any) -> str:
    """:func:`flask.url_for`, remembered per app: pages with thousands of links build each once.

    A URL built in a request depends on the endpoint, its values and the
    request's script root, host and (for ``.name`` endpoints) blueprint; the
    app has no URL default callbacks. Outside a request, or with any of
    ``url_for``'s own options (``_external`` …), it simply calls
    :func:`flask.url_for`.
    """
    if not has_request_context() or not _OPTIONS.isdisjoint(values):
        return flask.url_for(endpoint, **values)
    context = request_ctx._get_current_object()  # type: ignore[attr-defined]
    environ = context.request.environ
    blueprint = context.request.blueprint if endpoint[:1] == "." else None
    where = (environ.get("SCRIPT_NAME"), environ.get("HTTP_HOST"), blueprint)
    urls = context.app.extensions.get(URLS_KEY)
    if urls is None:
        with _CREATE:
            urls = context.app.extensions.setdefault(URLS_KEY, {})
    key = (endpoint, tuple(values.items()), where)
    try:
        found = urls.get(key)
    except TypeError:  # a list of values (repeated query parameters)
        items = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items())
        key = (endpoint, items, where)
        try:
            found = urls.get(key)
        except TypeError:  # a value that cannot be part of a key
            return flask.url_for(endpoint, **values)
    if found is None:
        found = flask.url_for(endpoint, **values)
        if len(urls) >= URLS_MAX:
            urls.clear()  # rare: start again rather than keep an LRU order per link
        urls[key] = found
    return found
