"""Team list → team page → person page in a real browser."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot


def test_team_list_to_team_to_person(live_server, browser, demo_app):
    client = demo_app.test_client()
    teams = client.get("/api/teams").get_json()["teams"]
    flagged = next(t for t in teams if t["flagged"])
    browser.get(live_server + "/teams")
    rows = browser.find_elements(By.CSS_SELECTOR, "#teams tbody tr")
    assert len(rows) == len(teams)

    browser.find_element(By.LINK_TEXT, flagged["name"]).click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "team-name")))
    report = client.get(f"/api/teams/{flagged['key']}").get_json()
    assert browser.find_element(By.ID, "team-name").text.startswith(flagged["name"])
    assert browser.find_element(By.ID, "isolation-reasons").is_displayed()
    members = browser.find_elements(By.CSS_SELECTOR, "#members tbody tr")
    assert len(members) == report["size"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#team-ties tbody tr")) == len(report["ties"])
    screenshot(browser, "team")

    member = max(report["members"], key=lambda m: m["betweenness"])
    browser.find_element(By.CSS_SELECTOR, f"#members a[href^='/people/{member['key']}']").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "person-name")))
    assert browser.find_element(By.ID, "person-name").text == member["label"]
    person = client.get(f"/api/people/{member['key']}").get_json()
    contacts = browser.find_elements(By.CSS_SELECTOR, "#contacts tbody tr")
    assert len(contacts) == len(person["contacts"]) > 0
    assert person["contacts"][0]["label"] in contacts[0].text
    screenshot(browser, "person")

    browser.find_element(By.CSS_SELECTOR, ".crumbs a[href^='/teams/']").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "team-name")))
    assert browser.current_url.endswith("/teams/" + flagged["key"].replace(" ", "%20"))


def test_it_team_and_a_broker_page(live_server, browser, demo_app):
    client = demo_app.test_client()
    (it_team,) = [t for t in client.get("/api/teams").get_json()["teams"] if t["is_it"]]
    browser.get(f"{live_server}/teams/{it_team['key']}")
    units = browser.find_elements(By.CSS_SELECTOR, "#served-units tbody tr")
    assert len(units) == len(
        client.get(f"/api/teams/{it_team['key']}").get_json()["liaison"]["units"]
    )
    screenshot(browser, "team-it")
    carrier = browser.find_element(By.CSS_SELECTOR, "#served-units td.carriers a")
    name = carrier.text
    carrier.click()
    WebDriverWait(browser, 10).until(ec.text_to_be_present_in_element((By.ID, "person-name"), name))
    assert browser.find_elements(By.CSS_SELECTOR, "#gf-roles tbody tr")
