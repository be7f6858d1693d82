"""``flask --app app erase`` end to end on the embedded store, seen through the web app.

After an erasure the person's page is gone, no map, table or graph export
names their key, the audit log says who erased whom, and loading the same
exports again (or analysing again) brings nothing of them back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from tests.apps import make_app
from tests.apps import make_demo
from web.auth import accounts
from web.exports import TABLES
from web.store import close_store
from web.store import get_store

DEMO_FILES = (
    ("directory", "hr.csv"),
    ("email", "mail.mbox"),
    ("meetings", "meetings.ics"),
    ("tickets", "tickets.csv"),
)


@pytest.fixture
def demo(tmp_path: Path):
    app = make_demo(tmp_path)
    yield app
    close_store(app)


def top_broker(app: Flask) -> tuple[str, str]:
    with app.app_context():
        store = get_store()
        key = store.snapshot("brokers").data["result"]["top_betweenness"][0][0]
        return key, store.person(key).team_key


def erase(app: Flask, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["erase", *args], input=input)


def body(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    try:
        return response.status_code, response.get_data(as_text=True)
    finally:
        response.close()


def test_after_erasure_no_page_map_or_export_names_the_person(demo):
    key, team = top_broker(demo)
    client = demo.test_client()
    assert body(client, f"/api/people/{key}")[0] == 200
    members = f"/api/map/teams/{team}/people"
    assert key in body(client, members)[1]  # now cached under the current data version

    result = erase(demo, key, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Erased {key}." in result.output

    assert body(client, f"/people/{key}")[0] == 404
    assert body(client, f"/api/people/{key}")[0] == 404
    status, text = body(client, members)
    assert status == 200 and key not in text
    for path in ["/", "/map", "/api/map/teams", "/liaison", "/api/liaison", "/api/report"]:
        status, text = body(client, path)
        assert status == 200 and key not in text, path
    gone = []
    for name in TABLES:
        status, text = body(client, f"/export/{name}.csv")
        assert key not in text, name
        if status == 404:  # its analysis mentioned the person: dropped until the next one
            assert "results yet" in text, name
            gone.append(name)
        else:
            assert status == 200, name
    assert "brokers" in gone and "people" not in gone
    for fmt in ("gexf", "graphml"):
        status, text = body(client, f"/export/graph.{fmt}?level=people")
        assert status == 200 and key not in text, fmt

    with demo.app_context():
        [row] = accounts().audit(action="erase")[0]
    assert (row.user, row.action) == ("cli", "erase")
    assert row.target.startswith(f"{key}: ")
    status, text = body(client, "/api/audit?action=erase")
    assert status == 200 and json.loads(text)["total"] == 1


def test_loading_and_analysing_again_brings_nothing_back(demo):
    key, _ = top_broker(demo)
    assert erase(demo, key, "--yes").exit_code == 0
    with demo.app_context():
        store = get_store()
        counts = store.counts().as_dict()
        people = [p.key for p in store.people()]
    runner = demo.test_cli_runner()
    folder = Path(demo.config["DATA_DIR"]) / "demo"
    for kind, name in DEMO_FILES:
        result = runner.invoke(args=["ingest", kind, str(folder / name)])
        assert result.exit_code == 0, result.output
    assert "opted out or erased" in result.output
    result = runner.invoke(args=["analyze"])
    assert result.exit_code == 0, result.output
    with demo.app_context():
        store = get_store()
        assert store.counts().as_dict() == counts
        assert [p.key for p in store.people()] == people
        for kind in ("brokers", "risk", "introductions", "liaison", "isolation", "roles"):
            assert key not in json.dumps(store.snapshot(kind).data), kind


def test_declining_the_confirmation_erases_nothing(demo):
    key, _ = top_broker(demo)
    result = erase(demo, key, input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    with demo.app_context():
        assert get_store().person(key).key == key
        assert accounts().audit(action="erase")[0] == []


@pytest.fixture
def small(tmp_path: Path):
    directory = tmp_path / "hr.csv"
    directory.write_text(
        "person_id,name,email,department,team\n"
        "1,Sam Lee,sam.lee@example.com,Finance,Payables\n"
        "2,Sam Lee,s.lee@example.com,IT,Desk\n"
        "3,Ana Diaz,ana.diaz@example.com,IT,Desk\n"
    )
    app = make_app(tmp_path, INTERNAL_DOMAINS=["example.com"])
    result = app.test_cli_runner().invoke(args=["ingest", "directory", str(directory)])
    assert result.exit_code == 0, result.output
    yield app
    close_store(app)


def test_an_ambiguous_name_is_refused_with_the_candidates(small):
    with small.app_context():
        sams = sorted(p.key for p in get_store().people() if p.name == "Sam Lee")
    result = erase(small, "Sam Lee", "--yes")
    assert result.exit_code == 1
    assert "names 2 people" in result.output
    assert all(key in result.output for key in sams)
    with small.app_context():
        assert len(list(get_store().people())) == 3
        assert get_store().erased_keys() == set()


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        ("nobody@example.com", "nobody in the store has that address"),
        ("Nobody Known", "no person with key or name 'Nobody Known'"),
        ("p_000000000000000000000000", "no person with key or name"),
        ("not an@address@", "is not an e-mail address"),
    ],
)
def test_unknown_people_are_reported(small, reference, said):
    result = erase(small, reference, "--yes")
    assert result.exit_code == 1 and said in result.output


def test_erasing_by_name_then_by_address_says_it_is_marked(small):
    assert erase(small, "Ana Diaz", "--yes").exit_code == 0
    result = erase(small, "ana.diaz@example.com", "--yes")
    assert result.exit_code == 1 and "marked as erased" in result.output


def test_opt_out_refuses_text_that_is_not_an_address(small):
    result = small.test_cli_runner().invoke(args=["opt-out", "ana.diaz@example.com", "Ana"])
    assert result.exit_code == 2 and "argument 2 is not an e-mail address" in result.output
    with small.app_context():
        assert get_store().erased_keys() == set()


def test_purge_needs_a_period(small):
    runner = small.test_cli_runner()
    result = runner.invoke(args=["purge", "--yes"])
    assert result.exit_code == 2 and "RETENTION_MONTHS" in result.output
    result = runner.invoke(args=["purge", "--older-than", "0", "--yes"])
    assert result.exit_code == 2


def test_reset_keeps_the_erasure_marks(small):
    assert erase(small, "Ana Diaz", "--yes").exit_code == 0
    with small.app_context():
        marks = get_store().erased_keys()
    result = small.test_cli_runner().invoke(args=["reset", "--yes"])
    assert result.exit_code == 0 and "erasure marks are kept" in result.output
    with small.app_context():
        assert get_store().erased_keys() == marks
        assert list(get_store().people()) == []
