"""Exports in a real browser: downloads land as files that parse; the report prints on A4."""

from __future__ import annotations

import base64
import csv
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot


def wait_for_file(folder: Path, name: str, timeout: float = 20.0) -> Path:
    """Wait until Chromium has finished writing ``name`` into ``folder``."""
    path = folder / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partial = list(folder.glob("*.crdownload"))
        if path.exists() and path.stat().st_size > 0 and not partial:
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} not downloaded; folder holds {sorted(folder.iterdir())}")


def test_gexf_and_csv_links_download_files_that_parse(live_server, browser, demo_app, tmp_path):
    counts = demo_app.test_client().get("/api/counts").get_json()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.get(live_server + "/exports")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Exports"
    preview = browser.find_element(By.CSS_SELECTOR, ".map-preview img")
    browser.execute_script("arguments[0].scrollIntoView()", preview)
    WebDriverWait(browser, 20).until(
        lambda b: b.execute_script("return arguments[0].complete", preview)
    )
    assert browser.execute_script("return arguments[0].naturalWidth", preview) == 1200
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "exports")

    browser.find_element(By.CSS_SELECTOR, 'a[data-name="graph-teams-gexf"]').click()
    gexf = wait_for_file(tmp_path, "bridgework-teams.gexf")
    ET.parse(gexf)  # well-formed XML
    graph = nx.read_gexf(gexf)
    assert graph.number_of_nodes() == counts["teams"]
    assert all("viz" in attrs for _, attrs in graph.nodes(data=True))

    browser.find_element(By.CSS_SELECTOR, 'a[data-name="people"]').click()
    people = wait_for_file(tmp_path, "bridgework-people.csv")
    with people.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == counts["people"]
    assert all(row["label"] and row["key"].startswith("p_") for row in rows)


def test_window_form_changes_the_download_links(live_server, browser):
    browser.get(live_server + "/exports")
    browser.find_element(By.CSS_SELECTOR, '#window input[value="meeting"]').click()
    before = browser.find_element(By.TAG_NAME, "h1")
    browser.find_element(By.CSS_SELECTOR, "#window button[type=submit]").click()
    WebDriverWait(browser, 20).until(ec.staleness_of(before))
    link = browser.find_element(By.CSS_SELECTOR, 'a[data-name="person_ties"]')
    href = link.get_attribute("href")
    assert "channel=email" in href and "channel=ticket" in href and "meeting" not in href
    note = browser.find_element(By.ID, "window-note").text
    assert "email, ticket" in note and "meeting" not in note
    people = browser.find_element(By.CSS_SELECTOR, 'a[data-name="people"]')
    assert "?" not in people.get_attribute("href")


def test_report_shows_every_unit_and_prints_one_section_per_page(live_server, browser, demo_app):
    units = demo_app.test_client().get("/api/report").get_json()["liaison"]
    browser.get(live_server + "/report")
    text = browser.find_element(By.ID, "liaison").text
    assert all(u["unit"] in text for u in units)
    assert browser.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
    screenshot(browser, "report")

    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "[data-print]").is_displayed()
        screenshot(browser, "report-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    pdf = base64.b64decode(
        browser.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})[
            "data"
        ]
    )
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    sections = len(browser.find_elements(By.CSS_SELECTOR, ".report-section"))
    assert sections == 7
    assert sections <= pages <= 2 * sections
