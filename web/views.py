"""Pages and JSON endpoints."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from ingest.records import Channel
from web.store import get_store

bp = Blueprint("views", __name__)


@bp.get("/")
def index() -> str:
    """Overview: what the store holds."""
    store = get_store()
    counts = store.counts()
    teams = list(store.teams())
    return render_template("index.html", counts=counts, teams=teams)


@bp.get("/map")
def network_map() -> str:
    """The interactive network map: teams first, drill into a team for its people."""
    return render_template("map.html", channels=[c.value for c in Channel])
