"""E-mail ingest throughput: stdlib ``mailbox`` vs our header reader vs the whole pipeline.

Usage::

    python bench/ingest_mail.py                       # generated ~100k-message mbox + Enron sample
    python bench/ingest_mail.py --people 500          # a smaller generated mbox (~20k messages)
    python bench/ingest_mail.py --mbox big.mbox       # your own mbox instead of a generated one
    python bench/ingest_mail.py --enron ../shared/data/enron-mbox-sample/mbox

For each data set, in one run and on the same files:

* ``stdlib mailbox``: ``mailbox.mbox(path, create=False)`` iteration, reading
  From, To, Cc, Date, Message-ID, In-Reply-To and Subject of every message
  (the baseline of perf-baselines.md §3);
* ``stdlib mailbox + addresses``: the same plus what our parser also does,
  ``email.utils.getaddresses`` on From/To/Cc and ``parsedate_to_datetime``;
* ``split_mbox``: our memory-mapped splitter alone (header blocks, no parsing);
* ``split_mbox + parse_headers``: what the ingestor reads per message
  (addresses canonicalised, dates checked, subject hashed);
* ``ingest_email -> embedded``: the whole pipeline (identity resolution,
  dedupe, ties, one transaction per file) into a fresh embedded store, after
  the directory is loaded (not timed).

The generated mbox comes from :mod:`demo.generate` (40 messages per person
by default, so ``--people 2500`` gives about 100,000 messages). Prints a
table and one JSON line. Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from email.utils import getaddresses
from email.utils import parsedate_to_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.generate import DemoSpec  # noqa: E402
from demo.generate import generate  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402
from ingest.errors import IngestError  # noqa: E402
from ingest.identity import IdentitySettings  # noqa: E402
from ingest.mail import parse_headers  # noqa: E402
from ingest.mail import read_mbox  # noqa: E402
from ingest.pipeline import ingest_directory  # noqa: E402
from ingest.pipeline import ingest_email  # noqa: E402

FIELDS = ("From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "Subject")
ADDRESSES = ("From", "To", "Cc")
ENRON = Path(__file__).resolve().parents[2] / "shared" / "data" / "enron-mbox-sample" / "mbox"


def stdlib_mailbox(paths: list[Path]) -> int:
    """Messages read by ``mailbox.mbox`` (default factory), touching the header fields."""
    count = 0
    for path in paths:
        box = mailbox.mbox(path, create=False)
        try:
            for message in box:
                [message[f] for f in FIELDS]
                count += 1
        finally:
            box.close()
    return count


def stdlib_mailbox_addresses(paths: list[Path]) -> int:
    """The same, plus the work our parser does: addresses (``getaddresses``) and the date."""
    count = 0
    for path in paths:
        box = mailbox.mbox(path, create=False)
        try:
            for message in box:
                getaddresses([str(v) for f in ADDRESSES for v in message.get_all(f, [])])
                try:
                    parsedate_to_datetime(str(message["Date"]))
                except (TypeError, ValueError, IndexError):
                    pass
                [message[f] for f in FIELDS]
                count += 1
        finally:
            box.close()
    return count


def split_only(paths: list[Path]) -> int:
    """Header blocks sliced out by our memory-mapped splitter."""
    return sum(1 for path in paths for _ in read_mbox(path))


def split_and_parse(paths: list[Path]) -> int:
    """Header blocks parsed into ``MailHeader`` records (bad ones counted too)."""
    count = 0
    for path in paths:
        for record, block in read_mbox(path):
            try:
                parse_headers(block, source=str(path), record=record)
            except IngestError:
                pass
            count += 1
    return count


def pipeline(
    paths: list[Path], settings: IdentitySettings, directory: Path | None
) -> Callable[[], int]:
    """A run of ``ingest_email`` into a fresh embedded store (directory loaded untimed)."""

    def run() -> int:
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "bench.sqlite3")
            try:
                if directory:
                    ingest_directory([directory], store, settings)
                started = time.perf_counter()
                reports = ingest_email(paths, store, settings)
                run.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
                run.interactions = sum(r.interactions for r in reports)  # type: ignore[attr-defined]
                return sum(r.read for r in reports)
            finally:
                store.close()

    return run


def measure(name: str, work: Callable[[], int], repeat: int, size: int) -> dict[str, object]:
    """Best of ``repeat`` runs of ``work``; the pipeline times itself (store set-up excluded)."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = work()
        elapsed = getattr(work, "seconds", time.perf_counter() - started)
        best = min(best, elapsed)
    row: dict[str, object] = {
        "method": name,
        "messages": count,
        "seconds": round(best, 3),
        "msgs_per_s": round(count / best),
        "mb_per_s": round(size / best / 1e6, 1),
    }
    if hasattr(work, "interactions"):
        row["interactions"] = work.interactions
    return row


def bench(label: str, paths: list[Path], settings, directory: Path | None, repeat: int) -> dict:
    """Every method on one data set."""
    size = sum(p.stat().st_size for p in paths)
    methods = [
        ("stdlib mailbox", lambda: stdlib_mailbox(paths)),
        ("stdlib mailbox + addresses", lambda: stdlib_mailbox_addresses(paths)),
        ("split_mbox", lambda: split_only(paths)),
        ("split_mbox + parse_headers", lambda: split_and_parse(paths)),
        ("ingest_email -> embedded", pipeline(paths, settings, directory)),
    ]
    rows = [measure(name, work, repeat, size) for name, work in methods]
    return {"data": label, "files": len(paths), "bytes": size, "results": rows}


def generated(people: int, seed: int, out: Path) -> tuple[list[Path], IdentitySettings, Path]:
    """A demo organisation's mbox and directory."""
    spec = DemoSpec(people=people, seed=seed)
    files = generate(spec, out)
    settings = IdentitySettings(key=b"bench", internal_domains=(spec.domain,))
    return [files.mbox], settings, files.directory


def print_table(results: list[dict]) -> None:
    """One line per data set and method."""
    print(f"{'data':<28} {'method':<28} {'messages':>9} {'s':>8} {'msgs/s':>9} {'MB/s':>7}")
    for result in results:
        for row in result["results"]:
            print(
                f"{result['data']:<28} {row['method']:<28} {row['messages']:>9,} "
                f"{row['seconds']:>8.2f} {row['msgs_per_s']:>9,} {row['mb_per_s']:>7.1f}"
            )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2500, help="demo size (~40 messages each)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mbox", type=Path, help="an mbox to use instead of a generated one")
    parser.add_argument("--domain", default="", help="internal domain for --mbox")
    parser.add_argument("--enron", type=Path, default=ENRON, help="folder of Enron mbox files")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.mbox:
            own = IdentitySettings(
                key=b"bench", internal_domains=(args.domain,) if args.domain else ()
            )
            results.append(bench(args.mbox.name, [args.mbox], own, None, args.repeat))
        else:
            paths, settings, directory = generated(args.people, args.seed, Path(tmp))
            label = f"demo mbox ({args.people:,} people)"
            results.append(bench(label, paths, settings, directory, args.repeat))
        if args.enron.is_dir():
            enron = IdentitySettings(key=b"bench", internal_domains=("enron.com",))
            paths = sorted(p for p in args.enron.iterdir() if p.is_file())
            results.append(bench("enron-mbox-sample", paths, enron, None, args.repeat))
    print_table(results)
    env = {"python": platform.python_version(), "machine": platform.machine()}
    print(json.dumps({"bench": "ingest_mail", "env": env, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
