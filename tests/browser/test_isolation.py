"""The isolated-teams page in a real browser: ranked cards with a drawn ego map each."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot


def drawn(browser, team: str) -> int:
    return browser.execute_script(
        "const cy = (window.bridgeworkEgo || {maps: {}}).maps[arguments[0]];"
        "return cy ? cy.nodes().length : 0;",
        team,
    )


def test_isolated_page_ranks_teams_and_draws_ego_maps(live_server, browser, demo_app):
    client = demo_app.test_client()
    data = client.get("/api/isolated").get_json()
    browser.get(live_server + "/isolated")
    cards = browser.find_elements(By.CSS_SELECTOR, "#isolated li.iso-card")
    assert [c.get_attribute("data-team") for c in cards] == [t["team"] for t in data["teams"]]
    first = data["teams"][0]
    assert first["flagged"] and "flagged" in cards[0].get_attribute("class")

    WebDriverWait(browser, 20).until(lambda b: drawn(b, first["team"]) > 0)
    ego = client.get(first["ego_api"]).get_json()
    assert drawn(browser, first["team"]) == len(ego["nodes"]) > 1
    edges = browser.execute_script(
        "return bridgeworkEgo.maps[arguments[0]].edges().length", first["team"]
    )
    assert edges == len(ego["edges"])
    ego_node = browser.execute_script(
        "return bridgeworkEgo.maps[arguments[0]].nodes('.ego').map(n => n.id())", first["team"]
    )
    assert ego_node == [first["team"]]
    screenshot(browser, "isolated")

    second = data["teams"][1]
    browser.execute_script("arguments[0].scrollIntoView()", cards[1])
    WebDriverWait(browser, 20).until(lambda b: drawn(b, second["team"]) > 0)
    screenshot(browser, "isolated-second")

    last = cards[-1]
    browser.execute_script("arguments[0].scrollIntoView()", last)
    WebDriverWait(browser, 20).until(lambda b: drawn(b, data["teams"][-1]["team"]) > 0)
