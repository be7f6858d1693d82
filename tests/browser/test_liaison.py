"""The liaison matrix in a real browser: the heatmap renders, a click opens the cell's people."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot


def test_matrix_renders_and_a_cell_drills_down(live_server, browser, demo_app):
    data = demo_app.test_client().get("/api/liaison").get_json()
    browser.get(live_server + "/liaison")
    rows = browser.find_elements(By.CSS_SELECTOR, "#matrix tbody tr")
    assert [r.get_attribute("data-unit") for r in rows] == [u["unit"] for u in data["units"]]
    links = browser.find_elements(By.CSS_SELECTOR, "#matrix a.cell-link")
    scored = [c for u in data["units"] for c in u["cells"] if c["state"] == "scored"]
    assert len(links) == len(scored) > 0
    first = browser.find_element(By.CSS_SELECTOR, "#matrix tbody tr td.cell")
    assert first.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    screenshot(browser, "liaison")

    weakest = data["units"][0]
    cell = next(c for c in weakest["cells"] if c["state"] == "scored")
    link = browser.find_element(By.CSS_SELECTOR, f'tr[data-unit="{weakest["unit"]}"] a.cell-link')
    link.click()
    panel = WebDriverWait(browser, 20).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "#cell-panel #it-side"))
    )
    assert browser.current_url.endswith("/liaison")  # the click stayed on the page
    drill = demo_app.test_client().get(cell["api"]).get_json()
    it_side = [
        li.find_element(By.TAG_NAME, "a").text for li in panel.find_elements(By.TAG_NAME, "li")
    ]
    assert it_side == [p["label"] for p in drill["it"]]
    business = browser.find_elements(By.CSS_SELECTOR, "#cell-panel #business-side li")
    assert len(business) == len(drill["business"]) > 0
    ties = browser.find_elements(By.CSS_SELECTOR, "#cell-panel #cell-ties tbody tr")
    assert len(ties) == cell["pairs"]
    heading = browser.find_element(By.CSS_SELECTOR, "#cell-panel h2").text
    assert heading == f"{weakest['unit']} × {cell['it_team']}"
    assert "selected" in link.find_element(By.XPATH, "..").get_attribute("class")
    browser.execute_script("document.getElementById('cell-panel').scrollIntoView()")
    screenshot(browser, "liaison-cell")

    browser.find_element(By.CSS_SELECTOR, "#cell-panel button.close").click()
    assert not browser.find_element(By.ID, "cell-panel").is_displayed()


def test_cell_link_works_without_javascript(live_server, browser, demo_app):
    data = demo_app.test_client().get("/api/liaison").get_json()
    cell = next(c for u in data["units"] for c in u["cells"] if c["state"] == "scored")
    browser.get(live_server + cell["url"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#cell-ties tbody tr")
    assert len(rows) == cell["pairs"]
    assert (
        browser.find_element(By.CSS_SELECTOR, ".crumbs a")
        .get_attribute("href")
        .endswith("/liaison")
    )
