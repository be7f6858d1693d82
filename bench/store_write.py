"""Store write throughput: N interactions into the embedded store and into Neo4j.

Usage::

    python bench/store_write.py                      # 1M interactions, embedded only
    python bench/store_write.py --neo4j              # also start a test Neo4j and write there
    python bench/store_write.py --count 200000 --neo4j-uri bolt://127.0.0.1:7687 --password ...

Interactions are synthetic but shaped like a year of e-mail in a 10,000-person
organisation: heavy-tailed senders, mostly team-local recipients. Each backend
gets the same stream in calls of ``--call-size`` interactions (one transaction
per call), then the same stream again to measure the idempotent re-add. Prints
a table and a JSON line. Do not point it at a database you care about: the
Neo4j run clears the database first.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from bisect import bisect
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.base import chunks  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402
from ingest.records import Channel  # noqa: E402
from ingest.records import Interaction  # noqa: E402
from ingest.records import Person  # noqa: E402

CHANNELS = (Channel.EMAIL, Channel.EMAIL, Channel.EMAIL, Channel.MEETING, Channel.TICKET)


def people(n: int) -> list[Person]:
    """``n`` people in teams of 10, departments of 100."""
    return [
        Person(f"p{i:06d}", f"Person {i}", f"Dept {i // 100}", f"Team {i // 10}", "", i // 100 == 0)
        for i in range(n)
    ]


def interactions(count: int, n_people: int, seed: int) -> Iterator[Interaction]:
    """A deterministic stream: Pareto-distributed activity, 70 % of contact inside the team."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    cumulative = list(accumulate(min(rng.paretovariate(2.5), 60.0) for _ in range(n_people)))
    total = cumulative[-1]
    for i in range(count):
        source = bisect(cumulative, rng.random() * total)
        if rng.random() < 0.7:
            target = min((source // 10) * 10 + rng.randrange(10), n_people - 1)
        else:
            target = rng.randrange(n_people)
        if target == source:
            target = (source + 1) % n_people
        when = start + timedelta(seconds=rng.randrange(365 * 86400))
        yield Interaction(f"p{source:06d}", f"p{target:06d}", rng.choice(CHANNELS), when, f"m{i}")


def measure(store, count: int, n_people: int, call_size: int, seed: int) -> dict[str, float]:
    """Write the stream, then write it again; return figures."""
    store.clear()
    store.upsert_people(people(n_people))
    started = time.perf_counter()
    added = sum(
        store.add_interactions(batch)
        for batch in chunks(interactions(count, n_people, seed), call_size)
    )
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = sum(
        store.add_interactions(batch)
        for batch in chunks(interactions(count, n_people, seed), call_size)
    )
    second = time.perf_counter() - started
    started = time.perf_counter()
    ties = sum(1 for _ in store.ties())
    read = time.perf_counter() - started
    return {
        "interactions": count,
        "added": added,
        "re_added": again,
        "seconds": round(first, 2),
        "per_second": round(count / first),
        "re_add_seconds": round(second, 2),
        "re_add_per_second": round(count / second),
        "window_ties": ties,
        "read_ties_seconds": round(read, 2),
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--call-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--neo4j", action="store_true", help="start a test Neo4j and include it")
    parser.add_argument("--neo4j-uri")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "bench.sqlite3")
        try:
            results["embedded"] = measure(store, args.count, args.people, args.call_size, args.seed)
        finally:
            store.close()
    if args.neo4j or args.neo4j_uri:
        results["neo4j"] = run_neo4j(args)
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print_table(results)
    print(json.dumps(results))


def run_neo4j(args: argparse.Namespace) -> dict[str, float]:
    """Measure against a given Neo4j, or one started for the purpose."""
    from graph.neo4j_store import Neo4jStore

    server = None
    uri, user, password = args.neo4j_uri, args.user, args.password
    if not uri:
        from tests.neo4j.server import start_server

        server = start_server()
        uri, user, password = server.uri, server.user, server.password
        print(f"Neo4j started in {server.startup_seconds:.1f} s at {uri}", file=sys.stderr)
    try:
        store = Neo4jStore(uri, user=user, password=password)
        try:
            return measure(store, args.count, args.people, args.call_size, args.seed)
        finally:
            store.close()
    finally:
        if server is not None:
            server.stop()


def print_table(results: dict) -> None:
    """A small fixed-width table."""
    print(f"{'backend':<10}{'events':>10}{'write/s':>10}{'re-add/s':>10}{'ties':>10}{'read s':>8}")
    for name in ("embedded", "neo4j"):
        r = results.get(name)
        if r:
            print(
                f"{name:<10}{r['interactions']:>10,}{r['per_second']:>10,}"
                f"{r['re_add_per_second']:>10,}{r['window_ties']:>10,}{r['read_ties_seconds']:>8}"
            )
    print(f"peak RSS {results['peak_rss_mib']} MiB")


if __name__ == "__main__":
    main()
