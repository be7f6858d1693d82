"""The network map in a real browser: teams render, a click drills into people."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot


def wait_for_status(browser, text: str) -> str:
    WebDriverWait(browser, 20).until(ec.text_to_be_present_in_element((By.ID, "status"), text))
    return browser.find_element(By.ID, "status").text


def test_team_map_renders_and_drills_down(live_server, browser, demo_app):
    teams = demo_app.test_client().get("/api/map/teams").get_json()
    browser.get(live_server + "/map")
    status = wait_for_status(browser, "teams,")
    assert status.startswith(f"{len(teams['nodes'])} teams")
    rendered = browser.execute_script("return bridgeworkMap.cy.nodes().length")
    assert rendered == len(teams["nodes"]) > 5
    assert browser.execute_script("return bridgeworkMap.cy.edges().length") == len(teams["edges"])
    screenshot(browser, "map-teams")

    team = max(teams["nodes"], key=lambda n: n["size"])
    browser.execute_script("bridgeworkMap.cy.getElementById(arguments[0]).emit('tap')", team["id"])
    status = wait_for_status(browser, "people,")
    assert status.startswith(f"{team['id']}: {team['size']} people")
    assert browser.execute_script("return bridgeworkMap.cy.nodes().length") == team["size"]
    assert browser.find_element(By.ID, "back").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#outside li")
    screenshot(browser, "map-people")

    browser.find_element(By.ID, "back").click()
    wait_for_status(browser, "teams,")
    assert browser.execute_script("return bridgeworkMap.cy.nodes().length") == len(teams["nodes"])
