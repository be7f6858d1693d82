"""Server time of the map, matrix and page APIs at 1k and 10k generated people, cold and warm.

Usage::

    python bench/web_api.py --people 1000 10000                 # in-process (test client)
    python bench/web_api.py --people 10000 --http               # also over HTTP, gunicorn
    python bench/web_api.py --people 1000 --json /tmp/web.json  # the JSON to a file too

Data. Each size is a demo organisation (``flask --app app demo --people N
--seed 7``: generated files, ingested, analysed) kept under ``--root``
(default ``/tmp/bridgework-web-bench/pN``) and reused by later runs; the
10k one takes a few minutes to make.

In-process. The app is built with ``create_app`` over that store and a test
client signed in as an admin who identifies people (the heaviest view). The
time is ``time.perf_counter`` around ``client.get``: routing, access checks,
the view and the JSON, without a socket. *Cold* empties the app's cache
(:mod:`web.cache`) before each request (the store's connection and the
operating system's page cache stay warm); *warm* repeats the request with
the cache filled. Median and 95th percentile of ``--repeat`` requests.

HTTP. With ``--http`` the same store is served by gunicorn (2 workers,
4 threads each) on 127.0.0.1; the bench logs in through the form and times
sequential keep-alive GETs from this process (each worker is warmed first).
Needs gunicorn in the environment (``pip install gunicorn``).

Prints a table per size and one JSON document. Read every figure as +/-20 %
on a shared machine: the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from app import create_app  # noqa: E402

SEED = 7
PSEUDONYM_KEY = "bench-key"
USER = "bench-admin"
ROLES = ("admin", "analyst")
PASSWORD = "bench-password-not-secret"
SECRET_KEY = "bench-secret-key-for-loopback-only"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# -- data ----------------------------------------------------------------------------------


def environment(folder: Path) -> dict[str, str]:
    """The ``BRIDGEWORK_*`` settings of the store kept in ``folder``."""
    return {
        "BRIDGEWORK_SQLITE_PATH": str(folder / "store.sqlite3"),
        "BRIDGEWORK_DATA_DIR": str(folder / "data"),
        "BRIDGEWORK_ACCOUNTS_PATH": str(folder / "accounts.sqlite3"),
        "BRIDGEWORK_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "BRIDGEWORK_SECRET_KEY": SECRET_KEY,
    }


def ensure_demo(folder: Path, people: int) -> None:
    """Generate, ingest and analyse a demo organisation in ``folder`` unless one is there."""
    done = folder / "demo.done"
    if done.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("store.sqlite3", "store.sqlite3-wal", "store.sqlite3-shm"):
        (folder / name).unlink(missing_ok=True)
    print(f"generating a {people}-person demo in {folder} (minutes at 10k) ...", flush=True)
    flask = str(Path(sys.executable).with_name("flask"))
    args = [flask, "--app", "app", "demo", "--people", str(people), "--seed", str(SEED)]
    with open(folder / "demo.log", "w") as log:
        subprocess.run(
            args, cwd=ROOT, env={**os.environ, **environment(folder)}, stdout=log, stderr=log,
            check=True,
        )  # fmt: skip
    done.write_text(f"{people} {SEED}\n")


def user_name(role: str) -> str:
    """The bench's user of ``role``."""
    return USER if role == "admin" else f"bench-{role}"


def bench_app(folder: Path) -> Flask:
    """The app over the store in ``folder``, with the bench's users (an admin, an analyst)."""
    from web import auth

    app = create_app({
        "TESTING": True, "SECRET_KEY": SECRET_KEY, "PSEUDONYM_KEY": PSEUDONYM_KEY,
        "SQLITE_PATH": str(folder / "store.sqlite3"), "DATA_DIR": str(folder / "data"),
        "ACCOUNTS_PATH": str(folder / "accounts.sqlite3"),
    })  # fmt: skip
    with app.app_context():
        accounts = auth.accounts()
        for role in ROLES:
            name = user_name(role)
            found = accounts.find(name)
            if found is None:
                accounts.create_user(name, PASSWORD, role, identify=True)
                continue
            if found.role != role:
                accounts.set_role(name, role)
            if accounts.authenticate(name, PASSWORD) is None:
                accounts.set_password(name, PASSWORD)
    return app


def signed_in(app: Flask, role: str = "admin") -> FlaskClient:
    """A test client with a bench user's session (no form, no password hashing)."""
    from web import auth

    client = app.test_client()
    with app.app_context():
        user = auth.accounts().find(user_name(role))
    assert user is not None
    with client.session_transaction() as session:
        session.permanent = True
        session.update(
            uid=user.id, epoch=user.epoch, at=int(time.time()), csrf=secrets.token_urlsafe(32)
        )
    return client


def endpoints(client: FlaskClient) -> dict[str, str]:
    """The URLs to time: the fixed ones and one team, person and liaison cell from the data."""
    teams = client.get("/api/map/teams").get_json()
    team = max(teams["nodes"], key=lambda n: (n["size"], n["id"]))["id"]
    people = client.get(f"/api/map/teams/{quote(team)}/people").get_json()
    person = people["nodes"][0]["id"]
    matrix = client.get("/api/liaison").get_json()
    unit, it_team = next(
        (row["unit"], cell["it_team"])
        for row in matrix["units"]
        for cell in row["cells"]
        if cell["state"] == "scored"
    )
    return {
        "map/teams": "/api/map/teams",
        "map/teams/<team>/people": f"/api/map/teams/{quote(team)}/people",
        "liaison": "/api/liaison",
        "liaison/cell": "/api/liaison/cell?" + urlencode({"unit": unit, "it_team": it_team}),
        "isolated": "/api/isolated",
        "overview": "/api/overview",
        "teams/<team>": f"/api/teams/{quote(team)}",
        "people/<key>": f"/api/people/{person}",
        "counts": "/api/counts",
    }


# -- timing ---------------------------------------------------------------------------------


def summary(seconds: list[float]) -> dict[str, float]:
    """Median and 95th percentile in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {"median": round(statistics.median(ms), 1), "p95": round(p95, 1), "n": len(ms)}


def clear_cache(app: Flask) -> None:
    """Empty the app's cache, when this version of the app has one."""
    try:
        from web import cache
    except ImportError:
        return
    cache.clear(app)


def time_in_process(
    app: Flask, urls: dict[str, str], *, cold: int, repeat: int, role: str = "admin"
) -> dict:
    """Cold and warm server times of every URL through the test client."""
    client = signed_in(app, role)
    found: dict[str, Any] = {}
    for name, url in urls.items():
        colds = []
        for _ in range(cold):
            clear_cache(app)
            start = time.perf_counter()
            response = client.get(url)
            colds.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        client.get(url)  # fill the cache
        warms = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(url)
            warms.append(time.perf_counter() - start)
        found[name] = {
            "cold": summary(colds),
            "warm": summary(warms),
            "kib": round(len(response.data) / 1024, 1),
        }
    return found


# -- over HTTP -----------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True, slots=True)
class Served:
    """A running gunicorn: its port on 127.0.0.1 and its master's process id."""

    port: int
    pid: int

    def workers(self) -> list[int]:
        """The process ids of the workers (children of the master), Linux ``/proc``."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:  # the process ended meanwhile
                continue
            if f"\nPPid:\t{self.pid}\n" in text:
                found.append(int(status.parent.name))
        return sorted(found)

    def worker_cpu_seconds(self) -> float:
        """User and system CPU time the workers used so far, in seconds."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker process, in MiB (Linux ``/proc``)."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:  # the process ended meanwhile
                continue
            if fields.get("PPid", "").strip() == str(self.pid):
                found.append(round(int(fields["VmRSS"].split()[0]) / 1024, 1))
        return sorted(found)


@contextmanager
def gunicorn(folder: Path, *, workers: int = 2, threads: int = 4) -> Iterator[Served]:
    """Serve the store in ``folder`` with gunicorn on 127.0.0.1."""
    port = free_port()
    binary = str(Path(sys.executable).with_name("gunicorn"))
    if not Path(binary).exists():
        raise SystemExit("gunicorn is not installed here: pip install gunicorn")
    env = {**os.environ, **environment(folder), "BRIDGEWORK_SESSION_COOKIE_SECURE": "false"}
    args = [
        binary, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--threads", str(threads), "--timeout", "300", "--log-level", "warning",
        "app:create_app()",
    ]  # fmt: skip
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {folder / 'gunicorn.log'}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start within 60 s") from None
                time.sleep(0.2)
        yield Served(port, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def login_cookie(port: int, user: str = USER, password: str = PASSWORD) -> str:
    """Log in through the form at 127.0.0.1:``port``; return the ``Cookie`` header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        body = page.read().decode()
        cookie = _session(page.getheader("Set-Cookie", ""))
        found = TOKEN.search(body)
        if not found:
            raise SystemExit("no CSRF token on /login")
        form = urlencode({"name": user, "password": password, "csrf_token": found.group(1)})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        conn.request("POST", "/login", body=form, headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 302:
            raise SystemExit(f"login failed: HTTP {answer.status}")
        return _session(answer.getheader("Set-Cookie", ""))
    finally:
        conn.close()


def _session(header: str) -> str:
    """``session=…`` from a ``Set-Cookie`` header."""
    return header.split(";", 1)[0]


def time_http(
    port: int, urls: dict[str, str], *, repeat: int, role: str = "admin"
) -> dict[str, Any]:
    """Warm times of sequential keep-alive GETs from this process."""
    headers = {"Cookie": login_cookie(port, user_name(role))}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    found: dict[str, Any] = {}
    try:
        for name, url in urls.items():
            for _ in range(6):  # both workers see it (and fill their caches)
                _get(conn, url, headers)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                _get(conn, url, headers)
                times.append(time.perf_counter() - start)
            found[name] = summary(times)
    finally:
        conn.close()
    return found


def _get(conn: http.client.HTTPConnection, url: str, headers: dict[str, str]) -> bytes:
    conn.request("GET", url, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET {url}: HTTP {response.status}")
    return body


# -- report ------------------------------------------------------------------------------------


def table(people: int, role: str, found: dict[str, Any], http_found: dict[str, Any] | None) -> str:
    """One size's results as a text table."""
    head = f"{'endpoint':26} {'cold med':>9} {'cold p95':>9} {'warm med':>9} {'warm p95':>9}"
    head += f" {'KiB':>7}" + (f" {'http med':>9} {'http p95':>9}" if http_found else "")
    lines = [f"{people} people, {role} (ms)", head]
    for name, row in found.items():
        line = (
            f"{name:26} {row['cold']['median']:9.1f} {row['cold']['p95']:9.1f}"
            f" {row['warm']['median']:9.1f} {row['warm']['p95']:9.1f} {row['kib']:7.1f}"
        )
        if http_found:
            line += f" {http_found[name]['median']:9.1f} {http_found[name]['p95']:9.1f}"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--root", type=Path, default=Path("/tmp/bridgework-web-bench"))
    parser.add_argument("--repeat", type=int, default=15, help="warm requests per endpoint")
    parser.add_argument("--cold", type=int, default=3, help="cold requests per endpoint")
    parser.add_argument("--http", action="store_true", help="also time over HTTP (gunicorn)")
    parser.add_argument("--role", choices=ROLES, default="admin", help="who asks")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    report: dict[str, Any] = {"role": args.role, "load_before": os.getloadavg(), "sizes": {}}
    for people in args.people:
        folder = args.root / f"p{people}"
        ensure_demo(folder, people)
        app = bench_app(folder)
        urls = endpoints(signed_in(app))
        found = time_in_process(app, urls, cold=args.cold, repeat=args.repeat, role=args.role)
        http_found = None
        if args.http:
            with gunicorn(folder) as served:
                http_found = time_http(served.port, urls, repeat=args.repeat, role=args.role)
        report["sizes"][people] = {"urls": urls, "in_process": found, "http": http_found}
        print(table(people, args.role, found, http_found), flush=True)
        print(flush=True)
    report["load_after"] = os.getloadavg()
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
