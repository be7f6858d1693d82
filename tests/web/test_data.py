"""The Data page and its API: uploads, ingest runs and reports, analysis tasks, errors."""

from __future__ import annotations

import io
import mailbox
import zipfile
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.identity import IdentitySettings
from ingest.pipeline import ingest_email
from tests import apps
from web import tasks
from web.jobs import JOBS
from web.store import close_store
from web.store import get_store

DATA = Path(__file__).resolve().parents[1] / "data"
ENRON_MBOX = DATA / "enron-sample.mbox"  # copied from ../shared/data/enron-mbox-sample
KEY = "test-key"


def make_app(tmp_path: Path, **config):
    return apps.make_app(tmp_path, PSEUDONYM_KEY=KEY, INTERNAL_DOMAINS=["enron.com"], **config)


@pytest.fixture
def enron_app(tmp_path):
    """An empty app that treats enron.com as the organisation's mail domain."""
    application = make_app(tmp_path)
    yield application
    tasks.shutdown(application)
    close_store(application)


@pytest.fixture
def client(enron_app):
    return enron_app.test_client()


def upload(client, kind: str, *files: tuple[bytes | Path, str], **fields):
    parts = [(io.BytesIO(f.read_bytes() if isinstance(f, Path) else f), name) for f, name in files]
    return client.post("/api/uploads", data={"kind": kind, "file": parts, **fields})


def finished(app, response) -> dict:
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["ok"] is True and response.headers["Location"] == body["url"]
    return tasks.get_runner(app).wait(body["task"]["id"], timeout=60)


def reference_reports(tmp_path: Path, *paths: Path):
    """The same files through the ingest pipeline into a store of their own."""
    store = EmbeddedStore(tmp_path / "reference.sqlite3")
    try:
        settings = IdentitySettings(key=KEY.encode(), internal_domains=("enron.com",))
        reports = ingest_email(list(paths), store, settings)
        return reports, store.counts().as_dict()
    finally:
        store.close()


def test_uploaded_mbox_is_ingested_with_the_pipelines_counts(enron_app, client, tmp_path):
    response = upload(client, "email", (ENRON_MBOX, "enron-sample.mbox"))
    assert response.get_json()["task"]["state"] in ("queued", "running", "done")
    task = finished(enron_app, response)
    assert task["state"] == "done", task["error"]
    assert task["kind"] == "ingest" and task["label"] == "email: enron-sample.mbox"

    [report], reference_counts = reference_reports(tmp_path, ENRON_MBOX)
    box = mailbox.mbox(ENRON_MBOX)
    try:
        messages = len(box)
    finally:
        box.close()
    runs = client.get("/api/runs").get_json()["runs"]
    assert len(runs) == 1
    run = runs[0]
    assert (run["file"], run["kind"], run["status"]) == ("enron-sample.mbox", "email", "ok")
    assert run["read"] == messages == report.read
    assert run["kept"] == report.kept > 0
    assert run["duplicates"] == report.notes["duplicate message"] == 3  # see PROVENANCE.md
    assert run["interactions"] == report.interactions > 0
    assert run["people_created"] == report.people_created
    assert run["read"] == run["kept"] + run["skipped"] + run["duplicates"]
    assert task["result"]["files"] == [{"file": "enron-sample.mbox", "run": run}]
    assert task["result"]["kept"] == run["kept"]

    # the upload (which may hold message bodies) is deleted once its ingest ends
    assert not (Path(enron_app.config["DATA_DIR"]) / "uploads" / task["result"]["upload"]).exists()
    with enron_app.app_context():
        assert get_store().counts().as_dict() == reference_counts


def test_uploading_the_same_file_again_changes_no_counts(enron_app, client):
    finished(enron_app, upload(client, "email", (ENRON_MBOX, "enron-sample.mbox")))
    with enron_app.app_context():
        before = get_store().counts().as_dict()
    again = finished(enron_app, upload(client, "email", (ENRON_MBOX, "enron-sample.mbox")))
    assert again["state"] == "done"
    with enron_app.app_context():
        assert get_store().counts().as_dict() == before
    runs = {run["id"]: run for run in client.get("/api/runs").get_json()["runs"]}
    assert len(runs) == 2
    newest = runs.pop(again["result"]["files"][0]["run"]["id"])
    [first] = runs.values()
    assert newest["interactions"] == 0 < first["interactions"]
    assert newest["read"] == first["read"] and newest["kept"] == first["kept"]


def test_run_report_groups_skipped_records_by_reason(enron_app, client, tmp_path):
    sample = DATA / "sample.mbox"
    task = finished(enron_app, upload(client, "email", (sample, "sample.mbox")))
    [report], _ = reference_reports(tmp_path, sample)
    run_id = task["result"]["files"][0]["run"]["id"]
    run = client.get(f"/api/runs/{run_id}").get_json()["run"]

    invalid = {r["reason"]: r for r in run["reasons"] if r["invalid"]}
    filtered = {r["reason"]: r["count"] for r in run["reasons"] if not r["invalid"]}
    assert {reason: r["count"] for reason, r in invalid.items()} == dict(report.skipped)
    assert filtered == {
        name.removeprefix("skipped: "): count
        for name, count in report.notes.items()
        if name.startswith("skipped: ")
    }
    examples = {
        (e["record"], e["field"], reason) for reason, r in invalid.items() for e in r["examples"]
    }
    assert examples == {(s.record, s.field, s.reason) for s in report.examples}
    assert run["skipped"] == sum(r["count"] for r in run["reasons"])
    assert run["invalid"] == sum(report.skipped.values()) > 0
    assert [r["invalid"] for r in run["reasons"]] == sorted(
        (r["invalid"] for r in run["reasons"]), reverse=True
    )
    # values can hold addresses: the report page shows records and fields only
    assert all(set(e) == {"record", "field"} for r in invalid.values() for e in r["examples"])

    page = client.get(f"/data/runs/{run_id}").get_data(as_text=True)
    assert f'data-count="read">{report.read}<' in page
    for skip in report.examples:
        assert f"record {skip.record} · {skip.field}" in page
    for skip in report.examples:
        if skip.value:
            assert skip.value not in page


def test_data_page_lists_runs_tasks_and_freshness(enron_app, client):
    empty = client.get("/data").get_data(as_text=True)
    assert "Nothing loaded yet." in empty and "No tasks yet." in empty
    task = finished(enron_app, upload(client, "email", (ENRON_MBOX, "enron-sample.mbox")))
    run = task["result"]["files"][0]["run"]
    page = client.get("/data").get_data(as_text=True)
    assert f'data-run="{run["id"]}"' in page
    assert f'href="/data/runs/{run["id"]}">enron-sample.mbox</a>' in page
    assert f'data-task="{task["id"]}" data-state="done"' in page
    assert 'src="/static/data.js"' in page and "<script>" not in page and "style=" not in page

    fresh = client.get("/api/runs").get_json()["freshness"]
    with enron_app.app_context():
        store = get_store()
        newest = max(t.last_seen for t in store.ties()).strftime("%Y-%m")
        assert fresh["people"] == store.counts().people
    assert fresh["newest_month"] == newest
    assert fresh["last_run"] == run["finished"] and fresh["last_run_file"] == "enron-sample.mbox"
    assert fresh["last_analysis"] is None
    assert f'data-fresh="newest_month">{newest}<' in page


def test_tasks_api_lists_newest_first_and_shows_one(enron_app, client):
    first = finished(enron_app, upload(client, "email", (ENRON_MBOX, "a.mbox")))
    second = finished(enron_app, upload(client, "email", (ENRON_MBOX, "b.mbox")))
    listed = client.get("/api/tasks").get_json()
    assert listed["ok"] and [t["id"] for t in listed["tasks"]] == [second["id"], first["id"]]
    assert [t["id"] for t in client.get("/api/tasks?limit=1").get_json()["tasks"]] == [second["id"]]
    one = client.get(f"/api/tasks/{first['id']}").get_json()["task"]
    assert one["url"] == f"/api/tasks/{first['id']}" and one["state"] == "done"
    assert one["progress"] == f"{first['result']['read']:,} records read"


def test_file_names_are_made_safe_and_stay_in_the_upload_folder(enron_app, client, tmp_path):
    enron_app.config["KEEP_UPLOADS"] = True
    task = finished(
        enron_app,
        upload(client, "email", (ENRON_MBOX, "../../outside.mbox"), (ENRON_MBOX, "outside.mbox")),
    )
    folder = Path(enron_app.config["DATA_DIR"]) / "uploads" / task["result"]["upload"]
    assert sorted(p.name for p in folder.iterdir()) == ["2-outside.mbox", "outside.mbox"]
    assert not (tmp_path / "outside.mbox").exists()
    assert not (Path(enron_app.config["DATA_DIR"]) / "outside.mbox").exists()
    assert [f["file"] for f in task["result"]["files"]] == ["outside.mbox", "2-outside.mbox"]


@pytest.mark.parametrize(
    ("fields", "files", "field"),
    [
        ({"kind": "slack"}, [(b"From x\n", "a.mbox")], "kind"),
        ({}, [(b"From x\n", "a.mbox")], "kind"),
        ({"kind": "email"}, [], "file"),
        ({"kind": "email"}, [(b"", "empty.mbox")], "file"),
        ({"kind": "email", "preset": "jira"}, [(b"From x\n", "a.mbox")], "preset"),
        ({"kind": "tickets", "preset": "remedy"}, [(b"number\n1\n", "t.csv")], "preset"),
        ({"kind": "directory"}, [(b"PK\x05\x06" + bytes(18), "hr.zip")], "file"),
        ({"kind": "email"}, [(b"not a zip at all", "mail.zip")], "file"),
    ],
)
def test_bad_uploads_are_refused_naming_the_field(enron_app, client, fields, files, field):
    data = {**fields, "file": [(io.BytesIO(content), name) for content, name in files]}
    response = client.post("/api/uploads", data=data)
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["ok"] is False and body["status"] == 400 and f"field '{field}'" in body["error"]
    assert tasks.get_runner(enron_app).recent() == []
    uploads = Path(enron_app.config["DATA_DIR"]) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_mapping_must_fit_the_kind(enron_app, client):
    response = client.post(
        "/api/uploads",
        data={
            "kind": "meetings",
            "file": [(io.BytesIO(b"BEGIN:VCALENDAR\n"), "cal.ics")],
            "mapping": (io.BytesIO(b'{"columns": {}}'), "mapping.json"),
        },
    )
    assert response.status_code == 400 and "field 'mapping'" in response.get_json()["error"]


def test_too_large_upload_gets_413_in_our_error_shape(tmp_path):
    small = make_app(tmp_path, UPLOAD_MAX_BYTES=1024)
    try:
        assert small.config["MAX_CONTENT_LENGTH"] == 1024
        response = upload(small.test_client(), "email", (ENRON_MBOX, "enron-sample.mbox"))
        body = response.get_json()
        assert response.status_code == 413
        assert body == {
            "ok": False,
            "status": 413,
            "error": body["error"],
            "errors": [body["error"]],
        }
        assert "1 KiB" in body["error"]
        assert not (tmp_path / "data" / "uploads").exists()
        assert tasks.get_runner(small).recent() == []
    finally:
        tasks.shutdown(small)
        close_store(small)


def test_unknown_run_task_and_bad_limit(client):
    for url in ("/api/runs/nope", "/api/tasks/nope"):
        response = client.get(url)
        assert response.status_code == 404 and response.get_json()["ok"] is False
    page = client.get("/data/runs/nope")
    assert page.status_code == 404 and "no ingest run" in page.get_data(as_text=True)
    for url in ("/api/runs?limit=0", "/api/runs?limit=x", "/api/tasks?limit=9999"):
        response = client.get(url)
        assert response.status_code == 400 and "field 'limit'" in response.get_json()["error"]


def zipped(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return target


def test_zipped_maildir_is_unpacked_and_ingested(enron_app, client, tmp_path):
    enron_app.config["KEEP_UPLOADS"] = True
    maildir = DATA / "enron-maildir"
    archive = zipped(maildir, tmp_path / "enron-maildir.zip", {"__MACOSX/._x": b"junk"})
    task = finished(enron_app, upload(client, "email", (archive, "enron-maildir.zip")))
    assert task["state"] == "done", task["error"]
    [report], counts = reference_reports(tmp_path, maildir)
    [run] = client.get("/api/runs").get_json()["runs"]
    assert run["file"] == "enron-maildir"
    assert (run["read"], run["kept"], run["interactions"]) == (
        report.read,
        report.kept,
        report.interactions,
    )
    assert report.read == sum(1 for p in maildir.rglob("*") if p.is_file())
    unpacked = Path(enron_app.config["DATA_DIR"]) / "uploads" / task["result"]["upload"]
    assert not list(unpacked.rglob("__MACOSX"))


@pytest.mark.parametrize(
    ("config", "extra", "message"),
    [
        ({}, {"../escape.eml": b"From: a@enron.com\n\n"}, "outside its folder"),
        ({}, {"/abs/escape.eml": b"From: a@enron.com\n\n"}, "outside its folder"),
        ({"UPLOAD_ZIP_MAX_FILES": 3}, {}, "the limit is 3"),
        ({"UPLOAD_ZIP_MAX_BYTES": 2000}, {"big.eml": b"x" * 5000}, "unpacks to more than"),
    ],
)
def test_unsafe_zips_fail_and_leave_nothing(tmp_path, config, extra, message):
    app = make_app(tmp_path, KEEP_UPLOADS=True, **config)
    try:
        archive = zipped(DATA / "enron-maildir", tmp_path / "mail.zip", extra)
        task = finished(app, upload(app.test_client(), "email", (archive, "mail.zip")))
        assert task["state"] == "failed" and message in task["error"]
        assert not (tmp_path / "escape.eml").exists() and not Path("/abs/escape.eml").exists()
        folder = (
            Path(app.config["DATA_DIR"])
            / "uploads"
            / next(p.name for p in (Path(app.config["DATA_DIR"]) / "uploads").iterdir())
        )
        assert [p.name for p in folder.iterdir()] == ["mail.zip"]
        with app.app_context():
            assert get_store().runs() == []
    finally:
        tasks.shutdown(app)
        close_store(app)


def test_html_forms_start_tasks_and_come_back_to_the_page(enron_app, client):
    response = client.post(
        "/data/uploads",
        data={"kind": "email", "file": [(io.BytesIO(ENRON_MBOX.read_bytes()), "m.mbox")]},
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/data?task=")
    assert response.headers["Location"].endswith("#tasks")
    [task] = tasks.get_runner(enron_app).recent()
    assert task["label"] == "email: m.mbox"
    response = client.post("/data/analysis", data={"seed": "4"})
    assert response.status_code == 303
    newest = tasks.get_runner(enron_app).recent()[0]
    assert newest["kind"] == "analysis" and newest["label"] == "analysis, seed 4, all months"
    assert tasks.get_runner(enron_app).wait(newest["id"], 60)["state"] == "done"
    bad = client.post("/data/uploads", data={"kind": "email"})
    assert bad.status_code == 400 and "choose at least one file" in bad.get_data(as_text=True)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """A generated organisation (60 people), ingested and analysed once."""
    root = tmp_path_factory.mktemp("data-demo")
    application = apps.make_app(root, PSEUDONYM_KEY=KEY)
    result = application.test_cli_runner().invoke(args=["demo", "--people", "60", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield application
    tasks.shutdown(application)
    close_store(application)


def test_analysis_from_the_api_completes_and_saves_snapshots(demo_app):
    client = demo_app.test_client()
    with demo_app.app_context():
        store = get_store()
        before = {job: store.snapshot_versions(job) for job in JOBS}
        months = sorted({t.month for t in store.ties(by_month=True)})
    since, until = months[1], months[-1]
    response = client.post("/api/jobs", json={"seed": 7, "since": since, "until": until})
    task = finished(demo_app, response)
    assert task["state"] == "done", task["error"]
    assert task["label"] == f"analysis, seed 7, {since} to {until}"
    assert (task["step"], task["steps"]) == (len(JOBS), len(JOBS))
    # one numbered step per job, in the order they ran (a job may run in a helper process)
    assert task["messages"][0] == "loading ties"
    steps = [m.split(" ", 1) for m in task["messages"][1:]]
    assert [n for n, _ in steps] == [f"{n}/{len(JOBS)}" for n in range(1, len(JOBS) + 1)]
    assert sorted(job for _, job in steps) == sorted(JOBS)
    assert task["result"]["seed"] == 7 and task["result"]["jobs"] == len(JOBS)
    with demo_app.app_context():
        store = get_store()
        for job in JOBS:
            assert store.snapshot_versions(job) == [*before[job], before[job][-1] + 1]
            snapshot = store.snapshot(job).data
            assert snapshot["seed"] == 7
            assert snapshot["window"]["since"] == f"{since}-01"
            assert snapshot["window"]["months"] == months[1:-1]
        assert task["result"]["people"] <= store.counts().people
    assert task["result"]["people"] > 0
    fresh = client.get("/api/runs").get_json()["freshness"]
    assert fresh["last_analysis"] is not None and fresh["last_analysis"] >= task["started"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seed": "x"}, "seed"),
        ({"since": "March"}, "since"),
        ({"until": "2025-13"}, "until"),
        ({"since": "2025-05", "until": "2025-03"}, "until"),
        ([1, 2], "body"),
    ],
)
def test_bad_analysis_options_are_refused(client, enron_app, body, field):
    response = client.post("/api/jobs", json=body)
    assert response.status_code == 400
    assert f"field '{field}'" in response.get_json()["error"]
    assert tasks.get_runner(enron_app).recent() == []


def test_a_failed_ingest_is_reported_without_server_paths(enron_app, client, tmp_path):
    sample = DATA / "sample.mbox"
    task = finished(enron_app, upload(client, "email", (sample, "sample.mbox"), strict="on"))
    assert task["state"] == "failed"
    [run] = client.get("/api/runs").get_json()["runs"]
    assert run["status"] == "failed" and run["error"]
    assert task["error"] == run["error"]
    assert run["error"].startswith("sample.mbox: record ")
    assert enron_app.config["DATA_DIR"] not in task["error"] + run["error"]
    assert task["result"]["files"] == [{"file": "sample.mbox", "run": run}]
    with enron_app.app_context():
        assert get_store().counts().interactions == 0
    page = client.get(f"/data/runs/{run['id']}").get_data(as_text=True)
    assert 'id="run-error"' in page and enron_app.config["DATA_DIR"] not in page


def test_uploads_and_analyses_are_audited(client):
    from web.auth import accounts

    sent = upload(client, "email", (DATA / "sample.mbox", "sample.mbox"))
    assert sent.status_code == 202
    assert client.post("/api/jobs", json={"seed": 3}).status_code == 202
    with client.application.app_context():
        rows, _ = accounts().audit(limit=10)
    actions = {(r.action, r.user) for r in rows}
    assert {("ingest", "test-admin"), ("analysis", "test-admin")} <= actions
    tasks.get_runner(client.application).wait(sent.get_json()["task"]["id"], 60)


def test_in_worker_mode_a_worker_process_ingests_the_upload(tmp_path):
    web = make_app(tmp_path, TASK_RUNNER="worker")
    worker = make_app(tmp_path, TASK_RUNNER="worker")  # another process, same folders
    try:
        response = upload(web.test_client(), "email", (ENRON_MBOX, "enron-sample.mbox"))
        assert response.status_code == 202
        task_id = response.get_json()["task"]["id"]
        assert tasks.get_runner(web).get(task_id)["state"] == "queued"
        ran = tasks.TaskRunner(worker, threaded=False).run_next()
        assert ran is not None and ran["id"] == task_id and ran["state"] == "done", ran
        shown = web.test_client().get(f"/api/tasks/{task_id}").get_json()["task"]
        [report], counts = reference_reports(tmp_path, ENRON_MBOX)
        assert shown["result"]["kept"] == report.kept and shown["result"]["read"] == report.read
        assert shown["progress"] == f"{report.read:,} records read"
        with web.app_context():
            assert get_store().counts().as_dict() == counts
    finally:
        for app in (web, worker):
            tasks.shutdown(app)
            close_store(app)


def test_a_worker_without_the_upload_folder_fails_the_task_clearly(tmp_path):
    web = make_app(tmp_path, TASK_RUNNER="worker")
    elsewhere = make_app(tmp_path, TASK_RUNNER="worker", DATA_DIR=str(tmp_path / "other"))
    try:
        response = upload(web.test_client(), "email", (ENRON_MBOX, "enron-sample.mbox"))
        task_id = response.get_json()["task"]["id"]
        ran = tasks.TaskRunner(elsewhere, threaded=False).run_next()
        assert ran["id"] == task_id and ran["state"] == "failed"
        assert ran["error"] == (
            "enron-sample.mbox is not in the upload's folder here: the process running tasks "
            "needs the same DATA_DIR as the web app"
        )
        assert str(tmp_path) not in ran["error"]
        with web.app_context():
            assert get_store().runs() == []
    finally:
        for app in (web, elsewhere):
            tasks.shutdown(app)
            close_store(app)


@pytest.mark.parametrize("keep", [False, True])
def test_uploads_are_deleted_when_their_ingest_ends_unless_kept(tmp_path, keep):
    app = make_app(tmp_path, KEEP_UPLOADS=keep)
    try:
        client = app.test_client()
        good = finished(app, upload(client, "email", (ENRON_MBOX, "enron-sample.mbox")))
        archive = zipped(DATA / "enron-maildir", tmp_path / "mail.zip", {"../x.eml": b"x"})
        bad = finished(app, upload(client, "email", (archive, "mail.zip")))
        assert (good["state"], bad["state"]) == ("done", "failed")
        uploads = Path(app.config["DATA_DIR"]) / "uploads"
        left = sorted(p.name for p in uploads.iterdir())
        if keep:
            assert len(left) == 2
            kept = [p.name for p in (uploads / good["result"]["upload"]).iterdir()]
            assert kept == ["enron-sample.mbox"]
            saved = uploads / good["result"]["upload"] / "enron-sample.mbox"
            assert saved.read_bytes() == ENRON_MBOX.read_bytes()
        else:
            assert left == []
        with app.app_context():
            assert get_store().counts().as_dict()["people"] > 0  # the ingest itself was kept
    finally:
        tasks.shutdown(app)
        close_store(app)
