"""Load test: 50 users on the map and matrix APIs of the 10k demo for 60 s, from a second process.

Usage::

    python bench/load_test.py                                # 10k people, 50 connections, 60 s
    python bench/load_test.py --people 1000 --duration 20    # a quicker look
    python bench/load_test.py --json /tmp/load.json          # the JSON to a file too

What it does, bounded in time (about ``--duration`` plus the warm-up, at most
``--warmup-limit`` seconds, plus gunicorn's start):

1. makes (or reuses) the demo store of ``--people`` under ``--root``, as
   ``bench/web_api.py`` does, with the bench's admin user;
2. serves it with gunicorn on 127.0.0.1 (``--workers`` processes of
   ``--threads`` threads, the Dockerfile's server), plain HTTP on loopback;
3. logs in through the form (``POST /login`` with the CSRF token) and keeps
   the session cookie;
4. warms both workers' caches with a few requests of every URL;
5. runs ``wrk`` (another process) with ``--connections`` connections for
   ``--duration`` seconds; a small Lua script rotates over the URLs (the team
   map, the liaison matrix, each for all channels and for e-mail only, one
   team's people and one liaison cell) and prints wrk's figures as JSON;
6. prints throughput, latency percentiles (p50, p90, p99, max), errors
   (non-2xx answers, connect, read, write errors and timeouts), the load
   average before and after, the workers' memory and the CPU time they used
   per request (a figure that other load on the machine barely changes),
   then stops gunicorn.

Needs ``wrk`` (Debian: ``apt-get install wrk``) and gunicorn
(``pip install gunicorn``). Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_api import bench_app  # noqa: E402
from web_api import endpoints  # noqa: E402
from web_api import ensure_demo  # noqa: E402
from web_api import gunicorn  # noqa: E402
from web_api import login_cookie  # noqa: E402
from web_api import signed_in  # noqa: E402

LUA = """
local paths = {PATHS}
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def mix(urls: dict[str, str]) -> list[str]:
    """The URLs the users rotate over: the map and the matrix, whole and e-mail only, and drills."""
    return [
        urls["map/teams"],
        urls["liaison"],
        urls["map/teams"] + "?channel=email",
        urls["liaison"] + "?channel=email",
        urls["map/teams/<team>/people"],
        urls["liaison/cell"],
    ]


def lua_script(paths: list[str]) -> str:
    """The wrk script rotating over ``paths``."""
    quoted = ", ".join(json.dumps(p) for p in paths)  # JSON strings are Lua strings here
    return LUA.replace("{PATHS}", "{" + quoted + "}")


def warm(port: int, cookie: str, paths: list[str], *, rounds: int, limit: float) -> dict:
    """Ask every path ``rounds`` times on new connections (so both workers see it)."""
    started = time.monotonic()
    slowest: dict[str, float] = {}
    for _ in range(rounds):
        for path in paths:
            if time.monotonic() - started > limit:
                raise SystemExit(f"warm-up took more than {limit:.0f} s")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=limit)
            try:
                begin = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                took = time.perf_counter() - begin
            finally:
                conn.close()
            if response.status != 200:
                raise SystemExit(f"warm-up: GET {path} answered {response.status}")
            slowest[path] = max(slowest.get(path, 0.0), took)
    return {"seconds": round(time.monotonic() - started, 1), "slowest_s": slowest}


def run_wrk(port: int, cookie: str, paths: list[str], args: argparse.Namespace) -> dict:
    """wrk's figures for ``args.duration`` seconds of ``args.connections`` connections."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "mix.lua"
        script.write_text(lua_script(paths))
        command = [
            "wrk", "-t", str(args.wrk_threads), "-c", str(args.connections),
            "-d", f"{args.duration}s", "--timeout", f"{args.request_timeout}s", "--latency",
            "-H", f"Cookie: {cookie}", "-s", str(script), f"http://127.0.0.1:{port}",
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.duration + 60, check=True
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wrk_output": done.stdout, **figures}


def report(figures: dict[str, Any]) -> str:
    """The figures as a few lines of text."""
    seconds = figures["duration_us"] / 1e6
    latency = figures["latency_us"]
    errors = figures["errors"]
    return "\n".join([
        f"requests   {figures['requests']} in {seconds:.1f} s:"
        f" {figures['requests'] / seconds:.1f} req/s, {figures['bytes'] / seconds / 2**20:.1f} MiB/s",
        f"latency    p50 {latency['p50'] / 1000:.1f} ms, p90 {latency['p90'] / 1000:.1f} ms,"
        f" p99 {latency['p99'] / 1000:.1f} ms, max {latency['max'] / 1000:.1f} ms",
        f"errors     non-2xx {errors['status']}, connect {errors['connect']}, read {errors['read']},"
        f" write {errors['write']}, timeout {errors['timeout']}",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/bridgework-web-bench"))
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--request-timeout", type=int, default=10, help="wrk's, in seconds")
    parser.add_argument("--warmup-limit", type=float, default=600.0, help="seconds")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    folder = args.root / f"p{args.people}"
    ensure_demo(folder, args.people)
    app = bench_app(folder)  # adds the bench user
    paths = mix(endpoints(signed_in(app)))
    found: dict[str, Any] = {"people": args.people, "paths": paths, "settings": vars(args)}
    found["settings"] = {k: str(v) for k, v in vars(args).items()}
    with gunicorn(folder, workers=args.workers, threads=args.threads) as served:
        cookie = login_cookie(served.port)
        found["warmup"] = warm(served.port, cookie, paths, rounds=4, limit=args.warmup_limit)
        found["rss_mib_warm"] = served.worker_rss_mib()
        found["load_before"] = os.getloadavg()
        cpu = served.worker_cpu_seconds()
        found["wrk"] = run_wrk(served.port, cookie, paths, args)
        found["worker_cpu_s"] = round(served.worker_cpu_seconds() - cpu, 1)
        found["load_after"] = os.getloadavg()
        found["rss_mib_after"] = served.worker_rss_mib()
    print(found["wrk"].pop("wrk_output"))
    print(report(found["wrk"]))
    print(f"load average before {found['load_before']}, after {found['load_after']}")
    print(f"worker memory (MiB) warm {found['rss_mib_warm']}, after {found['rss_mib_after']}")
    per = found["worker_cpu_s"] / max(1, found["wrk"]["requests"]) * 1000
    print(f"worker CPU {found['worker_cpu_s']} s during the run: {per:.1f} ms per request")
    text = json.dumps(found, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
