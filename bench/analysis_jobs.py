"""The nine analysis jobs at 10k and 100k people: time and peak memory, against plain networkx.

Usage::

    python bench/analysis_jobs.py --people 10000 100000 --seed 1              # with networkx
    python bench/analysis_jobs.py --people 10000 100000 --seed 1 --skip-nx    # ours only
    python bench/analysis_jobs.py --people 100000 --nx-budget 900

Input. A synthetic organisation, built without the ingest pipeline:
:class:`ingest.records.Person` records (teams of 10, departments of 100, one
IT department of 8 % of the people) and monthly :class:`ingest.records.Tie`
records over the 12 months of 2025 (distinct (source, target, channel, month)
buckets; e-mail, meeting, ticket), from a seeded ``random.Random``. Activity
is Pareto(2.5), capped at 60; most contact stays in the team. Distinct pairs
are drawn until the undirected person graph has 10 edges per person (1M pairs
at 100k). ``web.jobs.Data`` is then built as ``web.jobs.load`` does
(:func:`analysis.strength.tie_strengths`, :func:`analysis.build.strength_graph`),
without a store: that is the "load" row.

Ours. Each job of ``web.jobs.RUNNERS`` runs in a fresh child process forked
after Data was built (``multiprocessing``, "fork"). Its time is
``time.perf_counter`` around the call; "+MiB" is the child's peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``, which starts at the RSS inherited at
the fork) minus its RSS just before the job: the memory the job needs on
top of the loaded data, including copy-on-write copies of touched pages.
One more child runs all nine jobs in a row, like ``web.jobs.run_all`` without
the store: its wall time and absolute peak RSS are the "one process" line.

networkx. The same questions answered the plain networkx way on the same
graph (converted once to ``nx.Graph`` with ``weight`` and ``distance = 1/weight``;
conversion time reported on the "load" row), each in a forked child:

* strength: plain event counts summed per pair from the ties (a graph build);
* liaison: IT-unit block sums by hand + ``nx.bipartite.hopcroft_karp_matching``;
* isolation: E-I per team by hand with ``nx.cut_size`` (no permutation test);
* brokers: ``nx.constraint`` (all nodes), ``nx.effective_size``,
  ``nx.betweenness_centrality(k=500, seed, weight="distance")`` (same k as ours);
* communities: one ``nx.community.louvain_communities`` run + sklearn NMI;
* risk: ``nx.articulation_points`` + ``nx.node_connectivity`` per team pair and
  per IT-unit pair, on a sample of pairs, extrapolated to all tied pairs;
* introductions: ``nx.adamic_adar_index`` over the same candidates (untied IT x
  business pairs at distance 2);
* compare: two half-year count graphs, E-I per team in each (no bootstrap);
* roles: networkx features (degree, strength, clustering, constraint,
  betweenness k=512) + scikit-learn k-means as ours.

A step that would take too long runs on a sample and is extrapolated: the
betweenness runs first from 4 sources and runs in full only when the estimate
fits in min(10 minutes, half the remaining ``--nx-budget``); otherwise the
reported time is the per-source time times k, marked "extrapolated". The
budget is per size; jobs that start after it ran out are skipped.

Threads. ``--threads N`` caps OpenMP/BLAS threads (threadpoolctl) in every
process. Use ``--threads 1`` on a shared 2-core box: scikit-learn's k-means
(roles) runs OpenMP with 2 threads by default and, when another process keeps
one core busy, takes seconds instead of milliseconds per fit.

Also: sampled vs exact betweenness (ours, ``exact_max=0`` vs exact) on sizes up
to 20k people: Pearson, Spearman and top-50 overlap. Prints a table per size
and one JSON line. Read every time as +/-10-30 % (perf-baselines.md).
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import math
import multiprocessing as mp
import platform
import random
import resource
import sys
import time
import traceback
from bisect import bisect
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
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

from analysis import brokerage  # noqa: E402
from analysis.build import strength_graph  # noqa: E402
from analysis.strength import tie_strengths  # noqa: E402
from ingest.records import Channel  # noqa: E402
from ingest.records import Person  # noqa: E402
from ingest.records import Tie  # noqa: E402
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


def build_data(people: list[Person], ties: list[Tie], seed: int) -> Data:
    """``web.jobs.load`` without the store: composite strengths and the strength graph."""
    at = max((t.last_seen for t in ties), default=datetime.now(UTC))
    graph = strength_graph(people, tie_strengths(ties, at=at))
    months = sorted({t.month for t in ties if t.month})
    return Data(people, ties, at, months, graph, seed)


def describe(org: Org, data: Data) -> dict[str, Any]:
    """Size and shape of the synthetic organisation."""
    g = data.graph
    team = np.asarray(g.vs["team"], dtype=object)
    edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    inside = team[edges[:, 0]] == team[edges[:, 1]]
    counts = np.asarray(g.es["count"], dtype=float)
    degree = np.asarray(g.degree())
    return {
        "people": org.n,
        "it_people": org.n_it,
        "ties": len(data.ties),
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


def peak_mib() -> float:
    """Peak resident set size of this process (``ru_maxrss``, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(slots=True)
class Measured:
    """One measured step: wall seconds, peak RSS above the start, absolute peak, extras."""

    seconds: float | None = None
    extra_mib: float | None = None
    peak_mib: float | None = None
    info: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def in_fork(task: Callable[[], dict[str, Any] | None]) -> Measured:
    """Run ``task`` in a child forked from this process; its time and memory."""
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(task, sender), daemon=True)
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
    started = time.perf_counter()
    try:
        info = task() or {}
    except Exception:  # report it in the table rather than lose the run
        sender.send({"error": traceback.format_exc(limit=3).strip().splitlines()[-1]})
        return
    seconds = time.perf_counter() - started
    peak = peak_mib()
    sender.send({"seconds": seconds, "extra_mib": max(peak - before, 0.0), "peak_mib": peak,
                 "info": info})  # fmt: skip


# -- ours -------------------------------------------------------------------------------------


def run_ours(data: Data, *, one_process: bool) -> dict[str, Measured]:
    """Every job alone in a fresh child; then, if asked, all nine in one child (key ``"all"``)."""
    measured = {}
    for name, runner in RUNNERS.items():
        print(f"  ours {name} ...", file=sys.stderr, flush=True)
        measured[name] = in_fork(lambda runner=runner: _quiet(runner, data))
    if one_process:
        print("  ours all nine in one process ...", file=sys.stderr, flush=True)
        measured["all"] = in_fork(lambda: _all_jobs(data))
    return measured


def _quiet(runner: Callable[[Any], Any], argument: Any) -> dict[str, Any]:
    runner(argument)
    return {}


def _all_jobs(data: Data) -> dict[str, Any]:
    seconds = {}
    for name, runner in RUNNERS.items():
        started = time.perf_counter()
        runner(data)
        seconds[name] = round(time.perf_counter() - started, 3)
    return {"seconds": seconds}


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
    for t in x.data.ties:
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
        _count_graph((t for t in x.data.ties if t.month in h), x.data.people, x.graph)
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


def betweenness_check(graph: ig.Graph, seed: int) -> dict[str, Any]:
    """Ours sampled (k=500 sources) against exact: correlations and top-50 overlap."""
    started = time.perf_counter()
    sampled = brokerage.betweenness(graph, seed=seed, exact_max=0)
    sampled_s = time.perf_counter() - started
    started = time.perf_counter()
    exact = brokerage.betweenness(graph, seed=seed, exact_max=graph.vcount() + 1)
    exact_s = time.perf_counter() - started
    names = list(exact)
    x = np.asarray([sampled[v] for v in names])
    y = np.asarray([exact[v] for v in names])
    top_x = set(np.argsort(-x, kind="stable")[:TOP].tolist())
    top_y = set(np.argsort(-y, kind="stable")[:TOP].tolist())
    return {
        "people": graph.vcount(),
        "k": BROKER_K,
        "sampled_seconds": round(sampled_s, 2),
        "exact_seconds": round(exact_s, 2),
        "pearson": round(float(stats.pearsonr(x, y)[0]), 4),
        "spearman": round(float(stats.spearmanr(x, y)[0]), 4),
        f"top{TOP}_overlap": len(top_x & top_y),
    }


# -- one size ---------------------------------------------------------------------------------


def bench_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Generate, load, measure ours (and networkx) for ``n`` people."""
    print(f"{n:,} people: generating ...", file=sys.stderr, flush=True)
    org = Org(n, round(n * IT_SHARE))
    rng = random.Random(args.seed)
    started = time.perf_counter()
    people = make_people(org)
    ties = make_ties(org, people, rng)
    generate_s = time.perf_counter() - started
    gc.collect()
    before_rss, before_peak = rss_mib(), peak_mib()
    print(f"  load ({len(ties):,} ties) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    data = build_data(people, ties, args.seed)
    load = Measured(time.perf_counter() - started)
    gc.collect()
    load.peak_mib = peak_mib()
    load.extra_mib = max(load.peak_mib, rss_mib()) - before_rss
    load.info = {"rss_before_mib": round(before_rss), "rss_after_mib": round(rss_mib()),
                 "peak_before_mib": round(before_peak)}  # fmt: skip
    gc.freeze()  # forked children then do not copy every page when the collector runs
    result: dict[str, Any] = {"org": describe(org, data), "generate_seconds": round(generate_s, 2)}
    result["ours"] = {"load": load, **run_ours(data, one_process=n <= args.one_process_max)}
    if n <= CHECK_MAX and not args.skip_check:
        print("  betweenness sampled vs exact ...", file=sys.stderr, flush=True)
        result["betweenness_check"] = betweenness_check(data.graph, args.seed)
    if not args.skip_nx:
        result["networkx"] = bench_networkx(data, args)
    gc.unfreeze()
    return result


def bench_networkx(data: Data, args: argparse.Namespace) -> dict[str, Measured]:
    """Measure the conversion in a child, convert here, then run the baselines under the budget."""
    print("  networkx conversion ...", file=sys.stderr, flush=True)
    convert = in_fork(lambda: _quiet(to_networkx, data.graph))
    graph = to_networkx(data.graph)
    budget = Budget(time.perf_counter() + args.nx_budget)
    measured = {"load": convert, **run_networkx(NxInput(graph, data, budget, args.seed))}
    del graph
    gc.collect()
    return measured


# -- output -----------------------------------------------------------------------------------


ROWS = ("load", *RUNNERS)


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
        f"(generated in {result['generate_seconds']} s) ==",
        f"{'job':<14}{'ours s':>9}{'ours +MiB':>11}{'nx s':>11}{'nx +MiB':>9}  note",
    ]
    for row in ROWS:
        a, b = ours[row], theirs.get(row, Measured())
        note = "; ".join(
            b.info.get("notes", [])
            + ([b.error] if b.error else [])
            + ([a.error] if a.error else [])
        )
        if row == "load":
            note = "ours: tie_strengths + strength_graph; nx: igraph -> nx.Graph conversion"
        mark = "*" if b.info.get("extrapolated") else ""
        lines.append(f"{row:<14}{_cell(a.seconds):>9}{_cell(a.extra_mib, 0):>11}"
                     f"{_cell(_nx_seconds(b)) + mark:>11}{_cell(b.extra_mib, 0):>9}  {note}")  # fmt: skip
    lines += _totals(result)
    return "\n".join(lines)


def totals(result: dict[str, Any]) -> dict[str, Any]:
    """Total seconds and process peak RSS of ours (and the networkx total)."""
    ours, theirs = result["ours"], result.get("networkx", {})
    jobs = {r: ours[r] for r in RUNNERS}
    heaviest = max(jobs, key=lambda r: jobs[r].peak_mib or 0.0)
    out = {
        "ours_jobs_seconds": round(sum(m.seconds or 0.0 for m in jobs.values()), 2),
        "ours_seconds": round(ours["load"].seconds + sum(m.seconds or 0.0 for m in jobs.values()), 2),
        "ours_rss_loaded_mib": ours["load"].info["rss_after_mib"],
        "ours_load_peak_mib": round(ours["load"].peak_mib),
        "ours_job_peak_mib": round(jobs[heaviest].peak_mib or 0.0),
        "ours_job_peak_job": heaviest,
        "ours_process_peak_mib": round(max(ours["load"].peak_mib, jobs[heaviest].peak_mib or 0.0)),
    }  # fmt: skip
    if "all" in ours:
        out["ours_one_process_seconds"] = round(ours["all"].seconds or 0.0, 2)
        out["ours_one_process_peak_mib"] = round(ours["all"].peak_mib or 0.0)
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
        f"{'total':<14}{t['ours_seconds']:>9.2f}{'':>11}{nx_total:>11}",
        "* extrapolated (see note). +MiB: peak RSS of the job's forked child above its RSS at the "
        "fork (the loaded data it inherited is not counted).",
        f"ours: load + nine jobs = {t['ours_seconds']} s; RSS with Data loaded "
        f"{t['ours_rss_loaded_mib']} MiB; peak RSS {t['ours_process_peak_mib']} MiB "
        f"(generate+load {t['ours_load_peak_mib']}, heaviest job {t['ours_job_peak_job']} "
        f"{t['ours_job_peak_mib']})",
    ]
    if "ours_one_process_seconds" in t:
        lines.append(
            f"ours, all nine jobs in one process after load: {t['ours_one_process_seconds']} s, "
            f"peak RSS {t['ours_one_process_peak_mib']} MiB"
        )
    if "nx_seconds" in t:
        lines.append(
            f"networkx: {t['nx_measured_seconds']} s measured, {t['nx_seconds']} s with "
            f"extrapolations ({', '.join(t['nx_extrapolated']) or 'none'}); "
            f"skipped: {', '.join(t['nx_skipped']) or 'none'}"
        )
    check = result.get("betweenness_check")
    if check:
        lines.append(
            f"betweenness, ours sampled k={check['k']} vs exact at {check['people']:,}: "
            f"Pearson {check['pearson']}, Spearman {check['spearman']}, top-{TOP} overlap "
            f"{check[f'top{TOP}_overlap']}/{TOP} (sampled {check['sampled_seconds']} s, "
            f"exact {check['exact_seconds']} s)"
        )
    return lines


def jsonable(result: dict[str, Any]) -> dict[str, Any]:
    """Measured records as plain dicts with rounded numbers."""

    def one(m: Measured, networkx: bool) -> dict[str, Any]:
        out = {
            "seconds": round(_nx_seconds(m), 3) if networkx and m.seconds is not None else
            (round(m.seconds, 3) if m.seconds is not None else None),
            "extra_mib": None if m.extra_mib is None else round(m.extra_mib),
            "peak_mib": None if m.peak_mib is None else round(m.peak_mib),
        }  # fmt: skip
        if networkx and m.info.get("extrapolated"):
            out["extrapolated"] = True
        if m.info.get("notes"):
            out["notes"] = m.info["notes"]
        if m.info.get("seconds"):
            out["job_seconds"] = m.info["seconds"]
        if m.error:
            out["error"] = m.error
        return out

    out = {k: v for k, v in result.items() if k not in ("ours", "networkx")}
    out["ours"] = {k: one(m, False) for k, m in result["ours"].items()}
    if "networkx" in result:
        out["networkx"] = {k: one(m, True) for k, m in result["networkx"].items()}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every size; print the tables and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-nx", action="store_true", help="ours only (quick)")
    parser.add_argument("--nx-budget", type=float, default=900.0,
                        help="seconds for the whole networkx baseline of one size")  # fmt: skip
    parser.add_argument("--skip-check", action="store_true", help="no sampled-vs-exact betweenness")
    parser.add_argument("--one-process-max", type=int, default=CHECK_MAX,
                        help="also run all nine jobs in one process up to this many people")  # fmt: skip
    parser.add_argument("--threads", type=int, help="cap OpenMP/BLAS threads (threadpoolctl)")
    args = parser.parse_args(argv)
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
