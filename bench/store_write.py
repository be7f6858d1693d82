"""Store write throughput: N interactions into the embedded store and into Neo4j.

Usage::

    python bench/store_write.py                      # 1M interactions, embedded only, best of 3
    python bench/store_write.py --neo4j              # also start a test Neo4j and write there
    python bench/store_write.py --count 200000 --neo4j-uri bolt://127.0.0.1:7687 --password ...
    python bench/store_write.py --neo4j --skip-embedded --neo4j-batch 5000 --repeat 1

Interactions are synthetic but shaped like a year of e-mail in a 10,000-person
organisation: heavy-tailed senders, mostly team-local recipients, times spread
evenly over the year. In the default ``--order random`` a call's events rarely
share a tie (the worst case for summing per month); ``--order time`` sends
them oldest first, as a mail archive would. The stream is built once, before
any timing. Each run
writes it into an empty store in calls of ``--call-size`` interactions (one
transaction per call), writes it again (the idempotent re-add: nothing may
change), then reads every tie back. Figures are per run; the table shows the
best run (the shortest write) and the load average around it, because the
machine these numbers come from is shared. Do not point it at a database you
care about: the Neo4j runs clear the database first.

``ties/s`` counts tie rows as stored: one per ordered pair, channel and month.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from bisect import bisect
from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

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


def monthly_ties(events: list[Interaction]) -> int:
    """How many tie rows (pair, channel, month) the events make."""
    return len({(e.source, e.target, e.channel, e.month) for e in events})


def load() -> float:
    """The one-minute load average."""
    return round(os.getloadavg()[0], 2)


def measure(store: Any, events: list[Interaction], n_people: int, call_size: int) -> dict:
    """Write the events into an empty store, write them again, read every tie."""
    store.clear()
    store.upsert_people(people(n_people))
    figures: dict[str, Any] = {"load_before": load()}

    def timed(name: str, work: Callable[[], int]) -> int:
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        figures[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
        figures[f"{name}_client_cpu_seconds"] = round(time.process_time() - cpu, 2)
        return result

    def write() -> int:
        return sum(store.add_interactions(call) for call in chunks(events, call_size))

    figures["added"] = timed("write", write)
    figures["re_added"] = timed("re_add", write)
    figures["window_ties"] = timed("read", lambda: sum(1 for _ in store.ties()))
    figures["load_after"] = load()
    return figures


def best_of(runs: list[dict], count: int, ties: int, batch_size: int) -> dict:
    """The run with the shortest write, with rates, and every run's write time."""
    best = dict(min(runs, key=lambda r: r["write_seconds"]))
    best.update(
        interactions=count,
        monthly_ties=ties,
        batch_size=batch_size,
        per_second=round(count / best["write_seconds"]),
        ties_per_second=round(ties / best["write_seconds"]),
        re_add_per_second=round(count / best["re_add_seconds"]),
        runs=len(runs),
        all_write_seconds=[r["write_seconds"] for r in runs],
    )
    return best


def run_embedded(args: argparse.Namespace, events: list[Interaction], ties: int) -> dict:
    """Best of ``--repeat`` runs, each on a new SQLite file."""
    runs = []
    options = {"batch_size": args.embedded_batch} if args.embedded_batch else {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "bench.sqlite3", **options)
            try:
                runs.append(measure(store, events, args.people, args.call_size))
                batch_size = store.batch_size
            finally:
                store.close()
    return best_of(runs, len(events), ties, batch_size)


def run_neo4j(args: argparse.Namespace, events: list[Interaction], ties: int) -> dict:
    """Best of ``--repeat`` runs against a given Neo4j, or one started for the purpose."""
    from graph.neo4j_store import Neo4jStore

    server = None
    uri, user, password = args.neo4j_uri, args.user, args.password
    if not uri:
        from tests.neo4j.server import start_server

        server = start_server()
        uri, user, password = server.uri, server.user, server.password
        print(f"Neo4j started in {server.startup_seconds:.1f} s at {uri}", file=sys.stderr)
    try:
        options = {"batch_size": args.neo4j_batch} if args.neo4j_batch else {}
        store = Neo4jStore(uri, user=user, password=password, **options)
        try:
            runs = [measure(store, events, args.people, args.call_size) for _ in range(args.repeat)]
        finally:
            store.close()
    finally:
        if server is not None:
            server.stop()
    return best_of(runs, len(events), ties, store.batch_size)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--call-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--order", choices=("random", "time"), default="random")
    parser.add_argument("--repeat", type=int, default=3, help="runs per backend (best shown)")
    parser.add_argument("--embedded-batch", type=int, help="events per batch (store default)")
    parser.add_argument("--neo4j-batch", type=int, help="events per batch (store default)")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--neo4j", action="store_true", help="start a test Neo4j and include it")
    parser.add_argument("--neo4j-uri")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    args = parser.parse_args()

    started = time.perf_counter()
    events = list(interactions(args.count, args.people, args.seed))
    if args.order == "time":
        events.sort(key=lambda e: e.timestamp)
    results: dict[str, Any] = {
        "generate_seconds": round(time.perf_counter() - started, 2),
        "order": args.order,
        "call_size": args.call_size,
        "cpus": os.cpu_count(),
    }
    ties = monthly_ties(events)
    if not args.skip_embedded:
        results["embedded"] = run_embedded(args, events, ties)
    if args.neo4j or args.neo4j_uri:
        results["neo4j"] = run_neo4j(args, events, ties)
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print_table(results)
    print(json.dumps(results))


def print_table(results: dict) -> None:
    """A small fixed-width table of the best runs."""
    head = (
        f"{'backend':<9}{'batch':>7}{'events':>11}{'ties':>9}{'write s':>9}{'events/s':>10}"
        f"{'ties/s':>9}{'re-add/s':>10}{'read s':>8}{'cpu s':>7}{'load':>12}{'runs':>6}"
    )
    print(head)
    for name in ("embedded", "neo4j"):
        r = results.get(name)
        if r:
            print(
                f"{name:<9}{r['batch_size']:>7,}{r['interactions']:>11,}{r['monthly_ties']:>9,}"
                f"{r['write_seconds']:>9}{r['per_second']:>10,}{r['ties_per_second']:>9,}"
                f"{r['re_add_per_second']:>10,}{r['read_seconds']:>8}"
                f"{r['write_client_cpu_seconds']:>7}"
                f"{r['load_before']:>6}-{r['load_after']:<5}{r['runs']:>6}"
            )
    print(f"{results['order']} order, calls of {results['call_size']:,}; ", end="")
    print(f"stream built in {results['generate_seconds']} s (not timed); ", end="")
    print(f"peak RSS {results['peak_rss_mib']} MiB; {results['cpus']} CPUs")


if __name__ == "__main__":
    main()
