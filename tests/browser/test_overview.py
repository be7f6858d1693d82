"""The overview page in a real browser, on a generated organisation."""

from __future__ import annotations

import json

from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot


def test_overview_shows_the_store_counts(live_server, browser, demo_app):
    report = json.loads(demo_app.test_cli_runner().invoke(args=["report", "--json"]).output)
    browser.get(live_server + "/")
    assert browser.title == "Overview · Bridgework"
    assert browser.find_element(By.ID, "people").text == str(report["counts"]["people"])
    assert browser.find_element(By.ID, "interactions").text == str(report["counts"]["interactions"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#channels tbody tr")
    assert {r.find_elements(By.TAG_NAME, "td")[0].text for r in rows} == {
        "email",
        "meeting",
        "ticket",
    }
    assert screenshot(browser, "overview").stat().st_size > 10_000
