"""Team and person pages: ties, roles, brokerage, risk and recommended introductions."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from graph.errors import NotFound
from web.policy import person_label
from web.store import get_store

bp = Blueprint("teams", __name__)


@bp.get("/teams/<path:team>")
def team_page(team: str) -> str:
    """One team: its members."""
    store = get_store()
    members = [p for p in store.people() if p.team_key == team]
    if not members:
        raise NotFound(f"no team {team!r}")
    rows = [(p.key, person_label(p), p.title) for p in members]
    return render_template("teams/team_page.html", team=team, members=rows)


@bp.get("/people/<key>")
def person_page(key: str) -> str:
    """One person."""
    person = get_store().person(key)
    return render_template("teams/person_page.html", person=person, label=person_label(person))
