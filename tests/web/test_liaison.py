"""The liaison matrix and its cell drill-down (page and API), on a small store and the demo."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC
from datetime import datetime

import pytest
from flask import g

from ingest.identity import pseudonym
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from web.policy import Viewer
from web.policy import short_key
from web.store import close_store
from web.store import get_store

KEY = "test-key"
PEOPLE = [
    Person("p_sales_ann_01", "Ann", "Sales", "Field", "Rep", False),
    Person("p_sales_ben_02", "Ben", "Sales", "Field", "Rep", False),
    Person("p_sales_cal_03", "Cal", "Sales", "Inside", "Rep", False),
    Person("p_fin_fay_0004", "Fay", "Finance", "Books", "Clerk", False),
    Person("p_fin_gus_0005", "Gus", "Finance", "Books", "Clerk", False),
    Person("p_legal_lea_06", "Lea", "Legal", "Counsel", "Lawyer", False),
    Person("p_it_dee_00007", "Dee", "IT", "Desk", "Analyst", True),
    Person("p_it_don_00008", "Don", "IT", "Desk", "Analyst", True),
    Person("p_it_abe_00009", "Abe", "IT", "Apps", "Developer", True),
]
ANN, BEN, CAL, FAY, _, LEA, DEE, DON, ABE = (p.key for p in PEOPLE)


def at(month: int) -> datetime:
    return datetime(2025, month, 3, 9, tzinfo=UTC)


def fill(app) -> None:
    with app.app_context():
        store = get_store()
        store.upsert_people(PEOPLE)
        store.add_interactions(
            [
                Interaction(ANN, DEE, Channel.EMAIL, at(1), "m1"),
                Interaction(DEE, ANN, Channel.EMAIL, at(2), "m2"),
                Interaction(ANN, DEE, Channel.TICKET, at(3), "t1"),
                Interaction(BEN, DON, Channel.EMAIL, at(3), "m3"),
                Interaction(CAL, ABE, Channel.MEETING, at(4), "mt1"),
                Interaction(FAY, DEE, Channel.TICKET, at(5), "t2"),
                Interaction(LEA, DON, Channel.EMAIL, at(6), "m4"),
                Interaction(ANN, BEN, Channel.EMAIL, at(6), "m5"),
                Interaction(DEE, DON, Channel.EMAIL, at(7), "m6"),
            ]
        )


@pytest.fixture
def small(app):
    fill(app)
    yield app.test_client()
    close_store(app)


@pytest.fixture
def guarded(app):
    """The small store seen by a viewer who may not identify people, groups of 2 or more."""
    app.config["MIN_GROUP_SIZE"] = 2

    @app.before_request
    def as_viewer() -> None:
        g.viewer = Viewer("guest", "analyst", identify=False)

    fill(app)
    yield app.test_client()
    close_store(app)


@pytest.fixture
def viewing(app):
    """The analysed small store seen by a viewer: group-level figures, no people."""

    app.config["MIN_GROUP_SIZE"] = 1

    @app.before_request
    def as_viewer() -> None:
        g.viewer = Viewer("cio", "viewer", identify=False)

    fill(app)
    assert app.test_cli_runner().invoke(args=["analyze"]).exit_code == 0
    yield app.test_client()
    close_store(app)


def cells(data: dict) -> dict[tuple[str, str], dict]:
    return {(row["unit"], c["it_team"]): c for row in data["units"] for c in row["cells"]}


# -- small store: exact figures ------------------------------------------------------------


def test_matrix_rows_columns_and_cell_states(small):
    data = small.get("/api/liaison").get_json()
    assert data["ok"] is True
    assert [(t["team"], t["label"], t["size"]) for t in data["it_teams"]] == [
        ("IT/Apps", "Apps", 1),
        ("IT/Desk", "Desk", 2),
    ]
    assert data["it_teams"][1]["url"] == "/teams/IT/Desk"
    assert {r["unit"]: r["size"] for r in data["units"]} == {"Finance": 2, "Legal": 1, "Sales": 3}
    found = cells(data)
    assert {k: c["state"] for k, c in found.items()} == {
        ("Finance", "IT/Apps"): "empty",
        ("Finance", "IT/Desk"): "scored",
        ("Legal", "IT/Apps"): "empty",
        ("Legal", "IT/Desk"): "scored",
        ("Sales", "IT/Apps"): "scored",
        ("Sales", "IT/Desk"): "scored",
    }
    desk = found[("Sales", "IT/Desk")]
    assert (desk["interactions"], desk["pairs"], desk["weight"]) == (4, 2, 4.0)
    assert (desk["it_people"], desk["unit_people"], desk["paths"]) == (2, 2, 2)
    assert desk["coverage"] == pytest.approx(2 / 3, abs=1e-3)
    assert set(desk["components"]) == {"volume", "breadth", "redundancy", "relational", "recency"}
    assert 0 <= desk["score"] <= 100 and desk["heat"] == min(
        9, math.floor(desk["score"] + 0.5) // 10
    )
    assert desk["channel_mix"] == {"ties": 2, "transactional": 0.0, "multiplexity": 1.5}
    assert desk["api"] == "/api/liaison/cell?unit=Sales&it_team=IT/Desk"
    assert found[("Finance", "IT/Desk")]["channel_mix"]["transactional"] == 1.0
    assert found[("Finance", "IT/Apps")] == {"it_team": "IT/Apps", "state": "empty"}


def test_without_a_snapshot_the_rows_have_no_overall_score(small):
    data = small.get("/api/liaison").get_json()
    assert data["snapshot"] is None
    assert all(r["overall"] is None for r in data["units"])
    assert "flask --app app analyze" in data["message"]
    page = small.get("/liaison").get_data(as_text=True)
    assert "flask --app app analyze" in page and "not analysed" in page


def test_overall_scores_come_from_the_latest_snapshot(small, app):
    assert app.test_cli_runner().invoke(args=["analyze"]).exit_code == 0
    data = small.get("/api/liaison").get_json()
    assert "message" not in data and data["snapshot"]["version"] == 1
    with app.app_context():
        units = get_store().snapshot("liaison").data["result"]["units"]
    rows = data["units"]
    assert [r["overall"]["score"] for r in rows] == sorted(r["overall"]["score"] for r in rows)
    for row in rows:
        assert row["overall"]["score"] == round(units[row["unit"]]["score"], 1)
        assert row["overall"]["paths"] == units[row["unit"]]["paths"]
    sales = next(r for r in rows if r["unit"] == "Sales")
    assert {p["label"] for p in sales["overall"]["liaisons"]} == {"Dee", "Don", "Abe"}
    assert all(p["url"] == f"/people/{p['key']}" for p in sales["overall"]["liaisons"])
    legal = next(r for r in rows if r["unit"] == "Legal")
    assert [(p["label"], p["share"]) for p in legal["overall"]["liaisons"]] == [("Don", 1.0)]


def test_window_and_channels_change_the_cells(small):
    found = cells(small.get("/api/liaison?since=2025-03").get_json())
    assert found[("Sales", "IT/Desk")]["interactions"] == 2
    email = small.get("/api/liaison?channel=email")
    data = email.get_json()
    assert data["window"] == {"since": None, "until": None, "channels": ["email"]}
    found = cells(data)
    assert found[("Sales", "IT/Desk")]["interactions"] == 3
    assert found[("Sales", "IT/Apps")]["state"] == "empty"
    assert found[("Finance", "IT/Desk")]["state"] == "empty"
    assert found[("Sales", "IT/Desk")]["api"] == (
        "/api/liaison/cell?unit=Sales&it_team=IT/Desk&channel=email"
    )
    late = cells(small.get("/api/liaison?since=2026-01").get_json())
    assert {c["state"] for c in late.values()} == {"empty"}


def test_cell_drill_down_lists_people_and_ties_strongest_first(small):
    data = small.get("/api/liaison/cell?unit=Sales&it_team=IT/Desk").get_json()
    assert data["ok"] and data["state"] == "scored"
    assert (data["unit"], data["it_team"], data["it_team_label"]) == ("Sales", "IT/Desk", "Desk")
    assert [(p["label"], p["team"], p["weight"], p["ties"]) for p in data["business"]] == [
        ("Ann", "Sales/Field", 3.0, 3),
        ("Ben", "Sales/Field", 1.0, 1),
    ]
    assert [(p["label"], p["url"]) for p in data["it"]] == [
        ("Dee", f"/people/{DEE}"),
        ("Don", f"/people/{DON}"),
    ]
    assert [
        (t["person"]["label"], t["it_person"]["label"], t["weight"], t["count"], t["channels"])
        for t in data["ties"]
    ] == [("Ann", "Dee", 3.0, 3, ["email", "ticket"]), ("Ben", "Don", 1.0, 1, ["email"])]
    assert data["matrix_url"] == "/liaison"


def test_cell_with_no_ties_and_windowed_cells(small):
    empty = small.get("/api/liaison/cell?unit=Finance&it_team=IT/Apps").get_json()
    assert empty["ok"] and empty["state"] == "empty"
    assert (empty["business"], empty["it"], empty["ties"]) == ([], [], [])
    windowed = small.get("/api/liaison/cell?unit=Sales&it_team=IT/Desk&channel=ticket").get_json()
    assert [(t["person"]["label"], t["count"], t["channels"]) for t in windowed["ties"]] == [
        ("Ann", 1, ["ticket"])
    ]
    assert windowed["matrix_url"] == "/liaison?channel=ticket"


def test_cell_page_without_javascript(small):
    page = small.get("/liaison/cell?unit=Sales&it_team=IT/Desk").get_data(as_text=True)
    assert f'<a href="/people/{ANN}">Ann</a>' in page
    assert f'<a href="/people/{DON}">Don</a>' in page
    assert '<a href="/teams/IT/Desk">IT/Desk</a>' in page
    assert 'id="cell-ties"' in page and "email, ticket" in page
    empty = small.get("/liaison/cell?unit=Legal&it_team=IT/Apps").get_data(as_text=True)
    assert "No ties between Legal and IT/Apps" in empty


def test_matrix_page_colours_cells_with_classes_and_links_them(small):
    page = small.get("/liaison").get_data(as_text=True)
    data = small.get("/api/liaison").get_json()
    desk = cells(data)[("Sales", "IT/Desk")]
    assert f'<td class="cell heat-{desk["heat"]}" data-it-team="IT/Desk"' in page
    assert 'href="/liaison/cell?unit=Sales&amp;it_team=IT/Desk"' in page
    assert 'data-api="/api/liaison/cell?unit=Sales&amp;it_team=IT/Desk"' in page
    assert (
        page.count('class="cell cell-empty"') == 2 + 3
    )  # two empty cells, three rows not analysed
    assert "static/liaison.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page and " onclick=" not in page


def test_form_keeps_the_chosen_window(small):
    page = small.get("/liaison?since=2025-02&until=2025-09&channel=email").get_data(as_text=True)
    assert 'name="since" value="2025-02"' in page and 'name="until" value="2025-09"' in page
    assert 'value="email" checked' in page and 'value="ticket">' in page


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/liaison?since=2025-13", 400, "field 'since': must be a month"),
        ("/api/liaison?until=soon", 400, "field 'until': must be a month"),
        ("/api/liaison?channel=fax", 400, "field 'channel': unknown channel"),
        ("/api/liaison/cell?it_team=IT/Desk", 400, "field 'unit': is required"),
        ("/api/liaison/cell?unit=Sales", 400, "field 'it_team': is required"),
        ("/api/liaison/cell?unit=Sales&it_team=IT/Desk&since=May", 400, "field 'since'"),
        ("/api/liaison/cell?unit=Nowhere&it_team=IT/Desk", 404, "no business unit 'Nowhere'"),
        ("/api/liaison/cell?unit=IT&it_team=IT/Desk", 404, "no business unit 'IT'"),
        ("/api/liaison/cell?unit=Sales&it_team=Sales/Field", 404, "no IT team 'Sales/Field'"),
    ],
)
def test_bad_requests_get_the_error_shape(small, url, status, message):
    response = small.get(url)
    body = response.get_json()
    assert response.status_code == status
    assert body["ok"] is False and body["status"] == status
    assert message in body["error"]


def test_bad_requests_on_pages_are_html(small):
    page = small.get("/liaison?since=2025-13")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "field &#39;since&#39;" in page.get_data(as_text=True)
    missing = small.get("/liaison/cell?unit=Nowhere&it_team=IT/Desk")
    assert missing.status_code == 404 and "no business unit" in missing.get_data(as_text=True)


def test_empty_store(client):
    data = client.get("/api/liaison").get_json()
    assert data["ok"] and data["units"] == [] and data["it_teams"] == []
    assert "store is empty" in data["message"]
    page = client.get("/liaison")
    assert page.status_code == 200 and "The store is empty" in page.get_data(as_text=True)


# -- privacy: small groups and pseudonyms -------------------------------------------------------


def test_small_groups_are_hidden_from_viewers(guarded):
    data = guarded.get("/api/liaison").get_json()
    teams = {t["team"]: t for t in data["it_teams"]}
    assert teams["IT/Apps"]["visible"] is False and "size" not in teams["IT/Apps"]
    legal = next(r for r in data["units"] if r["unit"] == "Legal")
    assert legal["visible"] is False and "size" not in legal and legal["overall"] is None
    assert legal["cells"] == [
        {"it_team": "IT/Apps", "state": "hidden"},
        {"it_team": "IT/Desk", "state": "hidden"},
    ]
    found = cells(data)
    assert found[("Sales", "IT/Apps")] == {"it_team": "IT/Apps", "state": "hidden"}
    assert found[("Sales", "IT/Desk")]["state"] == "scored"
    page = guarded.get("/liaison").get_data(as_text=True)
    assert "hidden (fewer than 2 people)" in page
    drill = guarded.get("/api/liaison/cell?unit=Legal&it_team=IT/Desk").get_json()
    assert drill["state"] == "hidden" and drill["message"] == "hidden (fewer than 2 people)"
    assert not {"ties", "business", "it", "score", "pairs"} & set(drill)


def test_viewers_see_pseudonyms_not_names(guarded):
    drill = guarded.get("/api/liaison/cell?unit=Sales&it_team=IT/Desk").get_json()
    assert [p["label"] for p in drill["business"]] == [short_key(ANN), short_key(BEN)]
    page = guarded.get("/liaison/cell?unit=Sales&it_team=IT/Desk").get_data(as_text=True)
    assert "Ann" not in page and short_key(ANN) in page


# -- the demo organisation: the planted fragile unit ---------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The analysed demo organisation (80 people, seed 5), a client and its planted truth."""
    from tests.apps import make_app

    root = tmp_path_factory.mktemp("liaison")
    app = make_app(root, PSEUDONYM_KEY=KEY)
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    truth = json.loads((root / "data" / "demo" / "truth.json").read_text())
    yield app.test_client(), truth
    close_store(app)


def key(address: str) -> str:
    return pseudonym(address, KEY.encode())


def test_demo_fragile_unit_has_one_it_person_and_the_lowest_score(demo):
    client, truth = demo
    (fragile,) = truth["fragile_units"]
    data = client.get("/api/liaison").get_json()
    business = {d for d in truth["departments"] if d not in truth["it_departments"]}
    assert {r["unit"] for r in data["units"]} == business
    first = data["units"][0]
    assert first["unit"] == fragile["department"]
    assert first["overall"]["score"] == min(r["overall"]["score"] for r in data["units"])
    assert first["overall"]["paths"] == 1
    assert [p["key"] for p in first["overall"]["liaisons"]] == [key(fragile["liaison"])]
    it_people = set()
    for cell in first["cells"]:
        if cell["state"] == "scored":
            drill = client.get(cell["api"]).get_json()
            it_people |= {p["key"] for p in drill["it"]}
            assert cell["it_people"] == len(drill["it"]) == 1
    assert it_people == {key(fragile["liaison"])}
    for row in data["units"][1:]:
        assert sum(c.get("it_people", 0) for c in row["cells"]) > 1, row["unit"]


def test_demo_cells_match_their_drill_downs(demo):
    client, _ = demo
    data = client.get("/api/liaison").get_json()
    scored = [(r["unit"], c) for r in data["units"] for c in r["cells"] if c["state"] == "scored"]
    assert len(scored) >= len(data["units"])
    for unit, cell in scored:
        drill = client.get(cell["api"]).get_json()
        assert drill["score"] == cell["score"] and drill["heat"] == min(
            9, math.floor(cell["score"] + 0.5) // 10
        )
        assert len(drill["ties"]) == cell["pairs"]
        assert sum(t["count"] for t in drill["ties"]) == cell["interactions"]
        weights = [t["weight"] for t in drill["ties"]]
        assert weights == sorted(weights, reverse=True)
        assert all(p["team"].startswith(unit + "/") for p in drill["business"])
        assert {p["team"] for p in drill["it"]} == {cell["it_team"]}
        assert len(drill["business"]) == cell["unit_people"]
        assert len(drill["it"]) == cell["it_people"]


def test_demo_ticket_only_window(demo):
    client, truth = demo
    (fragile,) = truth["fragile_units"]
    everything = client.get("/api/liaison").get_json()
    tickets = client.get("/api/liaison?channel=ticket").get_json()
    row = next(r for r in tickets["units"] if r["unit"] == fragile["department"])
    all_row = next(r for r in everything["units"] if r["unit"] == fragile["department"])
    for cell, before in zip(row["cells"], all_row["cells"], strict=True):
        if cell["state"] == "scored":
            assert cell["channel_mix"]["transactional"] == 1.0
            assert cell["interactions"] < before["interactions"]
    assert tickets["units"][0]["overall"] == everything["units"][0]["overall"]  # from the snapshot


def test_demo_window_after_the_data_has_no_ties(demo):
    client, _ = demo
    page = client.get("/liaison?since=2030-01").get_data(as_text=True)
    assert "cell-link" not in page
    data = client.get("/api/liaison").get_json()
    assert page.count(">no ties</td>") == len(data["units"]) * len(data["it_teams"])


def test_viewers_get_figures_but_no_people(viewing):
    data = viewing.get("/api/liaison").get_json()
    scored = [c for c in cells(data).values() if c["state"] == "scored"]
    assert scored and all("url" not in c and "api" not in c for c in scored)
    assert all(r["overall"]["score"] is not None for r in data["units"])
    assert all(r["overall"]["liaisons"] is None for r in data["units"])
    page = viewing.get("/liaison").get_data(as_text=True)
    assert "cell-link" not in page and "/people/" not in page
    assert "names need analyst access" in page and "Dee" not in page
