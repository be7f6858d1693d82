"""Exports and the API cannot leak what the pages hide.

The organisation is the 150-person demo with a minimum group size of 7:
nine of its nineteen teams are hidden from viewers and analysts, among them
an IT team and the whole Executive Office. For a viewer, an analyst who may
not identify people and one who may, every route the role may open is
walked (like ``test_access_matrix.py``, from the app's URL map), with every
table, graph format and level, a visible and a hidden team, a visible and a
hidden person; each answer is parsed as what it is (JSON, CSV, GEXF and
GraphML through networkx, SVG as XML, HTML as text) and checked:

* no real name for roles that may not identify people, and never a name,
  key or pseudonym of someone in a hidden team;
* no figure, node, edge or row of a hidden team (or of a business unit
  with no visible team);
* no person key at all in what a viewer gets.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import networkx as nx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.apps import make_demo
from tests.security.helpers import client_as
from web import access
from web.exports import TABLES
from web.policy import short_key
from web.store import close_store
from web.store import get_store

K = 7
PEOPLE = 150
#: (name, role, may identify people)
ROLES = [("viewer", "viewer", False), ("analyst", "analyst", False), ("ident", "analyst", True)]
#: numbers that may stand next to a hidden group's name: they describe the request, not the group
NOT_FIGURES = {"limit", "ego_limit", "min_group_size", "status"}
#: a person key (``p_`` and hex), whole or shortened to 12 characters
PERSON_KEY = re.compile(r"\bp_[0-9a-f]{10,}")
#: what separates team keys in lists and pairs inside a text cell
SEPARATORS = re.compile(r"\s*(?:;|↔|→|:|·|\(|\))\s*")


@dataclass(frozen=True)
class Org:
    """What the admin knows: every person and which teams and units are hidden from others."""

    names: set[str]
    hidden_teams: set[str]
    visible_teams: list[str]
    hidden_units: set[str]
    hidden_people: dict[str, str]  # key -> name
    visible_person: str
    hidden_person: str
    unit: str  # a business unit with visible teams
    it_team: str  # a visible IT team
    hidden_it_team: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The analysed 150-person demo, minimum group size 7; clients log in through the form."""
    app = make_demo(Path(tmp_path_factory.mktemp("leaks")), people=PEOPLE, MIN_GROUP_SIZE=K)
    app.test_client_class = FlaskClient
    yield app
    close_store(app)


@pytest.fixture(scope="module")
def org(demo: Flask) -> Org:
    return read_org(demo)


def read_org(app: Flask) -> Org:
    """The organisation as stored, and what the minimum group size hides in it."""
    with app.app_context():
        people = list(get_store().people())
    sizes: dict[str, int] = {}
    for p in people:
        sizes[p.team_key] = sizes.get(p.team_key, 0) + 1
    hidden = {t for t, n in sizes.items() if n < K}
    visible = sorted(t for t in sizes if t not in hidden)
    units = {p.department for p in people if not p.is_it}
    shown_units = {p.department for p in people if not p.is_it and p.team_key in visible}
    in_hidden = {p.key: p.name for p in people if p.team_key in hidden}
    big = max(visible, key=lambda t: (sizes[t], t))
    it_teams = {p.team_key for p in people if p.is_it}
    return Org(
        names={p.name for p in people},
        hidden_teams=hidden,
        visible_teams=visible,
        hidden_units=units - shown_units,
        hidden_people=in_hidden,
        visible_person=min(p.key for p in people if p.team_key == big),
        hidden_person=min(in_hidden),
        unit=next(p.department for p in people if p.team_key == big),
        it_team=min(it_teams - hidden, default=""),
        hidden_it_team=min(it_teams & hidden, default=""),
    )


@pytest.fixture(scope="module")
def clients(demo: Flask) -> dict[str, FlaskClient]:
    """A logged-in client per role below admin, and one admin."""
    found = {
        name: client_as(demo, f"leak-{name}", role, identify) for name, role, identify in ROLES
    }
    found["admin"] = client_as(demo, "leak-admin", "admin")
    return found


# -- walking the routes --------------------------------------------------------------------------


def urls(app: Flask, role: str, org: Org) -> list[str]:
    """Every GET URL ``role`` may open, with real values and the variants that matter."""
    values: dict[str, list[dict[str, str]]] = {
        "team": [{"team": t} for t in (org.visible_teams[0], min(org.hidden_teams))],
        "key": [{"key": org.visible_person}, {"key": org.hidden_person}],
        "name": [{"name": name} for name in TABLES],
        "fmt": [{"fmt": f} for f in ("gexf", "graphml")],
    }
    query: dict[str, list[str]] = {
        "api.team_map": ["", "?unit=" + org.unit, "?channel=ticket"],
        "api.search": ["?q=" + org.hidden_person[:5], "?q=" + short_key(org.visible_person)[:6]]
        + ["?q=" + name.split()[0][:4] for name in sorted(org.hidden_people.values())[:2]],
        "liaison.cell_page": [f"?unit={org.unit}&it_team={org.it_team}"],
        "liaison.cell_api": [
            f"?unit={org.unit}&it_team={t}" for t in (org.it_team, org.hidden_it_team)
        ]
        + [f"?unit={u}&it_team={org.it_team}" for u in sorted(org.hidden_units)],
        "exports.graph_file": ["?level=teams", "?level=people"],
        "exports.table_csv": ["", "?channel=email"],
        "liaison.matrix_api": ["", "?channel=ticket"],
    }
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        endpoint = rule.endpoint
        if "GET" not in (rule.methods or ()) or endpoint in ("static", "auth.login"):
            continue
        if not access.allows(role, endpoint):
            continue
        choices: list[dict[str, str]] = [{}]
        for argument in sorted(rule.arguments):
            choices = [{**c, **v} for c in choices for v in values[argument]]
        for args in choices:
            built = rule.build(args, append_unknown=False)
            assert built is not None
            for extra in query.get(endpoint, [""]):
                found.append(built[1] + extra)
    return found


def bodies(client: FlaskClient, found: list[str]) -> Iterator[tuple[str, int, str, bytes]]:
    """URL, status, media type and body of each URL (responses closed)."""
    for url in found:
        response = client.get(url)
        try:
            yield url, response.status_code, response.mimetype or "", response.get_data()
        finally:
            response.close()


# -- what may not be in an answer ----------------------------------------------------------------


class Leaks:
    """What one role must not see, and the problems found so far."""

    def __init__(self, org: Org, role: str, identify: bool) -> None:
        self.org, self.role, self.identify = org, role, identify
        self.problems: list[str] = []
        hidden_keys = set(org.hidden_people)
        self.hidden_strings = hidden_keys | {short_key(k) for k in hidden_keys}
        self.hidden_strings |= set(org.hidden_people.values())
        self.names = org.names if not identify else set(org.hidden_people.values())

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{self.role}{'+identify' if self.identify else ''} {where}: {what}")

    # -- text anywhere --

    def text(self, where: str, value: str) -> None:
        """A string of an answer: no forbidden name, no hidden person, no key for viewers."""
        for name in self.names:
            if name and name in value:
                self.fail(where, f"names {name!r}")
        for found in self.hidden_strings:
            if found in value:
                self.fail(where, f"shows {found!r} of a hidden team")
        if self.role == "viewer" and PERSON_KEY.search(value):
            self.fail(where, f"shows a person key {PERSON_KEY.search(value).group()!r}")

    def names_hidden_group(self, value: object) -> bool:
        """Whether a value names a hidden team (alone, in a pair or a list) or a hidden unit."""
        if not isinstance(value, str):
            return False
        if value in self.org.hidden_units:
            return True
        parts = {p for p in SEPARATORS.split(value) if p}
        return bool(parts & self.org.hidden_teams) or value in self.org.hidden_teams

    # -- JSON --

    def json(self, where: str, value: Any) -> None:
        """Walk a JSON answer: every string checked, every object naming a hidden group figure-free."""
        if isinstance(value, dict):
            named = [v for k, v in value.items() if self.names_hidden_group(v)]
            if named:
                figures = {
                    k: v for k, v in value.items() if k not in NOT_FIGURES and has_figures(v)
                }
                if figures:
                    self.fail(where, f"figures {sorted(figures)} next to hidden {named[0]!r}")
            for key, item in value.items():
                self.text(where, key)
                if self.names_hidden_group(key) and has_figures(item):
                    self.fail(where, f"figures under the hidden group {key!r}")
                self.json(where, item)
        elif isinstance(value, list):
            for item in value:
                self.json(where, item)
        elif isinstance(value, str):
            self.text(where, value)

    # -- CSV --

    def csv(self, where: str, body: bytes) -> None:
        """Every cell: no hidden group in it, no forbidden text."""
        reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
        for number, row in enumerate(reader, start=2):
            for column, cell in row.items():
                self.text(f"{where} line {number} {column}", cell or "")
                if self.names_hidden_group(cell):
                    self.fail(f"{where} line {number}", f"{column}={cell!r} names a hidden group")

    # -- graphs --

    def graph(self, where: str, graph: nx.Graph) -> None:
        """No node or edge of a hidden team or person; attributes checked like text."""
        for node, attrs in graph.nodes(data=True):
            if node in self.org.hidden_teams or node in self.org.hidden_people:
                self.fail(where, f"node {node!r} is hidden")
            if attrs.get("team") in self.org.hidden_teams:
                self.fail(where, f"node {node!r} is in hidden team {attrs['team']!r}")
            self.text(f"{where} node", str(node))
            for value in attrs.values():
                if isinstance(value, str):
                    self.text(f"{where} node {node}", value)
        for a, b in graph.edges():
            if {a, b} & (self.org.hidden_teams | set(self.org.hidden_people)):
                self.fail(where, f"edge {a!r}–{b!r} touches a hidden group")

    # -- SVG --

    def svg(self, where: str, body: bytes) -> None:
        """Node titles (``Dept/Team · n people``) and labels name no hidden team."""
        root = ET.fromstring(body)
        shown = {t.split("/", 1)[1] for t in self.org.visible_teams}
        hidden_labels = {t.split("/", 1)[1] for t in self.org.hidden_teams} - shown
        for element in root.iter():
            text = (element.text or "").strip()
            if not text:
                continue
            self.text(where, text)
            if self.names_hidden_group(text.split(" · ")[0]) or text in hidden_labels:
                self.fail(where, f"draws the hidden team {text!r}")

    def check(self, url: str, status: int, mimetype: str, body: bytes) -> None:
        """Check one answer by its media type."""
        if status >= 500:
            self.fail(url, f"failed with {status}")
            return
        if status >= 400:  # an error may repeat what the request asked for, nothing more
            asked = [unquote(p) for p in re.split(r"[/?&=]", url) if p]
            text = body.decode("utf-8")
            for part in sorted(asked, key=len, reverse=True):
                text = text.replace(part, "")
            self.text(url, html.unescape(text))
            return
        if mimetype == "application/json":
            self.json(url, json.loads(body))
        elif mimetype == "text/csv":
            self.csv(url, body)
        elif mimetype == "application/gexf+xml":
            self.graph(url, nx.read_gexf(io.BytesIO(body)))
        elif mimetype == "application/graphml+xml":
            self.graph(url, nx.read_graphml(io.BytesIO(body)))
        elif mimetype == "image/svg+xml":
            self.svg(url, body)
        elif mimetype != "image/png":
            self.text(url, html.unescape(body.decode("utf-8")))


def has_figures(value: Any) -> bool:
    """Whether a value is, or holds, a number (booleans are not figures)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, dict):
        return any(has_figures(v) for v in value.values())
    if isinstance(value, list):
        return any(has_figures(v) for v in value)
    return False


# -- the tests -----------------------------------------------------------------------------------


def test_the_setting_hides_several_teams_an_it_team_and_a_unit(org):
    assert len(org.hidden_teams) >= 6 and len(org.visible_teams) >= 6
    assert org.hidden_it_team and org.hidden_units == {"Executive Office"}
    assert len(org.hidden_people) >= 40


@pytest.mark.parametrize(("name", "role", "identify"), ROLES)
def test_nothing_hidden_leaks_anywhere(demo, org, clients, name, role, identify):
    leaks = Leaks(org, role, identify)
    found = urls(demo, role, org)
    kinds: set[str] = set()
    for url, status, mimetype, body in bodies(clients[name], found):
        kinds.add(mimetype)
        leaks.check(url, status, mimetype, body)
    assert not leaks.problems, "\n".join(leaks.problems[:40])
    assert len(found) >= (15 if role == "viewer" else 60)
    wanted = {"application/json", "text/html", "image/svg+xml", "image/png"}
    if role != "viewer":
        wanted |= {"text/csv", "application/gexf+xml", "application/graphml+xml"}
    assert wanted <= kinds


def test_the_checks_catch_what_admins_see(demo, org, clients):
    """The same checks on the admin's answers find hidden figures, names and people."""
    leaks = Leaks(org, "analyst", False)
    found = [
        "/api/map/teams",
        "/export/team_ties.csv",
        "/export/graph.gexf?level=people",
        "/export/map.svg",
        "/api/teams",
    ]
    for url, status, mimetype, body in bodies(clients["admin"], found):
        before = len(leaks.problems)
        leaks.check(url, status, mimetype, body)
        assert len(leaks.problems) > before, url


@pytest.mark.parametrize(("name", "role", "identify"), ROLES)
def test_hidden_teams_and_people_answer_hidden_or_not_found(org, clients, name, role, identify):
    client = clients[name]
    hidden = min(org.hidden_teams)
    ego = client.get(f"/api/isolated/{hidden}/ego").get_json()
    assert ego["hidden"] is True and ego["nodes"] == [] and ego["edges"] == []
    cell = client.get(f"/api/liaison/cell?unit={org.unit}&it_team={org.hidden_it_team}")
    if role == "viewer":
        assert cell.status_code == 403
        return
    assert cell.get_json()["state"] == "hidden"
    assert client.get(f"/api/people/{org.hidden_person}").status_code == 404
    assert client.get(f"/api/map/teams/{hidden}/people").status_code == 404
    team = client.get(f"/api/teams/{hidden}").get_json()
    assert team["visible"] is False and team["members"] == [] and team["size"] is None


def test_pictures_are_drawn_from_what_the_role_sees(clients):
    """The PNG map is the same for every role below admin, and not the admin's."""
    pictures = {}
    for name in ("viewer", "analyst", "ident", "admin"):
        response = clients[name].get("/export/map.png")
        assert response.status_code == 200 and response.mimetype == "image/png"
        pictures[name] = response.get_data()
        response.close()
    assert pictures["viewer"] == pictures["analyst"] == pictures["ident"]
    assert pictures["viewer"] != pictures["admin"]


def test_titles_only_for_roles_that_identify_people(org, clients):
    key = org.visible_person
    assert clients["analyst"].get(f"/api/people/{key}").get_json()["title"] is None
    assert clients["ident"].get(f"/api/people/{key}").get_json()["title"]
    team = org.visible_teams[0]
    members = clients["analyst"].get(f"/api/teams/{team}").get_json()["members"]
    assert members and all(m["title"] is None for m in members)
    nodes = clients["analyst"].get(f"/api/map/teams/{team}/people").get_json()["nodes"]
    assert nodes and all(n["title"] is None for n in nodes)
    nodes = clients["ident"].get(f"/api/map/teams/{team}/people").get_json()["nodes"]
    assert any(n["title"] for n in nodes)
