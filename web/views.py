"""The overview and the network map pages; the overview's data is also ``/api/overview``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint
from flask import render_template

from graph.base import Subject
from ingest.records import Channel
from web import policy
from web.cache import cached
from web.jobs import JOBS
from web.params import groups as viewer_groups
from web.params import people
from web.params import seen
from web.params import snapshot
from web.params import snapshot_neighbours
from web.params import snapshot_result
from web.params import stored_scores
from web.store import get_store

bp = Blueprint("views", __name__)


@bp.get("/")
def index() -> str:
    """Overview: headline figures, data freshness and the last analysis."""
    return render_template("index.html", **overview(), min_group_size=policy.min_group_size())


@bp.get("/map")
def network_map() -> str:
    """The interactive network map: teams first, drill into a team for its people."""
    groups = viewer_groups()
    departments = sorted({t.department for t in get_store().teams() if groups.team_visible(t.key)})
    return render_template("map.html", channels=[c.value for c in Channel], departments=departments)


def overview() -> dict[str, Any]:
    """Everything the overview shows, JSON-ready."""
    store = get_store()
    groups = viewer_groups()
    runs = store.runs(limit=1)
    return {
        "counts": counts(),
        "teams": [
            {"department": t.department, "name": t.name, "key": t.key, "is_it": t.is_it}
            for t in store.teams()
        ],
        "units": _units(groups),
        "isolated": _isolated(groups),
        "analysis": _analysis(),
        "freshness": {
            "last_ingest": runs[0].finished.isoformat() if runs else None,
            "last_ingest_source": runs[0].source.rsplit("/", 1)[-1] if runs else None,
        },
    }


def counts() -> dict[str, Any]:
    """Counts of people, teams, departments and interactions per channel, as the viewer may see.

    Admins get the store's totals. For everyone else people and interactions
    are counted over the visible people only (:mod:`web.policy`, rule 2), so
    that the totals minus the visible teams' figures leave nothing of a
    hidden team; ``partial`` then says that some people were left out.
    """
    return dict(cached("counts", seen(), _counts))


def _counts() -> dict[str, Any]:
    store = get_store()
    found = store.counts().as_dict()
    if policy.sees_all():
        return {**found, "partial": False}
    everyone = people()
    shown = set(viewer_groups().people)
    interactions: dict[str, int] = defaultdict(int)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for tie in store.ties():
        if tie.source in shown and tie.target in shown:
            interactions[tie.channel.value] += tie.count
            pairs[tie.channel.value].add((tie.source, tie.target))
    channels = {
        name: {"interactions": interactions[name], "pairs": len(pairs[name])}
        for name in sorted(interactions)
    }
    return {
        **found,
        "people": len(shown),
        "interactions": sum(interactions.values()),
        "channels": channels,
        "partial": len(shown) < len(everyone),
    }


def _units(groups: policy.Groups) -> list[dict[str, Any]]:
    """Liaison score per business unit, with coverage and the change since the earlier period.

    A unit's figures come from the analysis of everyone: when one of the
    teams they draw on is hidden, only the score and its change are shown
    (``partial``), no counts (:mod:`web.policy`, rule 4).
    """
    liaison = snapshot_result("liaison")
    if not liaison:
        return []
    compared = (snapshot_result("compare") or {}).get("liaison", {})
    rows = []
    for name, unit in sorted(liaison["units"].items(), key=lambda kv: kv[1]["score"]):
        if not groups.unit_visible(name):
            rows.append({"unit": name, "hidden": True})
            continue
        change = compared.get(name)
        row = {
            "unit": name, "hidden": False, "partial": False, "score": round(unit["score"], 1),
            "people": groups.units[name], "coverage": round(unit["coverage"], 3),
            "paths": unit["paths"], "it_people": unit["liaison"]["it_people"],
            "change": _change(change) if change else None,
        }  # fmt: skip
        if not groups.liaison_whole(name):
            row.update(partial=True, coverage=None, paths=None, it_people=None)
        rows.append(row)
    return rows


def _change(change: dict[str, float]) -> dict[str, Any]:
    delta = change["after"] - change["before"]
    significant = change["low"] > 0 or change["high"] < 0
    return {
        "before": round(change["before"], 1),
        "after": round(change["after"], 1),
        "delta": round(delta, 1),
        "low": round(change["low"], 1),
        "high": round(change["high"], 1),
        "significant": significant,
    }


def _isolated(groups: policy.Groups) -> list[dict[str, Any]]:
    """Teams the isolation job flagged, most inward-looking first.

    Hidden teams are left out, and so are teams whose figures would give a
    tie to one small hidden team away (:meth:`web.policy.Groups.boundary_safe`).
    """
    teams = stored_scores(Subject.TEAM)
    neighbours = snapshot_neighbours("isolation")
    flagged = [
        (name, s)
        for name, s in teams.items()
        if s.get("flagged") and groups.boundary_safe(name, neighbours)
    ]
    flagged.sort(key=lambda item: (item[1].get("ei_delta", 0.0), item[0]))
    return [
        {
            "team": name,
            "size": int(s["size"]),
            "ei_index": round(s["ei_index"], 2),
            "ei_expected": round(s["ei_expected"], 2),
            "reach": int(s.get("reach", 0)),
        }
        for name, s in flagged
    ]


def _analysis() -> dict[str, Any] | None:
    """The latest analysis run: when, over which months, how long it took."""
    found = {job: snapshot(job) for job in JOBS}
    done = {job: snap for job, snap in found.items() if snap}
    if not done:
        return None
    newest = max(done.values(), key=lambda s: s["created"])
    months = newest["window"]["months"]
    return {
        "created": newest["created"],
        "jobs": len(done),
        "seed": newest["seed"],
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
        "seconds": round(sum(s["seconds"] for s in done.values()), 1),
        "compared": (done.get("compare") or {}).get("result", {}).get("windows"),
    }
