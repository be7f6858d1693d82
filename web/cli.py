"""Commands on the Flask CLI: ``flask --app app ingest|analyze|report|demo|reset|erase|opt-out|purge``.

Each command parses its arguments, calls one library function and prints
what happened; library errors become ``click.ClickException`` (exit code 1).
:func:`ingest_files` and :func:`analyse` are those library functions for
ingest and analysis; the Data page's background tasks call them too.
:func:`erase_people`, :func:`opt_out` and :func:`purge` erase people and
old interactions; each change is recorded in the ingest ledger (kinds
``erase``, ``opt-out`` and ``purge``), which changes the data version that
cached pages are kept under (:func:`web.cache.data_version`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext

from graph.errors import InvalidInput
from graph.errors import NotFound
from graph.errors import StoreError
from web.store import get_store

KINDS = ("directory", "email", "tickets", "meetings")
TICKET_PRESETS = ("servicenow", "jira", "zendesk")
#: ledger entries of changes that are not ingests (their counts are in the report's notes)
CHANGE_KINDS = ("erase", "opt-out", "purge")
#: what erasure leaves behind until the next analysis
AFTER_ERASURE = (
    "Team and department figures computed with them stay until the next analysis "
    "(flask --app app analyze)."
)


def identity_settings() -> Any:
    """Identity settings for the ingestors, from the app config."""
    from ingest.identity import IdentitySettings

    config = current_app.config
    return IdentitySettings(
        key=str(config["PSEUDONYM_KEY"]).encode(),
        internal_domains=tuple(d.lower() for d in config["INTERNAL_DOMAINS"]),
        it_units=tuple(config["IT_UNITS"]),
        broadcast_cutoff=int(config["BROADCAST_CUTOFF"]),
    )


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int], None]]:
    """A progress line on stderr that counts records as they go by."""
    state = {"shown": 0}

    def update(done: int) -> None:
        if done - state["shown"] >= 1000:
            click.echo(f"\r{label}: {done:,} records", nl=False, err=True)
            state["shown"] = done

    yield update
    if state["shown"]:
        click.echo(err=True)


def ingest_files(
    kind: str,
    paths: list[Path],
    *,
    strict: bool = False,
    preset: str | None = None,
    mapping: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """Ingest files of one kind into the app's store; return one report per file.

    The one ingest path of the ``ingest`` command and the Data page's
    uploads. ``preset`` names a ticket preset (``servicenow``, ``jira``,
    ``zendesk``; detected from the columns when not given); ``mapping`` is a
    JSON column mapping for ticket exports or e-mail message-trace CSVs.
    ``progress`` is called with the number of records read so far. Raises
    :class:`~ingest.errors.IngestError`, or :class:`~graph.errors.InvalidInput`
    for options that do not fit the kind.
    """
    from ingest import pipeline
    from ingest import tickets
    from ingest import trace
    from ingest.tabular import read_mapping

    ingestors = {
        "directory": pipeline.ingest_directory,
        "email": pipeline.ingest_email,
        "tickets": pipeline.ingest_tickets,
        "meetings": pipeline.ingest_meetings,
    }
    check_ingest_options(kind, preset=preset, mapping=mapping)
    apply_opt_out()
    options: dict[str, Any] = {}
    if kind == "tickets":
        options["preset"] = preset
        if mapping:
            options["mapping"] = read_mapping(
                mapping, fields=tickets.FIELDS, presets=tickets.PRESETS
            )
    elif kind == "email" and mapping:
        options["trace_mapping"] = read_mapping(
            mapping, fields=trace.FIELDS, presets=trace.TRACE_PRESETS
        )
    return ingestors[kind](
        paths, get_store(), identity_settings(), strict=strict, progress=progress, **options
    )


def check_ingest_options(kind: str, *, preset: str | None, mapping: object = None) -> None:
    """Raise :class:`~graph.errors.InvalidInput` naming the option that does not fit ``kind``."""
    if kind not in KINDS:
        raise InvalidInput(f"must be one of {', '.join(KINDS)}", field="kind", value=kind)
    if preset and kind != "tickets":
        raise InvalidInput("goes with tickets only", field="preset", value=preset)
    if preset and preset not in TICKET_PRESETS:
        raise InvalidInput(
            f"must be one of {', '.join(TICKET_PRESETS)}", field="preset", value=preset
        )
    if mapping and kind not in ("tickets", "email"):
        raise InvalidInput("goes with tickets or email only", field="mapping", value=str(mapping))


def run_ingest(
    kind: str,
    paths: list[Path],
    *,
    strict: bool,
    preset: str | None = None,
    mapping: Path | None = None,
) -> list[Any]:
    """:func:`ingest_files` with a progress line on stderr and errors as click errors."""
    from ingest.errors import IngestError
    from web import audit

    audit.record("ingest", f"{kind}: {', '.join(path.name for path in paths)}")
    try:
        with _progress(f"{kind}") as progress:
            return ingest_files(
                kind, paths, strict=strict, preset=preset, mapping=mapping, progress=progress
            )
    except (IngestError, StoreError) as err:
        raise click.ClickException(str(err)) from err


def _echo_report(report: Any) -> None:
    data = report.as_dict()
    click.echo(
        f"{data['source']}: read {data['read']:,}, kept {data['kept']:,}, "
        f"new interactions {data['interactions']:,}, people created {data['people_created']:,}, "
        f"matched {data['people_matched']:,}"
    )
    for reason, count in sorted(data["skipped"].items()):
        click.echo(f"  skipped {count:,}: {reason}")
    for note, count in sorted(data["notes"].items()):
        click.echo(f"  {note}: {count:,}")
    for example in data["examples"][:5]:
        click.echo(f"  e.g. {example}")
    service = data.get("service") or {}
    if service:
        click.echo(f"  service by group ({len(service):,} groups; busiest first):")
    busiest = sorted(service.items(), key=lambda item: (-item[1]["tickets"], item[0]))
    for group, values in busiest[:10]:
        hours = values["median_hours_to_resolve"]
        median = "n/a" if hours is None else f"{hours:,.1f} h"
        click.echo(
            f"    {group}: {values['tickets']:,} tickets, {values['resolved']:,} resolved, "
            f"median time to resolve {median}, reopened {values['reopened']:,}"
        )


@click.command("ingest")
@with_appcontext
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Stop at the first bad record instead of skipping it.")
@click.option(
    "--preset",
    type=click.Choice(TICKET_PRESETS),
    help="Ticket export layout (detected from the columns when not given).",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON column mapping for ticket exports or e-mail message-trace CSVs.",
)
def ingest_command(
    kind: str, paths: tuple[Path, ...], strict: bool, preset: str | None, mapping: Path | None
) -> None:
    """Load exports into the store.

    \b
    Load the directory first, then the traces:
      flask --app app ingest directory hr.csv
      flask --app app ingest email mail.mbox maildir/
      flask --app app ingest meetings calendar.ics
      flask --app app ingest tickets incidents.csv
      flask --app app ingest tickets --preset jira jira-export.csv
      flask --app app ingest email --mapping m365-mapping.json trace.csv
    """
    if preset and kind != "tickets":
        raise click.UsageError("--preset goes with tickets only")
    if mapping and kind not in ("tickets", "email"):
        raise click.UsageError("--mapping goes with tickets or email only")
    for report in run_ingest(kind, list(paths), strict=strict, preset=preset, mapping=mapping):
        _echo_report(report)


@click.command("ingest-runs")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
def ingest_runs_command(as_json: bool, limit: int) -> None:
    """List ingest runs (the ledger), newest first, with their status and report."""
    try:
        runs = get_store().runs(limit=limit)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        rows = [_run_dict(run) for run in runs]
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for run in runs:
        report = run.report
        if run.kind in CHANGE_KINDS:
            removed = ", ".join(f"{name} {n:,}" for name, n in report.get("notes", {}).items())
            click.echo(
                f"{run.started:%Y-%m-%d %H:%M:%S} {run.status:6} {run.kind:9} {run.source}: "
                f"{removed or 'nothing'} [{run.id[:8]}]"
            )
            continue
        skipped = sum(report.get("skipped", {}).values())
        click.echo(
            f"{run.started:%Y-%m-%d %H:%M:%S} {run.status:6} {run.kind:9} {run.source}: "
            f"read {report.get('read', 0):,}, kept {report.get('kept', 0):,}, "
            f"skipped {skipped:,}, new interactions {report.get('interactions', 0):,} "
            f"[{run.id[:8]}]"
        )
        if run.error:
            click.echo(f"  error: {run.error}")
    if not runs:
        click.echo("No ingest runs yet.")


def _run_dict(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "source": run.source,
        "status": run.status,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        "report": run.report,
        "error": run.error,
    }


def analyse(
    *,
    seed: int = 1,
    since: date | None = None,
    until: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the analysis jobs over the store (or a window of it) and store the results.

    The one analysis path of the ``analyze`` command and the Data page;
    ``progress`` is called with each job's name as it starts.
    """
    from web.jobs import run_all

    return run_all(get_store(), seed=seed, since=since, until=until, progress=progress)


def parse_month(value: str | None, field: str) -> date | None:
    """A ``YYYY-MM`` month as its first day; ``None`` when empty.

    >>> parse_month("2025-03", "since")
    datetime.date(2025, 3, 1)
    """
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput("is not a month (YYYY-MM)", field=field, value=value)
    return date(int(match.group(1)), int(match.group(2)), 1)


def run_analysis(
    *, seed: int = 1, since: str | None = None, until: str | None = None
) -> dict[str, Any]:
    """:func:`analyse` with ``[n/9] job`` progress lines on stderr."""
    from web import audit
    from web.jobs import JOBS

    audit.record("analysis", f"seed {seed}, since {since or '-'}, until {until or '-'}")
    done = {"n": 0}

    def progress(job: str) -> None:
        done["n"] += 1
        click.echo(f"[{done['n']}/{len(JOBS)}] {job}", err=True)

    return analyse(
        seed=seed,
        since=_month(since, "--since"),
        until=_month(until, "--until"),
        progress=progress,
    )


def _month(value: str | None, option: str) -> date | None:
    try:
        return parse_month(value, option)
    except InvalidInput:
        raise click.BadParameter(f"{value!r} is not a month (YYYY-MM)", param_hint=option) from None


@click.command("analyze")
@with_appcontext
@click.option(
    "--seed",
    default=1,
    show_default=True,
    help="Seed of every random step (same seed, same results).",
)
@click.option("--since", help="First month to include, YYYY-MM (default: all data).")
@click.option("--until", help="First month to leave out, YYYY-MM.")
def analyze_command(seed: int, since: str | None, until: str | None) -> None:
    """Run the nine analysis jobs; save a snapshot of each and write scores back.

    Jobs: tie strength, IT-business liaison, isolated teams, brokers,
    communities vs the org chart, key-person risk, recommended introductions,
    period comparison (first half vs second half) and role clustering.
    """
    try:
        summary = run_analysis(seed=seed, since=since, until=until)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    click.echo(json.dumps(summary, indent=2, default=str))


def build_report() -> dict[str, Any]:
    """Counts and headline results, as the ``report`` command prints them."""
    from web.jobs import headline

    store = get_store()
    return {
        "store": current_app.config["STORE"],
        "counts": store.counts().as_dict(),
        "results": headline(store),
    }


@click.command("report")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def report_command(as_json: bool) -> None:
    """Summarise what the store holds and what the analysis found."""
    try:
        report = build_report()
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    counts = report["counts"]
    click.echo(f"store: {report['store']}")
    click.echo(
        f"people {counts['people']:,}, teams {counts['teams']:,}, departments {counts['departments']:,}"
    )
    for name, channel in counts["channels"].items():
        click.echo(
            f"  {name}: {channel['interactions']:,} interactions between {channel['pairs']:,} pairs"
        )


@click.command("demo")
@with_appcontext
@click.option(
    "--people", default=300, show_default=True, help="Size of the generated organisation."
)
@click.option(
    "--seed", default=7, show_default=True, help="Seed: the same seed gives the same files."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where to write the files (default DATA_DIR/demo).",
)
def demo_command(people: int, seed: int, out: Path | None) -> None:
    """Generate a sample organisation, ingest its files and analyse it.

    The files (hr.csv, mail.mbox, meetings.ics, tickets.csv, truth.json) go
    through the same ingestors as real exports.
    """
    from demo.generate import DemoSpec
    from demo.generate import generate

    out = out or Path(current_app.config["DATA_DIR"]) / "demo"
    click.echo(f"Generating a {people}-person organisation in {out} ...")
    files = generate(DemoSpec(people=people, seed=seed), out)
    for kind, path in (
        ("directory", files.directory),
        ("email", files.mbox),
        ("meetings", files.calendar),
        ("tickets", files.tickets),
    ):
        for report in run_ingest(kind, [path], strict=False):
            _echo_report(report)
    click.echo("Analysing ...")
    summary = run_analysis()
    click.echo(json.dumps(summary, indent=2, default=str))


@click.command("reset")
@with_appcontext
@click.option("--yes", is_flag=True, help="Confirm that everything in the store is to be deleted.")
def reset_command(yes: bool) -> None:
    """Delete everything in the configured store except the erasure marks."""
    if not yes:
        raise click.ClickException("reset deletes everything in the store: add --yes to confirm")
    store = get_store()
    marks = store.erased_keys()
    store.clear()
    if marks:
        store.mark_erased(marks)
    _forget_cached()
    click.echo(
        "The store is empty" + (f" (its {len(marks):,} erasure marks are kept)." if marks else ".")
    )


# -- erasure, opt-out and retention ------------------------------------------------------


def find_person(reference: str) -> Any:
    """The stored person a reference names: a key (``p_…``), an e-mail address or an exact name.

    An address is hashed as at ingest and matches a person's key or an
    alias. Raises :class:`~graph.errors.NotFound`, or
    :class:`~graph.errors.InvalidInput` when a name is ambiguous (the
    message lists the candidates by key).
    """
    from ingest.identity import canonical_address
    from ingest.identity import pseudonym

    store = get_store()
    text = " ".join(reference.split())
    if not text:
        raise InvalidInput("is empty", field="person")
    if "@" in text:
        address = canonical_address(text)
        if address is None:
            raise InvalidInput("is not an e-mail address", field="person")
        token = pseudonym(address, identity_settings().key)
        for person in store.people():
            if person.key == token or token in person.aliases:
                return person
        already = " (it is marked as erased)" if token in store.erased_keys() else ""
        raise NotFound(f"nobody in the store has that address{already}")
    try:
        return store.person(text)
    except NotFound:
        pass
    named = [p for p in store.people() if " ".join(p.name.split()) == text]
    if len(named) == 1:
        return named[0]
    if named:
        candidates = "; ".join(f"{p.key} ({p.team_key if p.team else '-'})" for p in named)
        raise InvalidInput(f"names {len(named)} people, give a key: {candidates}", field="person")
    already = " (it is marked as erased)" if text in store.erased_keys() else ""
    raise NotFound(f"no person with key or name {text!r}{already}")


def erase_people(
    people: Iterable[Any], *, marks: Iterable[str] = (), kind: str = "erase"
) -> dict[str, int]:
    """Erase people from the store and mark them so that no ingest brings them back.

    In one unit: mark the people's keys, aliases and name (see
    :func:`ingest.identity.erasure_marks`) and the extra ``marks``, remove
    each person with their ties, events and scores, delete every analysis
    snapshot that mentions one of them, and record a ledger entry of
    ``kind``. Team and department scores stay until the next analysis.
    Returns counts: ``people``, ``ties``, ``events``, ``scores``,
    ``snapshots`` and ``marks`` (new marks).
    """
    from ingest.identity import erasure_marks

    people = list(people)
    key = identity_settings().key
    wanted = set(marks).union(*(erasure_marks(p, key) for p in people))
    store = get_store()
    started = datetime.now(UTC)
    totals: Counter[str] = Counter(people=len(people))
    with store.atomic():
        totals["marks"] = store.mark_erased(wanted) if wanted else 0
        for person in people:
            erasure = store.erase_person(person.key)
            totals.update(ties=erasure.ties, events=erasure.events, scores=erasure.scores)
        totals["snapshots"] = store.drop_snapshots_naming(p.key for p in people) if people else 0
        if totals["people"] or totals["marks"]:
            store.record_run(_ledger_entry(kind, started, totals))
    _forget_cached()
    return {
        name: totals[name] for name in ("people", "ties", "events", "scores", "snapshots", "marks")
    }


def opt_out(addresses: Iterable[str]) -> dict[str, int]:
    """Mark addresses as opted out; erase whoever in the store has one of them.

    Returns :func:`erase_people`'s counts and ``addresses``. Addresses that
    are not e-mail addresses raise :class:`~graph.errors.InvalidInput`.
    """
    from ingest.identity import address_marks
    from ingest.identity import canonical_address

    canonical = []
    for position, raw in enumerate(addresses):
        address = canonical_address(raw)
        if address is None:
            raise InvalidInput("is not an e-mail address", record=position, field="address")
        canonical.append(address)
    marks = address_marks(canonical, identity_settings().key)
    counts = erase_people(_holders(marks), marks=marks, kind="opt-out")
    return {"addresses": len(set(canonical)), **counts}


def _holders(marks: set[str]) -> list[Any]:
    """Stored people whose key or an alias is among ``marks``."""
    return [p for p in get_store().people() if p.key in marks or not marks.isdisjoint(p.aliases)]


def opt_out_path() -> Path | None:
    """The ``OPT_OUT`` file (relative to the instance folder), or ``None`` when not set."""
    value = current_app.config.get("OPT_OUT")
    if not value:
        return None
    return Path(current_app.instance_path) / Path(str(value)).expanduser()


def apply_opt_out() -> dict[str, int] | None:
    """Apply the ``OPT_OUT`` list before an ingest; ``None`` when no list is set.

    New addresses are marked and anyone in the store with one of them is
    erased (audited as ``erase`` by ``opt-out list``); addresses marked
    before change nothing. A list that cannot be read raises
    :class:`~ingest.errors.IngestError`, so nothing is ingested.
    """
    from ingest.identity import address_marks
    from ingest.identity import read_opt_out
    from web import audit

    path = opt_out_path()
    if path is None:
        return None
    addresses = read_opt_out(path)
    marks = address_marks(addresses, identity_settings().key)
    if marks <= get_store().erased_keys():
        return {"addresses": len(addresses), "people": 0, "marks": 0}
    counts = opt_out(addresses)
    audit.record(
        "erase",
        f"opt-out list: {counts['marks']} new marks, {counts['people']} people erased",
        user="opt-out list",
        role="",
    )
    return counts


def purge_cutoff(months: int, today: date | None = None) -> date:
    """The first month kept when keeping ``months`` whole months before the current one.

    >>> purge_cutoff(12, date(2025, 3, 14))
    datetime.date(2024, 3, 1)
    >>> purge_cutoff(2, date(2025, 1, 31))
    datetime.date(2024, 11, 1)
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InvalidInput("must be a whole number of months from 1", field="months", value=months)
    today = today or datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def retention_months() -> int | None:
    """The ``RETENTION_MONTHS`` setting, checked; ``None`` keeps everything."""
    value = current_app.config.get("RETENTION_MONTHS")
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(
            "must be a whole number of months from 1", field="RETENTION_MONTHS", value=value
        )
    return value


def purge(months: int, *, today: date | None = None) -> Any:
    """Delete tie months (with their event keys) and ticket facts older than ``months``.

    Returns the store's :class:`~graph.base.Purge`. A purge that removed
    something is recorded in the ledger (kind ``purge``); running it again
    removes nothing and records nothing.
    """
    store = get_store()
    started = datetime.now(UTC)
    found = store.purge_before(purge_cutoff(months, today))
    if found.ties or found.events or found.tickets:
        totals = Counter(ties=found.ties, events=found.events, tickets=found.tickets)
        store.record_run(_ledger_entry("purge", started, totals, source=f"before {found.before}"))
        _forget_cached()
    return found


def _ledger_entry(
    kind: str, started: datetime, totals: Counter[str], *, source: str | None = None
) -> Any:
    """A ledger entry for a change that is not an ingest: its counts are the report's notes."""
    from ingest.records import IngestReport
    from ingest.records import IngestRun

    report = IngestReport(source=source or kind, kind=kind)
    report.notes.update({name: count for name, count in totals.items() if count})
    return IngestRun(
        id=uuid.uuid4().hex,
        kind=kind,
        source=source or kind,
        status="ok",
        started=started,
        finished=datetime.now(UTC),
        report=report.as_dict(),
    )


def _forget_cached() -> None:
    from web import cache

    cache.clear()


def _describe_person(person: Any) -> str:
    unit = person.team_key if person.team else (person.department or "no team")
    return f"{person.key} ({person.name or 'no name'}, {unit})"


def _echo_erasure(counts: dict[str, int]) -> None:
    click.echo(
        f"Removed {counts['people']:,} people, {counts['ties']:,} ties "
        f"({counts['events']:,} events), {counts['scores']:,} scores and "
        f"{counts['snapshots']:,} analysis snapshots; {counts['marks']:,} new erasure marks."
    )
    if counts["snapshots"]:
        click.echo("Pages of the removed analyses say so until the analysis runs again.")
    if counts["people"]:
        click.echo(AFTER_ERASURE)


@click.command("erase")
@with_appcontext
@click.argument("person")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(person: str, yes: bool) -> None:
    """Erase one person for good: PERSON is a key (p_...), an e-mail address or an exact name.

    Removes the person, their ties, events and scores and every analysis
    snapshot that mentions them, and marks their key, aliases and name so
    that no later ingest brings them back.
    """
    from web import audit

    try:
        found = find_person(person)
    except (NotFound, InvalidInput) as err:
        raise click.ClickException(str(err)) from err
    if not yes:
        click.confirm(f"Erase {_describe_person(found)} for good?", abort=True)
    try:
        counts = erase_people([found])
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    audit.record(
        "erase",
        f"{found.key}: {counts['ties']} ties, {counts['events']} events, "
        f"{counts['scores']} scores, {counts['snapshots']} snapshots",
    )
    click.echo(f"Erased {found.key}.")
    _echo_erasure(counts)


@click.command("opt-out")
@with_appcontext
@click.argument("addresses", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Erase people who have these addresses without asking.")
def opt_out_command(addresses: tuple[str, ...], yes: bool) -> None:
    """Mark e-mail addresses as opted out, erasing anyone in the store who has one.

    The addresses are hashed as at ingest (they are not stored); people with
    them never enter the store again. Add them to the OPT_OUT file too, to
    keep the list in one place.
    """
    from ingest.identity import address_marks
    from ingest.identity import canonical_address
    from web import audit

    canonical = [canonical_address(a) for a in addresses]
    bad = [str(n) for n, address in enumerate(canonical, start=1) if address is None]
    if bad:
        raise click.BadParameter(
            f"argument {', '.join(bad)} is not an e-mail address", param_hint="ADDRESSES"
        )
    marks = address_marks(filter(None, canonical), identity_settings().key)
    present = _holders(marks)
    if present and not yes:
        click.confirm(
            f"{len(present)} of these people are in the store; erase them for good?", abort=True
        )
    try:
        counts = opt_out(addresses)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    audit.record(
        "erase",
        f"opt-out: {counts['addresses']} addresses, {counts['people']} people erased",
    )
    click.echo(f"{counts['addresses']:,} addresses opted out.")
    _echo_erasure(counts)


@click.command("purge")
@with_appcontext
@click.option(
    "--older-than",
    "months",
    type=int,
    help="Keep this many whole months before the current one (default RETENTION_MONTHS).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_command(months: int | None, yes: bool) -> None:
    """Delete interactions older than the retention period, on either store.

    Tie months before the cutoff go with their event keys, and ticket facts
    opened before it. Running it again removes nothing more.
    """
    from web import audit

    if months is None:
        try:
            months = retention_months()
        except InvalidInput as err:
            raise click.ClickException(str(err)) from err
        if months is None:
            raise click.UsageError("set RETENTION_MONTHS or give --older-than N")
    if months < 1:
        raise click.BadParameter(
            "must be a whole number of months from 1", param_hint="--older-than"
        )
    cutoff = purge_cutoff(months)
    if not yes:
        click.confirm(f"Delete every interaction before {cutoff:%Y-%m}?", abort=True)
    try:
        found = purge(months)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    audit.record(
        "purge",
        f"before {found.before}: {found.ties} tie months, {found.events} events, "
        f"{found.tickets} tickets",
    )
    click.echo(
        f"Deleted {found.ties:,} tie months ({found.events:,} events) and "
        f"{found.tickets:,} ticket facts before {found.before}."
    )
    if found.ties or found.tickets:
        click.echo("Analysis results computed before the purge stay until the next analysis.")


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    for command in (
        ingest_command,
        ingest_runs_command,
        analyze_command,
        report_command,
        demo_command,
        reset_command,
        erase_command,
        opt_out_command,
        purge_command,
    ):
        app.cli.add_command(command)
