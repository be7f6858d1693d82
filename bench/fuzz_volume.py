"""Fuzz every parser at volume and report how many inputs each one was given.

Usage::

    python bench/fuzz_volume.py                      # 20,000 inputs per parser, fresh random inputs
    python bench/fuzz_volume.py --examples 2000      # a quicker run
    python bench/fuzz_volume.py --only ics --only "tickets json"
    python bench/fuzz_volume.py --seed 7             # reproducible inputs
    python bench/fuzz_volume.py --atheris 100000     # also coverage-guided runs (pip install atheris)

The targets and inputs are the ones of ``tests/fuzz`` (see
``tests/fuzz/harness.py`` for the property each input must keep and
``tests/fuzz/strategies.py`` for the inputs: mutated real samples,
generated near-valid documents and random bytes), run here with many more
examples and without stopping at the first failure. Each parser's examples
are shared among its kinds of input. A failure is any exception other than
a located ``IngestError`` where one is allowed, or a broken property; the
distinct failures (exception type and where it was raised) are printed with
the smallest input that showed them.

With ``--atheris N`` every target also runs under atheris (coverage-guided
over the ``ingest`` package, libFuzzer mutations, starting from the real
samples) for N inputs, one process per target; atheris stops at the first
failure and prints it. atheris is not a project dependency: ``pip install
atheris`` first (wheels for CPython 3.11 on Linux x86-64).

Prints a table and one JSON line; exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if sys.argv[1:2] == ["--atheris-child"]:  # instrument our parsers before anything imports them
    import atheris

    with atheris.instrument_imports(include=["ingest"]):
        import ingest.pipeline  # noqa: F401 - imports every reader and parser

from hypothesis import HealthCheck  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import settings  # noqa: E402

from tests.fuzz import harness  # noqa: E402
from tests.fuzz.strategies import INPUTS  # noqa: E402
from tests.fuzz.strategies import SAMPLES  # noqa: E402

#: the real samples each target's atheris corpus starts from
CORPUS = {
    "email header block": "header",
    "mbox": "mbox",
    "eml": "eml",
    "maildir": "eml",
    "message trace csv": "trace",
    "ics": "ics",
    "meetings csv": "meetings",
    "tickets csv": "tickets csv",
    "tickets json": "tickets json",
    "directory csv": "directory",
    "column mapping json": "mapping",
    "user map csv": "users",
}


def where(err: BaseException) -> str:
    """Where ``err`` was raised: the innermost frame, and the innermost of the project's code."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return "?"
    ours = [f for f in frames if "/ingest/" in f.filename and "/.venv/" not in f.filename]
    last = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"
    if ours and ours[-1] is not frames[-1]:
        return f"{last} via {Path(ours[-1].filename).name}:{ours[-1].lineno}"
    return last


def run_target(name: str, examples: int, seed: int | None) -> dict[str, object]:
    """Run one target on ``examples`` inputs; return counts and distinct failures."""
    target = harness.TARGETS[name]
    kinds = INPUTS[name]
    failures: dict[str, dict[str, object]] = {}
    before = harness.COUNTS[name]
    started = time.perf_counter()
    for strategy in kinds.values():

        def body(data: bytes) -> None:
            try:
                target(data)
            except Exception as err:  # noqa: BLE001 - every failure is recorded, none stops the run
                key = f"{type(err).__name__} at {where(err)}"
                found = failures.setdefault(key, {"count": 0, "example": data, "message": ""})
                found["count"] = int(found["count"]) + 1
                if len(data) < len(found["example"]):  # type: ignore[arg-type]
                    found["example"] = data
                found["message"] = str(err)[:300]

        test = settings(
            max_examples=max(examples // len(kinds), 1),
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
        )(given(strategy)(body))
        if seed is not None:
            test = hypothesis_seed(seed)(test)
        test()
    return {
        "parser": name,
        "inputs": harness.COUNTS[name] - before,
        "seconds": round(time.perf_counter() - started, 1),
        "failures": {
            key: {
                "count": value["count"],
                "message": value["message"],
                "example": repr(value["example"][:400]),  # type: ignore[index]
            }
            for key, value in failures.items()
        },
    }


def run_atheris(name: str, runs: int) -> dict[str, object]:
    """Fuzz one target with atheris in a child process; return its input count and outcome."""
    with tempfile.TemporaryDirectory(prefix="bw-atheris-") as corpus:
        for number, sample in enumerate(SAMPLES[CORPUS.get(name, "tickets csv")]):
            Path(corpus, f"seed-{number}").write_bytes(sample)
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--atheris-child", name, f"-runs={runs}", "-max_len=65536",
             f"-artifact_prefix={corpus}/", corpus],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    done = [line for line in child.stderr.splitlines() if line.startswith("Done ")]
    tried = int(done[-1].split()[1]) if done else harness_runs(child.stderr)
    return {
        "parser": name,
        "inputs": tried,
        "seconds": round(time.perf_counter() - started, 1),
        "failed": child.returncode != 0,
        "output": child.stderr[-3000:] if child.returncode else "",
    }


def harness_runs(stderr: str) -> int:
    """The last ``#N`` input count libFuzzer printed."""
    counts = [line.split()[0][1:] for line in stderr.splitlines() if line.startswith("#")]
    return int(counts[-1]) if counts and counts[-1].isdigit() else 0


def atheris_child(name: str, argv: list[str]) -> None:
    """Run one target under atheris (the child process of :func:`run_atheris`)."""
    import atheris

    target = harness.TARGETS[name]
    atheris.Setup([sys.argv[0], *argv], target)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=20_000, help="inputs per parser")
    parser.add_argument("--only", action="append", choices=sorted(harness.TARGETS))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--atheris", type=int, default=0, metavar="N", help="atheris inputs per parser"
    )
    args = parser.parse_args(argv)
    names = args.only or list(harness.TARGETS)
    rows = []
    for name in names:
        row = run_target(name, args.examples, args.seed)
        rows.append(row)
        print(
            f"{name:<22} {row['inputs']:>8,} inputs {row['seconds']:>8}s "
            f"{len(row['failures'])} distinct failures",  # type: ignore[arg-type]
            flush=True,
        )
        for key, failure in row["failures"].items():  # type: ignore[union-attr]
            print(f"    {key}: {failure['count']}x {failure['message'][:160]!r}")
            print(f"        smallest input: {failure['example'][:300]}")
    atheris_rows = []
    if args.atheris:
        for name in names:
            row = run_atheris(name, args.atheris)
            atheris_rows.append(row)
            state = "FAILED" if row["failed"] else "ok"
            print(f"atheris {name:<22} {row['inputs']:>8,} inputs {row['seconds']:>8}s {state}")
            if row["failed"]:
                print(row["output"])
    total = sum(int(r["inputs"]) for r in rows)  # type: ignore[call-overload]
    print(f"{'total':<22} {total:>8,} inputs")
    print(json.dumps({"hypothesis": rows, "atheris": atheris_rows}, default=str))
    failed = any(r["failures"] for r in rows) or any(r["failed"] for r in atheris_rows)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--atheris-child":
        atheris_child(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(main())
