"""The overview and the network map pages; the overview's data is also ``/api/overview``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import render_template

from graph.base import Subject
from ingest.records import Channel
from web import results
from web.jobs import JOBS
from web.policy import group_visible
from web.store import get_store

bp = Blueprint("views", __name__)


@bp.get("/")
def index() -> str:
    """Overview: headline figures, data freshness and the last analysis."""
    return render_template("index.html", **overview())


@bp.get("/map")
def network_map() -> str:
    """The interactive network map: teams first, drill into a team for its people."""
    store = get_store()
    departments = sorted({t.department for t in store.teams()})
    return render_template("map.html", channels=[c.value for c in Channel], departments=departments)


def overview() -> dict[str, Any]:
    """Everything the overview shows, JSON-ready."""
    store = get_store()
    counts = store.counts()
    runs = store.runs(limit=1)
    return {
        "counts": counts.as_dict(),
        "teams": [
            {"department": t.department, "name": t.name, "key": t.key, "is_it": t.is_it}
            for t in store.teams()
        ],
        "units": _units(),
        "isolated": _isolated(),
        "analysis": _analysis(),
        "freshness": {
            "last_ingest": runs[0].finished.isoformat() if runs else None,
            "last_ingest_source": runs[0].source.rsplit("/", 1)[-1] if runs else None,
        },
    }


def _units() -> list[dict[str, Any]]:
    """Liaison score per business unit, with coverage and the change since the earlier period."""
    liaison = results.result("liaison")
    if not liaison:
        return []
    compared = (results.result("compare") or {}).get("liaison", {})
    rows = []
    for name, unit in sorted(liaison["units"].items(), key=lambda kv: kv[1]["score"]):
        size = int(unit["liaison"]["unit_people"])
        if not group_visible(size):
            rows.append({"unit": name, "hidden": True})
            continue
        change = compared.get(name)
        rows.append({
            "unit": name, "hidden": False, "score": round(unit["score"], 1),
            "people": size, "coverage": round(unit["coverage"], 3),
            "paths": unit["paths"], "it_people": unit["liaison"]["it_people"],
            "change": _change(change) if change else None,
        })  # fmt: skip
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


def _isolated() -> list[dict[str, Any]]:
    """Teams the isolation job flagged, most inward-looking first."""
    teams = get_store().scores(Subject.TEAM)
    flagged = [
        (name, s) for name, s in teams.items() if s.get("flagged") and group_visible(int(s["size"]))
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
    found = {job: results.latest(job) for job in JOBS}
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
