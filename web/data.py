"""Data: upload exports, see ingest runs and their reports, start analysis, follow job progress.

Uploads are saved under ``DATA_DIR/uploads/<upload id>/`` (file names made
safe with :func:`werkzeug.utils.secure_filename`; the folder is deleted when
the ingest ends unless ``KEEP_UPLOADS`` is set) and ingested by a
background task through the same :func:`web.cli.ingest_files` the ``ingest``
command uses; analysis runs the same :func:`web.cli.analyse` as ``analyze``.
Both answer ``202`` with the task to poll (:mod:`web.tasks`).

Every view is a plain function with one decorator for its route, so access
checks can be added per view later.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import stat
import uuid
import zipfile
from contextlib import suppress
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.records import IngestRun
from web import audit
from web import cli
from web import tasks
from web.jobs import JOBS
from web.store import get_store

bp = Blueprint("data", __name__)

#: what each kind of upload takes, for the form
KIND_HELP = {
    "directory": "HR directory (CSV)",
    "email": "e-mail: mbox, .eml, message-trace CSV, or a maildir as .zip",
    "tickets": "tickets: ServiceNow, Jira or Zendesk export (CSV or JSON)",
    "meetings": "meetings: calendar (.ics) or meetings CSV",
}
#: ledger rows the Data page lists
RUNS_SHOWN = 50
#: longest name an uploaded file is saved under
MAX_NAME = 100
FRESHNESS = "bridgework.freshness"
ANALYSED = "bridgework.analysed"


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    """Give the app its task runner and the upload size limit."""
    app: Flask = state.app
    tasks.init_app(app)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["UPLOAD_MAX_BYTES"])


# -- pages --------------------------------------------------------------------------------


@bp.get("/data")
def page() -> str:
    """The Data page: freshness, upload form, analysis form, tasks and ingest runs."""
    return render_template(
        "data/page.html",
        **overview(),
        kinds=KIND_HELP,
        presets=cli.TICKET_PRESETS,
        limit=current_app.config["MAX_CONTENT_LENGTH"],
    )


@bp.get("/data/runs/<run_id>")
def run_page(run_id: str) -> str:
    """One ingest run's report: counts, skipped records by reason with examples, notes."""
    return render_template("data/run.html", run=run_detail(find_run(run_id)))


@bp.post("/data/uploads")
def upload_form():  # noqa: ANN201 - Flask view
    """The upload form without JavaScript: start the ingest and go back to the Data page."""
    task = start_upload()
    return redirect(url_for("data.page", task=task["id"], _anchor="tasks"), 303)


@bp.post("/data/analysis")
def analysis_form():  # noqa: ANN201 - Flask view
    """The analysis form without JavaScript: start the analysis and go back to the Data page."""
    task = start_analysis()
    return redirect(url_for("data.page", task=task["id"], _anchor="tasks"), 303)


# -- API ----------------------------------------------------------------------------------


@bp.post("/api/uploads")
def api_upload():  # noqa: ANN201 - Flask view
    """Save uploaded files and queue their ingest; 202 with the task to poll."""
    task = start_upload()
    return _accepted(task)


@bp.post("/api/jobs")
def api_jobs():  # noqa: ANN201 - Flask view
    """Queue the nine analysis jobs (optional seed, since, until); 202 with the task to poll."""
    task = start_analysis()
    return _accepted(task)


@bp.get("/api/tasks")
def api_tasks():  # noqa: ANN201 - Flask view
    """Recent background tasks, newest first, with their progress."""
    limit = _limit(default=20)
    return jsonify({"ok": True, "tasks": recent_tasks(limit)})


@bp.get("/api/tasks/<task_id>")
def api_task(task_id: str):  # noqa: ANN201 - Flask view
    """One background task with its progress messages, result or error."""
    return jsonify({"ok": True, "task": _task_json(tasks.get_runner().get(task_id))})


@bp.get("/api/runs")
def api_runs():  # noqa: ANN201 - Flask view
    """Ingest runs from the ledger, newest first, and how fresh the data is."""
    limit = _limit(default=RUNS_SHOWN)
    return jsonify({"ok": True, "runs": runs(limit), "freshness": freshness()})


@bp.get("/api/runs/<run_id>")
def api_run(run_id: str):  # noqa: ANN201 - Flask view
    """One ingest run's report: counts, skipped records grouped by reason, notes."""
    return jsonify({"ok": True, "run": run_detail(find_run(run_id))})


# -- what the page shows --------------------------------------------------------------


def overview() -> dict[str, Any]:
    """Everything the Data page shows, JSON-ready."""
    return {"freshness": freshness(), "runs": runs(RUNS_SHOWN), "tasks": recent_tasks(20)}


def recent_tasks(limit: int) -> list[dict[str, Any]]:
    """The newest background tasks, each with its API URL."""
    return [_task_json(t) for t in tasks.get_runner().recent(limit)]


def runs(limit: int) -> list[dict[str, Any]]:
    """Summaries of the newest ingest runs."""
    return [run_summary(run) for run in get_store().runs(limit=limit)]


def find_run(run_id: str) -> IngestRun:
    """The ledger entry with this id; raises :class:`NotFound`."""
    for run in get_store().runs(limit=1_000_000):
        if run.id == run_id:
            return run
    raise NotFound(f"no ingest run {run_id!r}")


def run_summary(run: IngestRun) -> dict[str, Any]:
    """The counts of one ingest run.

    ``skipped`` adds records that were invalid (``invalid``: unreadable, a
    required field missing or bad) and records left out on purpose
    (``filtered``: external sender, bot, list mail, broadcast...).
    ``duplicates`` counts copies of messages already read in the same
    ingest; ``interactions`` the interactions that were new to the store
    (0 when the same file is loaded again).
    """
    report = run.report
    notes = report.get("notes", {})
    invalid = sum(report.get("skipped", {}).values())
    filtered = sum(n for name, n in notes.items() if name.startswith("skipped: "))
    return {
        "id": run.id,
        "kind": run.kind,
        "file": _file_name(run.source),
        "status": run.status,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        "seconds": round((run.finished - run.started).total_seconds(), 3),
        "read": report.get("read", 0),
        "kept": report.get("kept", 0),
        "skipped": invalid + filtered,
        "invalid": invalid,
        "filtered": filtered,
        "duplicates": notes.get("duplicate message", 0),
        "interactions": report.get("interactions", 0),
        "people_created": report.get("people_created", 0),
        "people_matched": report.get("people_matched", 0),
        "error": _without_folder(run.error, Path(run.source).parent),
    }


def run_detail(run: IngestRun) -> dict[str, Any]:
    """A run's summary, its skipped records grouped by reason, its notes and service figures.

    Each reason has ``count``, ``invalid`` (a bad record rather than one
    left out on purpose) and a few ``examples`` (record number and field;
    values are not shown, as they may hold addresses). Invalid records come
    first, then the most frequent reasons.
    """
    report = run.report
    notes = report.get("notes", {})
    source = report.get("source", run.source)
    examples: dict[str, list[dict[str, str]]] = {}
    for text in report.get("examples", []):
        found = parse_example(text, source, list(report.get("skipped", {})))
        if found:
            reason, example = found
            examples.setdefault(reason, []).append(example)
    reasons = [
        {"reason": reason, "count": count, "invalid": True, "examples": examples.get(reason, [])}
        for reason, count in report.get("skipped", {}).items()
    ] + [
        {"reason": name.removeprefix("skipped: "), "count": count, "invalid": False, "examples": []}
        for name, count in notes.items()
        if name.startswith("skipped: ")
    ]
    reasons.sort(key=lambda r: (not r["invalid"], -r["count"], r["reason"]))
    service = sorted(
        ({"group": group, **values} for group, values in report.get("service", {}).items()),
        key=lambda g: (-(g.get("tickets") or 0), g["group"]),
    )
    return {
        **run_summary(run),
        "reasons": reasons,
        "notes": {
            name: count
            for name, count in sorted(notes.items())
            if not name.startswith("skipped: ") and name != "duplicate message"
        },
        "service": service,
    }


_EXAMPLE = re.compile(
    r"record (?P<record>.*?): field (?P<field>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"): (?P<rest>.*)$",
    re.DOTALL,
)


def parse_example(text: str, source: str, reasons: list[str]) -> tuple[str, dict[str, str]] | None:
    """Split a report example into its reason and ``{"record", "field"}``; the value is dropped.

    >>> parse_example("a.csv: record 7: field 'Date': missing Date", "a.csv", ["missing Date"])
    ('missing Date', {'record': '7', 'field': 'Date'})
    """
    rest = text.removeprefix(f"{source}: ")
    match = _EXAMPLE.match(rest) or _EXAMPLE.search(text)
    if not match:
        return None
    said = match.group("rest")
    for reason in sorted(reasons, key=len, reverse=True):
        if said == reason or said.startswith(f"{reason} (value "):
            field = ast.literal_eval(match.group("field"))
            return reason, {"record": match.group("record"), "field": str(field)}
    return None


def freshness() -> dict[str, Any]:
    """How fresh the data is: newest interaction month, last ingest, last analysis.

    The newest month reads every tie, so it is kept until the ledger changes;
    the analysis time is kept per snapshot version.
    """
    store = get_store()
    last = store.runs(limit=1)
    key = last[0].id if last else None
    cached = current_app.extensions.get(FRESHNESS)
    if cached is None or cached[0] != key:
        newest = max((tie.last_seen for tie in store.ties()), default=None)
        cached = (key, newest.strftime("%Y-%m") if newest else None)
        current_app.extensions[FRESHNESS] = cached
    counts = store.counts()
    return {
        "people": counts.people,
        "interactions": counts.interactions,
        "newest_month": cached[1],
        "last_run": last[0].finished.isoformat() if last else None,
        "last_run_file": _file_name(last[0].source) if last else None,
        "last_analysis": _last_analysis(),
    }


def _last_analysis() -> str | None:
    """When the last job of the last analysis saved its snapshot (read once per version)."""
    store = get_store()
    versions = store.snapshot_versions(JOBS[-1])
    if not versions:
        return None
    cached = current_app.extensions.get(ANALYSED)
    if cached is None or cached[0] != versions[-1]:
        try:
            created = store.snapshot(JOBS[-1], versions[-1]).created.isoformat()
        except NotFound:  # erased in between
            return None
        cached = current_app.extensions[ANALYSED] = (versions[-1], created)
    return cached[1]


# -- starting tasks -------------------------------------------------------------------------


def start_upload() -> dict[str, Any]:
    """Check and save the request's files, then queue their ingest; return the task."""
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(
            f"the upload is larger than the limit of {_size(current_app.config['MAX_CONTENT_LENGTH'])}"
        ) from None
    kind = form.get("kind", "").strip()
    preset = form.get("preset", "").strip() or None
    strict = form.get("strict", "").lower() in ("1", "true", "on", "yes")
    uploads = [f for f in files.getlist("file") if f.filename]
    mapping_file = files.get("mapping")
    if mapping_file is not None and not mapping_file.filename:
        mapping_file = None
    cli.check_ingest_options(kind, preset=preset, mapping=mapping_file and mapping_file.filename)
    if not uploads:
        raise InvalidInput("choose at least one file to upload", field="file")
    upload_id = uuid.uuid4().hex
    folder = Path(current_app.config["DATA_DIR"]) / "uploads" / upload_id
    try:
        saved = _save_all(uploads, folder, kind)
        mapping = _save(mapping_file, folder / "mapping", "mapping.json") if mapping_file else None
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    names = [path.name for path in saved]
    label = f"{kind}: {', '.join(names)}"
    params = {
        "upload": upload_id,
        "kind": kind,
        "files": [str(path) for path in saved],
        "strict": strict,
        "preset": preset,
        "mapping": str(mapping) if mapping else None,
    }
    audit.record("ingest", label)
    return _task_json(tasks.get_runner().submit("ingest", label, params))


@tasks.handler("ingest")
def run_upload(params: dict[str, Any], progress: tasks.Progress) -> dict[str, Any]:
    """The ingest task of an upload: unpack zipped maildirs, ingest, sum up what each file did.

    ``params``: ``upload`` (its id), ``kind``, ``files`` (saved paths under
    ``DATA_DIR/uploads/<upload>``), ``strict``, ``preset`` and ``mapping``
    (a saved path or ``None``). A worker process must see the same
    ``DATA_DIR`` as the web process that saved the files.
    """
    folder = _upload_folder(params["upload"])
    try:
        return _ingest_upload(params, folder, progress)
    finally:
        if not current_app.config["KEEP_UPLOADS"]:
            shutil.rmtree(folder, ignore_errors=True)


def _ingest_upload(
    params: dict[str, Any], folder: Path, progress: tasks.Progress
) -> dict[str, Any]:
    upload_id, kind = params["upload"], params["kind"]
    saved = [_inside(Path(name), folder) for name in params["files"]]
    mapping = _inside(Path(params["mapping"]), folder) if params.get("mapping") else None
    paths = [_unpacked(path, progress) if _is_zip(path) else path for path in saved]
    try:
        cli.ingest_files(
            kind,
            paths,
            strict=bool(params.get("strict")),
            preset=params.get("preset"),
            mapping=mapping,
            progress=lambda n: progress.note(f"{n:,} records read"),
        )
    except Exception as err:
        with suppress(Exception):  # the ingest's own error is the one to report
            progress.partial(upload_result(upload_id, kind, paths))
        raise tasks.TaskFailed(_without_folder(tasks.describe(err), folder)) from err
    result = upload_result(upload_id, kind, paths)
    if tasks.get_runner().threaded:
        freshness()  # worked out here, not on the next page view (of this process)
    return result


def _upload_folder(upload_id: str) -> Path:
    """The folder of an upload in this process's ``DATA_DIR``."""
    if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
        raise tasks.TaskFailed(f"{upload_id!r} is not an upload id")
    return Path(current_app.config["DATA_DIR"]) / "uploads" / upload_id


def _inside(path: Path, folder: Path) -> Path:
    """``path``, checked to be an existing file in ``folder`` (the upload's)."""
    if not (path.resolve().is_relative_to(folder.resolve()) and path.exists()):
        raise tasks.TaskFailed(
            f"{path.name} is not in the upload's folder here: the process running tasks "
            "needs the same DATA_DIR as the web app"
        )
    return path


def upload_result(upload_id: str, kind: str, paths: list[Path]) -> dict[str, Any]:
    """What an upload's ingest did: one run summary per file (``None`` if not read) and totals."""
    sources = {str(path): path for path in paths}
    found = {run.source: run_summary(run) for run in get_store().runs(limit=len(paths) + 200)}
    files = [{"file": path.name, "run": found.get(source)} for source, path in sources.items()]
    totals = {
        name: sum(f["run"][name] for f in files if f["run"])
        for name in ("read", "kept", "skipped", "duplicates", "interactions")
    }
    return {"upload": upload_id, "kind": kind, "files": files, **totals}


def start_analysis() -> dict[str, Any]:
    """Check the analysis options (form or JSON) and queue the jobs; return the task."""
    values: Any = request.form
    if request.is_json:
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            raise InvalidInput("must be a JSON object", field="body")
    seed = _seed(values.get("seed"))
    since = cli.parse_month(_text(values.get("since")), "since")
    until = cli.parse_month(_text(values.get("until")), "until")
    if since and until and until <= since:
        raise InvalidInput("must be after since", field="until", value=_text(values.get("until")))
    label = f"analysis, seed {seed}{_window_label(since, until)}"
    params = {
        "seed": seed,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    audit.record("analysis", label)
    return _task_json(tasks.get_runner().submit("analysis", label, params, steps=len(JOBS)))


@tasks.handler("analysis")
def run_analysis(params: dict[str, Any], progress: tasks.Progress) -> dict[str, Any]:
    """The analysis task: the nine jobs over the store, one step each.

    ``params``: ``seed`` and the window's ``since`` and ``until`` (ISO dates or ``None``).
    """
    seed = int(params.get("seed", 1))
    since, until = (_date(params.get(name)) for name in ("since", "until"))
    progress.note("loading ties")
    summary = cli.analyse(seed=seed, since=since, until=until, progress=progress.step)
    return {"seed": seed, "jobs": len(JOBS), **summary}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# -- helpers ---------------------------------------------------------------------------------


def _accepted(task: dict[str, Any]):  # noqa: ANN202 - Flask response
    response = jsonify({"ok": True, "task": task, "url": task["url"]})
    response.status_code = 202
    response.headers["Location"] = task["url"]
    return response


def _task_json(task: dict[str, Any]) -> dict[str, Any]:
    return {**task, "url": url_for("data.api_task", task_id=task["id"])}


def _limit(*, default: int, most: int = 500) -> int:
    value = request.args.get("limit", "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise InvalidInput(f"must be a whole number from 1 to {most}", field="limit", value=value)
    return int(value)


def _seed(value: object) -> int:
    text = _text(value)
    if not text:
        return 1
    try:
        return int(text)
    except ValueError:
        raise InvalidInput("must be a whole number", field="seed", value=text) from None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _window_label(since: date | None, until: date | None) -> str:
    if not since and not until:
        return ", all months"
    start = since.strftime("%Y-%m") if since else "start"
    end = until.strftime("%Y-%m") if until else "end"
    return f", {start} to {end}"


def _without_folder(text: str, folder: Path) -> str:
    """``text`` with the server's folder taken out of the paths in it."""
    prefix = f"{folder}{os.sep}"
    return text.replace(prefix, "") if str(folder) not in ("", ".") else text


def _file_name(source: str) -> str:
    """The last part of a path; the server's folders are nobody's business."""
    return Path(source).name or source


def _size(count: int) -> str:
    """A byte count for people.

    >>> _size(512 * 1024 * 1024), _size(1500), _size(20)
    ('512 MiB', '1.5 KiB', '20 bytes')
    """
    if count < 1024:
        return f"{count:,} bytes"
    value, units = count / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    return f"{value:,.1f}".removesuffix(".0") + f" {units[0]}"


def _save_all(uploads: list[FileStorage], folder: Path, kind: str) -> list[Path]:
    saved: list[Path] = []
    for number, upload in enumerate(uploads, 1):
        path = _save(upload, folder, f"upload-{number}", taken={p.name for p in saved})
        if path.stat().st_size == 0:
            raise InvalidInput(f"{path.name} is empty", field="file", value=path.name)
        if _is_zip(path):
            if kind != "email":
                raise InvalidInput(
                    "zip archives are for maildirs (kind email)", field="file", value=path.name
                )
            if not zipfile.is_zipfile(path):
                raise InvalidInput("is not a zip archive", field="file", value=path.name)
        saved.append(path)
    return saved


def _save(upload: FileStorage, folder: Path, fallback: str, taken: set[str] | None = None) -> Path:
    """Save under a safe name of our own; the client's path is never used.

    Names longer than :data:`MAX_NAME` characters keep their start and their
    extension (file systems refuse names over 255 bytes).
    """
    name = base = _short(secure_filename(upload.filename or "") or fallback)
    number = 1
    while taken and name in taken:
        number += 1
        name = f"{number}-{base}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    upload.save(path)
    return path


def _short(name: str) -> str:
    """``name`` cut to :data:`MAX_NAME` characters, its extension kept.

    >>> _short("x" * 300 + ".mbox") == "x" * 95 + ".mbox"
    True
    """
    if len(name) <= MAX_NAME:
        return name
    suffix = Path(name).suffix[:20]
    return name[: MAX_NAME - len(suffix)] + suffix


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def _unpacked(archive: Path, progress: tasks.Progress) -> Path:
    """Unpack a zipped maildir next to the archive, within the configured limits."""
    progress.note(f"unpacking {archive.name}")
    target = archive.with_name(archive.stem)
    if target.exists():
        target = archive.with_name(f"{archive.stem}-unpacked")
    unzip(
        archive,
        target,
        max_bytes=int(current_app.config["UPLOAD_ZIP_MAX_BYTES"]),
        max_files=int(current_app.config["UPLOAD_ZIP_MAX_FILES"]),
    )
    return target


def unzip(archive: Path, target: Path, *, max_bytes: int, max_files: int) -> int:
    """Unpack ``archive`` into ``target``; return the number of files written.

    Refuses (with :class:`~graph.errors.InvalidInput`, leaving nothing
    behind) archives with more than ``max_files`` members or more than
    ``max_bytes`` once unpacked (counted while unpacking, not trusted from the
    archive's own figures) and members whose names would land outside
    ``target`` (absolute paths, ``..``) or that are symbolic links. Folders
    and hidden files are not written.
    """
    root = target.resolve()
    written = total = 0
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir()]
            if len(members) > max_files:
                raise _zip_error(
                    archive, f"holds {len(members):,} files; the limit is {max_files:,}"
                )
            if sum(m.file_size for m in members) > max_bytes:
                raise _zip_error(archive, f"unpacks to more than {_size(max_bytes)}")
            for member in members:
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise _zip_error(archive, f"has a symbolic link: {member.filename!r}")
            for member in members:
                path = _member_path(root, member.filename, archive)
                if path is None:
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(path, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        total += len(chunk)
                        if total > max_bytes:
                            raise _zip_error(archive, f"unpacks to more than {_size(max_bytes)}")
                        sink.write(chunk)
                written += 1
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as err:
        shutil.rmtree(root, ignore_errors=True)
        why = err.strerror if isinstance(err, OSError) and err.strerror else err  # no paths
        raise _zip_error(archive, f"cannot be unpacked: {why}") from err
    except InvalidInput:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return written


def _member_path(root: Path, name: str, archive: Path) -> Path | None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name:
        raise _zip_error(archive, f"has a member outside its folder: {name!r}")
    parts = [p for p in parts if p not in ("", ".")]
    if not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
        return None
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root):
        raise _zip_error(archive, f"has a member outside its folder: {name!r}")
    return path


def _zip_error(archive: Path, message: str) -> InvalidInput:
    return InvalidInput(f"{archive.name} {message}", field="file", value=archive.name)


def _data_time(value: str | None) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM UTC`` for the pages."""
    if not value:
        return "—"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


bp.add_app_template_filter(_data_time, "data_time")
