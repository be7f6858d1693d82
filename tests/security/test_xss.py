"""Cross-site scripting: hostile names are shown as text on every page, in a real browser.

A generated organisation is renamed through a directory file whose display
names, titles, team and department names carry script tags, attribute
break-outs, ``javascript:`` URLs, SVG handlers, template syntax and
spreadsheet formulas; a ticket export adds hostile assignment groups and
its file name one more payload. Everything goes through the ``ingest`` and
``analyze`` commands. Then a real Chromium logs in as an admin who may
identify people and visits every page reachable from the navigation (the
teams, people, liaison cells and ingest runs they link to included), drills
into the map and hovers its nodes, and searches.

Each payload would set ``window.__xss`` if it ran. The Content-Security-Policy
would block inline scripts anyway, so the tests do not rely on that alone:
no page may report a CSP violation, the HTML the server sends and the DOM the
scripts build must hold no element or attribute the payloads would create,
and the payloads must be readable as text. JSON, CSV and SVG answers carry
them as data.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import deque
from pathlib import Path
from urllib.parse import quote
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.apps import make_demo
from tests.browser.conftest import BROWSER_USER
from tests.browser.conftest import browser  # noqa: F401 - the shared Chromium fixture
from tests.browser.conftest import screenshot
from tests.browser.conftest import serve
from tests.security.helpers import browser_login
from web.store import close_store

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    "javascript:window.__xss=3",
    "<svg onload=window.__xss=4>",
    "'-(window.__xss=5)-'",
    "</title><script>window.__xss=6</script>",
    "{{7*7}} ${7*7} {% raw %}",
    '<a href="javascript:window.__xss=8">x</a>',
    '=HYPERLINK("http://example.invalid")',
]
FILE_PAYLOAD = "<img src=x onerror=window.__xss=9>"
#: markup the payloads would leave in the HTML if any reached it unescaped
MARKUP = ["<script>window.__xss", "<img src=x", "<svg onload", '<a href="javascript', '"><img']
LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)
#: what the DOM may never hold: injected elements, handlers, script URLs
INJECTED = (
    'return [...document.querySelectorAll(\'script:not([src]), img[src="x"], svg[onload], '
    '[onerror], [onload], [onclick], [onmouseover], a[href^="javascript:" i]\')]'
    ".map(e => e.outerHTML.slice(0, 120))"
)


def hostile(text: str, number: int) -> str:
    return f"{text} {PAYLOADS[number % len(PAYLOADS)]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo renamed with hostile names, ingested and analysed, served; with its app."""
    root = Path(tmp_path_factory.mktemp("xss"))
    app = make_demo(root, people=60, seed=5, PSEUDONYM_KEY="xss-tests")
    demo = root / "data" / "demo"
    with (demo / "hr.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    departments = sorted({r["department"] for r in rows})
    teams = sorted({(r["department"], r["team"]) for r in rows})
    for number, row in enumerate(rows):
        original = (row["department"], row["team"])
        row["department"] = hostile(original[0], departments.index(original[0]))
        row["team"] = hostile(original[1], teams.index(original) + 3)
        row["title"] = hostile(row["title"], number + 5)
        if number % 3 == 0:
            row["name"] = hostile(row["name"], number)
    hr = root / "hr-hostile.csv"
    with hr.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with (demo / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        tickets = list(csv.DictReader(handle))
    for number, row in enumerate(tickets):
        row["assignment_group"] = hostile(row["assignment_group"], number)
    export = root / f"tickets {FILE_PAYLOAD}.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(tickets[0]))
        writer.writeheader()
        writer.writerows(tickets)
    cli = app.test_cli_runner()
    for args in (["ingest", "directory", str(hr)], ["ingest", "tickets", str(export)], ["analyze"]):
        result = cli.invoke(args=args)
        assert result.exit_code == 0, result.output
    with serve(app) as url:
        yield url, app, rows
    close_store(app)


@pytest.fixture
def listening(browser):  # noqa: F811 - the imported fixture
    """The shared browser, recording CSP violations on every new page."""
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LISTEN})
    yield browser
    browser.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]}
    )


def log_in(driver, base: str) -> None:
    """Log the browser in to ``base`` once (the browser fixtures remember the sites)."""
    sites = driver.__dict__.setdefault("bridgework_sites", set())
    if base not in sites:
        browser_login(driver, base, BROWSER_USER)
        sites.add(base)


def settle(driver) -> None:
    """Wait for the page and for the fetches its scripts start."""
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    time.sleep(0.4)


def check_page(driver, url: str) -> None:
    """Nothing ran, nothing was injected, nothing was blocked."""
    assert driver.execute_script("return typeof window.__xss") == "undefined", url
    assert driver.execute_script(INJECTED) == [], url
    assert driver.execute_script("return window.__csp || ['listener missing']") == [], url
    assert "49 $" not in driver.find_element(By.TAG_NAME, "body").text, url  # no template ran


def check_html(client, path: str) -> None:
    """The HTML the server sends holds the payloads only escaped."""
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    assert not [m for m in MARKUP if m in html], path


def same_site_links(driver, base: str) -> list[str]:
    links = driver.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
    )
    found = []
    for link in links:
        parts = urlsplit(link)
        if f"{parts.scheme}://{parts.netloc}" != base:
            continue
        if parts.path.startswith(("/export/", "/api/", "/static/", "/logout")):
            continue
        found.append(link.split("#")[0])
    return found


def test_every_page_shows_hostile_names_as_text(site, listening):
    base, app, rows = site
    driver = listening
    log_in(driver, base)
    queue = deque([base + "/"])
    seen: set[str] = set()
    kinds: set[str] = set()
    while queue and len(seen) < 70:
        url = queue.popleft()
        path = urlsplit(url).path
        kind = path.split("/")[1] or "overview"
        # one or two pages of each kind is enough to see every template and script
        if url in seen or (
            kind in ("people", "teams")
            and path.count("/") > 1
            and sum(1 for s in seen if f"/{kind}/" in s) >= 4
        ):
            continue  # fmt: skip
        seen.add(url)
        kinds.add(kind)
        driver.get(url)
        settle(driver)
        check_page(driver, url)
        queue.extend(same_site_links(driver, base))
    assert {"overview", "map", "teams", "people", "liaison", "isolated", "compare", "exports",
            "report", "data", "audit"} <= kinds, kinds  # fmt: skip
    assert len(seen) >= 25, sorted(seen)
    client = app.test_client()
    for url in seen:
        parts = urlsplit(url)
        check_html(client, parts.path + (f"?{parts.query}" if parts.query else ""))

    driver.get(base + "/teams")
    settle(driver)
    text = driver.find_element(By.TAG_NAME, "body").text
    for payload in PAYLOADS[:8]:
        assert payload in text  # shown literally, as written
    first = rows[0]
    key_team = f"{first['department']}/{first['team']}"
    driver.get(base + "/teams/" + quote(key_team, safe="/"))
    settle(driver)
    check_page(driver, driver.current_url)
    assert first["team"] in driver.find_element(By.TAG_NAME, "h1").text
    screenshot(driver, "xss")


def test_map_drill_down_tooltips_and_search_keep_names_as_text(site, listening):
    base, _, rows = site
    driver = listening
    log_in(driver, base)
    driver.get(base + "/map")
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return !!(window.bridgeworkMap && window.bridgeworkMap.cy)")
    )
    settle(driver)
    check_page(driver, "/map")
    tip = driver.execute_script(
        "const n = window.bridgeworkMap.cy.nodes()[0]; n.emit('mouseover');"
        "return document.querySelector('.tooltip').textContent"
    )
    assert any(p in tip for p in PAYLOADS), tip
    driver.execute_script("window.bridgeworkMap.cy.nodes()[0].emit('tap')")
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return window.bridgeworkMap.level") == "people"
    )
    settle(driver)
    check_page(driver, "/map drill-down")
    tips = driver.execute_script(
        "return window.bridgeworkMap.cy.nodes().map(n => { n.emit('mouseover');"
        " return document.querySelector('.tooltip').textContent; })"
    )
    assert any(p in t for t in tips for p in PAYLOADS), tips
    driver.execute_script("window.bridgeworkMap.cy.nodes()[0].emit('tap')")
    details = driver.find_element(By.ID, "details").text
    assert details and driver.execute_script(INJECTED) == []
    finder = driver.find_element(By.NAME, "find")
    finder.send_keys("script")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "found").is_displayed())
    found = driver.find_element(By.ID, "found").text
    assert "<script>window.__xss=1</script>" in found
    check_page(driver, "/map search")


def test_json_csv_and_svg_carry_the_names_as_data(site):
    _, app, rows = site
    client = app.test_client()
    first = rows[0]
    team = f"{first['department']}/{first['team']}"
    urls = [
        "/api/teams", "/api/teams/" + quote(team, safe="/"), "/api/map/teams",
        "/api/map/teams/" + quote(team, safe="/") + "/people", "/api/search?q=script",
        "/api/liaison", "/api/isolated", "/api/overview", "/api/report", "/api/runs", "/api/audit",
        "/api/compare", "/api/exports",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/json", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        body = response.get_json()
        assert body["ok"] is True
    teams = client.get("/api/teams").get_json()
    assert first["team"] in json.dumps(teams, ensure_ascii=False)
    people = client.get("/api/map/teams/" + quote(team, safe="/") + "/people").get_json()
    labels = {n["label"] for n in people["nodes"]}
    assert any(p in label for label in labels for p in PAYLOADS)
    runs = client.get("/api/runs").get_json()["runs"]
    assert any(r["file"] == f"tickets {FILE_PAYLOAD}.csv" for r in runs)

    response = client.get("/export/people.csv")
    text = response.get_data(as_text=True)
    response.close()
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert any("<script>window.__xss=1</script>" in c for c in cells)
    formulas = [c for c in cells if "HYPERLINK" in c]
    assert formulas and all(not c.startswith(("=", "+", "-", "@")) for c in formulas)

    response = client.get("/export/map.svg")
    svg = response.get_data()
    response.close()
    tree = ElementTree.fromstring(svg)
    tags = {element.tag.rsplit("}", 1)[-1] for element in tree.iter()}
    assert "script" not in tags and "img" not in tags and "a" not in tags
    assert not [a for e in tree.iter() for a in e.attrib if a.startswith("on")]
    assert any("<script>window.__xss" in (e.text or "") for e in tree.iter())
