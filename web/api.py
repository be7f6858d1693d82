"""JSON endpoints for the overview and the map; errors share one shape (see :mod:`web.errors`).

The other pages' endpoints live next to their pages (``web/liaison.py`` and so on).
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from collections.abc import Hashable
from collections.abc import Mapping
from importlib import resources
from typing import Any

import igraph as ig
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request

from analysis.maps import layout
from graph.base import Subject
from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.records import Channel
from ingest.records import Person
from web import policy
from web.cache import cached
from web.cache import snapshot_version
from web.cache import url_for
from web.params import SCORES_TTL
from web.params import Frame
from web.params import Window
from web.params import frame
from web.params import groups as viewer_groups
from web.params import pair
from web.params import people
from web.params import seen
from web.params import shared_people_graph
from web.params import snapshot_neighbours
from web.params import snapshot_result
from web.params import stored_person_scores
from web.params import stored_scores
from web.params import visible_people_graph
from web.params import visible_team_graph
from web.params import window
from web.params import window_key
from web.policy import group_visible
from web.policy import person_label
from web.store import get_store

bp = Blueprint("api", __name__, url_prefix="/api")

BROKER_SHARE = 0.01  # highlight the top 1 % by betweenness: at least 5, at most the 20 stored
SEARCH_LIMIT = 20
#: the snapshots the map's marks come from
MARKED_BY = ("brokers", "liaison")
NONE: Counter[str] = Counter()
#: what each of the team map's edge rows holds, in order (``channels``: counts per channel)
EDGE_FIELDS = ("source", "target", "weight", "count", "pairs", "channels")
#: digits kept of the team scores on the map
DIGITS = 4


@bp.get("/counts")
def counts():  # noqa: ANN201 - Flask view
    """Counts of people, teams and interactions per channel (visible teams only, but for admins)."""
    from web.views import counts as build

    return jsonify({"ok": True, **build()})


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """This API described in OpenAPI 3.1."""
    text = resources.files("web").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return Response(text, mimetype="application/yaml")


@bp.get("/overview")
def overview():  # noqa: ANN201 - Flask view
    """The overview's headline figures: liaison by unit, isolated teams, freshness."""
    from web.views import overview as build

    return jsonify({"ok": True, **build()})


@bp.get("/map/teams")
def team_map():  # noqa: ANN201 - Flask view
    """Teams as nodes (with seeded server-side positions) and the ties between them."""
    wanted = window()
    unit = request.args.get("unit", "").strip()
    teams = cached("map-teams", (window_key(wanted), unit, seen()), lambda: _shown(wanted, unit))
    shown = _shown_key(wanted, unit, teams)
    channels = _channel_names(wanted)
    nodes = cached(
        "team-nodes", _nodes_key(shown), lambda: _dumps(_nodes(teams, shown)), ttl=SCORES_TTL
    )
    edges = cached("team-edges", shown, lambda: _edges_json(teams, frame(wanted), channels))
    head = {
        "ok": True, "level": "teams", "unit": unit or None, "channels": channels,
        "edge_fields": list(EDGE_FIELDS),
    }  # fmt: skip
    return _json_with(head, nodes=nodes, edges=edges)


@bp.get("/map/teams/<path:team>/people")
def team_people(team: str):  # noqa: ANN201 - Flask view
    """One team's people, their ties to each other, and their ties to other teams."""
    wanted = window()
    people = shared_people_graph(wanted)
    members = [v.index for v in people.vs if v["team"] == team]
    if not members:
        raise NotFound(f"no team {team!r} with members")
    if not group_visible(len(members)):
        raise NotFound(f"team {team!r} has fewer people than the minimum group size")
    people = visible_people_graph(wanted)  # ties to hidden teams are left out
    members = [v.index for v in people.vs if v["team"] == team]
    url = url_for("teams.team_page", team=team)
    return jsonify(
        {"ok": True, "level": "people", "team": team, "url": url, **_drill(people, members)}
    )


@bp.get("/search")
def search():  # noqa: ANN201 - Flask view
    """Teams and people whose name (or pseudonym) contains ``q``; at most 20 of each."""
    needle = request.args.get("q", "").strip().casefold()
    if len(needle) < 2:
        raise InvalidInput("give at least two characters", field="q", value=needle)
    store = get_store()
    teams = [
        {"team": t.key, "department": t.department, "is_it": t.is_it}
        for t in store.teams()
        if needle in t.key.casefold()
    ][:SEARCH_LIMIT]
    people = []
    for person in policy.Groups.of(store.people()).people.values():
        label = person_label(person)
        if needle in label.casefold() and person.team:
            people.append({
                "key": person.key, "label": label, "team": person.team_key,
                "url": url_for("teams.person_page", key=person.key),
            })  # fmt: skip
            if len(people) == SEARCH_LIMIT:
                break
    return jsonify({"ok": True, "q": needle, "teams": teams, "people": people})


def _team_scores() -> dict[str, dict[str, float]]:
    """Stored team scores the viewer may see: none for a team whose E-I index and tie
    counts would give a tie to one small hidden team away (:mod:`web.policy`, rule 4)."""
    scores = stored_scores(Subject.TEAM)
    if policy.sees_all():
        return dict(scores)
    groups = viewer_groups()
    neighbours = snapshot_neighbours("isolation")
    return {t: s for t, s in scores.items() if groups.boundary_safe(t, neighbours)}


def _shown(wanted: Window, unit: str) -> ig.Graph:
    """The teams the map shows: visible ones, of ``unit`` and its neighbours when given."""
    teams = visible_team_graph(wanted)
    if unit:
        teams = _unit_and_neighbours(teams, unit)
    return teams.subgraph([v.index for v in teams.vs if group_visible(v["size"])])


def _shown_key(wanted: Window, unit: str, teams: ig.Graph) -> Hashable:
    """The cache key of a map's teams: the window, the unit, who is visible, the teams shown."""
    return (window_key(wanted), unit, seen(), tuple(teams.vs["name"]))


def _nodes_key(shown: Hashable) -> Hashable:
    """What the map's nodes depend on besides the data: the teams shown, the analysis, the URLs.

    The stored scores and the marks change with any analysis snapshot; who
    sees which scores is decided by :func:`~web.params.seen`, part of ``shown``.
    """
    from web.jobs import JOBS

    versions = tuple(snapshot_version(kind) for kind in JOBS)
    return (shown, versions, request.script_root, request.host)


def _nodes(teams: ig.Graph, shown: Hashable) -> list[dict[str, Any]]:
    """The map's teams with positions, marks and the stored scores the viewer may see."""
    scores = _team_scores()
    per_team = _marks_per_team()
    positions = cached("team-layout", shown, lambda: [tuple(xy) for xy in layout(teams, seed=1)])
    return [
        {
            "id": v["name"],
            "label": v["name"].split("/", 1)[1],
            "department": v["department"],
            "is_it": v["is_it"],
            "size": v["size"],
            "internal_weight": round(v["internal_weight"], 3),
            "x": round(x, 4),
            "y": round(y, 4),
            "isolated": bool(scores[v["name"]].get("flagged")) if v["name"] in scores else None,
            "brokers": per_team.get(v["name"], NONE)["broker"],
            "liaisons": per_team.get(v["name"], NONE)["liaison"],
            "url": url_for("teams.team_page", team=v["name"]),
            "scores": {k: round(value, DIGITS) for k, value in scores.get(v["name"], {}).items()},
        }
        for v, (x, y) in zip(teams.vs, positions, strict=True)
    ]


def _channel_names(wanted: Window) -> list[str]:
    """The channels of the window, in :class:`~ingest.records.Channel` order (every one without a filter)."""
    chosen = set(wanted.channels or Channel)
    return [c.value for c in Channel if c in chosen]


def _edges_json(teams: ig.Graph, found: Frame, channels: list[str]) -> bytes:
    """The map's edges as JSON rows (:data:`EDGE_FIELDS`), ends given by their node's index.

    The bulk of the answer: some 90,000 team pairs at 10k people, so each is
    an array, not an object that repeats its keys and both team names.
    """
    if not teams.ecount():
        return b"[]"
    names = teams.vs["name"]
    mix = found.team_channels
    rows = []
    for e, weight, count, pairs in zip(
        teams.es, teams.es["weight"], teams.es["count"], teams.es["pairs"], strict=True
    ):
        by = mix.get(pair(names[e.source], names[e.target]), NONE)
        rows.append([e.source, e.target, round(weight, 3), count, pairs, [by[c] for c in channels]])
    return _dumps(rows)


def _dumps(value: Any) -> bytes:
    """``value`` as compact JSON, as :func:`flask.jsonify` writes it outside debug mode."""
    return current_app.json.dumps(value, separators=(",", ":")).encode()


def _json_with(head: dict[str, Any], **encoded: bytes) -> Response:
    """A JSON object of ``head`` and members already encoded, keys sorted as jsonify sorts them."""
    members = {key: _dumps(value) for key, value in head.items()} | encoded
    chunks = [b"{"]
    for key in sorted(members):
        chunks += [_dumps(key), b":", members[key], b","]
    chunks[-1] = b"}\n"  # sent as they are: the cached bytes are never copied
    return Response(chunks, mimetype="application/json")


def _unit_and_neighbours(teams: ig.Graph, unit: str) -> ig.Graph:
    """The teams of one department and every team tied to them."""
    own = [v.index for v in teams.vs if v["department"] == unit]
    if not own:
        raise InvalidInput("no such department with members", field="unit", value=unit)
    keep = set(own)
    for index in own:
        keep.update(teams.neighbors(index))
    return teams.subgraph(sorted(keep))


def _person_marks() -> dict[str, frozenset[str]]:
    """People to highlight: top brokers (betweenness) and named IT liaisons.

    Read once per version of the ``brokers`` and ``liaison`` snapshots.
    """
    return cached("person-marks", _marks_version(), _read_marks)


def _marks_version() -> tuple[int | None, ...]:
    """The latest versions of the snapshots the marks come from."""
    return tuple(snapshot_version(kind) for kind in MARKED_BY)


def _read_marks() -> dict[str, frozenset[str]]:
    marks: dict[str, set[str]] = defaultdict(set)
    brokers = snapshot_result("brokers") or {}
    ranked = brokers.get("top_betweenness", [])
    wanted = min(20, max(5, round(BROKER_SHARE * len(brokers.get("roles", {})))))
    for key, _ in ranked[:wanted]:
        marks[key].add("broker")
    liaison = snapshot_result("liaison") or {}
    for unit in liaison.get("units", {}).values():
        for key, _ in unit["liaison"]["liaisons"]:
            marks[key].add("liaison")
    return {key: frozenset(found) for key, found in marks.items()}


def _marks_per_team() -> Mapping[str, Counter[str]]:
    """Marked people per team (shared: read it, never change it)."""

    def count() -> dict[str, Counter[str]]:
        marks = _person_marks()
        per_team: dict[str, Counter[str]] = defaultdict(Counter)
        for person in people():
            for mark in marks.get(person.key, ()):
                per_team[person.team_key if person.team else ""][mark] += 1
        return dict(per_team)

    return cached("marks-per-team", _marks_version(), count)


def _drill(people: ig.Graph, members: list[int]) -> dict[str, Any]:
    store = get_store()
    member_set = set(members)
    outside: dict[tuple[str, str], dict[str, float]] = {}
    inner_edges = []
    for edge in people.es.select(_incident=members):
        a, b = edge.source, edge.target
        if a in member_set and b in member_set:
            inner_edges.append(edge)
            continue
        inside, other = (a, b) if a in member_set else (b, a)
        other_team = people.vs[other]["team"] or "(no team)"
        slot = outside.setdefault(
            (people.vs[inside]["name"], other_team), {"weight": 0.0, "count": 0}
        )
        slot["weight"] += edge["weight"]
        slot["count"] += edge["count"]
    sub = people.subgraph(members)
    positions = layout(sub, seed=1)
    scores = stored_person_scores()
    marks = _person_marks()
    nodes = [
        _person_node(store.person(v["name"]), v, x, y, scores, marks)
        for v, (x, y) in zip(sub.vs, positions, strict=True)
    ]
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
        {"person": key, "team": team, "weight": round(v["weight"], 3), "count": v["count"]}
        for (key, team), v in sorted(outside.items())
    ]
    return {"nodes": nodes, "edges": edges, "external": external}


def _person_node(
    person: Person,
    vertex: ig.Vertex,
    x: float,
    y: float,
    scores: Mapping[str, Mapping[str, float]],
    marks: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    return {
        "id": person.key,
        "label": person_label(person),
        "title": policy.person_title(person),
        "is_it": vertex["is_it"],
        "x": round(x, 4),
        "y": round(y, 4),
        "marks": sorted(marks.get(person.key, ())),
        "url": url_for("teams.person_page", key=person.key),
        "scores": policy.person_scores(scores.get(person.key, {})),
    }
