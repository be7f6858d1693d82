"""The compare page and API: the latest snapshot, chosen periods, and bad periods."""

from __future__ import annotations

import re

import pytest

from web.store import close_store
from web.store import get_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The analysed demo organisation (80 people, seed 5) and a client."""
    from tests.apps import make_app

    root = tmp_path_factory.mktemp("compare")
    app = make_app(root)
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield app, app.test_client()
    close_store(app)


def snapshot(app) -> dict:
    with app.app_context():
        found = get_store().snapshot("compare")
    return found.data


def test_default_is_the_latest_snapshot(demo):
    app, client = demo
    stored = snapshot(app)
    data = client.get("/api/compare").get_json()
    assert data["ok"] is True and data["source"] == "snapshot" and data["version"] == 1
    assert data["seed"] == stored["seed"]
    before, after = stored["result"]["windows"]
    assert data["windows"] == {"before": before, "after": after}
    assert (
        data["before"] == f"{before[0]}..{before[-1]}"
        and data["after"] == f"{after[0]}..{after[-1]}"
    )
    assert data["months"] == stored["window"]["months"] == before + after
    assert {r["subject"] for r in data["ei"]} == set(stored["result"]["ei"])
    assert {r["subject"] for r in data["liaison"]} == set(stored["result"]["liaison"])
    for row in data["ei"] + data["liaison"]:
        raw = (
            stored["result"]["ei"].get(row["subject"])
            or stored["result"]["liaison"][row["subject"]]
        )
        assert row["before"] == pytest.approx(raw["before"], abs=1e-6)
        assert row["change"] == pytest.approx(raw["after"] - raw["before"], abs=1e-5)
        assert row["significant"] == (row["low"] > 0 or row["high"] < 0)
    assert len(data["findings"]) == len(stored["result"]["findings"])
    assert all(f["significant"] for f in data["findings"])


def test_recomputing_the_snapshot_periods_gives_the_same_result(demo):
    _, client = demo
    stored = client.get("/api/compare").get_json()
    again = client.get(f"/api/compare?before={stored['before']}&after={stored['after']}").get_json()
    assert again["source"] == "computed" and again["seed"] == stored["seed"]
    for part in ("windows", "ei", "liaison", "findings"):
        assert again[part] == stored[part], part


def test_same_period_on_both_sides_has_no_change(demo):
    _, client = demo
    data = client.get("/api/compare?before=2025-02..2025-07&after=2025-02..2025-07").get_json()
    assert data["windows"]["before"] == data["windows"]["after"]
    assert len(data["windows"]["before"]) == 6
    assert data["ei"] and data["liaison"]
    for row in data["ei"] + data["liaison"]:
        if row["before"] is None:
            continue
        assert row["change"] == 0 and row["low"] == 0 and row["high"] == 0
        assert row["significant"] is False
    assert data["findings"] == []


def test_single_months_and_different_lengths(demo):
    _, client = demo
    data = client.get("/api/compare?before=2025-01&after=2025-10..2025-12").get_json()
    assert data["windows"] == {
        "before": ["2025-01"],
        "after": ["2025-10", "2025-11", "2025-12"],
    }
    assert data["before"] == "2025-01"
    assert any(row["change"] for row in data["ei"])


def test_page_shows_tables_whiskers_and_marks(demo):
    _, client = demo
    data = client.get("/api/compare").get_json()
    page = client.get("/compare").get_data(as_text=True)
    assert 'id="ei-changes"' in page and 'id="liaison-changes"' in page
    assert f'value="{data["before"]}"' in page and f'value="{data["after"]}"' in page
    rows = len(data["ei"]) + len(data["liaison"])
    assert page.count('<svg class="whisker') == rows + 1  # one per row, one in the key
    significant = sum(r["significant"] for r in data["ei"] + data["liaison"])
    assert page.count('<svg class="whisker sig"') == significant
    assert page.count('<tr class="significant">') == significant
    for finding in data["findings"]:
        assert finding["subject"] in page
    assert "style=" not in page and "<script>" not in page
    for team in data["ei"]:
        assert f'href="/teams/{team["subject"].replace(" ", "%20")}"' in page


def test_whisker_positions_follow_the_interval(demo):
    _, client = demo
    data = client.get("/api/compare").get_json()
    scale = max(abs(r[k]) for r in data["ei"] for k in ("change", "low", "high"))
    page = client.get("/compare").get_data(as_text=True)
    table = page[page.index('id="ei-changes"') :].split("</table>")[0]
    lines = re.findall(r'<line class="ci" x1="([\d.]+)" y1="10" x2="([\d.]+)"', table)
    assert len(lines) == len(data["ei"])
    for row, (x1, x2) in zip(data["ei"], lines, strict=True):
        assert float(x1) == pytest.approx(100 + 92 * row["low"] / scale, abs=0.06)
        assert float(x2) == pytest.approx(100 + 92 * row["high"] / scale, abs=0.06)
        assert 0 <= float(x1) <= float(x2) <= 200


def test_chosen_periods_on_the_page(demo):
    _, client = demo
    page = client.get("/compare?before=2025-01..2025-03&after=2025-10..2025-12").get_data(
        as_text=True
    )
    assert "computed now for the chosen periods" in page
    assert 'value="2025-01..2025-03"' in page and "back to the latest analysis" in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("before=2025-01..2025-06", "after", "give both periods"),
        ("after=2025-01..2025-06", "before", "give both periods"),
        ("before=2025-1..2025-06&after=2025-07", "before", "YYYY-MM..YYYY-MM"),
        ("before=2025-01&after=2025-07..2025-13", "after", "01 to 12"),
        ("before=2025-06..2025-01&after=2025-07", "before", "ends before it starts"),
        ("before=2030-01..2030-02&after=2025-07", "before", "no interactions"),
        ("before=2025-01&after=1990-01..2010-12", "after", "at most"),
    ],
)
def test_bad_periods_name_the_field(demo, query, field, message):
    _, client = demo
    response = client.get(f"/api/compare?{query}")
    body = response.get_json()
    assert response.status_code == 400
    assert body["ok"] is False and body["status"] == 400
    assert f"field '{field}'" in body["error"] and message in body["error"]
    page = client.get(f"/compare?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True)


def test_empty_store_says_there_is_nothing_to_compare(client):
    data = client.get("/api/compare").get_json()
    assert data["ok"] is True and data["source"] is None
    assert "No comparison yet" in data["skipped"]
    assert data["ei"] == data["liaison"] == data["findings"] == []
    page = client.get("/compare").get_data(as_text=True)
    assert 'id="compare-empty"' in page and "No comparison yet" in page
    response = client.get("/api/compare?before=2025-01&after=2025-02")
    assert response.status_code == 400 and "no interactions" in response.get_json()["error"]
