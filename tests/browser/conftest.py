"""A real server and a real headless Chromium for end-to-end tests.

Chromium and ChromeDriver come from Debian (`chromium`, `chromium-driver`);
`.ci/run` installs them. Without them the browser tests are skipped with a
loud reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.apps import make_app
from tests.security.helpers import browser_login
from tests.security.helpers import make_user
from web.store import close_store

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROWSER_USER = "browser-admin"


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory) -> Iterator:
    """An app whose embedded store holds a small generated organisation."""
    root = tmp_path_factory.mktemp("browser")
    app = make_app(root, PSEUDONYM_KEY="browser-tests")
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield app
    close_store(app)


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` with a real WSGI server on a free loopback port; give its base URL.

    The app gets the admin ``BROWSER_USER``, whom the ``signed_in`` fixture logs in.
    """
    make_user(app, BROWSER_USER, "admin", identify=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # browsers keep cookies per host, not per port: one cookie name per server
    app.config["SESSION_COOKIE_NAME"] = f"bridgework-{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def live_server(demo_app) -> Iterator[str]:
    """The demo app served by a real WSGI server on a free loopback port."""
    with serve(demo_app) as url:
        yield url


@pytest.fixture(autouse=True)
def signed_in(request: pytest.FixtureRequest) -> None:
    """Log the browser in to the test's server (once per server) as ``BROWSER_USER``.

    Each served app has its own session cookie name (see ``serve``), so logins
    to servers on other ports of 127.0.0.1 don't overwrite each other.
    """
    names = [n for n in ("live_server", "data_server") if n in request.fixturenames]
    if not names or "browser" not in request.fixturenames:
        return
    base = request.getfixturevalue(names[0])
    driver = request.getfixturevalue("browser")
    sites = driver.__dict__.setdefault("bridgework_sites", set())
    if base not in sites:
        browser_login(driver, base, BROWSER_USER)
        sites.add(base)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Chromium through ChromeDriver (Selenium), no network of its own."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        reason = f"BROWSER TESTS SKIPPED: {', '.join(missing)} not found (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(reason.replace("SKIPPED", "CANNOT RUN under CI=true"))
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bridgework-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(browser, name: str) -> Path:
    """Save what the browser shows as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path
