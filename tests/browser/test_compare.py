"""The compare page in a real browser: the snapshot, then two chosen periods."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot


def test_compare_page_renders_and_takes_periods(live_server, browser, demo_app):
    data = demo_app.test_client().get("/api/compare").get_json()
    browser.get(live_server + "/compare")
    rows = browser.find_elements(By.CSS_SELECTOR, "#ei-changes tbody tr")
    assert len(rows) == len(data["ei"]) > 5
    whisker = browser.find_element(By.CSS_SELECTOR, "#ei-changes svg.whisker")
    assert whisker.size["width"] == 200 and whisker.size["height"] == 20
    nav = browser.find_element(By.CSS_SELECTOR, "header.top nav a[aria-current='page']")
    assert nav.text == "Compare"
    screenshot(browser, "compare")

    form = browser.find_element(By.ID, "periods")
    for name, value in (("before", "2025-03..2025-05"), ("after", "2025-03..2025-05")):
        box = form.find_element(By.NAME, name)
        box.clear()
        box.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "compare-source"), "computed now")
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "svg.whisker.sig")
    assert browser.find_element(By.ID, "findings").text.startswith("No change")
