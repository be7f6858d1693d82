"""The map API on a real embedded store."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from tests.web.map_rows import edge_objects
from web.store import get_store

PEOPLE = [
    Person("p_a", "Ann", "Sales", "Field", "Rep", False),
    Person("p_b", "Ben", "Sales", "Field", "Rep", False),
    Person("p_c", "Cat", "IT", "Service Desk", "Analyst", True),
    Person("p_d", "Dov", "IT", "Apps", "Developer", True),
]


def at(month: int) -> datetime:
    return datetime(2025, month, 3, 9, tzinfo=UTC)


@pytest.fixture
def filled(app):
    with app.app_context():
        store = get_store()
        store.upsert_people(PEOPLE)
        store.add_interactions(
            [
                Interaction("p_a", "p_b", Channel.EMAIL, at(1), "m1"),
                Interaction("p_a", "p_c", Channel.TICKET, at(2), "INC1"),
                Interaction("p_b", "p_c", Channel.EMAIL, at(3), "m2"),
                Interaction("p_c", "p_b", Channel.EMAIL, at(3), "m3"),
                Interaction("p_c", "p_d", Channel.MEETING, at(4), "mt1", 0.5),
            ]
        )
    return app.test_client()


def test_team_map_nodes_and_edges(filled):
    data = filled.get("/api/map/teams").get_json()
    assert data["ok"] and data["level"] == "teams"
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {"IT/Apps", "IT/Service Desk", "Sales/Field"}
    assert nodes["Sales/Field"]["size"] == 2 and nodes["Sales/Field"]["internal_weight"] == 1.0
    assert nodes["IT/Service Desk"]["is_it"] is True
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in data["nodes"])
    edges = {(e["source"], e["target"]): e for e in edge_objects(data)}
    assert edges[("IT/Service Desk", "Sales/Field")] == {
        "source": "IT/Service Desk",
        "target": "Sales/Field",
        "weight": 3.0,
        "count": 3,
        "pairs": 2,
        "channels": {"email": 2, "ticket": 1},
    }
    assert nodes["Sales/Field"]["url"] == "/teams/Sales/Field"
    assert not nodes["Sales/Field"]["isolated"]
    assert edges[("IT/Apps", "IT/Service Desk")]["weight"] == 0.5


def test_layout_is_stable_between_requests(filled):
    first = filled.get("/api/map/teams").get_json()["nodes"]
    assert filled.get("/api/map/teams").get_json()["nodes"] == first


def test_window_and_channel_filters(filled):
    data = filled.get("/api/map/teams?since=2025-03&until=2025-04&channel=email").get_json()
    assert data["channels"] == ["email"]
    assert [(e["source"], e["target"], e["count"]) for e in edge_objects(data)] == [
        ("IT/Service Desk", "Sales/Field", 2)
    ]
    tickets = filled.get("/api/map/teams?channel=ticket").get_json()
    assert [e["count"] for e in edge_objects(tickets)] == [1]
    assert tickets["channels"] == ["ticket"] and tickets["edges"][0][5] == [1]


def test_drill_into_a_team(filled):
    data = filled.get("/api/map/teams/Sales/Field/people").get_json()
    assert data["team"] == "Sales/Field"
    assert {n["label"] for n in data["nodes"]} == {"Ann", "Ben"}
    assert data["edges"] == [{"source": "p_a", "target": "p_b", "weight": 1.0, "count": 1}]
    assert data["external"] == [
        {"person": "p_a", "team": "IT/Service Desk", "weight": 1.0, "count": 1},
        {"person": "p_b", "team": "IT/Service Desk", "weight": 2.0, "count": 2},
    ]


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/map/teams?since=2025-13", 400, "YYYY-MM"),
        ("/api/map/teams?since=March", 400, "YYYY-MM"),
        ("/api/map/teams?channel=fax", 400, "unknown channel"),
        ("/api/map/teams?since=2025-05&until=2025-05", 400, "after since"),
        ("/api/map/teams/Nowhere/Team/people", 404, "no team"),
        ("/api/map/teams?unit=Nowhere", 400, "no such department"),
        ("/api/search?q=a", 400, "at least two"),
    ],
)
def test_bad_requests_get_the_error_shape(filled, url, status, message):
    response = filled.get(url)
    body = response.get_json()
    assert response.status_code == status
    assert body["ok"] is False and body["status"] == status
    assert message in body["error"]


def test_empty_store_gives_an_empty_map(client):
    assert client.get("/api/map/teams").get_json() == {
        "ok": True,
        "level": "teams",
        "unit": None,
        "nodes": [],
        "channels": [c.value for c in Channel],
        "edge_fields": ["source", "target", "weight", "count", "pairs", "channels"],
        "edges": [],
    }


def test_map_page_loads_the_vendored_library(client):
    page = client.get("/map").get_data(as_text=True)
    assert "vendor/cytoscape.min.js" in page and 'id="map"' in page
    with client.get("/static/vendor/cytoscape.min.js") as script:
        assert script.status_code == 200 and b"Cytoscape Consortium" in script.data


def test_unit_filter_keeps_the_unit_and_its_neighbours(filled):
    sales = filled.get("/api/map/teams?unit=Sales").get_json()
    assert sales["unit"] == "Sales"
    assert {n["id"] for n in sales["nodes"]} == {"Sales/Field", "IT/Service Desk"}
    assert [(e["source"], e["target"]) for e in edge_objects(sales)] == [
        ("IT/Service Desk", "Sales/Field")
    ]
    it = filled.get("/api/map/teams?unit=IT").get_json()
    assert {n["id"] for n in it["nodes"]} == {"IT/Apps", "IT/Service Desk", "Sales/Field"}


def test_search_finds_teams_and_people(filled):
    found = filled.get("/api/search?q=SErv").get_json()
    assert found["teams"] == [{"team": "IT/Service Desk", "department": "IT", "is_it": True}]
    assert found["people"] == []
    people = filled.get("/api/search?q=an").get_json()["people"]
    assert people == [{"key": "p_a", "label": "Ann", "team": "Sales/Field", "url": "/people/p_a"}]


def test_drilled_people_link_to_their_pages(filled):
    nodes = filled.get("/api/map/teams/IT/Apps/people").get_json()["nodes"]
    assert [(n["label"], n["url"], n["marks"]) for n in nodes] == [("Dov", "/people/p_d", [])]
