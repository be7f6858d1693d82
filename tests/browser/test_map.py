"""The network map in a real browser: teams render, a click drills into people."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select
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
    ids = [n["id"] for n in teams["nodes"]]
    source, target, weight, count, pairs, per_channel = max(teams["edges"], key=lambda e: e[3])
    drawn = browser.execute_script(
        "return bridgeworkMap.cy.getElementById(arguments[0]).data()",
        f"{ids[source]}→{ids[target]}",
    )
    assert (drawn["source"], drawn["target"], drawn["weight"]) == (ids[source], ids[target], weight)
    mix = ", ".join(f"{n} {c}" for c, n in zip(teams["channels"], per_channel, strict=True) if n)
    assert f"{count} interactions ({mix}) between {pairs} pairs" in drawn["tip"]
    isolated = {n["id"] for n in teams["nodes"] if n["isolated"]}
    assert isolated
    ringed = browser.execute_script("return bridgeworkMap.cy.nodes('.isolated').map(n => n.id())")
    assert set(ringed) == isolated
    screenshot(browser, "map-teams")

    team = max(teams["nodes"], key=lambda n: n["size"])
    browser.execute_script("bridgeworkMap.cy.getElementById(arguments[0]).emit('tap')", team["id"])
    status = wait_for_status(browser, "people,")
    assert status.startswith(f"{team['id']}: {team['size']} people")
    assert browser.execute_script("return bridgeworkMap.cy.nodes().length") == team["size"]
    assert browser.find_element(By.ID, "back").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#outside li")
    assert browser.find_element(By.ID, "team-link").get_attribute("href").endswith(team["url"])
    person = browser.execute_script("return bridgeworkMap.cy.nodes()[0].data()")
    browser.execute_script(
        "bridgeworkMap.cy.getElementById(arguments[0]).emit('tap')", person["id"]
    )
    link = browser.find_element(By.ID, "person-link")
    assert link.get_attribute("href").endswith(person["url"])
    screenshot(browser, "map-people")

    browser.find_element(By.ID, "back").click()
    wait_for_status(browser, "teams,")
    assert browser.execute_script("return bridgeworkMap.cy.nodes().length") == len(teams["nodes"])


def test_unit_filter_and_toggling_highlights(live_server, browser, demo_app):
    unit = demo_app.test_client().get("/api/map/teams?unit=IT").get_json()
    browser.get(live_server + "/map")
    wait_for_status(browser, "teams,")
    Select(browser.find_element(By.NAME, "unit")).select_by_value("IT")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    status = wait_for_status(browser, "IT and the teams it works with")
    assert status.startswith(f"{len(unit['nodes'])} teams")
    assert browser.execute_script("return bridgeworkMap.cy.nodes().length") == len(unit["nodes"])
    liaisons = browser.execute_script("return bridgeworkMap.cy.nodes('.liaison').length")
    assert liaisons == sum(1 for n in unit["nodes"] if n["liaisons"]) > 0
    browser.find_element(By.CSS_SELECTOR, "input[name=mark][value=liaison]").click()
    assert browser.execute_script("return bridgeworkMap.cy.nodes('.liaison').length") == 0


def test_search_finds_a_person_and_opens_their_team(live_server, browser, demo_app):
    client = demo_app.test_client()
    team = client.get("/api/map/teams").get_json()["nodes"][0]["id"]
    person = client.get(f"/api/map/teams/{team}/people").get_json()["nodes"][0]
    browser.get(live_server + "/map")
    wait_for_status(browser, "teams,")
    box = browser.find_element(By.NAME, "find")
    box.send_keys(person["label"][:6])
    button = WebDriverWait(browser, 10).until(
        ec.element_to_be_clickable(
            (By.XPATH, f"//ul[@id='found']//button[contains(., '({team})')]")
        )
    )
    button.click()
    wait_for_status(browser, f"{team}:")
    matched = browser.execute_script("return bridgeworkMap.cy.nodes('.match').map(n => n.id())")
    assert person["id"] in matched
    screenshot(browser, "map-search")
