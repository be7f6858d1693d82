"""Isolated teams: ranked, with reasons and a small ego map per team.

The ranking and the reasons come from the latest ``isolation`` analysis
snapshot; the ego maps are drawn from the live ties of the requested window
(:func:`analysis.maps.team_graph`, :func:`analysis.matrix.ego_network`), with
positions computed on the server (:func:`analysis.matrix.ego_layout`) so the
browser only draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request

from analysis.matrix import ego_layout
from analysis.matrix import ego_network
from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.records import Channel
from ingest.records import Person
from web import policy
from web.cache import url_for
from web.params import Window
from web.params import groups as viewer_groups
from web.params import shared_people_graph
from web.params import snapshot as latest
from web.params import snapshot_neighbours
from web.params import visible_team_graph
from web.params import window
from web.policy import group_visible
from web.policy import person_label
from web.policy import short_key
from web.store import get_store

bp = Blueprint("isolation", __name__)

#: Neighbouring teams an ego map shows by default (the strongest ties to the team).
EGO_LIMIT = 8
NO_SNAPSHOT = (
    "No isolation analysis yet: run `flask --app app analyze` (or start the analysis "
    "from the Data page) and the ranked teams will appear here."
)


def hidden_text() -> str:
    """What replaces the figures of a team that is too small to show."""
    return policy.hidden_text()


# -- the ranking -----------------------------------------------------------------------------


def build_isolated(wanted: Window) -> dict[str, Any]:
    """Teams from the latest isolation snapshot: flagged first, most inward first."""
    snapshot = latest("isolation")
    data: dict[str, Any] = {"window": _window_json(wanted), "ego_limit": EGO_LIMIT}
    if snapshot is None:
        return {**data, "snapshot": None, "teams": [], "message": NO_SNAPSHOT}
    groups = viewer_groups()
    neighbours = snapshot_neighbours("isolation")
    known = {t.key: t for t in get_store().teams()}
    rows = [
        _team(t, groups, neighbours, known, wanted) for t in snapshot["result"].get("teams", [])
    ]
    shown = sorted((r for r in rows if r["visible"] and not r.get("withheld")), key=_rank)
    for number, row in enumerate(shown, start=1):
        row["rank"] = number
    withheld = sorted((r for r in rows if r.get("withheld")), key=lambda r: r["team"])
    hidden = sorted((r for r in rows if not r["visible"]), key=lambda r: r["team"])
    months = snapshot.get("window", {}).get("months") or []
    data["snapshot"] = {
        "version": snapshot["version"],
        "created": snapshot["created"],
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
    }
    data["teams"] = shown + withheld + hidden
    data["flagged"] = sum(1 for r in shown if r["flagged"])
    return data


def _rank(row: dict[str, Any]) -> tuple[bool, float, str]:
    """Flagged first; then by E-I minus its expectation, most inward first.

    Flagged teams without any tie (no E-I) lead; unflagged ones without E-I trail.
    """
    delta = row["delta"]
    if delta is None:
        delta = -math.inf if row["flagged"] else math.inf
    return (not row["flagged"], delta, row["team"])


def _team(
    found: dict[str, Any],
    groups: policy.Groups,
    neighbours: dict[str, frozenset[str]],
    known: dict[str, Any],
    wanted: Window,
) -> dict[str, Any]:
    name = found["team"]
    team = known.get(name)
    row: dict[str, Any] = {
        "rank": None,
        "team": name,
        "label": team.name if team else name.split("/", 1)[-1],
        "department": team.department if team else name.split("/", 1)[0],
        "is_it": bool(team.is_it) if team else None,
        "url": url_for("teams.team_page", team=name) if team else None,
        "ego_api": url_for("isolation.ego_api", team=name, **wanted.query()),
        "visible": groups.team_visible(name),
    }
    if not row["visible"]:
        return {**row, "hidden": hidden_text()}
    if not groups.boundary_safe(name, neighbours):  # E-I, reach and flags would give a tie away
        return {**row, "withheld": policy.withheld_text(), "flagged": None, "size": found["size"]}
    ei, expected = found.get("ei"), found.get("expected")
    top = found.get("concentration")
    carrier = None
    reasons = list(found.get("reasons", []))
    if top and policy.sees_people():
        person = _person(top["top_member"], groups.people)
        carrier = {**person, "share": round(top["top_share"], 3)}
        reasons = [r.replace(top["top_member"], person["label"]) for r in reasons]
    elif top:  # viewers see groups, not the people in them
        reasons = [r.replace(top["top_member"], "one member") for r in reasons]
    return {
        **row,
        "flagged": bool(reasons),
        "reasons": reasons,
        "size": found["size"],
        "ei": _round(ei),
        "expected": _round(expected),
        "delta": _round(ei - expected) if ei is not None and expected is not None else None,
        "p_value": _round(found.get("p_value"), 4),
        "reach": found.get("reach"),
        "other_teams": found.get("other_teams"),
        "external_share": _round(found.get("external_share")),
        "internal": found.get("internal"),
        "external": found.get("external"),
        "carrier": carrier,
        "fragmentation": found.get("fragmentation"),
    }


def _person(key: str, people: Mapping[str, Person]) -> dict[str, Any]:
    person = people.get(key)
    if person is None:  # erased since the snapshot was taken
        return {"key": key, "label": short_key(key), "url": None}
    return {
        "key": key,
        "label": person_label(person),
        "url": url_for("teams.person_page", key=key),
    }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _window_json(wanted: Window) -> dict[str, Any]:
    query = wanted.query()
    return {
        "since": query.get("since"),
        "until": query.get("until"),
        "channels": query.get("channel"),
    }


# -- one team's ego map --------------------------------------------------------------------------


def build_ego(team: str, wanted: Window, *, limit: int = EGO_LIMIT) -> dict[str, Any]:
    """A team in the middle, its neighbouring teams around it, and the ties among them."""
    people = shared_people_graph(wanted)
    size = sum(1 for t in people.vs["team"] if t == team) if people.vcount() else 0
    if not size:
        raise NotFound(f"no team {team!r} with members")
    data: dict[str, Any] = {"team": team, "window": _window_json(wanted), "limit": limit}
    if not group_visible(size):
        return {**data, "hidden": True, "message": hidden_text(), "nodes": [], "edges": []}
    # hidden teams and their ties are left out before the neighbours are chosen
    teams = visible_team_graph(wanted)
    ego = ego_network(teams, team, limit=limit)
    centre = teams.vs.find(name=team)
    outside = teams.es.select(_incident=[centre.index])
    positions = ego_layout(ego)
    visible = [group_visible(size) for size in ego.vs["size"]]
    nodes = [
        _node(v, x, y, shown) for v, (x, y), shown in zip(ego.vs, positions, visible, strict=True)
    ]
    names = ego.vs["name"]
    edges = []
    for e in ego.es:
        edge: dict[str, Any] = {
            "source": names[e.source],
            "target": names[e.target],
            "ego": team in (names[e.source], names[e.target]),
        }
        if visible[e.source] and visible[e.target]:
            edge.update(weight=round(e["weight"], 3), count=e["count"], pairs=e["pairs"])
        edges.append(edge)
    return {
        **data,
        "hidden": False,
        "neighbours": len(outside),
        "shown": ego.vcount() - 1,
        "internal_weight": round(centre["internal_weight"], 3),
        "external_weight": round(sum(outside["weight"]) if len(outside) else 0.0, 3),
        "nodes": nodes,
        "edges": edges,
    }


def _node(v: Any, x: float, y: float, shown: bool) -> dict[str, Any]:
    node = {
        "id": v["name"],
        "label": v["name"].split("/", 1)[-1],
        "department": v["department"],
        "is_it": v["is_it"],
        "ego": v["ego"],
        "visible": shown,
        "url": url_for("teams.team_page", team=v["name"]),
        "x": round(x, 4),
        "y": round(y, 4),
    }
    if shown:
        node["size"] = v["size"]
    return node


def _limit() -> int:
    value = request.args.get("limit", "").strip()
    if not value:
        return EGO_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= 50:
        raise InvalidInput("must be a whole number from 1 to 50", field="limit", value=value)
    return int(value)


# -- views ----------------------------------------------------------------------------------------


@bp.get("/isolated")
def page() -> str:
    """Isolated teams, ranked, with the reasons and a small ego map each."""
    wanted = window()
    data_page = "data.page" in current_app.view_functions
    return render_template(
        "isolation/page.html",
        data=build_isolated(wanted),
        wanted=_window_json(wanted),
        channels=[c.value for c in Channel],
        data_url=url_for("data.page") if data_page else None,
    )


@bp.get("/api/isolated")
def isolated_api():  # noqa: ANN201 - Flask view
    """Isolated teams as JSON (``message`` says how to run the analysis when there is none)."""
    return jsonify({"ok": True, **build_isolated(window())})


@bp.get("/api/isolated/<path:team>/ego")
def ego_api(team: str):  # noqa: ANN201 - Flask view
    """One team's ego map: the team, its neighbouring teams and tie weights, with positions."""
    wanted = window()
    return jsonify({"ok": True, **build_ego(team, wanted, limit=_limit())})
