"""Logging in with a real browser, under the real Content-Security-Policy.

Every page an admin can reach from the navigation is opened with a listener
for ``securitypolicyviolation`` events (added through the DevTools protocol,
so the policy does not block the listener itself): none may fire.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import browser  # noqa: F401 - the shared Chromium fixture
from tests.browser.conftest import screenshot
from tests.browser.conftest import serve
from tests.security.helpers import PASSWORD
from tests.security.helpers import browser_login
from tests.security.helpers import make_user
from tests.security.helpers import secure_app
from web.store import close_store

LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A secured demo app (60 people) served on a free loopback port, with two users."""
    app = secure_app(Path(tmp_path_factory.mktemp("browser-login")))
    result = app.test_cli_runner().invoke(args=["demo", "--people", "60", "--seed", "5"])
    assert result.exit_code == 0, result.output
    make_user(app, "boss", "admin")
    make_user(app, "cio", "viewer")
    with serve(app) as url:
        yield url
    close_store(app)


@pytest.fixture
def csp_browser(browser):  # noqa: F811 - the imported fixture
    """The shared browser, listening for CSP violations on every new page, cookies cleared."""
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LISTEN})
    browser.delete_all_cookies()
    yield browser
    browser.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]}
    )
    browser.delete_all_cookies()


def log_in(driver, name: str) -> None:
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()


def violations(driver) -> list[str]:
    return driver.execute_script("return window.__csp || ['listener missing']")


def test_admin_logs_in_browses_every_page_and_logs_out(site, csp_browser):
    driver = csp_browser
    driver.get(site + "/map")
    assert driver.current_url == site + "/login?next=/map"
    screenshot(driver, "login")
    log_in(driver, "boss")
    WebDriverWait(driver, 20).until(ec.text_to_be_present_in_element((By.ID, "status"), "teams,"))
    assert driver.current_url == site + "/map"
    assert violations(driver) == []
    header = driver.find_element(By.CSS_SELECTOR, "header.top").text
    assert "boss · admin" in header and "Audit log" in header and "Data" in header
    screenshot(driver, "header-admin")
    pages = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "nav a")]
    pages.append(site + "/audit")
    assert len(pages) >= 8
    for url in pages:
        driver.get(url)
        assert "403" not in driver.title and "401" not in driver.title, url
        WebDriverWait(driver, 5).until(
            lambda b: b.execute_script("return document.readyState") == "complete"
        )
        assert violations(driver) == [], url
    screenshot(driver, "audit-log")
    assert "login" in driver.find_element(By.CSS_SELECTOR, "table.audit").text
    driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
    WebDriverWait(driver, 10).until(ec.url_to_be(site + "/login"))
    driver.get(site + "/")
    assert driver.current_url.startswith(site + "/login")


def test_viewer_sees_only_group_pages(site, csp_browser):
    driver = csp_browser
    browser_login(driver, site, "cio")
    assert driver.current_url == site + "/"
    nav = driver.find_element(By.CSS_SELECTOR, "header.top nav").text
    assert "Overview" in nav and "Liaison" in nav
    assert "Exports" not in nav and "Data" not in nav
    assert "Audit log" not in driver.find_element(By.CSS_SELECTOR, "header.top").text
    screenshot(driver, "header-viewer")
    driver.get(site + "/exports")
    assert "403" in driver.find_element(By.TAG_NAME, "h1").text
    assert violations(driver) == []


def test_wrong_password_shows_an_error(site, csp_browser):
    driver = csp_browser
    driver.get(site + "/login")
    driver.find_element(By.NAME, "name").send_keys("boss")
    driver.find_element(By.NAME, "password").send_keys("not the password")
    driver.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    error = WebDriverWait(driver, 10).until(
        ec.presence_of_element_located((By.CLASS_NAME, "login-error"))
    )
    assert "Wrong user name or password." in error.text
    assert violations(driver) == []
