"""Team and person pages: ties, roles, brokerage, risk and recommended introductions.

Live figures (ties to other teams, liaison context, top contacts) are read
from the ties in the requested window (``since``, ``until``, ``channel``);
analysis figures (scores, roles, brokerage, risk, introductions) come from
the latest snapshots of the analysis jobs. Every person is named through
:func:`web.policy.person_label` and every group figure is checked with
:func:`web.policy.group_visible`.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

import igraph as ig
from flask import Blueprint
from flask import jsonify
from flask import render_template

from graph.base import Subject
from graph.errors import NotFound
from ingest.records import Person
from web import policy
from web.params import Window
from web.params import contacts
from web.params import groups as viewer_groups
from web.params import people
from web.params import snapshot
from web.params import snapshot_neighbours
from web.params import snapshot_result
from web.params import stored_person_scores
from web.params import stored_scores
from web.params import visible_people_graph
from web.params import visible_team_graph
from web.params import window
from web.store import get_store

bp = Blueprint("teams", __name__)

#: Rows in the "strongest ties" and "top contacts" lists.
TOP = 15
#: Digits kept for figures in the JSON.
DIGITS = 4


# -- views --------------------------------------------------------------------------------------


@bp.get("/teams")
def team_list() -> str:
    """Every team with its department, side, size and isolation flag."""
    return render_template("teams/team_list.html", teams=teams_overview())


@bp.get("/api/teams")
def api_team_list():  # noqa: ANN201 - Flask view
    """Every team with its department, side, size and isolation flag (JSON)."""
    return jsonify({"ok": True, "teams": teams_overview()})


@bp.get("/teams/<path:team>")
def team_page(team: str) -> str:
    """One team: members, isolation scores, ties to other teams, IT liaison, introductions."""
    wanted = window()
    return render_template(
        "teams/team_page.html", report=team_report(team, wanted), query=wanted.query()
    )


@bp.get("/api/teams/<path:team>")
def api_team(team: str):  # noqa: ANN201 - Flask view
    """One team's report (JSON)."""
    return jsonify({"ok": True, **team_report(team, window())})


@bp.get("/people/<key>")
def person_page(key: str) -> str:
    """One person: contacts, brokerage, structural role, key-person risk, introductions."""
    wanted = window()
    return render_template(
        "teams/person_page.html", report=person_report(key, wanted), query=wanted.query()
    )


@bp.get("/api/people/<key>")
def api_person(key: str):  # noqa: ANN201 - Flask view
    """One person's report (JSON)."""
    return jsonify({"ok": True, **person_report(key, window())})


# -- builders -----------------------------------------------------------------------------------


def teams_overview() -> list[dict[str, Any]]:
    """Every team: key, department, name, IT or not, size and isolation figures.

    A hidden team keeps its name; its size and figures are ``None``.
    """
    groups = viewer_groups()
    scores = stored_scores(Subject.TEAM)
    neighbours = snapshot_neighbours("isolation")
    rows = []
    for team in get_store().teams():
        visible = groups.team_visible(team.key)
        shown = groups.boundary_safe(team.key, neighbours)
        named = scores.get(team.key, {}) if shown else {}
        rows.append({
            "key": team.key, "department": team.department, "name": team.name,
            "is_it": team.is_it, "size": groups.team_size(team.key), "visible": visible,
            "withheld": policy.withheld_text() if visible and not shown else None,
            "flagged": bool(named.get("flagged")) if shown else None,
            "ei": _round(named.get("ei_index")), "ei_expected": _round(named.get("ei_expected")),
            "reach": _int(named.get("reach")),
        })  # fmt: skip
    return rows


def team_report(team: str, wanted: Window) -> dict[str, Any]:
    """Everything the team page shows; raises :class:`~graph.errors.NotFound`.

    A hidden team shows its name only: no size, no members, no figures.
    """
    groups = viewer_groups()
    members = sorted(
        (p for p in people() if p.team and p.team_key == team), key=policy.person_label
    )
    if not members:
        raise NotFound(f"no team {team!r} with members")
    first = members[0]
    visible = groups.team_visible(team)
    graph = visible_people_graph(wanted) if visible else None
    keys = {p.key for p in members}
    return {
        "team": team,
        "department": first.department,
        "name": first.team,
        "is_it": first.is_it,
        "size": groups.team_size(team),
        "visible": visible,
        "window": _window(wanted),
        "members": _members(members, groups) if visible else [],
        "scores": _isolation(team, groups) if visible else None,
        "ties": _team_ties(visible_team_graph(wanted), team) if graph else [],
        "liaison": _liaison_context(graph, keys, first, groups) if graph else None,
        "introductions": _introductions(
            groups.people, lambda i: keys & {i["person"], i["it_person"]}
        ),
    }


def person_report(key: str, wanted: Window) -> dict[str, Any]:
    """Everything the person page shows; raises :class:`~graph.errors.NotFound`.

    People of hidden teams are not found (but by admins); contacts,
    ranks and role sizes count visible people only.
    """
    person = get_store().person(key)
    groups = viewer_groups()
    if not groups.person_visible(person):
        raise NotFound(f"no person with key {key!r}")  # as if absent: their team is hidden
    people = groups.people
    scores = stored_person_scores().get(key, {})
    return {
        "key": key,
        "label": policy.person_label(person),
        "team": person.team_key if person.team else None,
        "department": person.department,
        "title": policy.person_title(person),
        "is_it": person.is_it,
        "window": _window(wanted),
        **_contacts(key, wanted, people),
        "brokerage": _brokerage(key, scores, people),
        "role": _role(scores, people),
        "risk": _risk(key, scores, groups),
        "introductions": _introductions(people, lambda i: key in (i["person"], i["it_person"])),
    }


# -- team parts ---------------------------------------------------------------------------------


def _members(members: list[Person], groups: policy.Groups) -> list[dict[str, Any]]:
    """Members with their role name, brokerage and key-person risk (ranked among visible people)."""
    everyone = stored_person_scores()
    roles = _role_names()
    ranked = [
        e
        for e in (snapshot_result("risk") or {}).get("ranked", [])
        if groups.person_visible(e["person"])
    ]
    ranks = {entry["person"]: n for n, entry in enumerate(ranked, start=1)}
    rows = []
    for person in members:
        scores = everyone.get(person.key, {})
        role = roles.get(int(scores["role"])) if "role" in scores else None
        rows.append({
            "key": person.key, "label": policy.person_label(person),
            "title": policy.person_title(person),
            "role": role["name"] if role else None,
            "betweenness": _round(scores.get("betweenness")),
            "constraint": _round(scores.get("constraint")),
            "risk": {
                "cut_off": _int(scores.get("risk_cut_off")),
                "reach_drop": _round(scores.get("risk_reach_drop")),
                "relationships": _int(scores.get("risk_relationships")),
                "rank": ranks.get(person.key),
            },
        })  # fmt: skip
    return rows


def _isolation(team: str, groups: policy.Groups) -> dict[str, Any] | None:
    """The team's isolation figures from the latest snapshot.

    ``{"withheld": ...}`` alone when they would give a tie to a small hidden team away.
    """
    found = snapshot_result("isolation") or {}
    for entry in found.get("teams", []):
        if entry["team"] != team:
            continue
        if not groups.boundary_safe(team, snapshot_neighbours("isolation")):
            return {"withheld": policy.withheld_text()}
        ei, expected = entry.get("ei"), entry.get("expected")
        top = (entry.get("concentration") or {}).get("top_member")
        person = groups.people.get(top or "")
        named = policy.person_label(person) if person else "one member"
        reasons = [r.replace(top, named) if top else r for r in entry.get("reasons", [])]
        return {
            "ei": _round(ei),
            "expected": _round(expected),
            "delta": _round(ei - expected) if ei is not None and expected is not None else None,
            "p_value": entry.get("p_value"),
            "reach": entry.get("reach"),
            "other_teams": entry.get("other_teams"),
            "external_share": _round(entry.get("external_share")),
            "internal": entry.get("internal"),
            "external": entry.get("external"),
            "density": _round(entry.get("density")),
            "flagged": bool(entry.get("reasons")),
            "reasons": reasons,
        }
    return None


def _team_ties(teams: ig.Graph, team: str) -> list[dict[str, Any]]:
    """The team's ties to every other team in ``teams`` (visible ones), strongest first (top :data:`TOP`)."""
    if team not in teams.vs["name"]:
        return []
    me = teams.vs.find(name=team)
    rows = []
    for edge in teams.es.select(_incident=[me.index]):
        other = teams.vs[edge.target if edge.source == me.index else edge.source]
        if not policy.group_visible(other["size"]):
            continue
        rows.append({
            "team": other["name"], "department": other["department"], "is_it": other["is_it"],
            "size": other["size"], "weight": _round(edge["weight"]), "count": edge["count"],
            "pairs": edge["pairs"],
        })  # fmt: skip
    rows.sort(key=lambda r: (-r["weight"], r["team"]))
    return rows[:TOP]


def _liaison_context(
    graph: ig.Graph, keys: set[str], first: Person, groups: policy.Groups
) -> dict[str, Any]:
    """Who a business team relies on in IT, or which business units an IT team serves.

    ``graph`` holds the visible people only, so every total and share is
    over visible teams.
    """
    people = groups.people
    names, is_it = graph.vs["name"], graph.vs["is_it"]
    inside = sorted(graph.vs.select(name_in=keys).indices)
    inside_set = set(inside)
    across = []  # (member key, other key, weight, count) for ties across the IT line
    for edge in graph.es.select(_incident=inside):
        a, b = (
            (edge.source, edge.target) if edge.source in inside_set else (edge.target, edge.source)
        )
        if b not in inside_set and is_it[a] != is_it[b]:
            across.append((names[a], names[b], edge["weight"], edge["count"]))
    total = sum(w for *_, w, _ in across)
    if first.is_it:
        return {"side": "it", "total": _round(total), "units": _served_units(across, people, total)}
    unit = _unit_score(first.department, groups)
    return {
        "side": "business",
        "total": _round(total),
        "it_people": _it_people(across, people, total),
        "it_teams": _it_teams(across, people, total),
        "unit": unit,
    }


def _it_people(across: list, people: Mapping[str, Person], total: float) -> list[dict[str, Any]]:
    weight: Counter[str] = Counter()
    count: Counter[str] = Counter()
    members: dict[str, set[str]] = defaultdict(set)
    for member, other, w, n in across:
        weight[other] += w
        count[other] += n
        members[other].add(member)
    rows = [
        {
            **_person_ref(people[other]),
            "weight": _round(w),
            "count": count[other],
            "share": _round(w / total) if total else None,
            "members": len(members[other]),
        }
        for other, w in weight.items()
    ]
    return sorted(rows, key=lambda r: (-r["weight"], r["label"]))


def _it_teams(across: list, people: Mapping[str, Person], total: float) -> list[dict[str, Any]]:
    weight: Counter[str] = Counter()
    count: Counter[str] = Counter()
    contacts: dict[str, set[str]] = defaultdict(set)
    for _, other, w, n in across:
        team = people[other].team_key
        weight[team] += w
        count[team] += n
        contacts[team].add(other)
    rows = [
        {
            "team": team,
            "weight": _round(w),
            "count": count[team],
            "share": _round(w / total) if total else None,
            "people": len(contacts[team]),
        }
        for team, w in weight.items()
    ]
    return sorted(rows, key=lambda r: (-r["weight"], r["team"]))


def _served_units(across: list, people: Mapping[str, Person], total: float) -> list[dict[str, Any]]:
    """Business departments an IT team is tied to, with the members who carry each."""
    sizes = Counter(p.department for p in people.values() if not p.is_it)
    weight: Counter[str] = Counter()
    count: Counter[str] = Counter()
    reached: dict[str, set[str]] = defaultdict(set)
    carried: dict[str, Counter[str]] = defaultdict(Counter)
    for member, other, w, n in across:
        unit = people[other].department
        weight[unit] += w
        count[unit] += n
        reached[unit].add(other)
        carried[unit][member] += w
    rows = []
    for unit, w in weight.items():
        if not policy.group_visible(sizes[unit]):
            continue
        carriers = sorted(carried[unit].items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append({
            "unit": unit, "size": sizes[unit], "weight": _round(w), "count": count[unit],
            "share": _round(w / total) if total else None, "people": len(reached[unit]),
            "carriers": [{**_person_ref(people[k]), "weight": _round(cw)} for k, cw in carriers],
        })  # fmt: skip
    return sorted(rows, key=lambda r: (-r["weight"], r["unit"]))


def _unit_score(unit: str, groups: policy.Groups) -> dict[str, Any] | None:
    """The department's liaison score from the latest ``liaison`` snapshot.

    Only the score (``partial``) when a team the snapshot drew on is hidden.
    """
    found = (snapshot_result("liaison") or {}).get("units", {}).get(unit)
    if not found or not groups.unit_visible(unit):
        return None
    if not groups.liaison_whole(unit):
        return {
            "unit": unit, "partial": True, "score": _round(found["score"]), "paths": None,
            "coverage": None, "concentration": None, "liaisons": [],
        }  # fmt: skip
    people = groups.people
    named = found["liaison"]["liaisons"]
    return {
        "unit": unit,
        "partial": False,
        "score": _round(found["score"]),
        "paths": found["paths"],
        "coverage": _round(found["coverage"]),
        "concentration": _round(found["liaison"]["concentration"]),
        "liaisons": [
            {**_person_ref(people[k]), "share": _round(share)} for k, share in named if k in people
        ],
    }


# -- person parts -------------------------------------------------------------------------------


def _contacts(key: str, wanted: Window, people: Mapping[str, Person]) -> dict[str, Any]:
    """The person's contacts in the window, strongest first, split by channel."""
    weight: Counter[str] = Counter()
    count: Counter[str] = Counter()
    split: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for other, channel, w, n in contacts(wanted).of(key):
        if other not in people:
            continue
        weight[other] += w
        count[other] += n
        slot = split[other].setdefault(str(channel.value), {"weight": 0.0, "count": 0})
        slot["weight"] += w
        slot["count"] += n
    ranked = sorted(weight, key=lambda k: (-weight[k], k))
    rows = [
        {
            **_person_ref(people[other]),
            "is_it": people[other].is_it,
            "weight": _round(weight[other]),
            "count": count[other],
            "channels": {
                c: {"weight": _round(v["weight"]), "count": int(v["count"])}
                for c, v in sorted(split[other].items())
            },
        }
        for other in ranked[:TOP]
    ]
    return {"contacts": rows, "contacts_total": len(ranked)}


def _brokerage(
    key: str, scores: Mapping[str, float], people: Mapping[str, Person]
) -> dict[str, Any]:
    roles = (snapshot_result("brokers") or {}).get("roles", {}).get(key)
    gould_fernandez = None
    if roles:
        gould_fernandez = {
            "group": roles["group"],
            "roles": [
                {
                    "role": role,
                    "count": roles["counts"][role],
                    "expected": _round(roles["expected"].get(role)),
                    "z": _round(roles["z"].get(role)),
                }
                for role in sorted(roles["counts"], key=lambda r: -roles["counts"][r])
            ],
        }
    return {
        "betweenness": _round(scores.get("betweenness")),
        "constraint": _round(scores.get("constraint")),
        "effective_size": _round(scores.get("effective_size")),
        "degree": _int(policy.person_scores(scores).get("degree")),
        "strength": _round(scores.get("strength")),
        "betweenness_rank": _betweenness_rank(key, people),
        "gould_fernandez": gould_fernandez,
    }


def _betweenness_rank(key: str, people: Mapping[str, Person]) -> int | None:
    """1-based rank among the visible people by betweenness (from the stored scores)."""
    scores = stored_person_scores()
    mine = scores.get(key, {}).get("betweenness")
    if mine is None:
        return None
    return 1 + sum(
        1 for k, s in scores.items() if k in people and s.get("betweenness", -1.0) > mine
    )


def _role(scores: Mapping[str, float], people: Mapping[str, Person]) -> dict[str, Any] | None:
    """The person's structural role; its size counts the visible people who share it."""
    if "role" not in scores:
        return None
    found = _role_names().get(int(scores["role"]))
    if found is None or policy.sees_all():
        return found
    everyone = stored_person_scores()
    size = sum(1 for k, s in everyone.items() if k in people and s.get("role") == scores["role"])
    return {**found, "size": size}


def _role_names() -> dict[int, dict[str, Any]]:
    found = snapshot_result("roles") or {}
    return {
        r["cluster"]: {
            "cluster": r["cluster"],
            "name": r["name"],
            "description": r["description"],
            "size": r["size"],
        }
        for r in found.get("roles", [])
    }


def _risk(key: str, scores: Mapping[str, float], groups: policy.Groups) -> dict[str, Any]:
    """Key-person risk, ranked among visible people; losses of hidden groups left out."""
    ranked = [
        e
        for e in (snapshot_result("risk") or {}).get("ranked", [])
        if groups.person_visible(e["person"])
    ]
    for rank, entry in enumerate(ranked, start=1):
        if entry["person"] == key:
            return {
                "rank": rank,
                "ranked_of": len(ranked),
                "articulation": entry["articulation"],
                "cut_off": entry["cut_off"],
                "reach_drop": _round(entry["reach_drop"]),
                "it_units": [
                    loss
                    for loss in entry["it_units"]
                    if groups.liaison_whole(loss["pair"][0])
                    and groups.unit_visible(loss["pair"][0])
                ],
                "team_pairs": [
                    loss
                    for loss in entry["team_pairs"]
                    if groups.subject_visible(f" {policy.PAIR} ".join(loss["pair"]))
                ],
            }
    return {
        "rank": None,
        "ranked_of": len(ranked),
        "articulation": bool(scores.get("risk_cut_off")),
        "cut_off": _int(scores.get("risk_cut_off")),
        "reach_drop": _round(scores.get("risk_reach_drop")),
        "it_units": [],
        "team_pairs": [],
    }


# -- shared -------------------------------------------------------------------------------------


def _introductions(
    people: Mapping[str, Person], keep: Callable[[dict[str, Any]], object]
) -> list[dict[str, Any]]:
    """Recommended introductions (latest snapshot) that ``keep`` accepts."""
    found = snapshot_result("introductions") or {}
    rows = []
    for entry in found.get("introductions", []):
        if not keep(entry) or entry["person"] not in people or entry["it_person"] not in people:
            continue
        rows.append({
            "person": _person_ref(people[entry["person"]]),
            "it_person": _person_ref(people[entry["it_person"]]),
            "unit": entry["unit"], "probability": _round(entry["probability"]),
            "gain": _round(entry["gain"]), "adds_path": entry["adds_path"],
            "covers_person": entry["covers_person"],
        })  # fmt: skip
    return rows


def _person_ref(person: Person) -> dict[str, Any]:
    return {
        "key": person.key,
        "label": policy.person_label(person),
        "team": person.team_key if person.team else None,
    }


def _window(wanted: Window) -> dict[str, Any]:
    """The window of live figures, and when the analysis snapshots were made."""
    made = snapshot("isolation")
    return {
        "since": wanted.since.strftime("%Y-%m") if wanted.since else None,
        "until": wanted.until.strftime("%Y-%m") if wanted.until else None,
        "channels": [c.value for c in wanted.channels] if wanted.channels else None,
        "analysed": made["created"] if made else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
