"""IT–business liaison: business units × IT teams as a heatmap, and the people behind each cell.

Cells are scored from the live ties of the requested window and channels
(:func:`analysis.liaison.it_team_liaison_score`); the row totals are each
unit's overall liaison score from the latest ``liaison`` analysis snapshot.
The page and the API are fed by the same builders, :func:`build_matrix` and
:func:`build_cell`.

Privacy (:mod:`web.policy`): for viewers and analysts the cells are scored
without the people of hidden teams, so a row's headcount and a cell's
figures are totals over visible teams only; a unit's overall score keeps
only the score itself when a team it draws on is hidden.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import igraph as ig
from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask import request

from analysis.build import person_graph
from analysis.liaison import LiaisonScore
from analysis.liaison import it_team_liaison_score
from analysis.liaison import monthly_liaison_volume
from analysis.liaison import pair_channels
from analysis.matrix import CrossTie
from analysis.matrix import cross_ties
from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.records import Channel
from ingest.records import Person
from web import policy
from web import results
from web.cache import cached
from web.cache import url_for
from web.params import Window
from web.params import groups as viewer_groups
from web.params import window
from web.params import window_key
from web.policy import Groups
from web.policy import person_label
from web.policy import short_key
from web.store import get_store

bp = Blueprint("liaison", __name__)

#: The score components, in the order the page shows them.
COMPONENTS = ("volume", "breadth", "redundancy", "relational", "recency")
NO_SNAPSHOT = (
    "No liaison analysis yet: run `flask --app app analyze` (or start the analysis "
    "from the Data page) to get each unit's overall score and its named liaisons."
)


@dataclass(slots=True)
class Live:
    """The window's ties, the graph built from them, and the cell scores."""

    people: dict[str, Person]  # the visible people
    units: Counter[str]  # business unit -> visible headcount
    it_teams: Counter[str]  # IT team key -> visible headcount
    graph: ig.Graph
    scores: dict[tuple[str, str], LiaisonScore]
    cross: dict[tuple[str, str], list[CrossTie]]
    channels: Mapping[frozenset[str], frozenset[Channel]]
    figures: dict[tuple[str, str], dict[str, Any]]  # each scored cell's figures, as shown


def live(wanted: Window, groups: Groups) -> Live:
    """Read the window's ties once and score every (IT team, business unit) cell.

    Only the people ``groups`` shows take part (everyone for admins): the
    result depends on the window and on ``groups.hidden``, and is computed
    once per window, hidden teams and data version (:mod:`web.cache`). It is
    shared between requests: read it, never change it.
    """
    key = (window_key(wanted), groups.hidden)
    return cached("liaison-live", key, lambda: _live(wanted, groups))


def _live(wanted: Window, groups: Groups) -> Live:
    store = get_store()
    people = dict(groups.people)
    chosen = list(wanted.channels) if wanted.channels else None
    ties = [
        t
        for t in store.ties(since=wanted.since, until=wanted.until, channels=chosen, by_month=True)
        if t.source in people and t.target in people
    ]
    graph = person_graph(people.values(), ties)
    it = {key for key, p in people.items() if p.is_it}
    cross = [t for t in ties if (t.source in it) != (t.target in it)]  # all the cells need
    channels = pair_channels(cross)
    months = sorted({t.month for t in ties if t.month})  # quiet months count as 0
    monthly = monthly_liaison_volume(graph, cross, it_team="team", months=months) if cross else None
    scores = it_team_liaison_score(graph, channels=channels, monthly=monthly)
    by_cell = cross_ties(graph)
    figures = {
        cell: _figures(score, by_cell[cell]) for cell, score in scores.items() if by_cell.get(cell)
    }
    return Live(
        people=people,
        units=Counter(p.department for p in people.values() if p.department and not p.is_it),
        it_teams=Counter(p.team_key for p in people.values() if p.is_it and p.team),
        graph=graph,
        scores=scores,
        cross=by_cell,
        channels=channels,
        figures=figures,
    )


def sees_people() -> bool:
    """Whether the viewer may see who is behind a cell (analysts and admins, not viewers)."""
    return policy.sees_people()


def heat(score: float) -> int:
    """The heat class (0–9) of a 0–100 score, as shown: one decimal, then rounded half up."""
    return max(0, min(9, shown(score) // 10))


def shown(score: float) -> int:
    """A 0–100 score as the page shows it (the API gives one decimal)."""
    return math.floor(round(score, 1) + 0.5)


def window_json(wanted: Window) -> dict[str, Any]:
    """The window as the API echoes it."""
    query = wanted.query()
    return {
        "since": query.get("since"),
        "until": query.get("until"),
        "channels": query.get("channel"),
    }


def hidden_text() -> str:
    """What replaces the figures of a group that is too small to show."""
    return policy.hidden_text()


# -- the matrix ---------------------------------------------------------------------------


def build_matrix(wanted: Window) -> dict[str, Any]:
    """Rows (business units) × columns (IT teams) with a scored cell each, and row totals."""
    groups = viewer_groups()
    found = live(wanted, groups)
    snapshot = results.latest("liaison")
    overall = snapshot["result"].get("units", {}) if snapshot else {}
    it_teams = sorted(t for t in groups.it_teams if t)
    columns = [_column(team, groups) for team in it_teams]
    visible_it = frozenset(t for t in it_teams if groups.team_visible(t))
    rows = [
        _row(unit, it_teams, visible_it, groups, found, overall.get(unit), wanted)
        for unit in sorted(groups.unit_teams)
    ]
    rows.sort(key=_row_order)
    data: dict[str, Any] = {
        "window": window_json(wanted),
        "it_teams": columns,
        "units": rows,
        "snapshot": _snapshot_info(snapshot),
        "components": list(COMPONENTS),
        "partial": bool(groups.hidden),
        "min_group_size": policy.min_group_size(),
    }
    if not groups.teams:
        data["message"] = "The store is empty: load a directory and some traces first."
    elif snapshot is None:
        data["message"] = NO_SNAPSHOT
    return data


def _column(team: str, groups: Groups) -> dict[str, Any]:
    visible = groups.team_visible(team)
    column = {
        "team": team,
        "label": team.split("/", 1)[-1],
        "visible": visible,
        "url": url_for("teams.team_page", team=team),
    }
    if visible:
        column["size"] = groups.teams[team]
    return column


def _row(
    unit: str,
    it_teams: list[str],
    visible_it: frozenset[str],
    groups: Groups,
    found: Live,
    overall: dict[str, Any] | None,
    wanted: Window,
) -> dict[str, Any]:
    if not groups.unit_visible(unit):
        cells = [_hidden_cell(team) for team in it_teams]
        return {"unit": unit, "visible": False, "overall": None, "cells": cells}
    whole = groups.liaison_whole(unit)
    return {
        "unit": unit,
        "visible": True,
        "size": groups.units[unit],
        "whole": whole,
        "overall": _overall(overall, found.people, whole) if overall else None,
        "cells": [
            _cell(unit, team, found, wanted) if team in visible_it else _hidden_cell(team)
            for team in it_teams
        ],
    }


def _row_order(row: dict[str, Any]) -> tuple[int, float, str]:
    overall = row["overall"]
    if overall is None:
        return (1 if row["visible"] else 2, 0.0, row["unit"])
    return (0, overall["score"], row["unit"])


def _hidden_cell(team: str) -> dict[str, Any]:
    return {"it_team": team, "state": "hidden"}


def _cell(unit: str, team: str, found: Live, wanted: Window) -> dict[str, Any]:
    figures = found.figures.get((team, unit))
    if figures is None:  # no score or no ties
        return {"it_team": team, "state": "empty"}
    cell = {"it_team": team, "state": "scored", **figures}
    if sees_people():  # the drill-down names people
        query = {"unit": unit, "it_team": team, **wanted.query()}
        cell["url"] = url_for("liaison.cell_page", **query)
        cell["api"] = url_for("liaison.cell_api", **query)
    return cell


def _figures(score: LiaisonScore, ties: list[CrossTie]) -> dict[str, Any]:
    """A cell's score, its components and the raw figures behind them."""
    mix = score.channels
    return {
        "score": round(score.score, 1),
        "heat": heat(score.score),
        "components": _components(score.components),
        "interactions": sum(t.count for t in ties),
        "pairs": len(ties),
        "weight": round(sum(t.weight for t in ties), 3),
        "it_people": score.liaison.it_people,
        "unit_people": score.liaison.unit_people,
        "paths": score.paths,
        "coverage": round(score.coverage, 3),
        "it_share": _round(score.it_share),
        "channel_mix": None
        if mix is None
        else {
            "ties": mix.ties,
            "transactional": round(mix.transactional, 3),
            "multiplexity": round(mix.multiplexity, 3),
        },
        "trend": _round(score.trend),
    }


def _components(components: Mapping[str, float | None]) -> dict[str, float | None]:
    return {name: _round(components.get(name)) for name in COMPONENTS}


def _overall(unit: dict[str, Any], people: dict[str, Person], whole: bool) -> dict[str, Any]:
    """A unit's overall score from the snapshot, with its named liaisons (``None`` for viewers).

    The snapshot was computed over everyone: unless ``whole`` (no team it
    draws on is hidden) only the score is kept (``partial``).
    """
    liaisons = (
        [
            {**_person(key, people), "share": round(share, 3)}
            for key, share in unit.get("liaison", {}).get("liaisons", [])
            if key in people
        ]
        if sees_people()
        else None
    )
    if not whole:
        return {
            "score": round(unit["score"], 1),
            "heat": heat(unit["score"]),
            "partial": True,
            "paths": None,
            "coverage": None,
            "components": _components({}),
            "liaisons": None,
        }
    return {
        "partial": False,
        "score": round(unit["score"], 1),
        "heat": heat(unit["score"]),
        "paths": unit.get("paths"),
        "coverage": _round(unit.get("coverage")),
        "components": _components(unit.get("components", {})),
        "liaisons": liaisons,
    }


def _snapshot_info(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    months = snapshot.get("window", {}).get("months") or []
    return {
        "version": snapshot["version"],
        "created": snapshot["created"],
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
    }


def _person(key: str, people: dict[str, Person]) -> dict[str, Any]:
    person = people.get(key)
    if person is None:  # erased since the snapshot was taken
        return {"key": key, "label": short_key(key), "team": None, "url": None}
    return {
        "key": key,
        "label": person_label(person),
        "team": person.team_key if person.team else None,
        "url": url_for("teams.person_page", key=key),
    }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# -- one cell -------------------------------------------------------------------------------


def build_cell(unit: str, it_team: str, wanted: Window) -> dict[str, Any]:
    """The people and ties behind one cell of the matrix."""
    groups = viewer_groups()
    if unit not in groups.unit_teams:
        raise NotFound(f"no business unit {unit!r}")
    if not it_team or it_team not in groups.it_teams:
        raise NotFound(f"no IT team {it_team!r}")
    data: dict[str, Any] = {
        "unit": unit,
        "it_team": it_team,
        "it_team_label": it_team.split("/", 1)[-1],
        "it_team_url": url_for("teams.team_page", team=it_team),
        "window": window_json(wanted),
        "matrix_url": url_for("liaison.matrix_page", **wanted.query()),
    }
    if not (groups.unit_visible(unit) and groups.team_visible(it_team)):
        return {**data, "state": "hidden", "message": hidden_text()}
    found = live(wanted, groups)
    ties = found.cross.get((it_team, unit), [])
    score = found.scores.get((it_team, unit))
    if score is None or not ties:
        return {**data, "state": "empty", "business": [], "it": [], "ties": []}
    return {
        **data,
        "state": "scored",
        **_figures(score, ties),
        "business": _side(ties, found.people, lambda t: t.person),
        "it": _side(ties, found.people, lambda t: t.it_person),
        "ties": [_tie(t, found) for t in ties],
    }


def _side(ties: list[CrossTie], people: dict[str, Person], end: Any) -> list[dict[str, Any]]:
    """The people on one side of a cell, by the strength they carry."""
    weight: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for tie in ties:
        weight[end(tie)] += tie.weight
        count[end(tie)] += tie.count
    ranked = sorted(weight, key=lambda key: (-weight[key], key))
    return [
        {**_person(key, people), "weight": round(weight[key], 3), "ties": count[key]}
        for key in ranked
    ]


def _tie(tie: CrossTie, found: Live) -> dict[str, Any]:
    channels = found.channels.get(frozenset((tie.person, tie.it_person)), frozenset())
    return {
        "person": _person(tie.person, found.people),
        "it_person": _person(tie.it_person, found.people),
        "weight": round(tie.weight, 3),
        "count": tie.count,
        "channels": sorted(c.value for c in channels),
    }


def _required(name: str) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        raise InvalidInput("is required", field=name)
    return value


# -- views ----------------------------------------------------------------------------------


@bp.get("/liaison")
def matrix_page() -> str:
    """The liaison matrix: business units × IT teams, scored, with each unit's overall score."""
    wanted = window()
    return render_template(
        "liaison/matrix.html",
        data=build_matrix(wanted),
        wanted=window_json(wanted),
        channels=[c.value for c in Channel],
        hidden=hidden_text(),
        people=sees_people(),
    )


@bp.get("/api/liaison")
def matrix_api():  # noqa: ANN201 - Flask view
    """The liaison matrix as JSON."""
    return jsonify({"ok": True, **build_matrix(window())})


@bp.get("/liaison/cell")
def cell_page() -> str:
    """One cell of the matrix: the business and IT people behind it, and their ties."""
    wanted = window()
    data = build_cell(_required("unit"), _required("it_team"), wanted)
    return render_template("liaison/cell.html", cell=data, hidden=hidden_text())


@bp.get("/api/liaison/cell")
def cell_api():  # noqa: ANN201 - Flask view
    """One cell of the matrix as JSON."""
    data = build_cell(_required("unit"), _required("it_team"), window())
    return jsonify({"ok": True, **data})
