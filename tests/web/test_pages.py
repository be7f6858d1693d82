"""The overview page, the counts API and the error shape, on a real embedded store."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from web.errors import error_body
from web.store import close_store
from web.store import get_store


@pytest.fixture
def filled(app):
    with app.app_context():
        store = get_store()
        store.upsert_people(
            [
                Person("p_a", "Ann", "Sales", "Field", "", False),
                Person("p_b", "Ben", "IT", "Service Desk", "", True),
            ]
        )
        store.add_interactions(
            [Interaction("p_a", "p_b", Channel.TICKET, datetime(2025, 5, 1, tzinfo=UTC), "INC1")]
        )
    yield app
    close_store(app)


def test_empty_overview_says_how_to_start(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b"The store is empty" in page.data
    assert b"flask --app app demo" in page.data


def test_overview_shows_counts_and_teams(filled):
    page = filled.test_client().get("/").get_data(as_text=True)
    assert '<span class="value" id="people">2</span>' in page
    assert '<span class="value" id="interactions">1</span>' in page
    assert "<td>ticket</td><td>1</td><td>1</td>" in page
    assert (
        '<td>IT</td><td><a href="/teams/IT/Service%20Desk">Service Desk</a></td><td>IT</td>' in page
    )
    assert "No analysis yet" in page


def test_counts_api(filled):
    data = filled.test_client().get("/api/counts").get_json()
    assert data == {
        "ok": True,
        "people": 2,
        "teams": 2,
        "departments": 2,
        "interactions": 1,
        "channels": {"ticket": {"interactions": 1, "pairs": 1}},
        "partial": False,  # an admin's counts leave nobody out
    }


def test_api_errors_have_one_shape(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"ok", "error", "errors", "status"}
    assert (body["ok"], body["status"]) == (False, 404)
    assert "not found" in body["error"].lower()
    assert body == error_body(body["errors"], 404)


def test_page_errors_render_html(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert b"404" in response.data and b"Back to the overview" in response.data


def test_store_errors_map_to_their_status(app, monkeypatch):
    from web import access

    monkeypatch.setitem(access.ACCESS, "boom", access.GROUP)

    @app.get("/api/boom")
    def boom():
        from graph.errors import StoreUnavailable

        raise StoreUnavailable("Neo4j is down")

    response = app.test_client().get("/api/boom")
    assert response.status_code == 503
    assert response.get_json() == {
        "ok": False,
        "error": "Neo4j is down",
        "errors": ["Neo4j is down"],
        "status": 503,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """An analysed demo organisation (240 people) and its planted truth."""
    from tests.apps import make_app

    root = tmp_path_factory.mktemp("overview")
    app = make_app(root)
    out = root / "files"
    result = app.test_cli_runner().invoke(
        args=["demo", "--people", "240", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    yield app, json.loads((Path(out) / "truth.json").read_text())
    close_store(app)


def test_overview_headlines_match_the_planted_truth(demo):
    app, truth = demo
    data = app.test_client().get("/api/overview").get_json()
    (fragile,) = truth["fragile_units"]
    weakest = data["units"][0]
    assert weakest["unit"] == fragile["department"]
    assert weakest["paths"] == 1 and weakest["it_people"] == 1
    assert all(u["paths"] > 1 for u in data["units"][1:])
    assert [u["score"] for u in data["units"]] == sorted(u["score"] for u in data["units"])
    planted = {f"{t['department']}/{t['team']}" for t in truth["isolated_teams"]}
    assert planted <= {t["team"] for t in data["isolated"]}
    assert data["analysis"]["jobs"] == 9
    assert data["analysis"]["first_month"] < data["analysis"]["last_month"]
    assert len(data["analysis"]["compared"]) == 2
    assert data["freshness"]["last_ingest"] is not None


def test_overview_page_shows_units_and_isolated_teams(demo):
    app, truth = demo
    page = app.test_client().get("/").get_data(as_text=True)
    (fragile,) = truth["fragile_units"]
    assert page.count("single liaison") == 1
    assert f"<td>{fragile['department']}</td>" in page
    for t in truth["isolated_teams"]:
        assert f'href="/teams/{t["department"]}/{t["team"]}"'.replace(" ", "%20") in page
    assert "Analysis of 20" in page
