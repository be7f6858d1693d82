"""Known graphs for the analysis tests, as igraph graphs with named vertices.

The Krackhardt kite, Zachary's karate club (its two factions as the "formal"
teams) and the Davis Southern Women come from networkx; the real data sets
under /work/shared/data are read through the same records the ingestors emit
(:class:`ingest.records.Person` and :class:`ingest.records.Tie`), so the tests
exercise :mod:`analysis.build` too.
"""

from __future__ import annotations

import csv
from datetime import UTC
from datetime import datetime
from pathlib import Path

import igraph as ig
import networkx as nx
import pytest

from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WHEN = datetime(2020, 1, 1, tzinfo=UTC)


def from_networkx(graph: nx.Graph, *, weight: str | None = None) -> ig.Graph:
    """An igraph copy with ``name`` = str(node) and the edge weight, node order kept."""
    index = {node: i for i, node in enumerate(graph)}
    g = ig.Graph(
        n=len(index),
        edges=[(index[u], index[v]) for u, v in graph.edges],
        directed=graph.is_directed(),
    )
    g.vs["name"] = [str(node) for node in graph]
    if weight is not None:
        g.es["weight"] = [float(d[weight]) for _, _, d in graph.edges(data=True)]
    return g


@pytest.fixture
def kite() -> ig.Graph:
    """Krackhardt's kite, vertices named by networkx index 0–9."""
    return from_networkx(nx.krackhardt_kite_graph())


@pytest.fixture
def karate() -> ig.Graph:
    """Zachary's karate club with interaction counts as weights and the factions as teams."""
    graph = nx.karate_club_graph()
    g = from_networkx(graph, weight="weight")
    g.vs["team"] = [graph.nodes[v]["club"] for v in graph]
    return g


@pytest.fixture
def davis_women() -> ig.Graph:
    """The 18 women of Davis' Southern Women, tied by the number of events shared.

    ``team`` is the classic split of Davis, Gardner & Gardner: the first nine
    women and the last nine.
    """
    graph = nx.davis_southern_women_graph()
    women = [n for n, d in graph.nodes(data=True) if d["bipartite"] == 0]
    projected = nx.bipartite.weighted_projected_graph(graph, women)
    g = from_networkx(projected, weight="weight")
    g.vs["team"] = ["first"] * 9 + ["second"] * 9
    return g


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real data sets not present at {SHARED}")
    return SHARED


def ties_from_pairs(pairs: list[tuple[str, str]]) -> list[Tie]:
    """One e-mail tie per directed pair, all on the same day."""
    return [Tie(a, b, Channel.EMAIL, 1, 1.0, WHEN, WHEN) for a, b in pairs]


def krackhardt(shared: Path, relation: str) -> tuple[list[Person], list[Tie]]:
    """People (department as team) and ties of one Krackhardt high-tech relation."""
    folder = shared / "krackhardt-hightech"
    with open(folder / "attributes.csv", newline="") as f:
        people = [
            Person(f"m{int(r['id']):02d}", department=f"dept{r['DEPT']}", team="all")
            for r in csv.DictReader(f)
        ]
    with open(folder / "krack_full_data_frame.csv", newline="") as f:
        pairs = [
            (f"m{int(r['ego']):02d}", f"m{int(r['alter']):02d}")
            for r in csv.DictReader(f)
            if r[relation] == "1"
        ]
    return people, ties_from_pairs(pairs)


def lazega(shared: Path, relation: str) -> tuple[list[Person], list[Tie]]:
    """Lawyers (office as department, practice as team) and ties of one relation."""
    folder = shared / "lazega-lawfirm"
    with open(folder / "nodes.csv", newline="") as f:
        people = [
            Person(
                f"l{int(r['id']):02d}",
                department=f"office{r['office']}",
                team=f"practice{r['practice']}",
            )
            for r in csv.DictReader(f)
        ]
    with open(folder / f"{relation}_edges.csv", newline="") as f:
        pairs = [(f"l{int(r['from']):02d}", f"l{int(r['to']):02d}") for r in csv.DictReader(f)]
    return people, ties_from_pairs(pairs)


def email_eu_core(shared: Path) -> tuple[list[Person], list[Tie]]:
    """1,005 people (department as team too) and one tie per arc (self-loops kept)."""
    folder = shared / "email-eu-core"
    labels = (folder / "email-Eu-core-department-labels.txt").read_text().split()
    people = [
        Person(key, department=f"D{int(d):02d}", team=f"D{int(d):02d}")
        for key, d in zip(labels[::2], labels[1::2], strict=True)
    ]
    ends = (folder / "email-Eu-core.txt").read_text().split()
    return people, ties_from_pairs(list(zip(ends[::2], ends[1::2], strict=True)))


def moderate_organisation(people: int = 2000, seed: int = 3) -> ig.Graph:
    """A synthetic organisation for accuracy tests of the approximations (seeded).

    Teams of 10 in departments of 100 (the first department is IT); each
    person ties to about four team mates, two department colleagues and one
    anyone, with lognormal strengths. Names, teams, departments and ``is_it``
    as on the jobs' strength graph.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = np.arange(people)
    team, department = ids // 10, ids // 100
    pairs = set()
    for person in range(people):
        for pool, count in ((team, 4), (department, 2)):
            mates = np.flatnonzero(pool == pool[person])
            for other in rng.choice(mates, count).tolist():
                pairs.add((min(person, other), max(person, other)))
        other = int(rng.integers(people))
        pairs.add((min(person, other), max(person, other)))
    edges = sorted(p for p in pairs if p[0] != p[1])
    g = ig.Graph(n=people, edges=edges)
    g.vs["name"] = [f"p{i:05d}" for i in range(people)]
    g.vs["department"] = [f"D{d:03d}" for d in department.tolist()]
    g.vs["team"] = [
        f"D{d:03d}/T{t:04d}" for d, t in zip(department.tolist(), team.tolist(), strict=True)
    ]
    g.vs["is_it"] = (department == 0).tolist()
    g.es["weight"] = rng.lognormal(0.0, 1.0, len(edges)).tolist()
    return g


@pytest.fixture(scope="session")
def moderate() -> ig.Graph:
    """:func:`moderate_organisation` with 2,000 people."""
    return moderate_organisation()
