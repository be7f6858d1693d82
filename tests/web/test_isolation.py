"""The isolated-teams page, its API and the ego maps, on a small store and the demo."""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import datetime

import pytest
from flask import g

from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from tests.web.map_rows import edge_objects
from web.policy import Viewer
from web.store import close_store
from web.store import get_store

KEY = "test-key"
PSEUDONYM = re.compile(r"p_[0-9a-f]{24}")
PEOPLE = [
    Person("a1", "Ann", "Sales", "North", "", False),
    Person("a2", "Ari", "Sales", "North", "", False),
    Person("a3", "Ava", "Sales", "North", "", False),
    Person("b1", "Ben", "Sales", "South", "", False),
    Person("b2", "Bea", "Sales", "South", "", False),
    Person("b3", "Bo", "Sales", "South", "", False),
    Person("c1", "Cy", "Legal", "Counsel", "", False),
    Person("d1", "Dee", "IT", "Desk", "", True),
    Person("d2", "Don", "IT", "Desk", "", True),
]


def fill(app) -> None:
    events = []
    pairs = ["a1-a2", "a2-a3", "a1-a3", "b1-b2", "b2-b3", "b1-b3", "a1-b1", "b2-d1", "b3-d2"]
    pairs += ["c1-b1", "d1-d2", "c1-d1", "b1-d1"]
    for month in range(1, 7):
        for n, pair in enumerate(pairs):
            a, b = pair.split("-")
            when = datetime(2025, month, 2 + n, 9, tzinfo=UTC)
            events.append(Interaction(a, b, Channel.EMAIL, when, f"m{month}-{n}"))
    with app.app_context():
        store = get_store()
        store.upsert_people(PEOPLE)
        store.add_interactions(events)


@pytest.fixture
def small(app):
    fill(app)
    yield app
    close_store(app)


@pytest.fixture
def guarded(app):
    """The analysed small store, seen by a viewer; groups of fewer than 2 are hidden."""
    app.config["MIN_GROUP_SIZE"] = 2

    @app.before_request
    def as_viewer() -> None:
        g.viewer = Viewer("guest", "analyst", identify=False)

    fill(app)
    assert app.test_cli_runner().invoke(args=["analyze"]).exit_code == 0
    yield app.test_client()
    close_store(app)


# -- no analysis yet -------------------------------------------------------------------------


def test_empty_store_has_a_friendly_page(client):
    page = client.get("/isolated")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nothing to rank yet" in text and "flask --app app analyze" in text
    assert "egomap.js" not in text
    data = client.get("/api/isolated").get_json()
    assert data["ok"] is True and data["teams"] == [] and data["snapshot"] is None
    assert "flask --app app analyze" in data["message"]


def test_data_without_analysis_says_how_to_run_it(small):
    client = small.test_client()
    assert "flask --app app analyze" in client.get("/api/isolated").get_json()["message"]
    assert small.test_client().get("/api/isolated/Sales/North/ego").get_json()["ok"] is True


# -- small store -------------------------------------------------------------------------------


def test_small_store_ranking_follows_the_snapshot(small):
    assert small.test_cli_runner().invoke(args=["analyze"]).exit_code == 0
    client = small.test_client()
    data = client.get("/api/isolated").get_json()
    assert "message" not in data and data["snapshot"]["version"] == 1
    with small.app_context():
        snapshot = {t["team"]: t for t in get_store().snapshot("isolation").data["result"]["teams"]}
    assert {t["team"] for t in data["teams"]} == set(snapshot)
    assert [t["rank"] for t in data["teams"]] == list(range(1, len(snapshot) + 1))
    for row in data["teams"]:
        found = snapshot[row["team"]]
        assert row["size"] == found["size"] and row["reach"] == found["reach"]
        assert row["flagged"] is bool(found["reasons"])
        assert row["delta"] == pytest.approx(found["ei"] - found["expected"], abs=1e-3)
    north = next(t for t in data["teams"] if t["team"] == "Sales/North")
    assert (north["label"], north["department"], north["is_it"]) == ("North", "Sales", False)
    assert north["url"] == "/teams/Sales/North"
    assert north["ego_api"] == "/api/isolated/Sales/North/ego"
    assert "Ann carries 100 % of outside contact" in north["reasons"]  # the name, not the key
    page = client.get("/isolated").get_data(as_text=True)
    assert "Ann carries 100 % of outside contact" in page
    keys = [(not t["flagged"], t["delta"]) for t in data["teams"]]
    assert keys == sorted(keys)


def test_ego_map_of_a_small_store(small):
    client = small.test_client()
    data = client.get("/api/isolated/Sales/North/ego").get_json()
    assert data["ok"] and data["team"] == "Sales/North" and data["hidden"] is False
    assert [(n["id"], n["ego"], n["size"]) for n in data["nodes"]] == [
        ("Sales/North", True, 3),
        ("Sales/South", False, 3),
    ]
    assert data["edges"] == [
        {
            "source": "Sales/North",
            "target": "Sales/South",
            "ego": True,
            "weight": 6.0,
            "count": 6,
            "pairs": 1,
        }
    ]
    assert (data["neighbours"], data["shown"], data["internal_weight"]) == (1, 1, 18.0)
    assert data["external_weight"] == 6.0
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in data["nodes"])
    south = client.get("/api/isolated/Sales/South/ego").get_json()
    assert {n["id"] for n in south["nodes"]} == {
        "Sales/South",
        "Sales/North",
        "IT/Desk",
        "Legal/Counsel",
    }
    rim = {(e["source"], e["target"]) for e in south["edges"] if not e["ego"]}
    assert rim == {("IT/Desk", "Legal/Counsel")}
    two = client.get("/api/isolated/Sales/South/ego?limit=2").get_json()
    # IT/Desk carries 18; Legal and Sales/North 6 each, the tie broken by name
    assert [n["id"] for n in two["nodes"] if not n["ego"]] == ["IT/Desk", "Legal/Counsel"]
    assert (two["shown"], two["neighbours"], two["limit"]) == (2, 3, 2)


def test_ego_map_window_and_channels(small):
    client = small.test_client()
    spring = client.get("/api/isolated/Sales/North/ego?since=2025-03&until=2025-05").get_json()
    assert spring["edges"][0]["count"] == 2
    assert spring["window"] == {"since": "2025-03", "until": "2025-05", "channels": None}
    none = client.get("/api/isolated/Sales/North/ego?channel=meeting").get_json()
    assert [n["id"] for n in none["nodes"]] == ["Sales/North"]
    assert none["edges"] == [] and none["neighbours"] == 0 and none["external_weight"] == 0.0


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/isolated?since=2025-13", 400, "field 'since': must be a month"),
        ("/api/isolated/Sales/North/ego?until=May", 400, "field 'until': must be a month"),
        ("/api/isolated/Sales/North/ego?channel=fax", 400, "field 'channel'"),
        ("/api/isolated/Sales/North/ego?limit=0", 400, "field 'limit'"),
        ("/api/isolated/Sales/North/ego?limit=many", 400, "field 'limit'"),
        ("/api/isolated/Sales/Nowhere/ego", 404, "no team 'Sales/Nowhere'"),
        ("/api/isolated/Nowhere/ego", 404, "no team 'Nowhere'"),
    ],
)
def test_bad_requests_get_the_error_shape(small, url, status, message):
    response = small.test_client().get(url)
    body = response.get_json()
    assert response.status_code == status
    assert body["ok"] is False and body["status"] == status
    assert message in body["error"]


def test_bad_month_on_the_page_is_an_html_400(small):
    page = small.test_client().get("/isolated?since=2025-00")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "YYYY-MM" in page.get_data(as_text=True)


# -- privacy -----------------------------------------------------------------------------------


def test_small_teams_are_hidden_and_unranked(guarded):
    data = guarded.get("/api/isolated").get_json()
    legal = next(t for t in data["teams"] if t["team"] == "Legal/Counsel")
    shown = [t["visible"] for t in data["teams"]]
    assert shown == sorted(shown, reverse=True)  # hidden teams come last
    assert legal["visible"] is False and legal["rank"] is None
    assert legal["hidden"] == "hidden (fewer than 2 people)"
    figures = {"size", "ei", "expected", "delta", "p_value", "reach", "reasons", "flagged"}
    assert not figures & set(legal)
    # South and Desk have ties to Legal/Counsel and no other hidden team: their E-I
    # index and tie counts would give that tie away, so they are withheld, unranked
    by_team = {t["team"]: t for t in data["teams"]}
    for name in ("Sales/South", "IT/Desk"):
        row = by_team[name]
        assert row["visible"] and row["rank"] is None and row["flagged"] is None
        assert row["withheld"] == "withheld (its ties reach a team of fewer than 2 people)"
        assert not (figures - {"size", "flagged"}) & set(row)
    assert by_team["Sales/North"]["rank"] == 1 and "ei" in by_team["Sales/North"]
    assert all(t["rank"] for t in data["teams"] if t["visible"] and not t.get("withheld"))
    page = guarded.get("/isolated").get_data(as_text=True)
    assert "hidden (fewer than 2 people)" in page
    assert "withheld (its ties reach a team of fewer than 2 people)" in page
    assert 'data-api="/api/isolated/Legal/Counsel/ego"' not in page


def test_ego_maps_hide_small_neighbours(guarded):
    lonely = guarded.get("/api/isolated/Legal/Counsel/ego").get_json()
    assert lonely["hidden"] is True and lonely["nodes"] == [] and lonely["edges"] == []
    south = guarded.get("/api/isolated/Sales/South/ego").get_json()
    # a hidden team is no neighbour at all: not a node, not an edge, not in the totals
    assert "Legal/Counsel" not in {n["id"] for n in south["nodes"]}
    assert all(n["visible"] and "size" in n for n in south["nodes"])
    for edge in south["edges"]:
        assert "Legal/Counsel" not in (edge["source"], edge["target"])
        assert "weight" in edge and "count" in edge
    own = [e["weight"] for e in south["edges"] if e["ego"]]
    assert south["neighbours"] == len(own)
    assert south["external_weight"] == pytest.approx(sum(own), abs=1e-3)


def test_reasons_name_people_as_the_viewer_may_see_them(guarded):
    data = guarded.get("/api/isolated").get_json()
    north = next(t for t in data["teams"] if t["team"] == "Sales/North")
    assert "a1 carries 100 % of outside contact" in north["reasons"]
    assert north["carrier"] == {"key": "a1", "label": "a1", "share": 1.0, "url": "/people/a1"}
    assert not any("Ann" in r or "Ben" in r for t in data["teams"] for r in t.get("reasons", []))


# -- the demo organisation: the planted isolated team --------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The analysed demo organisation (80 people, seed 5), a client and its planted truth."""
    from tests.apps import make_app

    root = tmp_path_factory.mktemp("isolation")
    app = make_app(root, PSEUDONYM_KEY=KEY)
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    truth = json.loads((root / "data" / "demo" / "truth.json").read_text())
    yield app.test_client(), truth
    close_store(app)


def planted(truth: dict) -> str:
    (team,) = truth["isolated_teams"]
    return f"{team['department']}/{team['team']}"


def test_demo_planted_team_is_ranked_first_and_flagged(demo):
    client, truth = demo
    data = client.get("/api/isolated").get_json()
    first = data["teams"][0]
    assert (first["rank"], first["team"], first["flagged"]) == (1, planted(truth), True)
    assert first["size"] == truth["isolated_teams"][0]["headcount"]
    assert first["delta"] < 0 and first["ei"] < first["expected"]
    assert first["p_value"] < 0.05
    assert first["reasons"] and "E-I" in first["reasons"][0]
    assert len(data["teams"]) == len(truth["teams"])
    flags = [t["flagged"] for t in data["teams"]]
    assert flags == sorted(flags, reverse=True) and data["flagged"] == sum(flags)
    others = [t["delta"] for t in data["teams"] if not t["flagged"]]
    assert others == sorted(others)
    assert not any(PSEUDONYM.search(r) for t in data["teams"] for r in t["reasons"])


def test_demo_page_lists_teams_with_an_ego_map_box_each(demo):
    client, truth = demo
    page = client.get("/isolated").get_data(as_text=True)
    cards = re.findall(r'<li class="iso-card[^"]*" data-team="([^"]+)"', page)
    assert cards[0] == planted(truth) and len(cards) == len(truth["teams"])
    assert page.count('class="egomap"') == len(cards)
    assert '<li class="iso-card flagged" data-team="' + planted(truth) + '"' in page
    assert "vendor/cytoscape.min.js" in page and "static/egomap.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page and " onclick=" not in page


def test_demo_ego_map_agrees_with_the_team_map(demo):
    client, truth = demo
    team = planted(truth)
    ego = client.get(f"/api/isolated/{team}/ego").get_json()
    teams = client.get("/api/map/teams").get_json()
    weights = {frozenset((e["source"], e["target"])): e["weight"] for e in edge_objects(teams)}
    around = {pair: w for pair, w in weights.items() if team in pair}
    assert ego["neighbours"] == len(around) and ego["shown"] == min(len(around), 8)
    assert ego["external_weight"] == pytest.approx(sum(around.values()), abs=1e-2)
    assert ego["external_weight"] < ego["internal_weight"]
    for edge in ego["edges"]:
        assert edge["weight"] == weights[frozenset((edge["source"], edge["target"]))]
    assert [n["id"] for n in ego["nodes"] if n["ego"]] == [team]
    assert client.get(f"/api/isolated/{team}/ego").get_json() == ego  # seeded layout


def test_viewers_see_no_people_in_the_reasons(app):
    app.config["MIN_GROUP_SIZE"] = 1

    @app.before_request
    def as_viewer() -> None:
        g.viewer = Viewer("cio", "viewer", identify=False)

    fill(app)
    assert app.test_cli_runner().invoke(args=["analyze"]).exit_code == 0
    data = app.test_client().get("/api/isolated").get_json()
    north = next(t for t in data["teams"] if t["team"] == "Sales/North")
    assert "one member carries 100 % of outside contact" in north["reasons"]
    assert all(t.get("carrier") is None for t in data["teams"])
    assert not any("a1" in r for t in data["teams"] for r in t.get("reasons", []))
    close_store(app)
