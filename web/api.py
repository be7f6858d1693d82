"""JSON endpoints under ``/api/``; errors share one shape (see :mod:`web.errors`)."""

from __future__ import annotations

from typing import Any

import igraph as ig
from flask import Blueprint
from flask import jsonify

from analysis.maps import layout
from analysis.maps import team_graph
from graph.base import Subject
from graph.errors import NotFound
from web.params import people_graph
from web.policy import person_label
from web.store import get_store

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/counts")
def counts():  # noqa: ANN201 - Flask view
    """Counts of people, teams and interactions per channel."""
    return jsonify({"ok": True, **get_store().counts().as_dict()})


@bp.get("/map/teams")
def team_map():  # noqa: ANN201 - Flask view
    """Teams as nodes (with seeded server-side positions) and the ties between them."""
    teams = team_graph(people_graph())
    scores = get_store().scores(Subject.TEAM)
    positions = layout(teams, seed=1)
    names = teams.vs["name"]
    nodes = [
        {
            "id": v["name"],
            "label": v["name"].split("/", 1)[1],
            "department": v["department"],
            "is_it": v["is_it"],
            "size": v["size"],
            "internal_weight": round(v["internal_weight"], 3),
            "x": round(x, 4),
            "y": round(y, 4),
            "scores": scores.get(v["name"], {}),
        }
        for v, (x, y) in zip(teams.vs, positions, strict=True)
    ]
    edges = [
        {
            "source": names[e.source],
            "target": names[e.target],
            "weight": round(e["weight"], 3),
            "count": e["count"],
            "pairs": e["pairs"],
        }
        for e in teams.es
    ]
    return jsonify({"ok": True, "level": "teams", "nodes": nodes, "edges": edges})


@bp.get("/map/teams/<path:team>/people")
def team_people(team: str):  # noqa: ANN201 - Flask view
    """One team's people, their ties to each other, and their ties to other teams."""
    people = people_graph()
    members = [v.index for v in people.vs if v["team"] == team]
    if not members:
        raise NotFound(f"no team {team!r} with members")
    return jsonify({"ok": True, "level": "people", "team": team, **_drill(people, team, members)})


def _drill(people: ig.Graph, team: str, members: list[int]) -> dict[str, Any]:
    store = get_store()
    member_set = set(members)
    outside: dict[str, dict[str, float]] = {}
    inner_edges = []
    for edge in people.es.select(_incident=members):
        a, b = edge.source, edge.target
        if a in member_set and b in member_set:
            inner_edges.append(edge)
            continue
        inside, other = (a, b) if a in member_set else (b, a)
        other_team = people.vs[other]["team"] or "(no team)"
        slot = outside.setdefault(
            f"{people.vs[inside]['name']}|{other_team}", {"weight": 0.0, "count": 0}
        )
        slot["weight"] += edge["weight"]
        slot["count"] += edge["count"]
    sub = people.subgraph(members)
    positions = layout(sub, seed=1)
    person_scores = store.scores(Subject.PERSON)
    nodes = []
    for v, (x, y) in zip(sub.vs, positions, strict=True):
        person = store.person(v["name"])
        nodes.append({
            "id": v["name"], "label": person_label(person), "title": person.title,
            "is_it": v["is_it"], "x": round(x, 4), "y": round(y, 4),
            "scores": person_scores.get(v["name"], {}),
        })  # fmt: skip
    names = people.vs["name"]
    edges = [
        {
            "source": names[e.source],
            "target": names[e.target],
            "weight": round(e["weight"], 3),
            "count": e["count"],
        }
        for e in inner_edges
    ]
    external = [
        {
            "person": key.split("|", 1)[0],
            "team": key.split("|", 1)[1],
            "weight": round(v["weight"], 3),
            "count": v["count"],
        }
        for key, v in sorted(outside.items())
    ]
    return {"nodes": nodes, "edges": edges, "external": external}
