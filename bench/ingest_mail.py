"""E-mail ingest throughput: stdlib ``mailbox`` vs our slow and fast header readers vs the pipeline.

Usage::

    python bench/ingest_mail.py                       # generated ~100k-message mbox + Enron sample
    python bench/ingest_mail.py --people 500          # a smaller generated mbox (~20k messages)
    python bench/ingest_mail.py --mbox big.mbox       # your own mbox instead of a generated one
    python bench/ingest_mail.py --baseline 100000     # also an mbox shaped like perf-baselines.md §3
    python bench/ingest_mail.py --enron ../shared/data/enron-mbox-sample/mbox
    python bench/ingest_mail.py --repeat 5 --profile  # best of 5, plus a cProfile of the scanner

For each data set, in one run and on the same files:

* ``stdlib mailbox``: ``mailbox.mbox(path, create=False)`` iteration, reading
  From, To, Cc, Date, Message-ID, In-Reply-To and Subject of every message
  (the baseline of perf-baselines.md §3);
* ``stdlib mailbox + addresses``: the same plus what our parser also does,
  ``email.utils.getaddresses`` on From/To/Cc and ``parsedate_to_datetime``;
* ``slow path``: :func:`ingest.mail.split_mbox` + :func:`ingest.mail.parse_headers`
  (``BytesHeaderParser``, ``getaddresses``; addresses canonicalised, dates
  checked, subject hashed) into ``MailHeader`` records;
* ``fast scanner, 1 process`` / ``2 processes``: :func:`ingest.scan.scan_mbox`,
  the same records (the standard library still parses what the scanner
  cannot), with ``workers=1`` and ``workers=2``;
* ``pipeline -> embedded``: the whole ``ingest_email`` (identity resolution,
  dedupe, ties, one transaction per file) into a fresh embedded store after
  the directory is loaded (not timed), with 1 and 2 reading processes.

The generated mbox comes from :mod:`demo.generate` (40 messages per person
by default, so ``--people 2500`` gives about 100,000 messages). The methods
run round-robin ``--repeat`` times and each figure is the best run (the
machine may be shared: the load average before and after is printed too).
Scanner caches are cleared before every run. ``cpu_s`` is the CPU time of
the benchmark process and its finished helper processes in the best run, and
``msgs/cpu-s`` the messages per CPU second (per core, whatever the load).
``x mbox`` compares wall times with ``stdlib mailbox``. Prints a table and
one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import mailbox
import os
import platform
import pstats
import random
import resource
import sys
import tempfile
import textwrap
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from email.utils import format_datetime
from email.utils import getaddresses
from email.utils import parsedate_to_datetime
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.generate import DemoSpec  # noqa: E402
from demo.generate import generate  # noqa: E402
from demo.generate import write_directory  # noqa: E402
from demo.names import PERSONAL_DOMAINS  # noqa: E402
from demo.names import VENDOR_DOMAINS  # noqa: E402
from demo.org import Org  # noqa: E402
from demo.org import build_org  # noqa: E402
from demo.org import slug  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402
from ingest import scan  # noqa: E402
from ingest.errors import IngestError  # noqa: E402
from ingest.identity import IdentitySettings  # noqa: E402
from ingest.mail import parse_headers  # noqa: E402
from ingest.mail import read_mbox  # noqa: E402
from ingest.pipeline import ingest_directory  # noqa: E402
from ingest.pipeline import ingest_email  # noqa: E402

FIELDS = ("From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "Subject")
ADDRESSES = ("From", "To", "Cc")
ENRON = Path(__file__).resolve().parents[2] / "shared" / "data" / "enron-mbox-sample" / "mbox"
BASELINE = "stdlib mailbox"


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


def slow_path(paths: list[Path]) -> int:
    """Header blocks parsed into ``MailHeader`` records by the standard library (bad ones counted)."""
    count = 0
    for path in paths:
        for record, block in read_mbox(path):
            try:
                parse_headers(block, source=str(path), record=record)
            except IngestError:
                pass
            count += 1
    return count


def fast_scanner(paths: list[Path], workers: int) -> Callable[[], int]:
    """:func:`ingest.scan.scan_mbox` with ``workers`` processes, from cold caches."""

    def run() -> int:
        scan.clear_caches()
        return sum(1 for path in paths for _ in scan.scan_mbox(path, workers=workers))

    return run


def pipeline(
    paths: list[Path], settings: IdentitySettings, directory: Path | None, workers: int
) -> Callable[[], int]:
    """A run of ``ingest_email`` into a fresh embedded store (directory loaded untimed)."""

    def run() -> int:
        scan.clear_caches()
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "bench.sqlite3")
            try:
                if directory:
                    ingest_directory([directory], store, settings)
                started, cpu = time.perf_counter(), _cpu()
                reports = ingest_email(paths, store, settings, workers=workers)
                run.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
                run.cpu = _cpu() - cpu  # type: ignore[attr-defined]
                run.interactions = sum(r.interactions for r in reports)  # type: ignore[attr-defined]
                return sum(r.read for r in reports)
            finally:
                store.close()

    return run


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_all(
    methods: list[tuple[str, Callable[[], int]]], repeat: int, size: int
) -> list[dict[str, object]]:
    """Run the methods round-robin ``repeat`` times; keep each one's best (wall) run."""
    best: dict[str, dict[str, object]] = {}
    for _ in range(repeat):
        for name, work in methods:
            started, cpu = time.perf_counter(), _cpu()
            count = work()
            elapsed = getattr(work, "seconds", time.perf_counter() - started)
            used = getattr(work, "cpu", _cpu() - cpu)
            runs = best.setdefault(name, {"runs": []})
            runs["runs"].append(round(elapsed, 3))  # type: ignore[union-attr]
            if elapsed < runs.get("_best", float("inf")):  # type: ignore[operator]
                runs.update(
                    _best=elapsed,
                    method=name,
                    messages=count,
                    seconds=round(elapsed, 3),
                    cpu_s=round(used, 3),
                    msgs_per_s=round(count / elapsed),
                    msgs_per_cpu_s=round(count / used) if used else None,
                    mb_per_s=round(size / elapsed / 1e6, 1),
                )
                if hasattr(work, "interactions"):
                    runs["interactions"] = work.interactions
    rows = [best[name] for name, _ in methods]
    for row in rows:
        del row["_best"]
    baseline = next((r for r in rows if r["method"] == BASELINE), None)
    for row in rows:
        if baseline:
            row["x_mailbox"] = round(baseline["seconds"] / row["seconds"], 2)  # type: ignore[operator]
    return rows


def fast_share(paths: list[Path]) -> dict[str, int]:
    """How many messages the scanner reads itself and how many go to the standard library."""
    taken = total = 0
    for path in paths:
        for _, block in read_mbox(path):
            total += 1
            taken += scan.fast_header(block) is not None
    return {"messages": total, "fast_path": taken, "fallback": total - taken}


def profile(paths: list[Path], top: int = 15) -> str:
    """cProfile of the 1-process scanner: the functions where the time goes."""
    scan.clear_caches()
    profiler = cProfile.Profile()
    profiler.enable()
    for path in paths:
        for _ in scan.scan_mbox(path, workers=1):
            pass
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def bench(
    label: str,
    paths: list[Path],
    settings: IdentitySettings,
    directory: Path | None,
    repeat: int,
) -> dict:
    """Every method on one data set."""
    size = sum(p.stat().st_size for p in paths)
    methods = [
        (BASELINE, lambda: stdlib_mailbox(paths)),
        ("stdlib mailbox + addresses", lambda: stdlib_mailbox_addresses(paths)),
        ("slow path (parse_headers)", lambda: slow_path(paths)),
        ("fast scanner, 1 process", fast_scanner(paths, 1)),
        ("fast scanner, 2 processes", fast_scanner(paths, 2)),
        ("pipeline -> embedded, 1 proc", pipeline(paths, settings, directory, 1)),
        ("pipeline -> embedded, 2 procs", pipeline(paths, settings, directory, 2)),
    ]
    return {
        "data": label,
        "files": len(paths),
        "bytes": size,
        "share": fast_share(paths),
        "results": measure_all(methods, repeat, size),
    }


# --- an mbox shaped like perf-baselines.md §3 ----------------------------------------

#: words of generated bodies and subjects (no "From", so no body line needs escaping)
_WORDS = (
    "the", "a", "we", "our", "team", "report", "numbers", "plan", "week", "review",
    "draft", "budget", "customer", "supplier", "meeting", "update", "please", "check",
    "figures", "attached", "agreed", "next", "steps", "before", "after", "Friday",
    "Monday", "deadline", "forecast", "quarter", "open", "points", "tracker", "send",
    "comments", "today", "tomorrow", "should", "could", "will", "is", "are", "on",
    "for", "with", "to", "in", "of", "and", "or", "not", "yet", "already", "contract",
    "invoice", "order", "release", "access", "training", "handover", "escalation",
)  # fmt: skip
_TOPICS = (
    "Budget", "Forecast", "Contract", "Invoice", "Release", "Training", "Handover",
    "Supplier", "Customer", "Access", "Audit", "Roadmap", "Hiring", "Offsite",
)  # fmt: skip
_DETAILS = (
    "review", "update", "question", "draft", "numbers", "plan", "follow-up",
    "next steps", "for Friday", "status", "sign-off", "comments", "timeline",
)  # fmt: skip
_ENCODED_SUBJECTS = ("Café order", "Übersicht", "Réunion", "Año fiscal", "Smørrebrød lunch")
_MAILERS = (
    "Microsoft Outlook 16.0",
    "Apple Mail (2.3774.300.61.1.2)",
    "Mozilla Thunderbird 128.5.0",
    "Evolution 3.52.1",
    "Roundcube Webmail/1.6.9",
)
_CONTENT_TYPES = (
    'text/plain; charset="us-ascii"',
    'text/plain; charset="utf-8"; format=flowed',
    "text/plain; charset=iso-8859-1",
)
_TRANSFER_ENCODINGS = ("7bit", "quoted-printable", "8bit")
#: UTC offsets of the senders, in minutes (weighted towards Europe)
_OFFSETS = (0, 60, 60, 60, 60, 120, -300, -300, -360, -480, 330, 540)
BASELINE_DOMAIN = "northgate.example"


@dataclass(frozen=True)
class Baseline:
    """The files :func:`baseline_mbox` wrote and what is in them."""

    mbox: Path
    directory: Path
    messages: int
    addresses: int
    header_bytes: int


def baseline_mbox(
    out: Path, messages: int = 100_000, seed: int = 7, people: int = 2500
) -> Baseline:
    """Write an mbox shaped like the one of perf-baselines.md §3, and its HR directory.

    An organisation of ``people`` (from :func:`demo.org.build_org`) mails
    itself: recipients mostly from the sender's team, then unit, anyone, and
    about 5 % outside correspondents. Every message has a ``From `` line, two
    folded ``Received`` headers, From, To (1-10 recipients) and Cc (0-5),
    folded one address per line, Date, Message-ID, for half of them
    In-Reply-To and References, Subject (5 % RFC 2047-encoded), MIME-Version,
    Content-Type, Content-Transfer-Encoding, X-Mailer and a body of 2 KB or
    more. Each written address is, at random, an RFC 2047 ``=?utf-8?b?...?=``
    name (10 %), a quoted ``"Last, First"`` name (20 %), bare (10 %) or a
    plain name (60 %). The same arguments give the same bytes.
    """
    rng = random.Random(seed)
    org = build_org(people, BASELINE_DOMAIN, date(2025, 1, 1), rng)
    directory = out / "hr.csv"
    write_directory(org, directory)
    forms = [_forms(p.name, p.last, p.email) for p in org.people]
    forms += [_forms(*contact) for contact in _contacts(max(50, people // 10), rng)]
    staff = len(org.people)
    cumulative = list(accumulate(p.activity for p in org.people))
    paragraphs = [_paragraph(rng) for _ in range(400)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    recent: list[str] = []
    addresses = header_bytes = 0
    path = out / "baseline.mbox"
    with path.open("wb") as handle:
        chunk: list[str] = []
        for index in range(messages):
            sender = rng.choices(range(staff), cum_weights=cumulative)[0]
            member = org.people[sender]
            recipients = _recipients(org, member.team, member.unit, staff, len(forms), rng)
            to, cc = recipients[: rng.randint(1, 10)], recipients[10 : 10 + rng.randint(0, 5)]
            addresses += 1 + len(to) + len(cc)
            when = start + timedelta(seconds=rng.randrange(330 * 86400))
            offset = timezone(timedelta(minutes=rng.choice(_OFFSETS)))
            message_id = f"<{rng.getrandbits(64):016x}.{index}@mail.{BASELINE_DOMAIN}>"
            header = _header(forms, sender, to, cc, when, offset, message_id, recent, rng)
            header_bytes += len(header)
            chunk.append(
                f"From {member.email} {when:%a %b} {when.day:2d} {when:%H:%M:%S %Y}\n"
                + header
                + "\n"
                + _body(member.first, forms[to[0]][0], paragraphs, rng)
            )
            recent.append(message_id)
            if len(recent) > 4000:
                del recent[:2000]
            if len(chunk) == 1000:
                handle.write("".join(chunk).encode("ascii"))
                chunk.clear()
        handle.write("".join(chunk).encode("ascii"))
    return Baseline(path, directory, messages, addresses, header_bytes)


def _ascii(text: str) -> str:
    """``text`` without accents (``Zoë Müller`` -> ``Zoe Muller``)."""
    text = text.replace("ø", "o").replace("Ø", "O").replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _forms(name: str, last: str, address: str) -> tuple[str, str, str, str, str]:
    """A person's ASCII name and the four ways a header writes them: encoded name,
    ``"Last, First"``, bare address, plain name."""
    plain = _ascii(name)
    encoded = base64.b64encode(name.encode()).decode()
    rest = plain[: -len(_ascii(last))].strip() if plain.endswith(_ascii(last)) else plain
    return (
        plain,
        f"=?utf-8?b?{encoded}?= <{address}>",
        f'"{_ascii(last)}, {rest}" <{address}>',
        address,
        f"{plain} <{address}>",
    )


def _contacts(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """Outside correspondents: (name, last name, address) at suppliers and mail providers."""
    out = []
    for index in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if rng.random() < 0.7:
            address = f"{slug(first)}.{slug(last)}{index}@{rng.choice(VENDOR_DOMAINS)}"
        else:
            address = f"{slug(first)}{slug(last)}{index}@{rng.choice(PERSONAL_DOMAINS)}"
        out.append((f"{first} {last}", last, address))
    return out


_FIRST = ("Ana", "Ben", "Chloé", "Dev", "Eva", "Farid", "Greta", "Hiro", "Ingrid", "Jon")
_LAST = ("Alves", "Brandt", "Çelik", "Dunn", "Eriksson", "Ferrari", "Gómez", "Holm")


def _recipients(
    org: Org, team: int, unit: int, staff: int, everyone: int, rng: random.Random
) -> list[int]:
    """15 distinct recipients in order of preference (the caller takes To and Cc from them)."""
    chosen: dict[int, None] = {}
    group, department = org.teams[team], org.units[unit]
    while len(chosen) < 15:
        r = rng.random()
        if r < 0.55:
            pick = group.start + rng.randrange(group.size)
        elif r < 0.8:
            pick = department.start + rng.randrange(department.size)
        elif r < 0.95:
            pick = rng.randrange(staff)
        else:
            pick = rng.randrange(staff, everyone)
        chosen[pick] = None
    return list(chosen)


def _mailbox(forms: list[tuple[str, str, str, str, str]], person: int, rng: random.Random) -> str:
    """One written address: encoded name 10 %, "Last, First" 20 %, bare 10 %, plain 60 %."""
    r = rng.random()
    return forms[person][1 if r < 0.1 else 2 if r < 0.3 else 3 if r < 0.4 else 4]


def _header(
    forms: list[tuple[str, str, str, str, str]],
    sender: int,
    to: list[int],
    cc: list[int],
    when: datetime,
    offset: timezone,
    message_id: str,
    recent: list[str],
    rng: random.Random,
) -> str:
    """The header block of one message (every line ends with ``\\n``)."""
    local = when.astimezone(offset)
    hop = rng.randrange(1, 9)
    host = f"mail{hop}.{BASELINE_DOMAIN}"
    relay = f"mx{rng.randrange(1, 4)}.{BASELINE_DOMAIN}"
    queue = f"{rng.getrandbits(40):010X}"
    lines = [
        f"Received: from {host} ({host} [10.20.{hop}.{rng.randrange(2, 250)}])\n"
        f"\tby {relay} (Postfix) with ESMTPS id {queue}\n"
        f"\tfor <{forms[to[0]][3]}>; {format_datetime(local + timedelta(seconds=2))}\n",
        f"Received: from [10.{rng.randrange(30, 90)}.{rng.randrange(256)}.{rng.randrange(2, 250)}]"
        f" (unknown [10.0.0.{rng.randrange(2, 250)}])\n"
        f"\tby {host} with ESMTPSA id {rng.getrandbits(48):012x};\n"
        f"\t{format_datetime(local)}\n",
        f"From: {_mailbox(forms, sender, rng)}\n",
        "To: " + ",\n\t".join(_mailbox(forms, p, rng) for p in to) + "\n",
    ]
    if cc:
        lines.append("Cc: " + ",\n\t".join(_mailbox(forms, p, rng) for p in cc) + "\n")
    subject = f"{rng.choice(_TOPICS)} {rng.choice(_DETAILS)}"
    if rng.random() < 0.05:
        word = rng.choice(_ENCODED_SUBJECTS).encode()
        subject = f"=?utf-8?b?{base64.b64encode(word).decode()}?= {subject.lower()}"
    lines.append(f"Date: {format_datetime(local)}\nMessage-ID: {message_id}\n")
    if recent and rng.random() < 0.5:
        thread = rng.sample(recent[-2000:], min(len(recent), rng.randint(1, 3)))
        lines.append(f"In-Reply-To: {thread[-1]}\nReferences: " + "\n\t".join(thread) + "\n")
        subject = "Re: " + subject
    lines.append(
        f"Subject: {subject}\nMIME-Version: 1.0\n"
        f"Content-Type: {rng.choice(_CONTENT_TYPES)}\n"
        f"Content-Transfer-Encoding: {rng.choice(_TRANSFER_ENCODINGS)}\n"
        f"X-Mailer: {rng.choice(_MAILERS)}\n"
    )
    return "".join(lines)


def _paragraph(rng: random.Random) -> str:
    """A paragraph of 15-60 words, wrapped at 72 columns, ending with a blank line."""
    words = [rng.choice(_WORDS) for _ in range(rng.randint(15, 60))]
    text = " ".join(words).capitalize() + "."
    return textwrap.fill(text, 72) + "\n\n"


def _body(sender: str, first_recipient: str, paragraphs: list[str], rng: random.Random) -> str:
    """A greeting, paragraphs up to at least 2 KB, a signature; ends with a blank line."""
    parts = [f"Hi {first_recipient.split()[0]},\n\n"]
    size = len(parts[0])
    while size < 2048:
        parts.append(rng.choice(paragraphs))
        size += len(parts[-1])
    parts.append(f"Best regards,\n{_ascii(sender)}\n\n")
    return "".join(parts)


def generated(people: int, seed: int, out: Path) -> tuple[list[Path], IdentitySettings, Path]:
    """A demo organisation's mbox and directory."""
    spec = DemoSpec(people=people, seed=seed)
    files = generate(spec, out)
    settings = IdentitySettings(key=b"bench", internal_domains=(spec.domain,))
    return [files.mbox], settings, files.directory


def print_table(results: list[dict], load: dict[str, list[float]]) -> None:
    """One line per data set and method, then the fast-path share and the machine load."""
    print(
        f"{'data':<26} {'method':<30} {'messages':>9} {'s':>7} {'cpu s':>7} "
        f"{'msgs/s':>9} {'msgs/cpu-s':>10} {'MB/s':>6} {'x mbox':>7}"
    )
    for result in results:
        for row in result["results"]:
            print(
                f"{result['data']:<26} {row['method']:<30} {row['messages']:>9,} "
                f"{row['seconds']:>7.2f} {row['cpu_s']:>7.2f} {row['msgs_per_s']:>9,} "
                f"{row['msgs_per_cpu_s'] or 0:>10,} {row['mb_per_s']:>6.1f} "
                f"{row.get('x_mailbox', 0):>7.2f}"
            )
    for result in results:
        share = result["share"]
        print(
            f"{result['data']}: {share['fast_path']:,} of {share['messages']:,} messages "
            f"on the fast path ({share['fast_path'] / max(share['messages'], 1):.2%}), "
            f"{share['fallback']:,} parsed by the standard library"
        )
    print(f"load average before {load['before']}, after {load['after']}; {_cpus()} CPUs")


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2500, help="demo size (~40 messages each)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mbox", type=Path, help="an mbox to use instead of a generated one")
    parser.add_argument(
        "--baseline",
        type=int,
        default=0,
        metavar="N",
        help="also an N-message mbox shaped like perf-baselines.md section 3 (100000 there)",
    )
    parser.add_argument("--domain", default="", help="internal domain for --mbox")
    parser.add_argument("--enron", type=Path, default=ENRON, help="folder of Enron mbox files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (best is kept)")
    parser.add_argument("--profile", action="store_true", help="cProfile the 1-process scanner")
    args = parser.parse_args(argv)
    load = {"before": [round(x, 2) for x in os.getloadavg()]}
    results, profiles = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        if args.mbox:
            domains = (args.domain,) if args.domain else ()
            own = IdentitySettings(key=b"bench", internal_domains=domains)
            sets.append((args.mbox.name, [args.mbox], own, None))
        else:
            paths, settings, directory = generated(args.people, args.seed, Path(tmp))
            sets.append((f"demo mbox ({args.people:,} people)", paths, settings, directory))
        if args.baseline:
            (Path(tmp) / "baseline").mkdir()
            made = baseline_mbox(Path(tmp) / "baseline", args.baseline, seed=args.seed)
            shaped = IdentitySettings(key=b"bench", internal_domains=(BASELINE_DOMAIN,))
            label = f"baseline-shaped ({made.messages:,})"
            sets.append((label, [made.mbox], shaped, made.directory))
        if args.enron.is_dir():
            enron = IdentitySettings(key=b"bench", internal_domains=("enron.com",))
            paths = sorted(p for p in args.enron.iterdir() if p.is_file())
            sets.append(("enron-mbox-sample", paths, enron, None))
        for label, paths, settings, directory in sets:
            results.append(bench(label, paths, settings, directory, args.repeat))
            if args.profile:
                profiles[label] = profile(paths)
    load["after"] = [round(x, 2) for x in os.getloadavg()]
    print_table(results, load)
    for label, text in profiles.items():
        print(f"\n--- cProfile, fast scanner, 1 process: {label}\n{text}")
    env = {"python": platform.python_version(), "machine": platform.machine(), "cpus": _cpus()}
    print(json.dumps({"bench": "ingest_mail", "env": env, "load": load, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
