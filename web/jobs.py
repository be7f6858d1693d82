"""Analysis jobs: read the store, run the pure functions in ``analysis``, store the results.

This module is the only place where ``analysis`` meets ``graph``: the analysis
functions never see a store, and the store never sees igraph. Every job's
result is saved as a versioned snapshot (parameters, seed, data window,
library versions, timings) and its per-person, per-team and per-department
figures are written back to the graph as scores.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import platform
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from enum import Enum
from importlib import metadata
from multiprocessing import get_context
from typing import Any

import igraph as ig
import numpy as np

from analysis import brokerage
from analysis import communities
from analysis import compare
from analysis import introductions
from analysis import isolation
from analysis import liaison
from analysis import risk
from analysis import roles
from analysis.build import pair_graph
from analysis.build import table_digraph
from analysis.strength import pair_strengths
from analysis.ties import TieTable
from graph.base import Store
from graph.base import Subject
from ingest.records import Person

JOBS = (
    "strength",
    "liaison",
    "isolation",
    "brokers",
    "communities",
    "risk",
    "introductions",
    "compare",
    "roles",
)
LIBRARIES = ("python-igraph", "networkx", "scikit-learn", "numpy")
#: The order the jobs run in: the two that read betweenness last, so that a helper process
#: can compute it meanwhile; ``roles`` stays last (the Data page dates the analysis by it).
ORDER = (
    "strength",
    "liaison",
    "isolation",
    "communities",
    "risk",
    "introductions",
    "compare",
    "brokers",
    "roles",
)
#: From this many tied pairs on, the jobs use their large-graph settings (:class:`Settings`).
LARGE_PAIRS = 250_000


@dataclass(frozen=True, slots=True)
class Settings:
    """How exhaustive each approximation is; every snapshot records the ones its job used.

    Up to :data:`LARGE_PAIRS` pairs (10k people in the benchmark organisation):
    betweenness from 500 sources spread over teams (exact up to 2,000
    people), Leiden best of 10 runs to convergence, k-means on everyone. Above:
    betweenness from ``betweenness_sources`` sources, Leiden best of 3 runs of 2
    iterations, k-means fitted on 10,000 people. What each costs, measured on
    the benchmark organisation (``bench/analysis_jobs.py``):

    * betweenness, 10k people, 500 sources spread over teams against exact:
      Pearson 0.95, Spearman 0.94, top-20 overlap 14/20, top-50 39/50;
    * betweenness, 100k people, 160 sources (0.1 s CPU each) against a
      1,500-source estimate: Pearson 0.52, Spearman 0.85, top-20 7/20: the
      ranking of the many is sound, the top of it is not. Matching the 10k
      figures needs about 2,000 sources (about 4 CPU minutes): pass
      ``Settings(betweenness_sources=2000)`` to :func:`run_all` for such a run;
    * Leiden, 100k people: modularity 0.03 % below running to convergence,
      NMI 0.97 with that partition, 6× faster per run;
    * k-means on 10,000 of 100k people: the same four named roles, adjusted
      Rand 0.98 against fitting everyone.

    The tests check each against the exact version on a 2,000-person
    organisation (``tests/analysis``).
    """

    betweenness_sources: int = 500
    betweenness_strata: str = "team"
    leiden_runs: int = 10
    leiden_iterations: int = -1
    roles_fit_sample: int | None = None

    @classmethod
    def for_graph(cls, graph: ig.Graph) -> Settings:
        """The settings for a graph of this size."""
        if graph.ecount() <= LARGE_PAIRS:
            return cls()
        return cls(
            betweenness_sources=LARGE_BETWEENNESS_SOURCES,
            leiden_runs=3,
            leiden_iterations=2,
            roles_fit_sample=10_000,
        )


#: Betweenness sources on a large graph: 0.1 s each at 100k people, run in a helper process.
LARGE_BETWEENNESS_SOURCES = 160


@dataclass(slots=True)
class Data:
    """What every job reads: people, the monthly ties as columns and the graphs built from them.

    ``shared`` holds figures more than one job needs (betweenness and
    constraint, for brokers and roles), computed once by whichever job asks
    first, or handed to a helper process by :func:`run_all`.
    """

    people: list[Person]
    table: TieTable
    at: datetime
    months: list[str]
    graph: ig.Graph
    seed: int
    settings: Settings = field(default_factory=Settings)
    shared: dict[str, Any] = field(default_factory=dict)

    def window(self, months: list[str]) -> ig.Graph:
        """The strength graph of some months only (for the comparison jobs)."""
        at = self.table.latest(months) or self.at
        strengths = pair_strengths(self.table, months=months, at=at)
        return pair_graph(self.table, strengths, attributes=("weight", "count"))

    def betweenness_task(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """The betweenness computation as a picklable call: function, arguments, keywords."""
        g = self.graph
        sources = brokerage.betweenness_sources(
            g, k=self.settings.betweenness_sources, seed=self.seed,
            strata=self.settings.betweenness_strata if g.vcount() else None,
        )  # fmt: skip
        edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        lengths = 1.0 / np.asarray(g.es["weight"], dtype=float) if g.ecount() else None
        self.shared["betweenness_sources"] = sources
        return (
            brokerage.subset_betweenness,
            (g.vcount(), edges, lengths, sources),
            {"directed": False},
        )

    def betweenness(self) -> dict[str, float]:
        """Betweenness of the strength graph (sampled on large graphs), computed once."""
        found = self.shared.get("betweenness")
        if found is None:
            function, args, keywords = self.betweenness_task()
            found = function(*args, **keywords)
        elif isinstance(found, Future):
            found = found.result()
        else:
            return found
        values = brokerage.scaled_betweenness(
            found, self.shared["betweenness_sources"], directed=False
        )
        names = self.graph.vs["name"] if self.graph.vcount() else []
        self.shared["betweenness"] = dict(zip(names, values.tolist(), strict=True))
        return self.shared["betweenness"]

    def constraint(self) -> dict[str, float]:
        """Burt's constraint of the strength graph, computed once."""
        if "constraint" not in self.shared:
            self.shared["constraint"] = brokerage.constraint(self.graph)
        return self.shared["constraint"]


@dataclass(slots=True)
class Result:
    """One job's snapshot data and the scores it writes back."""

    data: dict[str, Any]
    person: dict[str, dict[str, float]] = field(default_factory=dict)
    team: dict[str, dict[str, float]] = field(default_factory=dict)
    department: dict[str, dict[str, float]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)


def load(
    store: Store,
    *,
    seed: int = 1,
    since: date | None = None,
    until: date | None = None,
    settings: Settings | None = None,
) -> Data:
    """Read the store once and build the analysis graph (composite tie strength).

    Ties are read as columns (``store.tie_columns``), never as records, and
    become the analysis table (:class:`analysis.ties.TieTable`).
    """
    people = list(store.people())
    table = TieTable.from_columns(people, store.tie_columns(since=since, until=until))
    return from_table(table, seed=seed, settings=settings)


def from_table(table: TieTable, *, seed: int = 1, settings: Settings | None = None) -> Data:
    """:class:`Data` from ties already read into columns (settings by graph size by default)."""
    at = table.latest() or datetime.now(UTC)
    # the jobs read strength and channels only; the other attributes cost 40 MB per million pairs
    graph = pair_graph(table, pair_strengths(table, at=at), attributes=("weight", "channels"))
    settings = settings or Settings.for_graph(graph)
    return Data(list(table.people), table, at, list(table.months), graph, seed, settings)


def run_all(
    store: Store,
    *,
    seed: int = 1,
    since: date | None = None,
    until: date | None = None,
    progress: Callable[[str], None] | None = None,
    helper: bool | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Run every job, save a snapshot per job, write scores back; return a summary.

    ``settings``: how exhaustive the approximations are (:class:`Settings`);
    by default chosen by the size of the graph. An offline run can ask for
    more betweenness sources than the default, for instance.

    ``helper``: compute betweenness and the comparison in a second process
    while the other jobs run (``None``: when the graph is large and the
    machine has two cores or more). The results are the same either way.
    """
    started = time.perf_counter()
    data = load(store, seed=seed, since=since, until=until, settings=settings)
    seconds = {"load": round(time.perf_counter() - started, 3)}
    scores: dict[Subject, dict[str, dict[str, float]]] = {s: {} for s in Subject}
    for name, result, spent in analyse(data, helper=helper, progress=progress):
        seconds[name] = round(spent, 3)
        for subject, values in (
            (Subject.PERSON, result.person),
            (Subject.TEAM, result.team),
            (Subject.DEPARTMENT, result.department),
        ):
            for key, named in values.items():
                scores[subject].setdefault(key, {}).update(named)
        store.save_snapshot(name, _snapshot(name, result, data, since, until, seconds[name]))
    for subject, values in scores.items():
        store.write_scores(subject, _finite(values))
    return {
        "people": data.graph.vcount(),
        "pairs": data.graph.ecount(),
        "seconds": {k: seconds[k] for k in ("load", *JOBS)},
        **headline(store),
    }


def analyse(
    data: Data, *, helper: bool | None = None, progress: Callable[[str], None] | None = None
) -> Iterator[tuple[str, Result, float]]:
    """Run the jobs on loaded data in :data:`ORDER`: (name, result, seconds) as each ends."""
    with _no_cycle_collection(), _helper(data, helper):
        for name in ORDER:
            if progress:
                progress(name)
            mark = time.perf_counter()
            result = RUNNERS[name](data)
            yield name, result, time.perf_counter() - mark


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector off while the jobs run (reference counting still frees).

    The jobs make next to no reference cycles, but with a large graph loaded
    every full collection walks millions of objects: 4 s of CPU in a run
    at 100k people, for nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _helper(data: Data, wanted: bool | None) -> Iterator[None]:
    """A second process for betweenness and the comparison while the other jobs run.

    Used if wanted, or by default when the graph is large and there are two
    cores or more.

    Spawned, not forked: the web app runs analyses from a thread, and a fork
    of a threaded process can deadlock. Only two arrays travel to it.
    """
    if wanted is None:
        wanted = data.graph.ecount() > LARGE_PAIRS and (os.cpu_count() or 1) > 1
    if not wanted:
        yield
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        function, args, keywords = data.betweenness_task()
        data.shared["betweenness"] = pool.submit(function, *args, **keywords)
        halves = _split(data.months, 2)
        if halves is not None:  # the comparison too: the heaviest job, given two graphs
            windows = [data.window(months) for months in halves]
            data.shared["compare"] = pool.submit(compare_graphs, *windows, halves, data.seed)
            del windows
        try:
            yield
        finally:
            data.betweenness()  # collect them (and their errors) before the pool closes
            if isinstance(data.shared.get("compare"), Future):
                data.shared["compare"].result()


def _snapshot(
    name: str, result: Result, data: Data, since: date | None, until: date | None, seconds: float
) -> dict[str, Any]:
    return {
        "job": name,
        "seed": data.seed,
        "parameters": result.parameters,
        "window": {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                   "months": data.months, "at": data.at.isoformat()},
        "versions": {"python": platform.python_version(), **{lib: _version(lib) for lib in LIBRARIES}},
        "seconds": seconds,
        "result": jsonable(result.data),
    }  # fmt: skip


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# -- the jobs ----------------------------------------------------------------------------


def job_strength(data: Data) -> Result:
    """Tie strength: per-person totals and the distribution of composite strengths."""
    g = data.graph
    strengths = g.strength(weights="weight") if g.ecount() else [0.0] * g.vcount()
    person = {
        name: {"degree": float(d), "strength": float(s)}
        for name, d, s in zip(g.vs["name"], g.degree(), strengths, strict=True)
    }
    weights = sorted(g.es["weight"]) if g.ecount() else []
    quartiles = [weights[int(q * (len(weights) - 1))] for q in (0.25, 0.5, 0.75)] if weights else []
    return Result(
        {"pairs": g.ecount(), "at": data.at.isoformat(), "quartiles": quartiles}, person=person
    )


def job_liaison(data: Data) -> Result:
    """IT–business liaison score per business unit, with its components and named liaisons."""
    monthly = liaison.monthly_volume(data.graph, data.table) if len(data.table) else None
    scores = liaison.liaison_score(
        data.graph, channels=liaison.edge_channels(data.graph), monthly=monthly
    )
    department = {
        unit: {"liaison_score": s.score, "liaison_paths": float(s.paths)}
        for unit, s in scores.items()
    }
    carried: dict[str, float] = {}
    for s in scores.values():
        for person, share in s.liaison.liaisons:
            carried[person] = max(carried.get(person, 0.0), share)
    person = {key: {"liaison_share": share} for key, share in carried.items()}
    return Result({"units": scores}, person=person, department=department)


def job_isolation(data: Data) -> Result:
    """Isolated teams, ranked, with the reason each is flagged."""
    teams = isolation.isolated_teams(data.graph, attribute="team", seed=data.seed)
    team_scores = {}
    for t in teams:
        values = {"size": t.size, "internal_ties": t.internal, "external_ties": t.external, "ei_index": t.ei,
                  "ei_expected": t.expected, "ei_p": t.p_value, "external_share": t.external_share,
                  "reach": t.reach, "flagged": 1.0 if t.reasons else 0.0}  # fmt: skip
        if t.ei is not None and t.expected is not None:
            values["ei_delta"] = t.ei - t.expected
        team_scores[t.team] = {k: float(v) for k, v in values.items() if v is not None}
    parameters = {"ei_null_draws": 999, "ei_null": "random member sets of each team size"}
    return Result({"teams": teams}, team=team_scores, parameters=parameters)


def job_brokers(data: Data) -> Result:
    """Constraint, effective size, betweenness and Gould–Fernandez roles between departments."""
    g = data.graph
    roles_ = brokerage.brokerage_roles(table_digraph(data.table), attribute="department")
    measures = {
        "constraint": data.constraint(),
        "effective_size": brokerage.effective_size(g),
        "betweenness": data.betweenness(),  # last: a helper process may still be computing it
    }
    person: dict[str, dict[str, float]] = {}
    for metric, values in measures.items():
        for key, value in values.items():
            person.setdefault(key, {})[metric] = value
    for key, r in roles_.items():
        person.setdefault(key, {}).update(
            {f"gf_{role.value}": float(n) for role, n in r.counts.items()}
        )
    top = sorted(measures["betweenness"].items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    return Result(
        {
            "top_betweenness": top,
            "roles": {k: v for k, v in roles_.items() if any(v.counts.values())},
        },
        person=person,
        parameters=_betweenness_parameters(data) | {"gould_fernandez_sd": "exact"},
    )


def _betweenness_parameters(data: Data) -> dict[str, Any]:
    sources = data.shared.get("betweenness_sources")
    return {
        "betweenness_sources": "all" if sources is None else len(sources),
        "betweenness_strata": None if sources is None else data.settings.betweenness_strata,
    }


def job_communities(data: Data) -> Result:
    """Leiden communities (modularity objective) compared with teams and departments."""
    found = communities.leiden_communities(
        data.graph,
        seed=data.seed,
        n_runs=data.settings.leiden_runs,
        n_iterations=data.settings.leiden_iterations,
    )
    fits = {a: communities.org_fit(data.graph, found, attribute=a) for a in ("team", "department")}
    person = {
        name: {"community": float(c)}
        for name, c in zip(data.graph.vs["name"], found.membership, strict=True)
    }
    parameters = {"leiden_runs": len(found.seeds), "leiden_iterations": found.iterations}
    return Result({"communities": found, "fit": fits}, person=person, parameters=parameters)


def job_risk(data: Data) -> Result:
    """Key-person risk: who holds team pairs and IT–business relationships together."""
    risks = risk.key_person_risk(data.graph)
    ranked = risk.rank_key_people(risks.values())
    person = {r.person: {"risk_cut_off": float(r.cut_off), "risk_reach_drop": float(r.reach_drop),
                         "risk_relationships": float(len(r.team_pairs) + len(r.it_units))}
              for r in risks.values()}  # fmt: skip
    return Result({"ranked": ranked[:25]}, person=person)


def job_introductions(data: Data) -> Result:
    """Recommended IT × business introductions, from a link model fitted on earlier months."""
    thirds = _split(data.months, 3)
    if thirds is None:
        return Result({"skipped": "needs at least three months of data"})
    w1, w2, w3 = (data.window(months) for months in thirds)
    try:
        model = introductions.fit_link_model(w1, w2, seed=data.seed)
        auc = introductions.link_auc(model, w2, w3, seed=data.seed)
        current = introductions.fit_link_model(w2, w3, seed=data.seed)
    except ValueError as err:  # no IT × business pairs, or no new ties to learn from
        return Result({"skipped": str(err), "windows": thirds})
    picks = introductions.recommend_introductions(data.graph, current, k=10)
    return Result({"held_out_auc": auc, "windows": thirds, "introductions": picks})


def job_compare(data: Data) -> Result:
    """The first half of the data against the second: changes with bootstrap intervals."""
    halves = _split(data.months, 2)
    if halves is None:
        return Result({"skipped": "needs at least two months of data"})
    parameters = {"bootstrap": {"ei": 200, "pairs": 200, "liaison": 100}}
    found = data.shared.get("compare")
    result = found.result() if isinstance(found, Future) else compare_windows(data, *halves)
    return Result(result, parameters=parameters)


def compare_windows(data: Data, before: list[str], after: list[str]) -> dict[str, Any]:
    """Two runs of months compared: E-I, team pair strength and liaison changes with CIs."""
    return compare_graphs(data.window(before), data.window(after), [before, after], data.seed)


def compare_graphs(a: ig.Graph, b: ig.Graph, windows: list[list[str]], seed: int) -> dict[str, Any]:
    """:func:`compare_windows` on the two window graphs (picklable, for a helper process).

    Team pairs are kept only when significant: the result lists findings,
    not every pair, and 660k pair changes at 100k people would cost 300 MB.
    """
    ei, pairs = compare.team_changes(a, b, seed=seed, only_significant=True)
    changes = {"ei": ei, "pairs": pairs, "liaison": compare.liaison_change(a, b, seed=seed)}
    findings = compare.significant_changes(**changes)
    return {
        "windows": windows,
        "findings": findings[:50],
        "liaison": changes["liaison"],
        "ei": changes["ei"],
    }


def job_roles(data: Data) -> Result:
    """Structural roles from network features (k-means), with readable names."""
    if data.graph.vcount() < 8:
        return Result({"skipped": "needs at least eight people"})
    clustering = roles.role_clusters(
        data.graph,
        seed=data.seed,
        betweenness=data.betweenness(),
        constraint=data.constraint(),
        fit_sample=data.settings.roles_fit_sample,
    )
    person = {name: {"role": float(label)} for name, label in clustering.labels.items()}
    parameters = _betweenness_parameters(data) | {
        "kmeans_fit_sample": data.settings.roles_fit_sample
    }
    return Result(
        {"roles": clustering.roles, "k": clustering.k, "silhouette": clustering.silhouette},
        person=person,
        parameters=parameters,
    )


RUNNERS: Mapping[str, Callable[[Data], Result]] = {
    "strength": job_strength,
    "liaison": job_liaison,
    "isolation": job_isolation,
    "brokers": job_brokers,
    "communities": job_communities,
    "risk": job_risk,
    "introductions": job_introductions,
    "compare": job_compare,
    "roles": job_roles,
}


# -- headlines -------------------------------------------------------------------------------


def headline(store: Store, *, top: int = 5) -> dict[str, Any]:
    """Headline results from the latest snapshots and scores."""
    teams = store.scores(Subject.TEAM)
    departments = store.scores(Subject.DEPARTMENT)
    flagged = sorted(
        (n for n, s in teams.items() if s.get("flagged")),
        key=lambda n: (teams[n].get("ei_delta", 0.0), n),
    )
    liaison_scores = {
        n: round(s["liaison_score"], 1) for n, s in departments.items() if "liaison_score" in s
    }
    single = sorted(n for n, s in departments.items() if s.get("liaison_paths") == 1.0)
    result = {
        "isolated_teams": flagged[:top],
        "liaison_scores": dict(sorted(liaison_scores.items(), key=lambda kv: (kv[1], kv[0]))),
        "single_liaison_units": single,
    }
    if "communities" in _kinds(store):
        fit = store.snapshot("communities").data["result"]["fit"]["department"]
        result["communities_vs_departments"] = fit.get("agreement")
    return result


def _kinds(store: Store) -> set[str]:
    return {kind for kind in JOBS if store.snapshot_versions(kind)}


# -- helpers -----------------------------------------------------------------------------------


def _split(months: list[str], parts: int) -> list[list[str]] | None:
    """Consecutive, nearly equal runs of months; ``None`` when there are too few."""
    if len(months) < parts:
        return None
    size, extra = divmod(len(months), parts)
    runs, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        runs.append(months[start:end])
        start = end
    return runs


def _finite(values: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        k: {n: float(v) for n, v in named.items() if v is not None and math.isfinite(v)}
        for k, named in values.items()
    }


def jsonable(value: Any) -> Any:
    """Dataclasses, enums, tuples, sets, datetimes and NaN made JSON-ready."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, tuple | frozenset):
        return (
            " | ".join(sorted(str(k) for k in key))
            if isinstance(key, frozenset)
            else " | ".join(map(str, key))
        )
    if isinstance(key, Enum):
        return str(key.value)
    return str(key)
