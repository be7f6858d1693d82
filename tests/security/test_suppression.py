"""The minimum group size, applied in one policy layer, with no recovery by subtraction.

First the rules of :mod:`web.policy` on small graphs. Then the 150-person
demo with a minimum group size of 7 (nine of nineteen teams hidden, an IT
team among them, and one to two hidden teams in most business units): for
a viewer, an analyst and an analyst who may identify people, every total
shown beside its parts (a matrix cell beside the map's team edges, a unit's
headcount beside its teams', the counts beside the team ties, a team's tie
counts beside its edges) is checked to leave nothing of a hidden team when
the visible parts are subtracted, while the admin's totals would have given
the hidden part away. Last, the strongest form: growing the ties of hidden
teams' people changes nothing that a role below admin can fetch.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections import Counter
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import igraph as ig
import pytest
from flask import Flask
from flask import g
from flask.testing import FlaskClient

from ingest.records import Interaction
from ingest.records import Person
from tests.apps import make_app
from tests.security.helpers import client_as
from tests.security.test_leaks import ROLES
from tests.security.test_leaks import K
from tests.security.test_leaks import Org
from tests.security.test_leaks import bodies
from tests.security.test_leaks import demo  # noqa: F401 - the shared module fixture
from tests.security.test_leaks import read_org
from tests.security.test_leaks import urls
from tests.web.map_rows import edge_objects
from web import policy
from web.policy import Groups
from web.policy import Viewer
from web.store import close_store
from web.store import get_store

ANALYST = Viewer("ann", "analyst", identify=False)
ADMIN = Viewer("root", "admin", identify=True)


# -- the rules on small graphs -------------------------------------------------------------------


def people(*teams: tuple[str, int]) -> list[Person]:
    """People in teams of the given sizes (``("Sales/North", 3)``; IT teams start with ``IT/``)."""
    found = []
    for team, size in teams:
        department, name = team.split("/", 1)
        for n in range(size):
            key = f"p_{name.lower()}{n}"
            found.append(Person(key, f"{name} {n}", department, name, "Rep", department == "IT"))
    return found


@pytest.fixture
def as_analyst(app):
    """An app context seen by an analyst who may not identify people, k = 3."""
    app.config["MIN_GROUP_SIZE"] = 3
    with app.test_request_context():
        g.viewer = ANALYST
        yield app


def test_group_and_edge_visibility(as_analyst):
    assert not policy.group_visible(2) and policy.group_visible(3)
    assert policy.edge_visible(3, 4) and not policy.edge_visible(3, 2)
    assert policy.hidden_text() == "hidden (fewer than 3 people)"
    g.viewer = ADMIN
    assert policy.group_visible(1) and policy.edge_visible(1, 1)


def test_groups_count_real_sizes_but_show_visible_people(as_analyst):
    groups = Groups.of(people(("Sales/North", 4), ("Sales/South", 2), ("IT/Desk", 3)))
    assert groups.teams["Sales/South"] == 2 and groups.team_size("Sales/South") is None
    assert groups.hidden == {"Sales/South"} and groups.hidden_teams() == {"Sales/South"}
    assert set(groups.people) == {f"p_north{n}" for n in range(4)} | {
        f"p_desk{n}" for n in range(3)
    }
    assert not groups.person_visible("p_south0") and groups.person_visible("p_north0")
    assert groups.units == Counter({"Sales": 4})  # the visible headcount
    assert not groups.unit_whole("Sales") and groups.unit_visible("Sales")
    assert groups.subject_visible("Sales/North ↔ IT/Desk")
    assert not groups.subject_visible("Sales/North ↔ Sales/South")
    g.viewer = ADMIN
    assert Groups.of(people(("Sales/South", 2))).units == Counter({"Sales": 2})


@pytest.mark.parametrize(
    ("sizes", "safe"),
    [
        ({}, True),  # nothing hidden
        ({"A/a": 2}, False),  # one small team: the remainder is its figure
        ({"A/a": 2, "A/b": 1}, True),  # two, 3 people together: a sum over k people
        ({"A/a": 1, "A/b": 1}, False),  # two, but fewer than k together
    ],
)
def test_a_remainder_is_safe_when_it_is_no_small_group(as_analyst, sizes, safe):
    shown = people(("A/big", 5))
    groups = Groups.of(shown + people(*sizes.items()))
    assert groups.safe(["A/big", *sizes]) is safe
    assert groups.boundary_safe("A/big", {"A/big": frozenset(sizes)}) is safe


def test_liaison_sides_are_judged_apart(as_analyst):
    org = people(("Sales/North", 4), ("Sales/South", 2), ("IT/Desk", 3), ("IT/Apps", 1))
    groups = Groups.of(org)
    assert not groups.liaison_whole("Sales")  # one small team on each side
    groups = Groups.of(org + people(("Sales/East", 1), ("IT/Ops", 2)))
    assert groups.liaison_whole("Sales")  # two on each side, 3 people each


def graph_of(found: list[Person], edges: list[tuple[str, str]]) -> ig.Graph:
    graph = ig.Graph()
    graph.add_vertices([p.key for p in found])
    graph.vs["team"] = [p.team_key for p in found]
    graph.add_edges(edges)
    graph.es["weight"] = [1.0] * len(edges)
    return graph


def test_visible_graph_and_hidden_neighbours(as_analyst):
    found = people(("S/North", 3), ("S/South", 2), ("S/West", 1))
    graph = graph_of(
        found, [("p_north0", "p_south0"), ("p_north1", "p_west0"), ("p_north0", "p_north1")]
    )
    shown = policy.visible_graph(graph)
    assert shown.vs["name"] == ["p_north0", "p_north1", "p_north2"] and shown.ecount() == 1
    assert policy.hidden_neighbours(graph) == {"S/North": frozenset({"S/South", "S/West"})}
    g.viewer = ADMIN
    assert policy.visible_graph(graph) is graph and policy.hidden_neighbours(graph) == {}


def test_titles_only_for_viewers_who_identify(as_analyst):
    person = people(("S/North", 1))[0]
    assert policy.person_title(person) is None and policy.person_label(person) == "p_north0"
    g.viewer = Viewer("ida", "analyst", identify=True)
    assert policy.person_title(person) == "Rep" and policy.person_label(person) == "North 0"


# -- no recovery by subtraction on the demo --------------------------------------------------------


@pytest.fixture(scope="module")
def org(demo) -> Org:  # noqa: F811 - the fixture imported above
    return read_org(demo)


@pytest.fixture(scope="module")
def clients(demo) -> dict[str, FlaskClient]:  # noqa: F811
    found = {name: client_as(demo, f"sub-{name}", role, ident) for name, role, ident in ROLES}
    found["admin"] = client_as(demo, "sub-admin", "admin")
    return found


@pytest.fixture(scope="module")
def truth(demo) -> dict[str, Any]:  # noqa: F811
    """Real headcounts per team, unit of each team, and IT teams."""
    with demo.app_context():
        everyone = list(get_store().people())
    return {
        "sizes": Counter(p.team_key for p in everyone),
        "unit": {p.team_key: p.department for p in everyone},
        "it": {p.team_key for p in everyone if p.is_it},
    }


def get(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    return response.get_json()


def rows(client: FlaskClient, name: str) -> list[dict[str, str]]:
    response = client.get(f"/export/{name}.csv")
    assert response.status_code == 200
    found = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    response.close()
    return found


def edge_map(data: dict[str, Any]) -> dict[frozenset[str], dict[str, Any]]:
    return {frozenset((e["source"], e["target"])): e for e in edge_objects(data)}


@pytest.mark.parametrize("name", [r[0] for r in ROLES])
def test_matrix_cells_add_up_to_the_visible_teams_edges(clients, org, truth, name):
    """Cell − visible teams' edges to the IT team = 0; for the admin it is the hidden teams' part."""
    client, admin = clients[name], clients["admin"]
    edges, every_edge = (
        edge_map(get(client, "/api/map/teams")),
        edge_map(get(admin, "/api/map/teams")),
    )
    shown = {t["key"] for t in get(client, "/api/teams")["teams"] if t["visible"]}
    admin_cells = {
        (row["unit"], c["it_team"]): c
        for row in get(admin, "/api/liaison")["units"]
        for c in row["cells"]
    }
    checked = would_leak = 0
    for row in get(client, "/api/liaison")["units"]:
        teams = [
            t for t, unit in truth["unit"].items() if unit == row["unit"] and t not in truth["it"]
        ]
        for cell in row["cells"]:
            if cell["state"] != "scored":
                continue
            it = cell["it_team"]
            parts = [edges.get(frozenset((t, it))) for t in teams if t in shown]
            parts = [p for p in parts if p]
            for figure, edge_figure in (("interactions", "count"), ("pairs", "pairs")):
                rest = cell[figure] - sum(p[edge_figure] for p in parts)
                assert rest == 0, (row["unit"], it, figure, rest)
            assert cell["weight"] == pytest.approx(sum(p["weight"] for p in parts), abs=0.01)
            checked += 1
            hidden = [every_edge.get(frozenset((t, it))) for t in teams if t in org.hidden_teams]
            hidden_count = sum(e["count"] for e in hidden if e)
            if hidden_count:  # what the admin's totals would give away
                total = admin_cells[(row["unit"], it)]["interactions"]
                assert total - sum(p["count"] for p in parts) == hidden_count
                would_leak += 1
    assert checked >= 5 and would_leak >= 3


@pytest.mark.parametrize("name", [r[0] for r in ROLES])
def test_unit_headcounts_are_the_visible_teams(clients, org, truth, name):
    client = clients[name]
    listed = {t["key"]: t for t in get(client, "/api/teams")["teams"]}
    visible = {
        unit: sum(t["size"] for key, t in listed.items() if t["visible"] and truth["unit"][key] == unit
                  and key not in truth["it"])
        for unit in set(truth["unit"].values())
    }  # fmt: skip
    hidden_sizes = {truth["sizes"][t] for t in org.hidden_teams}
    overview = get(client, "/api/overview")
    shown_units = [u for u in overview["units"] if not u["hidden"]]
    assert shown_units
    for unit in shown_units:
        assert unit["people"] == visible[unit["unit"]]
    matrix = [r for r in get(client, "/api/liaison")["units"] if r["visible"]]
    for row in matrix:
        assert row["size"] == visible[row["unit"]]
    for row in get(client, "/api/compare")["liaison"]:
        assert row["size"] == visible[row["subject"]]
    assert {u["unit"] for u in overview["units"] if u["hidden"]} == org.hidden_units
    # the listed sizes of hidden teams are not there to subtract either
    assert all(t["size"] is None for key, t in listed.items() if key in org.hidden_teams)
    # the admin's headcounts minus the visible teams are the hidden teams' sizes
    admin_units = {u["unit"]: u["people"] for u in get(clients["admin"], "/api/overview")["units"]}
    rests = [admin_units[u] - visible[u] for u in admin_units if u not in org.hidden_units]
    assert hidden_sizes & set(rests)


@pytest.mark.parametrize("name", [r[0] for r in ROLES])
def test_unit_liaison_keeps_only_the_score_when_one_small_team_is_hidden(clients, org, name):
    """The IT side has exactly one hidden team: every unit's snapshot counts would give it away."""
    client = clients[name]
    for unit in get(client, "/api/overview")["units"]:
        if not unit["hidden"]:
            assert unit["partial"] and unit["score"] is not None
            assert unit["coverage"] is unit["it_people"] is unit["paths"] is None
    for row in get(client, "/api/liaison")["units"]:
        if row["visible"] and row["overall"]:
            overall = row["overall"]
            assert overall["partial"] and overall["paths"] is None and overall["coverage"] is None
            assert all(v is None for v in overall["components"].values())
    admin = get(clients["admin"], "/api/overview")["units"]
    assert all(not u["partial"] and u["it_people"] for u in admin)


@pytest.mark.parametrize("name", [r[0] for r in ROLES])
def test_team_tie_counts_leave_no_single_hidden_tie(clients, org, truth, name):
    """A node's tie count − its visible edges is never one hidden team's tie with it."""
    client, admin = clients[name], clients["admin"]
    data = get(client, "/api/map/teams")
    every_edge = edge_map(get(admin, "/api/map/teams"))
    mine: dict[str, int] = defaultdict(int)
    for edge in edge_objects(data):
        mine[edge["source"]] += edge["pairs"]
        mine[edge["target"]] += edge["pairs"]
    withheld = shown = mixed = 0
    for node in data["nodes"]:
        team = node["id"]
        hidden = {
            h: e["pairs"] for h in org.hidden_teams if (e := every_edge.get(frozenset((team, h))))
        }
        if not node["scores"]:
            withheld += 1
            assert len(hidden) == 1 or sum(truth["sizes"][h] for h in hidden) < K
            assert node["isolated"] is None
            continue
        shown += 1
        rest = node["scores"]["external_ties"] - mine[team]
        assert rest == sum(hidden.values())
        mixed += rest > 0
        assert not hidden or (len(hidden) >= 2 and rest not in hidden.values())
    assert shown >= 3 and mixed >= 3  # several nodes have ties to two or more hidden teams
    # the admin's tie counts are exactly the sums over every edge (so the rule matters)
    admin_map = get(admin, "/api/map/teams")
    totals: dict[str, int] = defaultdict(int)
    for edge in edge_objects(admin_map):
        totals[edge["source"]] += edge["pairs"]
        totals[edge["target"]] += edge["pairs"]
    assert all(n["scores"]["external_ties"] == totals[n["id"]] for n in admin_map["nodes"])


@pytest.mark.parametrize("name", ["analyst", "ident"])
def test_counts_are_the_sum_of_the_team_ties(clients, org, truth, name):
    """Counts − every team tie (with ties inside teams) = 0, not the hidden teams' volume."""
    client = clients[name]
    ties = rows(client, "team_ties")
    assert not {r["team_a"] for r in ties} & org.hidden_teams
    assert not {r["team_b"] for r in ties} & org.hidden_teams
    counts = get(client, "/api/counts")
    assert counts["partial"] is True
    assert counts["interactions"] == sum(int(r["count"]) for r in ties)
    listed = get(client, "/api/teams")["teams"]
    assert counts["people"] == sum(t["size"] for t in listed if t["visible"])
    admin_counts = get(clients["admin"], "/api/counts")
    assert admin_counts["partial"] is False and admin_counts["people"] == sum(
        truth["sizes"].values()
    )
    assert admin_counts["interactions"] > counts["interactions"]


def test_it_team_totals_are_over_visible_units(clients, org):
    team = get(clients["analyst"], f"/api/teams/{org.it_team}")
    liaison = team["liaison"]
    assert liaison["side"] == "it" and liaison["units"]
    assert liaison["total"] == pytest.approx(sum(u["weight"] for u in liaison["units"]), abs=0.01)
    assert not {u["unit"] for u in liaison["units"]} & org.hidden_units


# -- growing hidden ties changes nothing a role below admin sees ---------------------------------


@pytest.fixture(scope="module")
def twin(demo, org, tmp_path_factory) -> Iterator[Flask]:  # noqa: F811
    """A copy of the demo where every tie of a hidden team's person is much stronger."""
    root = Path(tmp_path_factory.mktemp("twin"))
    source = sqlite3.connect(demo.config["SQLITE_PATH"])
    target = sqlite3.connect(root / "store.sqlite3")
    source.backup(target)
    source.close()
    target.close()
    app = make_app(root, MIN_GROUP_SIZE=K)
    app.test_client_class = FlaskClient
    with app.app_context():
        store = get_store()
        hidden = set(org.hidden_people)
        extra = [
            Interaction(t.source, t.target, t.channel, t.last_seen, f"twin-{n}-{k}")
            for n, t in enumerate(store.ties())
            if t.source in hidden or t.target in hidden
            for k in range(3)
        ]
        assert len(extra) > 300
        assert store.add_interactions(extra) == len(extra)
    yield app
    close_store(app)


@pytest.fixture(scope="module")
def twin_clients(twin) -> dict[str, FlaskClient]:
    """Clients of the copy, logged in under the same names (pages show who is logged in)."""
    found = {name: client_as(twin, f"sub-{name}", role, ident) for name, role, ident in ROLES}
    found["admin"] = client_as(twin, "sub-admin", "admin")
    return found


def normal(url: str, mimetype: str, body: bytes) -> Any:
    """An answer without what changes from one request to the next (CSRF tokens, print time)."""
    if mimetype == "application/json":
        data = json.loads(body)
        if isinstance(data, dict):
            data.pop("generated", None)
        return data
    text = body if mimetype == "image/png" else body.decode("utf-8")
    if isinstance(text, str):
        text = re.sub(r'(csrf[-_]token"? (?:content|value)=")[^"]+', r"\1", text)
        text = re.sub(r"<dt>Printed</dt><dd>[^<]*</dd>", "", text)
    return text


@pytest.mark.parametrize("name", ["viewer", "analyst"])
def test_hidden_teams_ties_change_nothing_below_admin(demo, org, clients, twin_clients, name):  # noqa: F811
    role = dict((n, r) for n, r, _ in ROLES)[name]
    other = twin_clients[name]
    found = urls(demo, role, org)
    answered = list(bodies(clients[name], found))
    assert sum(1 for _, status, _, _ in answered if status == 200) >= len(found) - 3
    before = {url: normal(url, m, b) for url, _, m, b in answered}
    after = {url: normal(url, m, b) for url, _, m, b in bodies(other, found)}
    changed = [url for url in found if before[url] != after[url]]
    assert changed == []
    # the admin sees the stronger ties
    admin = twin_clients["admin"]
    for url in ("/api/map/teams", "/api/counts", "/export/team_ties.csv"):
        mine = list(bodies(clients["admin"], [url]))[0]
        theirs = list(bodies(admin, [url]))[0]
        assert normal(url, mine[2], mine[3]) != normal(url, theirs[2], theirs[3]), url


def test_ingest_ledger_gives_no_totals_below_admin(clients):
    """The ledger's whole-data counts minus the visible teams would be the hidden teams' share."""
    mine = rows(clients["analyst"], "ingest_runs")
    assert mine and set(mine[0]) == {"id", "kind", "status", "started", "finished"}
    theirs = rows(clients["admin"], "ingest_runs")
    assert {"source", "people_created", "interactions"} <= set(theirs[0])


def test_person_degree_only_for_admins(clients, org):
    """A degree counts contacts in hidden teams: over a team it would give its hidden ties away."""
    for name in ("analyst", "ident"):
        assert "degree" not in rows(clients[name], "people")[0]
        person = get(clients[name], f"/api/people/{org.visible_person}")
        assert person["brokerage"]["degree"] is None
        assert person["brokerage"]["betweenness"] is not None
        team = org.visible_teams[0]
        nodes = get(clients[name], f"/api/map/teams/{team}/people")["nodes"]
        assert nodes and not any("degree" in n["scores"] for n in nodes)
    assert "degree" in rows(clients["admin"], "people")[0]
    # the admin's degree is the number of contacts; the analyst's contacts leave hidden ones out
    admin = get(clients["admin"], f"/api/people/{org.visible_person}")
    mine = get(clients["analyst"], f"/api/people/{org.visible_person}")
    assert admin["brokerage"]["degree"] == admin["contacts_total"] > mine["contacts_total"]
