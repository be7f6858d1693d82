"""The web cache: a hit answers as a fresh computation would, new data and other views get their own.

"Fresh" below is a second app over the same files: its cache is empty, so
its answer is computed from the store. A cached answer must equal it byte
for byte.
"""

from __future__ import annotations

import csv
import doctest
import threading
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from flask import Flask

from tests.apps import make_app
from tests.apps import make_demo
from tests.security.helpers import SignedInClient
from web import cache
from web.cache import Cache
from web.store import close_store

#: small enough that the 80-person demo has hidden teams for analysts and viewers
MIN_GROUP_SIZE = 6


class AnalystClient(SignedInClient):
    """A client signed in as an analyst who may not identify people."""

    name = "cache-analyst"
    role = "analyst"
    identify = False


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The 80-person demo, read only (tests that change data build their own)."""
    app = make_demo(tmp_path_factory.mktemp("cache"), MIN_GROUP_SIZE=MIN_GROUP_SIZE)
    yield app
    close_store(app)


def fresh(app: Flask) -> Flask:
    """A second app over the same store, accounts and settings, with an empty cache."""
    root = Path(app.config["SQLITE_PATH"]).parent
    return make_app(root, MIN_GROUP_SIZE=app.config["MIN_GROUP_SIZE"])


def fresh_body(app: Flask, url: str, kind: type[SignedInClient] | None = None) -> bytes:
    """What a fresh app answers to ``url`` for a client of ``kind`` (the admin by default)."""
    other = fresh(app)
    try:
        client = (kind or SignedInClient)(other, other.response_class, use_cookies=True)
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.data
    finally:
        close_store(other)


def a_cell(app: Flask) -> str:
    """The API URL of a scored liaison cell."""
    matrix = app.test_client().get("/api/liaison").get_json()
    return next(c["api"] for row in matrix["units"] for c in row["cells"] if "api" in c)


def a_team(app: Flask) -> str:
    """The biggest team on the map."""
    nodes = app.test_client().get("/api/map/teams").get_json()["nodes"]
    return max(nodes, key=lambda n: (n["size"], n["id"]))["id"]


# -- the cache itself ----------------------------------------------------------------------


def test_doctests():
    assert doctest.testmod(cache).failed == 0


def test_a_new_version_or_an_old_entry_is_computed_again():
    now = [0.0]
    store = Cache(size=2, ttl=10.0, clock=lambda: now[0])
    calls = []

    def compute(value: int):
        def run() -> int:
            calls.append(value)
            return value

        return run

    assert store.get("k", "v1", compute(1)) == 1
    assert store.get("k", "v1", compute(2)) == 1  # hit
    assert store.get("k", "v2", compute(3)) == 3  # the data changed
    now[0] = 10.5
    assert store.get("k", "v2", compute(4)) == 4  # expired
    assert calls == [1, 3, 4]


def test_an_entry_may_have_a_shorter_time_limit():
    now = [0.0]
    store = Cache(ttl=100.0, clock=lambda: now[0])
    store.get("short", 0, lambda: 1, ttl=5.0)
    store.get("long", 0, lambda: 1)
    now[0] = 6.0
    assert store.get("short", 0, lambda: 2) == 2
    assert store.get("long", 0, lambda: 2) == 1


def test_least_recently_used_goes_first():
    store = Cache(size=2)
    store.get("a", 0, lambda: "a")
    store.get("b", 0, lambda: "b")
    store.get("a", 0, lambda: "not again")  # a is now the most recent
    store.get("c", 0, lambda: "c")  # b goes
    assert store.get("a", 0, lambda: "a again") == "a"
    assert store.get("b", 0, lambda: "b again") == "b again"
    assert store.stats().entries == 2


def test_a_failure_is_not_kept_and_a_clear_drops_work_in_progress():
    store = Cache()

    def broken() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.get("k", 0, broken)
    assert store.get("k", 0, lambda: 7) == 7

    def cleared_meanwhile() -> int:
        store.clear()
        return 8

    assert store.get("j", 0, cleared_meanwhile) == 8  # the caller gets it ...
    assert store.get("j", 0, lambda: 9) == 9  # ... but it was not kept


def test_threads_asking_together_compute_once():
    store = Cache()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow() -> list[int]:
        calls.append(1)
        started.set()
        release.wait(10)
        return [1, 2, 3]

    found: list[object] = []
    threads = [
        threading.Thread(target=lambda: found.append(store.get("k", 0, slow))) for _ in range(8)
    ]
    threads[0].start()
    assert started.wait(10)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(found) == 8
    assert all(value is found[0] for value in found)  # one shared result


# -- in the app ----------------------------------------------------------------------------


def test_a_hit_answers_as_a_fresh_app(demo):
    cache.clear(demo)
    client = demo.test_client()
    team = a_team(demo)
    urls = ["/api/map/teams", f"/api/map/teams/{team}/people", "/api/liaison", a_cell(demo)]
    first = {url: client.get(url).data for url in urls}
    before = cache.for_app(demo).stats()
    second = {url: client.get(url).data for url in urls}
    after = cache.for_app(demo).stats()
    assert second == first
    assert after.hits > before.hits and after.misses == before.misses  # all from the cache
    for url in urls:
        assert first[url] == fresh_body(demo, url)


def test_windows_and_channels_have_their_own_entries(demo):
    client = demo.test_client()
    urls = [
        "/api/map/teams",
        "/api/map/teams?channel=email",
        "/api/map/teams?channel=ticket",
        "/api/map/teams?since=2025-04",
        "/api/liaison?channel=meeting",
        "/api/liaison?until=2025-03",
    ]
    bodies = {url: client.get(url).data for url in urls}
    assert len(set(bodies.values())) == len(urls)  # nothing served from another's entry
    for url in urls:
        assert client.get(url).data == bodies[url]
        assert bodies[url] == fresh_body(demo, url)
    both = client.get("/api/map/teams?channel=email&channel=ticket")
    before = cache.for_app(demo).stats()
    reversed_ = client.get("/api/map/teams?channel=ticket&channel=email")
    assert reversed_.data == both.data
    assert cache.for_app(demo).stats().misses == before.misses  # the same entry


@pytest.mark.parametrize("admin_first", [True, False])
def test_roles_do_not_see_each_others_answers(demo, admin_first):
    """Admins see every team; an analyst without identification neither small teams nor names."""
    analyst = AnalystClient(demo, demo.response_class, use_cookies=True)
    admin = demo.test_client()
    team = a_team(demo)
    urls = ["/api/map/teams", "/api/liaison", f"/api/map/teams/{team}/people", a_cell(demo)]
    cache.clear(demo)
    order = [("admin", admin), ("analyst", analyst)]
    if not admin_first:
        order.reverse()
    bodies = {(who, url): c.get(url).data for who, c in order for url in urls}
    for url in urls:
        assert bodies["admin", url] == fresh_body(demo, url)
        assert bodies["analyst", url] == fresh_body(demo, url, AnalystClient)
    assert bodies["admin", "/api/map/teams"] != bodies["analyst", "/api/map/teams"]
    assert bodies["admin", "/api/liaison"] != bodies["analyst", "/api/liaison"]
    admin_map = admin.get("/api/map/teams").get_json()
    analyst_map = analyst.get("/api/map/teams").get_json()
    small = {n["id"] for n in admin_map["nodes"] if n["size"] < MIN_GROUP_SIZE}
    assert small and not small & {n["id"] for n in analyst_map["nodes"]}


def test_threads_share_the_cache(demo):
    cache.clear(demo)
    urls = ["/api/map/teams", "/api/liaison", "/api/map/teams?channel=email"]
    clients = [demo.test_client() for _ in range(6)]
    before = cache.for_app(demo).stats()
    found: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()

    def work(client) -> None:
        for _ in range(2):
            for url in urls:
                response = client.get(url)
                with lock:
                    found.append((url, response.status_code, response.data))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(found) == len(clients) * 2 * len(urls)
    assert {status for _, status, _ in found} == {200}
    for url in urls:
        assert len({body for u, _, body in found if u == url}) == 1
    after = cache.for_app(demo).stats()
    misses, hits = after.misses - before.misses, after.hits - before.hits
    assert misses == after.entries  # each piece computed once, not once per thread
    assert hits > misses


# -- new data ------------------------------------------------------------------------------


def test_an_ingest_changes_the_answers(tmp_path):
    app = make_demo(tmp_path)
    try:
        client = app.test_client()
        urls = ["/api/map/teams", "/api/liaison", "/api/map/teams?channel=ticket"]
        before = {url: client.get(url).data for url in urls}
        assert all(client.get(url).data == before[url] for url in urls)  # cached
        tickets = _tickets(tmp_path / "data" / "demo" / "hr.csv", tmp_path / "more.csv")
        result = app.test_cli_runner().invoke(args=["ingest", "tickets", str(tickets)])
        assert result.exit_code == 0, result.output
        after = {url: client.get(url).data for url in urls}
        for url in urls:
            assert after[url] != before[url]
            assert after[url] == fresh_body(app, url)
    finally:
        close_store(app)


def test_an_analysis_changes_the_scores_shown(tmp_path):
    app = make_demo(tmp_path)
    try:
        client = app.test_client()
        url = f"/api/map/teams/{a_team(app)}/people"
        before = client.get(url).data
        assert client.get(url).data == before  # cached
        result = app.test_cli_runner().invoke(args=["analyze", "--seed", "3"])
        assert result.exit_code == 0, result.output
        assert client.get(url).data == fresh_body(app, url)
    finally:
        close_store(app)


def _tickets(directory: Path, out: Path) -> Path:
    """Twenty new tickets from each of the first three business people to an IT person."""
    with directory.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    it = next(r["email"] for r in rows if r["is_it"] == "true")
    callers = [r["email"] for r in rows if r["is_it"] == "false" and r["team"]][:3]
    fields = ["number", "caller_id", "assignment_group", "assigned_to", "opened_at", "state"]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for n in range(60):
            writer.writerow({
                "number": f"INC9{n:06d}", "caller_id": callers[n % 3],
                "assignment_group": "Service Desk", "assigned_to": it,
                "opened_at": f"2025-0{1 + n % 6}-10T10:00:00Z", "state": "Closed",
            })  # fmt: skip
    return out


def test_remembered_urls_are_flasks(demo):
    cells = [("Sales", "IT/Service Desk", ["email", "ticket"]), ("R&D", "IT/Apps ü", None)]
    for root in ("", "/bridgework"):
        with demo.test_request_context("/liaison", base_url=f"http://localhost{root}"):
            for unit, team, channel in cells:
                values = {"unit": unit, "it_team": team, "channel": channel}
                for _ in range(2):  # built, then remembered
                    found = cache.url_for("liaison.cell_api", **values)
                    assert found == flask.url_for("liaison.cell_api", **values)
                    assert found.startswith(f"{root}/api/liaison/cell?")
            assert cache.url_for("teams.person_page", key="p_1") == f"{root}/people/p_1"
            external = cache.url_for("teams.person_page", key="p_1", _external=True)
            assert external == f"http://localhost{root}/people/p_1"
