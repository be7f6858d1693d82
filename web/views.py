"""Pages and JSON endpoints."""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import render_template

from web.store import get_store

bp = Blueprint("views", __name__)


@bp.get("/")
def index() -> str:
    """Overview: what the store holds."""
    store = get_store()
    counts = store.counts()
    teams = list(store.teams())
    return render_template("index.html", counts=counts, teams=teams)


@bp.get("/api/counts")
def api_counts():  # noqa: ANN201 - Flask view
    """Counts of people, teams and interactions per channel."""
    return jsonify({"ok": True, **get_store().counts().as_dict()})
