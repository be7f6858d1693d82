"""The nine analysis jobs at 10k and 100k people: time and peak memory, against plain networkx.

Usage::

    python bench/analysis_jobs.py --people 10000 100000 --cache /tmp/bench-cache     # with networkx
    python bench/analysis_jobs.py --people 100000 --skip-nx --repeat 3 --cache /tmp/bench-cache
    python bench/analysis_jobs.py --people 100000 --nx-budget 900 --threads 1
    python bench/analysis_jobs.py --people 10000 100000 --skip-nx --skip-check --store \
        --threads 1 --cache /tmp/bench-cache                                       # the target run

Input. A synthetic organisation, built without the ingest pipeline:
:class:`ingest.records.Person` records (teams of 10, departments of 100, one
IT department of 8 % of the people) and monthly :class:`ingest.records.Tie`
records over the 12 months of 2025 (distinct (source, target, channel, month)
buckets; e-mail, meeting, ticket), from a seeded ``random.Random``. Activity
is Pareto(2.5), capped at 60; most contact stays in the team. Distinct pairs
are drawn until the undirected person graph has 10 edges per person (1M pairs
and 4.8M monthly ties at 100k). Generating 100k people takes about a minute:
``--cache DIR`` keeps the ties as compact columns and reuses them.

Ours, from the store ("store run", with ``--store``): the ties go once into
an embedded store (SQLite, kept in ``--cache``) as the events that add up to
them (``count`` events per monthly tie, at its first and last second, of
equal weight), through ``add_interactions``; then, in a child process, on a
copy of that file, ``web.jobs.run_all`` as the web app runs it: the store's
columnar read (``tie_columns``), the analysis table, the nine jobs with the
helper process on large graphs, the snapshots and the scores written back.
The store's read alone is timed in another child ("store read").

Ours, analysis only ("whole run"): in a child process, the cached columns as
:class:`ingest.records.TieColumns` (what ``store.tie_columns()`` returns)
become the analysis table (``web.jobs.load`` without the store), then
``web.jobs.analyse`` runs the nine jobs as ``web.jobs.run_all`` does.

Both report wall time (best of ``--repeat``), CPU time of the process and its
helper, peak RSS of each (``ru_maxrss``; the helper's ``VmHWM`` sampled from
/proc) and their sum, an upper bound of what the two held at once.

Ours, per row: "load" is the same load here;
"betweenness" the sampled betweenness and constraint the brokers and roles
jobs share (in ``run_all`` it runs in the helper process); then every job of
``web.jobs.RUNNERS`` in a fresh child forked after that (``multiprocessing``
"fork"), best of ``--repeat``: wall and CPU seconds and "+MiB", the child's
peak RSS above its RSS at the fork.

networkx. The same questions answered the plain networkx way on the same
graph (converted once to ``nx.Graph`` with ``weight`` and ``distance = 1/weight``;
conversion time reported on the "load" row), each in a forked child:

* strength: plain event counts summed per pair from the Tie records;
* liaison: IT-unit block sums by hand + ``nx.bipartite.hopcroft_karp_matching``;
* isolation: E-I per team by hand with ``nx.cut_size`` (no permutation test);
* brokers: ``nx.constraint`` (all nodes), ``nx.effective_size``,
  ``nx.betweenness_centrality(k=500, seed, weight="distance")``;
* communities: one ``nx.community.louvain_communities`` run + sklearn NMI;
* risk: ``nx.articulation_points`` + ``nx.node_connectivity`` per team pair and
  per IT-unit pair, on a sample of pairs, extrapolated to all tied pairs;
* introductions: ``nx.adamic_adar_index`` over the same candidates (untied IT x
  business pairs at distance 2);
* compare: two half-year count graphs from the Tie records, E-I per team in
  each (no bootstrap);
* roles: networkx features (degree, strength, clustering, constraint,
  betweenness k=512) + scikit-learn k-means as ours.

A step that would take too long runs on a sample and is extrapolated: the
betweenness runs first from 4 sources and runs in full only when the estimate
fits in min(10 minutes, half the remaining ``--nx-budget``); otherwise the
reported time is the per-source time times k, marked "extrapolated". The
budget is per size; jobs that start after it ran out are skipped.

Threads. ``--threads N`` caps OpenMP/BLAS threads (threadpoolctl) in every
process. Use ``--threads 1`` on a shared 2-core box.

Also: the jobs' sampled betweenness (sources spread over teams, and uniform
sources for comparison) against exact betweenness, on sizes up to 20k
people: Pearson, Spearman, top-20 and top-50 overlap. Prints a table per size
(with the load average before and after, the machine being shared) and one
JSON line. Read every time as +/-10-30 % (perf-baselines.md), more when the
load average is above 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import heapq
import json
import math
import multiprocessing as mp
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
import traceback
from bisect import bisect
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.ties import TieTable  # noqa: E402
from graph.base import chunks  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402
from ingest.records import Channel  # noqa: E402
from ingest.records import Interaction  # noqa: E402
from ingest.records import Person  # noqa: E402
from ingest.records import Tie  # noqa: E402
from ingest.records import TieColumns  # noqa: E402
from web import jobs  # noqa: E402
from web.jobs import RUNNERS  # noqa: E402
from web.jobs import Data  # noqa: E402

TEAM, DEPARTMENT, IT_SHARE = 10, 100, 0.08
EDGES_PER_PERSON = 10
YEAR, MONTHS = 2025, 12
#: How a new pair is drawn: same team, same department, across the IT line, anyone.
DRAW = (("team", 0.40), ("department", 0.25), ("it", 0.05), ("anyone", 0.30))
#: Mean number of extra (channel, month) buckets of a pair, by how close the two are.
EXTRA_BUCKETS = {"team": 7.0, "department": 1.0, "it": 1.0, "anyone": 0.3}
CHANNELS = (Channel.EMAIL, Channel.MEETING, Channel.TICKET)
CHANNEL_ODDS = {False: (0.65, 0.25, 0.10), True: (0.35, 0.20, 0.45)}  # by "crosses the IT line"
REPLY = 0.5  # chance that an e-mail or ticket bucket has a reverse bucket
MEETING_WEIGHT = 0.5  # meetings are diluted among attendees

BROKER_K, ROLES_K = 500, 512  # sampled sources of ours (analysis.brokerage, analysis.roles)
PILOT_SOURCES = 4
STEP_CAP = 600.0  # a networkx step estimated above this (seconds) is extrapolated
RISK_PAIRS, RISK_UNITS = 200, 10  # sampled pairs for nx.node_connectivity
EFFECTIVE_SAMPLE = 100  # nodes for nx.effective_size's per-node path when dense is too big
DENSE_LIMIT = 2 * 2**30  # bytes of the dense matrix of nx.effective_size's all-nodes path
AA_CHUNK = 100_000  # Adamic-Adar pairs scored before checking the budget
CHECK_MAX = 20_000  # sampled-vs-exact betweenness only up to this many people
TOP = 50
MIB = 2**20


# -- the synthetic organisation ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Org:
    """People 0..n-1: the first ``n_it`` are IT; teams and departments are runs of indices."""

    n: int
    n_it: int

    def team(self, i: int) -> range:
        """The indices of ``i``'s team."""
        base, end = (0, self.n_it) if i < self.n_it else (self.n_it, self.n)
        start = base + (i - base) // TEAM * TEAM
        return range(start, min(start + TEAM, end))

    def department(self, i: int) -> range:
        """The indices of ``i``'s department (IT is one department)."""
        if i < self.n_it:
            return range(0, self.n_it)
        start = self.n_it + (i - self.n_it) // DEPARTMENT * DEPARTMENT
        return range(start, min(start + DEPARTMENT, self.n))

    def closeness(self, a: int, b: int) -> str:
        """How close two people are: ``team``, ``department``, ``it`` (across the IT line), ``anyone``."""
        if b in self.team(a):
            return "team"
        if b in self.department(a):
            return "department"
        return "it" if (a < self.n_it) != (b < self.n_it) else "anyone"


def make_people(org: Org) -> list[Person]:
    """Person records: key ``p000123``, IT first, then departments of 100 with teams of 10."""
    people = []
    for i in range(org.n):
        it = i < org.n_it
        local = i if it else i - org.n_it
        department = "IT" if it else f"Dept {local // DEPARTMENT:04d}"
        team = f"Team {local // TEAM:05d}" if it else f"Team {local % DEPARTMENT // TEAM}"
        people.append(Person(f"p{i:06d}", f"Person {i}", department, team, "", it))
    return people


def make_pairs(org: Org, rng: random.Random) -> dict[tuple[int, int], int]:
    """``EDGES_PER_PERSON · n`` distinct pairs ``(low, high) → initiator``."""
    cumulative = list(accumulate(min(rng.paretovariate(2.5), 60.0) for _ in range(org.n)))
    total = cumulative[-1]
    kinds = [kind for kind, _ in DRAW]
    bounds = list(accumulate(p for _, p in DRAW))

    def active() -> int:
        return min(bisect(cumulative, rng.random() * total), org.n - 1)

    pairs: dict[tuple[int, int], int] = {}
    target = EDGES_PER_PERSON * org.n
    while len(pairs) < target:
        source = active()
        other = _draw_other(org, rng, source, kinds[bisect(bounds, rng.random() * bounds[-1])])
        if other is None:
            other = active()
        if other != source:
            pairs.setdefault((min(source, other), max(source, other)), source)
    return pairs


def _draw_other(org: Org, rng: random.Random, source: int, kind: str) -> int | None:
    """A contact of ``source`` of the given kind; ``None`` for "anyone" (drawn by activity)."""
    if kind == "team":
        block = org.team(source)
        return rng.randrange(block.start, block.stop)
    if kind == "department":
        block = org.department(source)
        return rng.randrange(block.start, block.stop)
    if kind == "it" and 0 < org.n_it < org.n:
        return rng.randrange(org.n_it, org.n) if source < org.n_it else rng.randrange(org.n_it)
    return None


def _geometric(rng: random.Random, mean: float) -> int:
    """A geometric count ≥ 0 with the given mean."""
    if mean <= 0:
        return 0
    return int(math.log(1.0 - rng.random()) / math.log(mean / (1.0 + mean)))


@dataclass(slots=True)
class _TieMaker:
    """Emits monthly ties with shared strings and datetimes (memory stays ~ the records)."""

    people: list[Person]
    rng: random.Random
    days: list[list[datetime]] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=lambda: [float(c) for c in range(64)])
    ties: list[Tie] = field(default_factory=list)

    def __post_init__(self) -> None:
        for m in range(MONTHS):
            start = datetime(YEAR, m + 1, 1, 12, tzinfo=UTC)
            end = datetime(YEAR + (m == 11), (m + 1) % 12 + 1, 1, 12, tzinfo=UTC)
            self.days.append([start + timedelta(days=d) for d in range((end - start).days)])
            self.months.append(start.strftime("%Y-%m"))

    def pair(self, source: int, target: int, closeness: str) -> None:
        """All buckets of one pair: distinct (channel, month), e-mail/tickets answered or not."""
        rng = self.rng
        odds = CHANNEL_ODDS[closeness == "it"]
        seen: set[tuple[Channel, int]] = set()
        for _ in range(1 + _geometric(rng, EXTRA_BUCKETS[closeness])):
            channel = rng.choices(CHANNELS, odds)[0]
            month = rng.randrange(MONTHS)
            if (channel, month) in seen:
                continue
            seen.add((channel, month))
            count, first, last = self._events(month)
            self._emit(source, target, channel, count, first, last, month)
            if channel is Channel.MEETING:
                self._emit(target, source, channel, count, first, last, month)
            elif rng.random() < REPLY:
                self._emit(target, source, channel, *self._events(month), month)

    def _events(self, month: int) -> tuple[int, datetime, datetime]:
        days = self.days[month]
        count = min(1 + _geometric(self.rng, 1.0), len(self.weights) - 1)
        first = self.rng.randrange(len(days))
        last = first if count == 1 else self.rng.randrange(first, len(days))
        return count, days[first], days[last]

    def _emit(self, s: int, t: int, channel: Channel, count: int, first, last, month: int) -> None:
        weight = self.weights[count] * (MEETING_WEIGHT if channel is Channel.MEETING else 1.0)
        self.ties.append(
            Tie(self.people[s].key, self.people[t].key, channel, count, weight, first, last,
                self.months[month])
        )  # fmt: skip


def make_ties(org: Org, people: list[Person], rng: random.Random) -> list[Tie]:
    """Monthly directed ties of every drawn pair (see the module notes)."""
    maker = _TieMaker(people, rng)
    for (a, b), source in make_pairs(org, rng).items():
        target = b if source == a else a
        maker.pair(source, target, org.closeness(source, target))
    return maker.ties


CACHE_VERSION = 1


def cache_path(cache: Path, n: int, seed: int) -> Path:
    """Where the generated ties of one size and seed are kept."""
    return cache / f"org-{n}-seed{seed}-v{CACHE_VERSION}.npz"


def save_ties(path: Path, people: list[Person], ties: list[Tie]) -> None:
    """The ties as compact columns (person indices, codes, epoch seconds)."""
    index = {p.key: i for i, p in enumerate(people)}
    channel = {c: k for k, c in enumerate(CHANNELS)}
    months = sorted({t.month for t in ties})
    month = {m: k for k, m in enumerate(months)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        source=np.fromiter((index[t.source] for t in ties), np.int32, len(ties)),
        target=np.fromiter((index[t.target] for t in ties), np.int32, len(ties)),
        channel=np.fromiter((channel[t.channel] for t in ties), np.int8, len(ties)),
        count=np.fromiter((t.count for t in ties), np.int32, len(ties)),
        weight=np.fromiter((t.weight for t in ties), np.float64, len(ties)),
        first=np.fromiter((t.first_seen.timestamp() for t in ties), np.int64, len(ties)),
        last=np.fromiter((t.last_seen.timestamp() for t in ties), np.int64, len(ties)),
        month=np.fromiter((month[t.month] for t in ties), np.int8, len(ties)),
        months=np.asarray(months),
    )
    tmp.replace(path)


def cached_columns(path: Path) -> dict[str, np.ndarray]:
    """The columns saved by :func:`save_ties`."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def tie_records(people: list[Person], columns: dict[str, np.ndarray]) -> Iterator[Tie]:
    """Tie records made one at a time from cached columns, as a store's ``ties()`` yields them."""
    keys = [p.key for p in people]
    months = columns["months"].tolist()
    stamps: dict[int, datetime] = {}

    def when(seconds: int) -> datetime:
        found = stamps.get(seconds)
        if found is None:
            found = stamps[seconds] = datetime.fromtimestamp(seconds, UTC)
        return found

    size = len(columns["source"])
    for start in range(0, size, RECORD_CHUNK):  # a chunk of Python values at a time
        part = (columns[k][start : start + RECORD_CHUNK].tolist() for k in COLUMNS)
        for s, t, c, count, weight, first, last, m in zip(*part, strict=True):
            yield Tie(keys[s], keys[t], CHANNELS[c], count, weight, when(first), when(last),
                      months[m])  # fmt: skip


RECORD_CHUNK = 100_000


COLUMNS = ("source", "target", "channel", "count", "weight", "first", "last", "month")


def organisation(n: int, seed: int, cache: Path | None) -> tuple[Org, list[Person], dict, float]:
    """People and tie columns of ``n`` people: generated, or read from the cache when there."""
    org = Org(n, round(n * IT_SHARE))
    people = make_people(org)
    path = cache_path(cache, n, seed) if cache else None
    if path is not None and path.exists():
        return org, people, cached_columns(path), 0.0
    started = time.perf_counter()
    ties = make_ties(org, people, random.Random(seed))
    generated = time.perf_counter() - started
    path = path or Path(tempfile.mkdtemp(prefix="bench-ties-")) / "ties.npz"
    save_ties(path, people, ties)
    del ties
    return org, people, cached_columns(path), generated


def tie_columns(people: list[Person], columns: dict[str, np.ndarray]) -> TieColumns:
    """The cached ties as a store's ``tie_columns()`` returns them (rows in key order)."""
    order = np.lexsort((columns["month"], columns["channel"], columns["target"], columns["source"]))
    channel = np.array([TieColumns.CHANNELS.index(c) for c in CHANNELS], dtype=np.int8)
    return TieColumns(
        tuple(p.key for p in people), tuple(columns["months"].tolist()),
        columns["source"][order], columns["target"][order], channel[columns["channel"][order]],
        columns["month"][order], columns["count"][order], columns["weight"][order],
        columns["first"][order] * 1_000_000, columns["last"][order] * 1_000_000,
    )  # fmt: skip


def load_data(people: list[Person], columns: dict, seed: int) -> Data:
    """``web.jobs.load`` without a store: tie columns, the analysis table, strengths and graph."""
    return jobs.from_table(TieTable.from_columns(people, tie_columns(people, columns)), seed=seed)


def tie_events(people: list[Person], columns: dict[str, np.ndarray]) -> Iterator[Interaction]:
    """Events that add up to the cached ties, one tie at a time.

    ``count`` events per tie, of equal weight (sums of halves and ones are
    exact), the last at ``last`` and the others at ``first``.
    """
    keys = [p.key for p in people]
    months = columns["months"].tolist()
    stamps: dict[int, datetime] = {}

    def when(seconds: int) -> datetime:
        found = stamps.get(seconds)
        if found is None:
            found = stamps[seconds] = datetime.fromtimestamp(seconds, UTC)
        return found

    size = len(columns["source"])
    for start in range(0, size, RECORD_CHUNK):
        part = (columns[k][start : start + RECORD_CHUNK].tolist() for k in COLUMNS)
        for row, (s, t, c, count, weight, first, last, m) in enumerate(zip(*part, strict=True)):
            each, ref = weight / count, f"{start + row}.{months[m]}"
            for k in range(count):
                stamp = when(last if k == count - 1 else first)
                yield Interaction(keys[s], keys[t], CHANNELS[c], stamp, f"{ref}.{k}", each)


def store_path(cache: Path, n: int, seed: int) -> Path:
    """Where the embedded store of one size and seed is kept."""
    return cache / f"org-{n}-seed{seed}-v{CACHE_VERSION}.sqlite3"


def build_store(path: Path, people: list[Person], columns: dict) -> float:
    """An embedded store holding the cached ties (built once; seconds spent, 0 if found)."""
    if path.exists():
        return 0.0
    started = time.perf_counter()
    building = path.with_suffix(".building.sqlite3")
    for leftover in building.parent.glob(building.name + "*"):
        leftover.unlink()
    store = EmbeddedStore(building)
    try:
        store.upsert_people(people)
        for batch in chunks(tie_events(people, columns), 1_000_000):
            store.add_interactions(batch)
        built = store.tie_columns()
    finally:
        store.close()
    if len(built) != len(columns["source"]) or built.count.sum() != columns["count"].sum():
        raise RuntimeError("the store does not hold the cached ties")
    building.replace(path)
    return time.perf_counter() - started


def store_read(path: Path) -> dict[str, Any]:
    """Just the store's part of a load: people and the columnar tie read."""
    store = EmbeddedStore(path)
    try:
        people = list(store.people())
        started, cpu = time.perf_counter(), cpu_seconds()
        columns = store.tie_columns()
        seconds, spent = time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        store.close()
    return {"people": len(people), "ties": len(columns), "columns_seconds": round(seconds, 2),
            "columns_cpu": round(spent, 2)}  # fmt: skip


def store_run(path: Path, seed: int) -> dict[str, Any]:
    """``web.jobs.run_all`` on a copy of the store: read, analyse, save snapshots and scores."""
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        store = EmbeddedStore(copy)
        try:
            started = time.perf_counter()
            with ChildPeaks() as helpers:
                summary = jobs.run_all(store, seed=seed)
            seconds = time.perf_counter() - started
        finally:
            store.close()
    return {
        "seconds_inside": round(seconds, 2),
        "job_seconds": summary["seconds"],
        "helper_peak_mib": round(max(helpers.peaks.values(), default=0.0)),
        "pairs": summary["pairs"],
    }


def describe(org: Org, data: Data) -> dict[str, Any]:
    """Size and shape of the synthetic organisation."""
    g = data.graph
    team = np.asarray(g.vs["team"], dtype=object)
    edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    inside = team[edges[:, 0]] == team[edges[:, 1]]
    table = data.table  # events per pair, in the graph's edge order (pairs of people, sorted)
    counts = np.bincount(table.pair, table.count, len(table.pair_lo))[table.pair_hi < g.vcount()]
    degree = np.asarray(g.degree())
    return {
        "people": org.n,
        "it_people": org.n_it,
        "ties": len(data.table),
        "pairs": g.ecount(),
        "max_degree": int(degree.max()),
        "components": len(g.connected_components()),
        "team_pair_share": round(float(inside.mean()), 3),
        "team_event_share": round(float(counts[inside].sum() / counts.sum()), 3),
    }


# -- measuring in a forked child --------------------------------------------------------------


def rss_mib() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / MIB


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size (``ru_maxrss``, KiB on Linux) of this process or its children."""
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass(slots=True)
class Measured:
    """One measured step: wall and CPU seconds, peak RSS above the start, absolute peak, extras."""

    seconds: float | None = None
    extra_mib: float | None = None
    peak_mib: float | None = None
    info: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    cpu: float | None = None


def in_fork(task: Callable[[], dict[str, Any] | None]) -> Measured:
    """Run ``task`` in a child forked from this process; its time and memory."""
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(task, sender), daemon=False)
    child.start()
    sender.close()
    try:
        payload = receiver.recv()
    except EOFError:
        payload = {"error": "child died"}
    child.join()
    if child.exitcode:
        payload.setdefault("error", f"child exit code {child.exitcode}")
    return Measured(**payload)


def _child(task: Callable[[], dict[str, Any] | None], sender: Any) -> None:
    before = rss_mib()
    cpu = cpu_seconds()
    started = time.perf_counter()
    try:
        info = task() or {}
    except Exception:  # report it in the table rather than lose the run
        sender.send({"error": traceback.format_exc(limit=3).strip().splitlines()[-1]})
        return
    seconds = time.perf_counter() - started
    peak = peak_mib()
    sender.send({"seconds": seconds, "extra_mib": max(peak - before, 0.0), "peak_mib": peak,
                 "info": info, "cpu": cpu_seconds() - cpu})  # fmt: skip


def best(runs: list[Measured]) -> Measured:
    """The fastest of repeated measurements (each keeps its own memory figures)."""
    done = [m for m in runs if m.seconds is not None]
    if not done:
        return runs[0]
    fastest = min(done, key=lambda m: m.seconds)
    fastest.info = {**fastest.info, "runs": [round(m.seconds, 2) for m in done]}
    return fastest


# -- ours -------------------------------------------------------------------------------------


def run_ours(data: Data, repeat: int) -> dict[str, Measured]:
    """Shared betweenness, then every job alone in a fresh child (best of ``repeat``).

    Betweenness is computed here before the children fork (the "betweenness"
    row), so brokers and roles read it as they do after the helper process
    of ``web.jobs.run_all`` has delivered it.
    """
    measured = {}
    print("  ours betweenness ...", file=sys.stderr, flush=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    data.betweenness()
    data.constraint()
    measured["betweenness"] = Measured(time.perf_counter() - started, cpu=cpu_seconds() - cpu)
    measured["betweenness"].info = {
        "sources": len(data.shared["betweenness_sources"] or []) or "all"
    }
    gc.freeze()  # forked children then do not copy every page when the collector runs
    for name in jobs.ORDER:
        print(f"  ours {name} ...", file=sys.stderr, flush=True)
        measured[name] = best(
            [in_fork(lambda runner=RUNNERS[name]: _quiet(runner, data)) for _ in range(repeat)]
        )
    gc.unfreeze()
    return measured


def _quiet(runner: Callable[[Any], Any], argument: Any) -> dict[str, Any]:
    runner(argument)
    return {}


class ChildPeaks:
    """Peak RSS (VmHWM) of this process's children, sampled from /proc while they live."""

    def __init__(self, every: float = 0.2) -> None:
        self.peaks: dict[int, float] = {}
        self.every = every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildPeaks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def _watch(self) -> None:
        while not self.done.wait(self.every):
            for pid in self._children():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                peak = int(line.split()[1]) / 1024
                                self.peaks[pid] = max(self.peaks.get(pid, 0.0), peak)
                except OSError:
                    continue

    @staticmethod
    def _children() -> list[int]:
        found = []
        for task in Path(f"/proc/{os.getpid()}/task").iterdir():
            try:
                found += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                continue
        return found


def whole_run(people: list[Person], columns: dict, seed: int) -> dict[str, Any]:
    """``web.jobs.run_all`` without the store, from the tie columns on: in a child, timed and sized."""
    started, cpu = time.perf_counter(), cpu_seconds()
    data = load_data(people, columns, seed)
    load_s, load_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    load_peak = peak_mib()
    seconds = {}
    with ChildPeaks() as helpers:
        for name, _, spent in jobs.analyse(data):
            seconds[name] = round(spent, 2)
    return {
        "load_seconds": round(load_s, 2),
        "load_cpu": round(load_cpu, 2),
        "load_peak_mib": round(load_peak),
        "job_seconds": seconds,
        "helper_peak_mib": round(max(helpers.peaks.values(), default=0.0)),
        "helper": data.graph.ecount() > jobs.LARGE_PAIRS and (os.cpu_count() or 1) > 1,
        "settings": dataclasses.asdict(data.settings),
    }


# -- networkx ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Budget:
    """A deadline for the whole networkx baseline of one size (``perf_counter`` time)."""

    deadline: float

    def remaining(self) -> float:
        """Seconds left."""
        return self.deadline - time.perf_counter()

    def allows(self, seconds: float) -> bool:
        """Whether a step estimated at ``seconds`` may run in full."""
        return seconds <= min(STEP_CAP, self.remaining() / 2)


@dataclass(slots=True)
class NxInput:
    """What every networkx baseline reads."""

    graph: nx.Graph
    data: Data
    budget: Budget
    seed: int
    records: Callable[[], Iterator[Tie]]  # the monthly Tie records, as a store yields them


@dataclass(slots=True)
class Outcome:
    """What a baseline reports besides its time: seconds to add for extrapolated parts."""

    notes: list[str] = field(default_factory=list)
    adjust: float = 0.0
    extrapolated: bool = False

    def extrapolate(self, measured: float, estimate: float, note: str) -> None:
        """Replace ``measured`` seconds of a sample by the ``estimate`` for the whole step."""
        self.adjust += estimate - measured
        self.extrapolated = True
        self.notes.append(note)

    def as_dict(self) -> dict[str, Any]:
        """For the pipe back to the parent."""
        return {"notes": self.notes, "adjust": self.adjust, "extrapolated": self.extrapolated}


def to_networkx(graph: ig.Graph) -> nx.Graph:
    """The strength graph as ``nx.Graph``: nodes are vertex ids, with ``weight`` and ``distance``."""
    g = nx.Graph()
    attributes = zip(graph.vs["team"], graph.vs["department"], graph.vs["is_it"], strict=True)
    g.add_nodes_from(
        (v, {"team": t, "department": d, "is_it": it}) for v, (t, d, it) in enumerate(attributes)
    )
    g.add_edges_from(
        (a, b, {"weight": w, "distance": 1.0 / w})
        for (a, b), w in zip(graph.get_edgelist(), graph.es["weight"], strict=True)
    )
    return g


def nx_strength(x: NxInput) -> Outcome:
    """Plain counts: events summed per unordered pair, as a weighted nx.Graph, and node strength."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for t in x.records():
        if t.source != t.target:
            counts[(t.source, t.target) if t.source < t.target else (t.target, t.source)] += t.count
    g = nx.Graph()
    g.add_nodes_from(p.key for p in x.data.people)
    g.add_weighted_edges_from(((a, b, c) for (a, b), c in counts.items()), weight="count")
    dict(g.degree(weight="count"))
    return Outcome(["plain event counts (no decay, reciprocity, multiplexity)"])


def nx_liaison(x: NxInput) -> Outcome:
    """IT-unit volume, Herfindahl and disjoint paths (bipartite matching) per business unit."""
    g = x.graph
    carried: dict[str, Counter[int]] = defaultdict(Counter)
    cross: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a, b, w in g.edges(data="weight"):
        if g.nodes[a]["is_it"] == g.nodes[b]["is_it"]:
            continue
        it, other = (a, b) if g.nodes[a]["is_it"] else (b, a)
        unit = g.nodes[other]["department"]
        carried[unit][it] += w
        cross[unit].append((other, it))
    for unit, ties in cross.items():
        volume = sum(carried[unit].values())
        sum((w / volume) ** 2 for w in carried[unit].values())
        nx.bipartite.hopcroft_karp_matching(nx.Graph(ties), top_nodes={o for o, _ in ties})
    return Outcome(["block sums + hopcroft_karp paths; no channel mix or trend"])


def _members(g: nx.Graph, attribute: str) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for v, label in g.nodes(data=attribute):
        if label:
            groups[label].append(v)
    return groups


def _ei_by_team(g: nx.Graph, teams: dict[str, list[int]]) -> dict[str, float | None]:
    result = {}
    for team, members in teams.items():
        internal = g.subgraph(members).number_of_edges()
        external = nx.cut_size(g, members)
        total = internal + external
        result[team] = (external - internal) / total if total else None
    return result


def nx_isolation(x: NxInput) -> Outcome:
    """E-I index per team by hand (internal edges of the subgraph, nx.cut_size outside)."""
    _ei_by_team(x.graph, _members(x.graph, "team"))
    return Outcome(["E-I only: no permutation test, reach, concentration"])


def sampled_betweenness(x: NxInput, k: int, outcome: Outcome) -> dict[int, float]:
    """``nx.betweenness_centrality(k=k)``, or a 4-source pilot extrapolated to k sources."""
    g = x.graph
    pilot = min(k, PILOT_SOURCES, len(g))
    started = time.perf_counter()
    values = nx.betweenness_centrality(g, k=pilot, seed=x.seed, weight="distance")
    spent = time.perf_counter() - started
    estimate = spent * k / pilot
    if pilot == k:
        return values
    if x.budget.allows(estimate):
        outcome.adjust -= spent  # the pilot does not count
        return nx.betweenness_centrality(g, k=k, seed=x.seed, weight="distance")
    outcome.extrapolate(
        spent, estimate, f"betweenness k={k} extrapolated from {pilot} sources ({spent:.1f} s)"
    )
    return values


def effective_size(x: NxInput, outcome: Outcome) -> None:
    """``nx.effective_size``: the all-nodes call, or per-node calls on a sample when too big.

    networkx 3.6's all-nodes path multiplies sparse matrices and then makes the
    product dense (``n x n`` floats), which does not fit at 100k people.
    """
    g = x.graph
    dense = len(g) ** 2 * 8
    if dense <= DENSE_LIMIT:
        nx.effective_size(g, weight="weight")
        outcome.notes.append(f"effective_size all-nodes path (dense {dense / 2**30:.1f} GiB)")
        return
    sample = random.Random(x.seed).sample(list(g), min(EFFECTIVE_SAMPLE, len(g)))
    started = time.perf_counter()
    nx.effective_size(g, nodes=sample, weight="weight")
    spent = time.perf_counter() - started
    outcome.extrapolate(
        spent,
        spent / len(sample) * len(g),
        f"effective_size: all-nodes path needs a dense {dense / 2**30:.0f} GiB matrix; per-node "
        f"path {spent / len(sample) * 1000:.0f} ms/node, extrapolated from {len(sample)} nodes",
    )


def nx_brokers(x: NxInput) -> Outcome:
    """Constraint (all-nodes call), effective size and sampled betweenness."""
    outcome = Outcome()
    nx.constraint(x.graph, weight="weight")
    effective_size(x, outcome)
    sampled_betweenness(x, BROKER_K, outcome)
    outcome.notes.append("no Gould-Fernandez roles in networkx")
    return outcome


def nx_communities(x: NxInput) -> Outcome:
    """One seeded Louvain run and its NMI with teams and departments."""
    g = x.graph
    found = nx.community.louvain_communities(g, weight="weight", seed=x.seed)
    membership = np.zeros(len(g), dtype=np.int64)
    for c, members in enumerate(found):
        membership[list(members)] = c
    for attribute in ("team", "department"):
        normalized_mutual_info_score([label for _, label in g.nodes(data=attribute)], membership)
    return Outcome([f"Louvain, 1 run ({len(found)} communities); ours: Leiden, 10 runs"])


def group_connectivity(g: nx.Graph, left: list[int], right: list[int]) -> int:
    """Node-disjoint paths between two groups inside their union (super source and sink)."""
    h = nx.Graph(g.subgraph(left + right))
    h.add_edges_from(("source", v) for v in left)
    h.add_edges_from((v, "sink") for v in right)
    return nx.node_connectivity(h, "source", "sink")


def _tied_pairs(g: nx.Graph, attribute: str) -> set[tuple[str, str]]:
    labels = dict(g.nodes(data=attribute))
    found = set()
    for a, b in g.edges():
        la, lb = labels[a], labels[b]
        if la and lb and la != lb:
            found.add((la, lb) if la < lb else (lb, la))
    return found


def _it_units(g: nx.Graph) -> set[str]:
    return {
        g.nodes[b if g.nodes[a]["is_it"] else a]["department"]
        for a, b in g.edges()
        if g.nodes[a]["is_it"] != g.nodes[b]["is_it"]
    }


def _timed_sample(items: list, size: int, rng: random.Random, run: Callable) -> tuple[float, int]:
    """Seconds spent running ``run`` on a sample of ``items``, and the sample size."""
    sample = rng.sample(items, min(size, len(items)))
    started = time.perf_counter()
    for item in sample:
        run(item)
    return time.perf_counter() - started, len(sample)


def nx_risk(x: NxInput) -> Outcome:
    """Articulation points, and node connectivity of team pairs and IT-unit pairs (sampled)."""
    g, rng, outcome = x.graph, random.Random(x.seed), Outcome()
    list(nx.articulation_points(g))
    teams, units = _members(g, "team"), _members(g, "department")
    pairs = sorted(_tied_pairs(g, "team"))
    spent, n = _timed_sample(pairs, RISK_PAIRS, rng, lambda p: group_connectivity(g, teams[p[0]], teams[p[1]]))  # fmt: skip
    _scale_up(outcome, spent, n, len(pairs), "team pairs")
    it_units = sorted(_it_units(g) - {"IT"})
    spent, n = _timed_sample(it_units, RISK_UNITS, rng, lambda u: group_connectivity(g, units[u], units["IT"]))  # fmt: skip
    _scale_up(outcome, spent, n, len(it_units), "IT-unit pairs")
    outcome.notes.append("no per-person re-evaluation or reach drop")
    return outcome


def _scale_up(outcome: Outcome, spent: float, done: int, total: int, what: str) -> None:
    """Extrapolate ``spent`` seconds over ``done`` items to ``total`` items, with a note."""
    if not done:
        return
    each = f"{spent / done * 1000:.1f} ms each"
    if done == total:
        outcome.notes.append(f"{what}: all {total:,} ({each})")
        return
    outcome.extrapolate(
        spent, spent / done * total, f"{what}: {each} x {total:,}, extrapolated from {done}"
    )


def introduction_candidates(g: nx.Graph) -> list[tuple[int, int]]:
    """Untied (IT person, business person) pairs at distance 2, by hand."""
    business = {v for v, d in g.nodes(data=True) if not d["is_it"] and d["department"]}
    found = []
    for u, it in g.nodes(data="is_it"):
        if not it:
            continue
        near = set(g[u])
        reach = set().union(*(g[v] for v in near)) if near else set()
        found.extend((u, w) for w in sorted(reach - near - {u}) if w in business)
    return found


def nx_introductions(x: NxInput) -> Outcome:
    """Adamic-Adar of every candidate pair, top 10 (chunked; extrapolated when over budget)."""
    outcome = Outcome()
    candidates = introduction_candidates(x.graph)
    started = time.perf_counter()
    best: list[tuple[int, int, float]] = []
    for i in range(0, len(candidates), AA_CHUNK):
        scored = nx.adamic_adar_index(x.graph, candidates[i : i + AA_CHUNK])
        best = heapq.nlargest(10, [*best, *scored], key=lambda t: t[2])
        done = i + AA_CHUNK
        spent = time.perf_counter() - started
        estimate = spent * len(candidates) / min(done, len(candidates))
        if done < len(candidates) and not x.budget.allows(estimate - spent):
            outcome.extrapolate(spent, estimate,
                                f"Adamic-Adar extrapolated from {done:,} of {len(candidates):,} pairs")  # fmt: skip
            break
    outcome.notes.append(f"{len(candidates):,} candidates; no link model or planner")
    return outcome


def _count_graph(ties: Iterable[Tie], people: list[Person], g: nx.Graph) -> nx.Graph:
    """Plain-count graph over the same vertex ids (and team labels) as ``g``."""
    index = {p.key: i for i, p in enumerate(sorted(people, key=lambda p: p.key))}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for t in ties:
        a, b = index[t.source], index[t.target]
        if a != b:
            counts[(a, b) if a < b else (b, a)] += t.count
    window = nx.Graph()
    window.add_nodes_from(g.nodes(data=True))
    window.add_weighted_edges_from((a, b, c) for (a, b), c in counts.items())
    return window


def nx_compare(x: NxInput) -> Outcome:
    """Two half-year count graphs; E-I per team and pair weight changes, no intervals."""
    months = x.data.months
    halves = (set(months[: (len(months) + 1) // 2]), set(months[(len(months) + 1) // 2 :]))
    a, b = (
        _count_graph((t for t in x.records() if t.month in h), x.data.people, x.graph)
        for h in halves
    )
    teams = _members(x.graph, "team")
    _ei_by_team(a, teams), _ei_by_team(b, teams)
    changed = sum(1 for u, v, w in b.edges(data="weight") if a.get_edge_data(u, v, {}).get("weight") != w)  # fmt: skip
    return Outcome([f"{changed:,} pairs changed; no bootstrap intervals or liaison change"])


def _shares(g: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    n = len(g)
    total, cross, boundary = np.zeros(n), np.zeros(n), np.zeros(n)
    team, it = dict(g.nodes(data="team")), dict(g.nodes(data="is_it"))
    for a, b, w in g.edges(data="weight"):
        total[[a, b]] += w
        if team[a] != team[b]:
            cross[[a, b]] += w
        if it[a] != it[b]:
            boundary[[a, b]] += w
    safe = np.where(total > 0, total, 1.0)
    return cross / safe, boundary / safe


def nx_roles(x: NxInput) -> Outcome:
    """networkx features (betweenness k=512, sampled as in brokers) + k-means 4..8 + silhouette."""
    g, outcome = x.graph, Outcome()
    nodes = list(g)
    degree, strength = dict(g.degree()), dict(g.degree(weight="weight"))
    clustering = nx.clustering(g)
    constraint = nx.constraint(g, weight="weight")
    between = sampled_betweenness(x, ROLES_K, outcome)
    cross, boundary = _shares(g)
    raw = np.column_stack(
        [
            np.log1p([degree[v] for v in nodes]),
            np.log1p([strength[v] for v in nodes]),
            [clustering[v] for v in nodes],
            np.nan_to_num([constraint[v] for v in nodes], nan=1.0),
            np.log1p([between.get(v, 0.0) for v in nodes]),
            cross,
            boundary,
        ]
    )
    z = StandardScaler().fit_transform(raw)
    for count in (4, 5, 6, 7, 8):
        labels = KMeans(n_clusters=count, n_init=10, random_state=x.seed).fit_predict(z)
        silhouette_score(z, labels, sample_size=min(len(z), 2000), random_state=x.seed)
    outcome.notes.append(
        "networkx features (clustering, constraint, betweenness) + k-means as ours"
    )
    return outcome


NX_RUNNERS: dict[str, Callable[[NxInput], Outcome]] = {
    "strength": nx_strength,
    "liaison": nx_liaison,
    "isolation": nx_isolation,
    "brokers": nx_brokers,
    "communities": nx_communities,
    "risk": nx_risk,
    "introductions": nx_introductions,
    "compare": nx_compare,
    "roles": nx_roles,
}


def run_networkx(x: NxInput) -> dict[str, Measured]:
    """Every baseline in a fresh child, while the budget lasts."""
    measured = {}
    for name, runner in NX_RUNNERS.items():
        if x.budget.remaining() <= 0:
            measured[name] = Measured(error="skipped: --nx-budget spent")
            continue
        print(f"  networkx {name} ...", file=sys.stderr, flush=True)
        measured[name] = in_fork(lambda runner=runner: runner(x).as_dict())
    return measured


# -- sampled vs exact betweenness ---------------------------------------------------------------


def betweenness_check(data: Data, seed: int) -> dict[str, Any]:
    """The jobs' sampled betweenness (and uniform sources) against exact: errors and top overlaps."""
    from analysis import brokerage

    graph = data.graph
    started = time.perf_counter()
    exact = brokerage.betweenness(graph, exact_max=graph.vcount() + 1)
    exact_s = time.perf_counter() - started
    names = list(exact)
    y = np.asarray([exact[v] for v in names])
    out = {"people": graph.vcount(), "exact_seconds": round(exact_s, 2)}
    k = data.settings.betweenness_sources
    for label, strata in (("strata", data.settings.betweenness_strata), ("uniform", None)):
        started = time.perf_counter()
        sampled = brokerage.betweenness(graph, k=k, seed=seed, strata=strata)
        spent = time.perf_counter() - started
        x = np.asarray([sampled[v] for v in names])
        top = {m: len(_top(x, m) & _top(y, m)) for m in (20, TOP)}
        out[label] = {"k": k, "seconds": round(spent, 2),
                      "pearson": round(float(stats.pearsonr(x, y)[0]), 4),
                      "spearman": round(float(stats.spearmanr(x, y)[0]), 4),
                      "top20_overlap": top[20], f"top{TOP}_overlap": top[TOP]}  # fmt: skip
    return out


def _top(values: np.ndarray, count: int) -> set[int]:
    return set(np.argsort(-values, kind="stable")[:count].tolist())


# -- one size ---------------------------------------------------------------------------------


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or read the cache), load, measure ours (and networkx) for ``n`` people."""
    print(f"{n:,} people: generating or reading the cache ...", file=sys.stderr, flush=True)
    org, people, columns, generate_s = organisation(n, args.seed, args.cache)
    result: dict[str, Any] = {
        "generate_seconds": round(generate_s, 2),
        "load_before": load_average(),
    }
    if args.store:
        path = store_path(args.cache, n, args.seed)
        print(f"  the embedded store {path} ...", file=sys.stderr, flush=True)
        result["store_build_seconds"] = round(build_store(path, people, columns), 2)
        print("  store read alone ...", file=sys.stderr, flush=True)
        result["store_read"] = best([in_fork(lambda: store_read(path)) for _ in range(args.repeat)])
        print("  run_all on the store ...", file=sys.stderr, flush=True)
        result["store"] = best(
            [in_fork(lambda: store_run(path, args.seed)) for _ in range(args.repeat)]
        )
    print("  whole run in one process ...", file=sys.stderr, flush=True)
    result["whole"] = best(
        [in_fork(lambda: whole_run(people, columns, args.seed)) for _ in range(args.repeat)]
    )
    print("  load here ...", file=sys.stderr, flush=True)
    gc.collect()
    before_rss = rss_mib()
    started, cpu = time.perf_counter(), cpu_seconds()
    data = load_data(people, columns, args.seed)
    load = Measured(time.perf_counter() - started, cpu=cpu_seconds() - cpu)
    load.info = {"rss_before_mib": round(before_rss), "rss_after_mib": round(rss_mib())}
    result["org"] = describe(org, data)
    result["ours"] = {"load": load, **run_ours(data, args.repeat)}
    if n <= CHECK_MAX and not args.skip_check:
        print("  betweenness sampled vs exact ...", file=sys.stderr, flush=True)
        result["betweenness_check"] = betweenness_check(data, args.seed)
    if not args.skip_nx:
        result["networkx"] = bench_networkx(data, people, columns, args)
    result["load_after"] = load_average()
    return result


def bench_networkx(
    data: Data, people: list[Person], columns: dict, args: argparse.Namespace
) -> dict[str, Measured]:
    """Measure the conversion in a child, convert here, then run the baselines under the budget."""
    print("  networkx conversion ...", file=sys.stderr, flush=True)
    convert = in_fork(lambda: _quiet(to_networkx, data.graph))
    graph = to_networkx(data.graph)
    budget = Budget(time.perf_counter() + args.nx_budget)
    x = NxInput(graph, data, budget, args.seed, lambda: tie_records(people, columns))
    gc.freeze()
    measured = {"load": convert, **run_networkx(x)}
    gc.unfreeze()
    del graph
    gc.collect()
    return measured


# -- output -----------------------------------------------------------------------------------


ROWS = ("load", "betweenness", *RUNNERS)


def _nx_seconds(m: Measured) -> float | None:
    if m.seconds is None:
        return None
    return m.seconds + m.info.get("adjust", 0.0)


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(n: int, result: dict[str, Any]) -> str:
    """The printed table of one size."""
    ours, theirs = result["ours"], result.get("networkx", {})
    lines = [
        f"\n== {n:,} people: {result['org']['pairs']:,} pairs, {result['org']['ties']:,} monthly ties "
        f"(load average before {result['load_before']}, after {result['load_after']}) ==",
        f"{'job':<14}{'ours s':>9}{'ours cpu':>10}{'ours +MiB':>11}{'nx s':>12}{'nx +MiB':>9}  note",
    ]
    for row in ROWS:
        a, b = ours[row], theirs.get(row, Measured())
        note = "; ".join(b.info.get("notes", []) + ([b.error] if b.error else [])
                         + ([a.error] if a.error else []))  # fmt: skip
        if row == "load":
            note = ("ours: tie columns -> analysis table -> strengths -> graph (no store); "
                    "nx: igraph -> nx.Graph conversion")  # fmt: skip
        if row == "betweenness":
            note = (f"ours: {a.info.get('sources')} sources spread over teams (+ constraint), shared "
                    "by brokers and roles; nx: inside brokers and roles")  # fmt: skip
        mark = "*" if b.info.get("extrapolated") else ""
        lines.append(f"{row:<14}{_cell(a.seconds):>9}{_cell(a.cpu):>10}"
                     f"{_cell(a.extra_mib, 0):>11}{_cell(_nx_seconds(b)) + mark:>12}"
                     f"{_cell(b.extra_mib, 0):>9}  {note}")  # fmt: skip
    lines += _totals(result)
    return "\n".join(lines)


def totals(result: dict[str, Any]) -> dict[str, Any]:
    """End-to-end figures of ours (one process plus its helper) and the networkx total."""
    whole, theirs = result["whole"], result.get("networkx", {})
    out: dict[str, Any] = {}
    if whole.seconds is not None:
        out.update({
            "ours_seconds": round(whole.seconds, 2),
            "ours_cpu_seconds": round(whole.cpu or 0.0, 2),
            "ours_peak_mib": round(whole.peak_mib or 0.0),
            "ours_helper_peak_mib": whole.info.get("helper_peak_mib"),
            "ours_runs": whole.info.get("runs"),
            "ours_job_seconds": whole.info.get("job_seconds"),
            "ours_load_seconds": whole.info.get("load_seconds"),
            "ours_settings": whole.info.get("settings"),
        })  # fmt: skip
    store, read = result.get("store"), result.get("store_read")
    if store is not None and store.seconds is not None:
        out.update({
            "store_seconds": round(store.seconds, 2),
            "store_cpu_seconds": round(store.cpu or 0.0, 2),
            "store_peak_mib": round(store.peak_mib or 0.0),
            "store_helper_peak_mib": store.info.get("helper_peak_mib"),
            "store_runs": store.info.get("runs"),
            "store_job_seconds": store.info.get("job_seconds"),
        })  # fmt: skip
    if read is not None and read.seconds is not None:
        out.update({"store_read_seconds": read.info.get("columns_seconds"),
                    "store_read_cpu_seconds": read.info.get("columns_cpu"),
                    "store_read_peak_mib": round(read.peak_mib or 0.0)})  # fmt: skip
    out["ours_sum_of_rows"] = round(sum(result["ours"][r].seconds or 0.0 for r in ROWS), 2)
    if theirs:
        out["nx_seconds"] = round(sum(_nx_seconds(m) or 0.0 for m in theirs.values()), 1)
        out["nx_measured_seconds"] = round(sum(m.seconds or 0.0 for m in theirs.values()), 1)
        out["nx_extrapolated"] = [r for r, m in theirs.items() if m.info.get("extrapolated")]
        out["nx_skipped"] = [r for r, m in theirs.items() if m.seconds is None]
    return out


def _totals(result: dict[str, Any]) -> list[str]:
    t = totals(result)
    nx_total = f"{t['nx_seconds']:.2f}" if "nx_seconds" in t else "-"
    lines = [
        f"{'sum of rows':<14}{t['ours_sum_of_rows']:>9.2f}{'':>21}{nx_total:>12}",
        "* extrapolated (see note). Per row: best of the runs, each job in a child forked after "
        "load; +MiB: its peak RSS above the RSS at the fork.",
    ]
    if "store_seconds" in t:
        peaks = t["store_peak_mib"] + (t["store_helper_peak_mib"] or 0)
        lines.append(
            f"ours, from the store (web.jobs.run_all on the embedded store: read, jobs, snapshots, "
            f"scores): {t['store_seconds']} s wall (best of {t['store_runs']}), "
            f"{t['store_cpu_seconds']} s CPU with the helper; peak RSS {t['store_peak_mib']} MiB, "
            f"helper {t['store_helper_peak_mib']} MiB (sum {peaks} MiB); the store's columnar read "
            f"alone {t.get('store_read_seconds')} s ({t.get('store_read_cpu_seconds')} s CPU)"
        )
    if "ours_seconds" in t:
        peaks = t["ours_peak_mib"] + (t["ours_helper_peak_mib"] or 0)
        lines.append(
            f"ours, analysis only (tie columns -> web.jobs.analyse, helper process "
            f"{'on' if result['whole'].info.get('helper') else 'off'}): {t['ours_seconds']} s wall "
            f"(best of {t['ours_runs']}), {t['ours_cpu_seconds']} s CPU with the helper; peak RSS "
            f"{t['ours_peak_mib']} MiB, helper {t['ours_helper_peak_mib']} MiB (sum {peaks} MiB)"
        )
    if "nx_seconds" in t:
        lines.append(
            f"networkx: {t['nx_measured_seconds']} s measured, {t['nx_seconds']} s with "
            f"extrapolations ({', '.join(t['nx_extrapolated']) or 'none'}); "
            f"skipped: {', '.join(t['nx_skipped']) or 'none'}"
        )
    check = result.get("betweenness_check")
    if check:
        for label in ("strata", "uniform"):
            c = check[label]
            lines.append(
                f"betweenness, {c['k']} sources ({'spread over teams' if label == 'strata' else 'uniform'}) "
                f"vs exact at {check['people']:,}: Pearson {c['pearson']}, Spearman {c['spearman']}, "
                f"top-20 overlap {c['top20_overlap']}/20, top-{TOP} {c[f'top{TOP}_overlap']}/{TOP} "
                f"({c['seconds']} s; exact {check['exact_seconds']} s)"
            )
    return lines


def jsonable(result: dict[str, Any]) -> dict[str, Any]:
    """Measured records as plain dicts with rounded numbers."""

    def one(m: Measured, networkx: bool) -> dict[str, Any]:
        seconds = _nx_seconds(m) if networkx else m.seconds
        out = {
            "seconds": None if seconds is None else round(seconds, 3),
            "cpu": None if m.cpu is None else round(m.cpu, 3),
            "extra_mib": None if m.extra_mib is None else round(m.extra_mib),
            "peak_mib": None if m.peak_mib is None else round(m.peak_mib),
        }
        if networkx and m.info.get("extrapolated"):
            out["extrapolated"] = True
        for key in ("notes", "runs", "sources"):
            if m.info.get(key):
                out[key] = m.info[key]
        if m.error:
            out["error"] = m.error
        return out

    out = {
        k: v
        for k, v in result.items()
        if k not in ("ours", "networkx", "whole", "store", "store_read")
    }
    out["ours"] = {k: one(m, False) for k, m in result["ours"].items()}
    if "networkx" in result:
        out["networkx"] = {k: one(m, True) for k, m in result["networkx"].items()}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every size; print the tables and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="keep generated ties here and reuse them")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours per step; best kept")
    parser.add_argument("--skip-nx", action="store_true", help="ours only (quick)")
    parser.add_argument("--nx-budget", type=float, default=900.0,
                        help="seconds for the whole networkx baseline of one size")  # fmt: skip
    parser.add_argument("--skip-check", action="store_true", help="no sampled-vs-exact betweenness")
    parser.add_argument("--threads", type=int, help="cap OpenMP/BLAS threads (threadpoolctl)")
    parser.add_argument("--store", action="store_true",
                        help="also run_all on an embedded store of the ties (built once in --cache)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.store and args.cache is None:
        parser.error("--store needs --cache (the store is built once and kept there)")
    started = time.perf_counter()
    results = {}
    with threadpool_limits(limits=args.threads) if args.threads else nullcontext():
        for n in args.people:
            results[n] = bench_size(n, args)
            print(table(n, results[n]), flush=True)
    env = {"python": platform.python_version(), "networkx": nx.__version__,
           "igraph": ig.__version__, "cpus": mp.cpu_count(), "threads": args.threads or "default"}  # fmt: skip
    summary = {"bench": "analysis_jobs", "seed": args.seed, "env": env,
               "wall_seconds": round(time.perf_counter() - started, 1),
               "sizes": {str(n): {"totals": totals(r), **jsonable(r)} for n, r in results.items()}}  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
