"""Analysis jobs: read the store, run the pure functions in ``analysis``, write scores back.

This module is the only place where ``analysis`` meets ``graph``: the analysis
functions never see a store, and the store never sees igraph.
"""

from __future__ import annotations

import time
from typing import Any

from analysis.build import person_graph
from analysis.liaison import it_liaison
from analysis.teams import ei_index
from graph.base import Store
from graph.base import Subject


def run_all(store: Store) -> dict[str, Any]:
    """Run every job over all stored ties; write scores back; return a summary."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    graph = person_graph(store.people(), store.ties())
    timings["build"] = time.perf_counter() - started

    mark = time.perf_counter()
    teams = ei_index(graph, attribute="team")
    departments = ei_index(graph, attribute="department")
    timings["insularity"] = time.perf_counter() - mark

    mark = time.perf_counter()
    liaison = it_liaison(graph, unit="department")
    timings["liaison"] = time.perf_counter() - mark

    mark = time.perf_counter()
    store.write_scores(Subject.PERSON, _person_scores(graph, liaison))
    store.write_scores(Subject.TEAM, {name: _insularity_scores(r) for name, r in teams.items()})
    department_scores = {name: _insularity_scores(r) for name, r in departments.items()}
    for name, r in liaison.items():
        department_scores.setdefault(name, {}).update(_liaison_scores(r))
    store.write_scores(Subject.DEPARTMENT, department_scores)
    timings["write"] = time.perf_counter() - mark
    return {
        "people": graph.vcount(),
        "pairs": graph.ecount(),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        **headline(store),
    }


def headline(store: Store, *, top: int = 5) -> dict[str, Any]:
    """Headline results from the stored scores: most insular teams, weakest IT liaison."""
    teams = store.scores(Subject.TEAM)
    departments = store.scores(Subject.DEPARTMENT)
    insular = sorted(
        (name for name, s in teams.items() if "ei_delta" in s),
        key=lambda name: (teams[name]["ei_delta"], name),
    )
    fragile = sorted(name for name, s in departments.items() if s.get("liaison_it_people") == 1)
    unconnected = sorted(name for name, s in departments.items() if s.get("liaison_it_people") == 0)
    return {
        "most_insular_teams": [
            {"team": name, **{k: round(v, 4) for k, v in teams[name].items()}}
            for name in insular[:top]
        ],
        "single_liaison_units": fragile,
        "units_without_it_ties": unconnected,
    }


def _insularity_scores(r: Any) -> dict[str, float]:
    scores = {
        "size": float(r.size),
        "internal_ties": float(r.internal),
        "external_ties": float(r.external),
    }
    optional = {
        "ei_index": r.ei,
        "ei_expected": r.expected,
        "ei_delta": r.delta,
        "external_share": r.external_share,
    }
    scores.update({k: v for k, v in optional.items() if v is not None})
    return scores


def _liaison_scores(r: Any) -> dict[str, float]:
    scores = {
        "liaison_volume": r.volume,
        "liaison_density": r.density,
        "liaison_it_people": float(r.it_people),
        "liaison_unit_people": float(r.unit_people),
    }
    if r.concentration is not None:
        scores["liaison_concentration"] = r.concentration
    return scores


def _person_scores(graph: Any, liaison: dict[str, Any]) -> dict[str, dict[str, float]]:
    carried: dict[str, float] = {}
    for r in liaison.values():
        for person, share in r.liaisons:
            carried[person] = max(carried.get(person, 0.0), share)
    degree = graph.degree()
    strength = graph.strength(weights="weight") if graph.ecount() else [0.0] * graph.vcount()
    scores = {}
    for vertex, name in enumerate(graph.vs["name"]):
        scores[name] = {"degree": float(degree[vertex]), "strength": float(strength[vertex])}
        if name in carried:
            scores[name]["liaison_share"] = carried[name]
    return scores
