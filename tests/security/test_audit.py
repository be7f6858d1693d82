"""The audit log: person-level views and downloads are recorded; admins read the log."""

from __future__ import annotations

import pytest

from tests.security.fill import fill
from tests.security.helpers import client_as
from tests.security.helpers import login
from tests.security.helpers import make_user
from web import audit
from web.auth import accounts


@pytest.fixture
def filled(app):
    """The small organisation, its teams of two shown (people of hidden teams have no pages)."""
    app.config["MIN_GROUP_SIZE"] = 2
    fill(app)
    return app


def rows(app, **filters):
    with app.app_context():
        entries, _ = accounts().audit(**filters)
    return entries


def test_person_page_view_is_recorded(filled):
    client = client_as(filled, "ann", "analyst")
    assert client.get("/people/p_cat?since=2025-01").status_code == 200
    assert client.get("/api/people/p_cat").status_code == 200
    newest, older = rows(filled, action="view")[:2]
    assert newest.user == "ann" and newest.role == "analyst" and newest.ip == "127.0.0.1"
    assert newest.target == "teams.api_person key=p_cat"
    assert older.target == "teams.person_page key=p_cat since=2025-01"


def test_export_download_is_recorded(filled):
    client = client_as(filled, "ann", "analyst", identify=True)
    response = client.get("/export/people.csv")
    assert response.status_code == 200 and "Ann Ash" in response.get_data(as_text=True)
    response.close()
    (entry,) = rows(filled, action="export")
    assert (entry.user, entry.role, entry.target) == (
        "ann",
        "analyst",
        "exports.table_csv name=people",
    )


def test_group_pages_denials_and_failures_are_not_recorded(filled):
    viewer = client_as(filled, "vic", "viewer")
    assert viewer.get("/teams").status_code == 200
    assert viewer.get("/people/p_cat").status_code == 403
    analyst = client_as(filled, "ann", "analyst")
    assert analyst.get("/people/nobody").status_code == 404
    assert rows(filled, action="view") == []


def test_logins_and_failures_are_recorded(filled):
    make_user(filled, "ann", "viewer")
    login(filled.test_client(), "ann", "a wrong password")
    login(filled.test_client(), "ann")
    actions = [(e.action, e.user, e.role) for e in rows(filled)]
    assert actions == [("login", "ann", "viewer"), ("login_failed", "ann", "")]
    assert all("password" not in e.target for e in rows(filled))


def test_record_for_ingest_and_jobs(filled):
    with filled.test_request_context("/data/uploads", environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        row = audit.record("ingest", "email mail.mbox", user="root", role="admin")
    with filled.app_context():
        audit.record("analysis", "nine jobs, seed 1")
    analysis, ingest = rows(filled)
    assert row == ingest.id
    assert (ingest.user, ingest.action, ingest.ip) == ("root", "ingest", "10.1.1.1")
    assert (analysis.user, analysis.role, analysis.ip) == ("cli", "", "")


def test_admin_reads_the_log_with_filters_and_pages(filled):
    admin = client_as(filled, "root", "admin")
    analyst = client_as(filled, "ann", "analyst")
    for _ in range(55):
        analyst.get("/api/people/p_ann")
    data = admin.get("/api/audit?user=ANN&action=view").get_json()
    assert data["ok"] is True and data["total"] == 55 and data["pages"] == 2
    assert len(data["entries"]) == 50
    ids = [e["id"] for e in data["entries"]]
    assert ids == sorted(ids, reverse=True)
    second = admin.get("/api/audit?user=ann&action=view&page=2").get_json()
    assert len(second["entries"]) == 5 and second["entries"][0]["id"] < ids[-1]
    page = admin.get("/audit?action=view").get_data(as_text=True)
    assert "teams.api_person key=p_ann" in page and "page 1 of 2" in page
    assert 'href="/audit?action=view&amp;page=2"' in page
    bad = admin.get("/api/audit?action=steal")
    assert bad.status_code == 400 and bad.get_json()["errors"][0].startswith("field 'action'")
    assert admin.get("/api/audit?page=0").status_code == 400
    assert analyst.get("/api/audit").status_code == 403
    assert analyst.get("/audit").status_code == 403
