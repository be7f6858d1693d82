"""Commands on the Flask CLI: ``flask --app app ingest|analyze|report|demo|reset``.

Each command parses its arguments, calls one library function and prints
what happened; library errors become ``click.ClickException`` (exit code 1).
:func:`ingest_files` and :func:`analyse` are those library functions for
ingest and analysis; the Data page's background tasks call them too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext

from graph.errors import InvalidInput
from graph.errors import StoreError
from web.store import get_store

KINDS = ("directory", "email", "tickets", "meetings")
TICKET_PRESETS = ("servicenow", "jira", "zendesk")


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
    """Delete everything in the configured store."""
    if not yes:
        raise click.ClickException("reset deletes everything in the store: add --yes to confirm")
    get_store().clear()
    click.echo("The store is empty.")


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    for command in (
        ingest_command,
        ingest_runs_command,
        analyze_command,
        report_command,
        demo_command,
        reset_command,
    ):
        app.cli.add_command(command)
