"""What each role sees of people and small groups, on the real pages."""

from __future__ import annotations

import pytest

from tests.security.fill import PEOPLE
from tests.security.fill import fill
from tests.security.helpers import client_as
from web.policy import short_key

NAMES = [p.name for p in PEOPLE]


@pytest.fixture
def filled(app):
    fill(app)
    return app


@pytest.fixture
def pairs(filled):
    """The small organisation with its teams of two shown (the minimum group size is 2)."""
    filled.config["MIN_GROUP_SIZE"] = 2
    return filled


def test_analyst_without_identification_sees_pseudonyms(pairs):
    filled = pairs
    client = client_as(filled, "ann", "analyst")
    data = client.get("/api/people/p_cat").get_json()
    assert data["label"] == short_key("p_cat")
    page = client.get("/people/p_cat").get_data(as_text=True)
    csv = client.get("/export/people.csv")
    text = csv.get_data(as_text=True)
    csv.close()
    for name in NAMES:
        assert name not in page and name not in text
    assert "(pseudonyms)" in page


def test_identification_shows_names(pairs):
    filled = pairs
    for role, identify in (("analyst", True), ("admin", False)):
        client = client_as(filled, f"{role}-{identify}", role, identify)
        assert client.get("/api/people/p_cat").get_json()["label"] == "Cat Cedar"


def test_small_groups_hidden_from_all_but_admins(filled):
    assert filled.config["MIN_GROUP_SIZE"] == 5
    analyst = client_as(filled, "ann", "analyst", identify=True)
    viewer = client_as(filled, "vic", "viewer")
    admin = client_as(filled, "root", "admin")
    for client in (analyst, viewer):
        teams = client.get("/api/teams").get_json()["teams"]
        assert teams and not any(t["visible"] for t in teams)
        assert client.get("/api/map/teams").get_json()["nodes"] == []
    teams = admin.get("/api/teams").get_json()["teams"]
    assert all(t["visible"] for t in teams)
    assert len(admin.get("/api/map/teams").get_json()["nodes"]) == 2


def test_viewer_sees_no_person_level_page(filled):
    viewer = client_as(filled, "vic", "viewer")
    for path in ("/people/p_cat", "/api/people/p_cat", "/teams/Sales/Field", "/api/search?q=an"):
        assert viewer.get(path).status_code == 403, path
    page = viewer.get("/").get_data(as_text=True)
    assert 'href="/exports"' not in page and 'href="/data"' not in page
    assert 'href="/audit"' not in page
