"""Command line: ``python -m demo --people 300 --seed 7 OUT_DIR``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from demo.generate import DemoSpec
from demo.generate import generate


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    defaults = DemoSpec()
    parser = argparse.ArgumentParser(
        prog="python -m demo", description="Write a deterministic demo organisation's export files."
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--people", type=int, default=defaults.people)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--start", type=date.fromisoformat, default=defaults.start)
    parser.add_argument("--months", type=int, default=defaults.months)
    parser.add_argument("--messages-per-person", type=float, default=defaults.messages_per_person)
    parser.add_argument("--meetings-per-person", type=float, default=defaults.meetings_per_person)
    parser.add_argument("--tickets-per-person", type=float, default=defaults.tickets_per_person)
    parser.add_argument("--domain", default=defaults.domain)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the files and print their paths (one per line)."""
    args = parse_args(argv)
    try:
        spec = DemoSpec(
            people=args.people,
            seed=args.seed,
            start=args.start,
            months=args.months,
            messages_per_person=args.messages_per_person,
            meetings_per_person=args.meetings_per_person,
            tickets_per_person=args.tickets_per_person,
            domain=args.domain,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    files = generate(spec, args.out_dir)
    for path in (files.directory, files.mbox, files.calendar, files.tickets, files.truth):
        print(path)
    print(f"generated in {time.perf_counter() - began:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
