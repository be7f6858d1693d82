"""Background tasks: queued in the app database, one at a time across processes, progress,
captured errors, stale heartbeats, worker mode and a clean stop.

Two apps on one test folder share one app database, as two server processes
do; they stand for two processes here. One test starts a real
``flask --app app worker`` process.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.errors import IngestError
from tests import apps
from web import tasks
from web.jobs import JOBS
from web.store import close_store
from web.store import get_store

ROOT = Path(__file__).resolve().parents[2]

#: what the "count" tasks of this module did, across every runner of this process
RAN: list[int] = []
RUNNING = [0, 0]  # running now, most at once
LOCK = threading.Lock()
#: events that "script" tasks wait for, by name
GATES: dict[str, threading.Event] = {}


def count(params: dict, progress: tasks.Progress) -> dict:
    """A task that notes how many tasks run at once and in which order they ran."""
    with LOCK:
        RUNNING[0] += 1
        RUNNING[1] = max(RUNNING)
    time.sleep(params.get("sleep", 0.02))
    with LOCK:
        RUNNING[0] -= 1
        RAN.append(params["number"])
    return {"number": params["number"]}


def script(params: dict, progress: tasks.Progress) -> dict:
    """A task that does what its params say: notes, steps, a partial result, wait, fail."""
    for note in params.get("notes", []):
        progress.note(note)
    for step in params.get("steps", []):
        progress.step(step)
    if "partial" in params:
        progress.partial(params["partial"])
    released = GATES[params["gate"]].wait(10) if "gate" in params else None
    time.sleep(params.get("sleep", 0))
    if params.get("fail") == "zero":
        return {"never": 1 / 0}
    if params.get("fail") == "record":
        raise IngestError("missing Date", source="mail.mbox", record=3, field="Date")
    if params.get("context"):
        return {"app": current_app.name, "people": get_store().counts().people}
    return {"released": released, "echo": params.get("echo")}


@pytest.fixture(autouse=True)
def handlers(monkeypatch):
    """The test kinds next to the app's own (ingest, analysis)."""
    monkeypatch.setitem(tasks.HANDLERS, "count", count)
    monkeypatch.setitem(tasks.HANDLERS, "script", script)
    RAN.clear()
    RUNNING[:] = [0, 0]
    GATES.clear()
    yield
    for gate in GATES.values():
        gate.set()


def gate(name: str) -> threading.Event:
    GATES[name] = threading.Event()
    return GATES[name]


@pytest.fixture
def runner(app):
    """The app's task runner (thread mode), stopped after the test."""
    yield tasks.get_runner(app)
    tasks.shutdown(app)


@pytest.fixture
def pair(tmp_path):
    """Two apps on one folder: two processes sharing the app database, data and store."""
    first, second = apps.make_app(tmp_path), apps.make_app(tmp_path)
    yield first, second
    for app in (first, second):
        tasks.shutdown(app)
        close_store(app)


def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- one runner ----------------------------------------------------------------------------


def test_tasks_run_one_at_a_time_in_the_order_they_came(runner):
    submitted = [runner.submit("count", f"task {n}", {"number": n}) for n in range(5)]
    assert submitted[0]["state"] == "queued"
    finished = [runner.wait(t["id"], timeout=10) for t in submitted]
    assert RUNNING[1] == 1
    assert RAN == list(range(5))
    assert [t["result"] for t in finished] == [{"number": n} for n in range(5)]
    for before, after in zip(finished, finished[1:], strict=False):
        assert before["finished"] <= after["started"]
    assert [t["label"] for t in runner.recent()] == [f"task {n}" for n in reversed(range(5))]
    assert [t["label"] for t in runner.recent(2)] == ["task 4", "task 3"]


def test_progress_counts_steps_and_keeps_messages(runner):
    params = {"notes": ["loading"], "steps": ["first", "second", "third"]}
    task = runner.wait(runner.submit("script", "three steps", params, steps=3)["id"], timeout=10)
    assert task["state"] == tasks.DONE
    assert (task["step"], task["steps"], task["progress"]) == (3, 3, "3/3 third")
    assert task["messages"] == ["loading", "1/3 first", "2/3 second", "3/3 third"]
    assert task["started"] and task["finished"] and task["seconds"] >= 0


def test_notes_are_written_at_most_once_a_second_and_the_last_one_at_the_end(app):
    db = tasks.get_runner(app).db
    db.add_task("t1", "script", "notes", {})
    claimed = db.claim_task("me", stale_after=60)
    progress = tasks.Progress(db, claimed, "me", every=60)
    progress.note("first")
    progress.note("second")
    progress.note("third")
    stored = db.task("t1")
    assert (stored.message, stored.messages) == ("first", ["first"])
    progress.step("a step is written at once")
    assert db.task("t1").messages == ["first", "second", "third", "a step is written at once"]
    for n in range(60):
        progress.note(f"note {n}")
    progress.flush()
    stored = db.task("t1")
    assert stored.message == "note 59" and len(stored.messages) == tasks.MESSAGES
    assert stored.messages[-1] == "note 59" and stored.messages[0] == "note 10"


def test_errors_are_captured_with_the_partial_result(runner):
    first = runner.wait(
        runner.submit("script", "fails", {"partial": {"files": 1}, "fail": "zero"})["id"], 10
    )
    assert first["state"] == tasks.FAILED
    assert first["error"] == "ZeroDivisionError: division by zero"
    assert first["result"] == {"files": 1}
    second = runner.wait(runner.submit("script", "bad record", {"fail": "record"})["id"], 10)
    assert second["error"] == "mail.mbox: record 3: field 'Date': missing Date"
    assert second["result"] is None
    after = runner.wait(runner.submit("script", "still works", {"echo": 1})["id"], 10)
    assert after["state"] == tasks.DONE and after["result"]["echo"] == 1


def test_a_kind_nobody_handles_fails_its_task(app, runner):
    db = runner.db
    db.add_task("old", "cleanup", "from an older version", {})
    task = runner.wait("old", timeout=10)
    assert (
        task["state"] == tasks.FAILED and "no handler for tasks of kind 'cleanup'" in task["error"]
    )
    with pytest.raises(ValueError, match="kind"):
        runner.submit("cleanup", "unknown kind", {})


def test_work_runs_inside_the_app_context(app, runner):
    task = runner.wait(runner.submit("script", "context", {"context": True})["id"], timeout=10)
    assert task["result"] == {"app": app.name, "people": 0}


def test_wait_times_out_and_unknown_tasks_are_not_found(runner):
    released = gate("blocked")
    task = runner.submit("script", "blocked", {"gate": "blocked"})
    with pytest.raises(TimeoutError, match="still"):
        runner.wait(task["id"], timeout=0.05)
    released.set()
    assert runner.wait(task["id"], timeout=10)["result"]["released"] is True
    with pytest.raises(NotFound):
        runner.get("no-such-task")
    with pytest.raises(NotFound):
        runner.wait("no-such-task", timeout=0.01)


def test_old_finished_tasks_are_forgotten(app):
    runner = tasks.TaskRunner(app, keep=2)
    try:
        ids = [runner.submit("script", str(n), {})["id"] for n in range(4)]
        runner.wait(ids[-1], timeout=10)
        runner.submit("script", "one more", {})
        kept = [t["label"] for t in runner.recent(10)]
        assert kept[0] == "one more" and len(kept) <= 3
        with pytest.raises(NotFound):
            runner.get(ids[0])
    finally:
        runner.shutdown()


def test_params_and_the_user_are_kept_but_not_shown(app, client):
    task = tasks.get_runner(app).submit("script", "mine", {"echo": "secret path"}, user="ada")
    try:
        stored = tasks.get_runner(app).db.task(task["id"])
        assert stored.params == {"echo": "secret path"} and stored.user == "ada"
        assert "params" not in task and "user" not in task and "worker" not in task
    finally:
        tasks.shutdown(app)


def test_init_app_is_idempotent_and_the_runner_setting_is_checked(app, tmp_path):
    runner = tasks.get_runner(app)
    tasks.init_app(app)
    assert tasks.get_runner(app) is runner and runner.threaded
    with pytest.raises(InvalidInput, match="TASK_RUNNER"):
        apps.make_app(tmp_path / "other", TASK_RUNNER="celery")


# -- stopping and starting again ----------------------------------------------------------------


def test_shutdown_lets_the_running_task_finish_and_keeps_queued_ones_for_later(tmp_path):
    app = apps.make_app(tmp_path)
    runner = tasks.get_runner(app)
    released = gate("running")
    running = runner.submit("script", "running", {"gate": "running"})
    queued = runner.submit("script", "queued", {"echo": "later"})
    until(lambda: runner.get(running["id"])["state"] == tasks.RUNNING)
    stopper = threading.Thread(target=runner.shutdown, kwargs={"timeout": 10})
    stopper.start()
    until(lambda: runner.stopping)
    with pytest.raises(ServiceUnavailable):
        runner.submit("script", "too late", {})
    released.set()
    stopper.join(10)
    assert runner.get(running["id"])["state"] == tasks.DONE
    assert runner.get(queued["id"])["state"] == tasks.QUEUED
    assert not any(t.name == f"bridgework-tasks-{id(runner):x}" for t in threading.enumerate())
    close_store(app)

    again = apps.make_app(tmp_path)  # the server starts again
    try:
        done = tasks.get_runner(again).wait(queued["id"], timeout=10)
        assert done["state"] == tasks.DONE and done["result"]["echo"] == "later"
    finally:
        tasks.shutdown(again)
        close_store(again)


def test_a_task_still_running_when_the_server_stops_is_failed(tmp_path):
    app = apps.make_app(tmp_path)
    runner = tasks.get_runner(app)
    released = gate("slow")
    task = runner.submit("script", "slow", {"gate": "slow"})
    until(lambda: runner.get(task["id"])["state"] == tasks.RUNNING)
    runner.shutdown(timeout=0.1)
    stopped = runner.get(task["id"])
    assert stopped["state"] == tasks.FAILED and "server stopped while it ran" in stopped["error"]
    released.set()  # its thread ends later and must not write over it
    until(lambda: not any(t.name.startswith("bridgework-heartbeat") for t in threading.enumerate()))
    assert runner.get(task["id"])["state"] == tasks.FAILED
    close_store(app)


def test_finished_tasks_outlast_a_restart(tmp_path):
    app = apps.make_app(tmp_path)
    runner = tasks.get_runner(app)
    task = runner.wait(runner.submit("script", "before", {"echo": 7}, steps=1)["id"], 10)
    tasks.shutdown(app)
    close_store(app)
    again = apps.make_app(tmp_path)
    try:
        client = again.test_client()
        shown = client.get(f"/api/tasks/{task['id']}").get_json()["task"]
        assert shown["state"] == "done" and shown["result"] == task["result"]
        assert {k: v for k, v in shown.items() if k != "url"} == task
        listed = client.get("/api/tasks").get_json()["tasks"]
        assert [t["id"] for t in listed] == [task["id"]]
    finally:
        tasks.shutdown(again)
        close_store(again)


# -- several processes ---------------------------------------------------------------------------


def test_every_app_sharing_the_database_sees_every_task(pair):
    first, second = pair
    started = first.test_client().post("/api/jobs", json={"seed": 3})
    assert started.status_code == 202
    task_id = started.get_json()["task"]["id"]
    for app in (second, first):
        response = app.test_client().get(f"/api/tasks/{task_id}")
        assert response.status_code == 200
        assert response.get_json()["task"]["label"] == "analysis, seed 3, all months"
    done = tasks.get_runner(second).wait(task_id, 30)
    assert done["state"] == "done" and (done["step"], done["steps"]) == (len(JOBS), len(JOBS))
    ids = [t["id"] for t in second.test_client().get("/api/tasks").get_json()["tasks"]]
    assert ids == [task_id]


def test_one_task_at_a_time_across_processes_in_the_order_they_came(pair):
    first, second = pair
    for app in pair:
        tasks.get_runner(app).poll = 0.02
    submitted = []
    for n in range(8):
        app = pair[n % 2]
        submitted.append(
            tasks.get_runner(app).submit("count", f"n{n}", {"number": n, "sleep": 0.05})
        )
    finished = [tasks.get_runner(second).wait(t["id"], 30) for t in submitted]
    assert all(t["state"] == "done" for t in finished)
    assert RUNNING[1] == 1
    assert RAN == list(range(8))
    workers = {tasks.get_runner(first).db.task(t["id"]).worker for t in submitted}
    assert workers <= {tasks.get_runner(app).worker for app in pair}


def test_a_runner_claims_nothing_while_another_runs_a_task(pair):
    one = tasks.TaskRunner(pair[0], threaded=False)
    two = tasks.TaskRunner(pair[1], threaded=False)
    released = gate("first")
    first = one.submit("script", "first", {"gate": "first"})
    second = two.submit("script", "second", {"echo": 2})
    running = threading.Thread(target=one.run_next)
    running.start()
    until(lambda: two.get(first["id"])["state"] == tasks.RUNNING)
    assert two.run_next() is None
    assert two.db.claim_task("a third process", stale_after=60) is None
    assert two.get(second["id"])["state"] == tasks.QUEUED
    released.set()
    running.join(10)
    assert two.run_next()["result"]["echo"] == 2
    assert two.run_next() is None  # nothing left


def test_a_task_whose_process_died_is_failed_and_the_queue_moves_on(pair):
    first, second = pair
    dead = tasks.TaskRunner(first, threaded=False, stale=0.3)
    live = tasks.TaskRunner(second, threaded=False, stale=0.3)
    orphan = dead.submit("script", "orphan", {})
    claimed = dead.db.claim_task(dead.worker, stale_after=0.3)  # then the process "dies"
    assert claimed.id == orphan["id"]
    waiting = live.submit("script", "waiting", {"echo": "ran"})
    assert live.run_next() is None  # the orphan still looks alive
    time.sleep(0.35)
    assert live.run_next()["result"]["echo"] == "ran"
    failed = live.get(orphan["id"])
    assert failed["state"] == tasks.FAILED and "gave no sign of life" in failed["error"]
    assert failed["finished"] is not None
    # the "dead" process wakes up: it cannot write over the verdict, and its work is stopped
    assert not dead.db.finish_task(orphan["id"], dead.worker, state="done", result={"x": 1})
    with pytest.raises(tasks.TaskLost):
        tasks.Progress(dead.db, claimed, dead.worker).step("too late")
    assert live.get(orphan["id"])["state"] == tasks.FAILED
    assert live.get(waiting["id"])["state"] == tasks.DONE


def test_reading_a_stale_task_fails_it_even_when_nobody_claims(client):
    runner = tasks.TaskRunner(client.application, threaded=False, stale=0.2)
    orphan = runner.submit("script", "orphan", {})
    runner.db.claim_task("gone", stale_after=0.2)
    tasks.get_runner(client.application).stale = 0.2
    time.sleep(0.25)
    shown = client.get(f"/api/tasks/{orphan['id']}").get_json()["task"]
    assert shown["state"] == "failed" and "gave no sign of life" in shown["error"]


def test_the_heartbeat_keeps_a_long_task_alive(pair):
    busy = tasks.TaskRunner(pair[0], threaded=False, heartbeat=0.05, stale=0.4)
    other = tasks.TaskRunner(pair[1], threaded=False, stale=0.4)
    task = busy.submit("script", "long", {"sleep": 1.2})
    running = threading.Thread(target=busy.run_next)
    running.start()
    until(lambda: other.get(task["id"])["state"] == tasks.RUNNING)
    while running.is_alive():
        assert other.run_next() is None
        time.sleep(0.05)
    running.join()
    assert other.get(task["id"])["state"] == tasks.DONE


# -- worker mode -----------------------------------------------------------------------------------


def test_in_worker_mode_the_web_app_only_queues_and_the_worker_runs(tmp_path):
    web = apps.make_app(tmp_path, TASK_RUNNER="worker")
    worker_app = apps.make_app(tmp_path, TASK_RUNNER="worker")
    worker = tasks.TaskRunner(worker_app, threaded=False, poll=0.02)
    stop = threading.Event()
    serving = threading.Thread(target=worker.serve, args=(stop,))
    try:
        runner = tasks.get_runner(web)
        assert not runner.threaded
        queued = runner.submit("script", "for the worker", {"echo": "w"})
        time.sleep(0.2)
        assert runner.get(queued["id"])["state"] == tasks.QUEUED
        assert not any(t.name == f"bridgework-tasks-{id(runner):x}" for t in threading.enumerate())
        serving.start()
        assert runner.wait(queued["id"], 10)["result"]["echo"] == "w"
        assert worker.db.task(queued["id"]).worker == worker.worker

        # asked to stop while a task runs: it finishes that task and takes no other
        released = gate("long")
        long = runner.submit("script", "long", {"gate": "long"})
        until(lambda: runner.get(long["id"])["state"] == tasks.RUNNING)
        after = runner.submit("script", "after", {})
        stop.set()
        time.sleep(0.1)
        assert serving.is_alive()
        released.set()
        serving.join(10)
        assert not serving.is_alive()
        assert runner.get(long["id"])["state"] == tasks.DONE
        assert runner.get(after["id"])["state"] == tasks.QUEUED
    finally:
        stop.set()
        for gate_event in GATES.values():
            gate_event.set()
        if serving.is_alive():
            serving.join(10)
        for app in (web, worker_app):
            tasks.shutdown(app)
            close_store(app)


def test_the_worker_command_runs_an_analysis_in_its_own_process(tmp_path):
    web = apps.make_app(tmp_path, TASK_RUNNER="worker")
    demo = web.test_cli_runner().invoke(args=["demo", "--people", "50", "--seed", "3"])
    assert demo.exit_code == 0, demo.output
    with web.app_context():
        before = {job: get_store().snapshot_versions(job)[-1] for job in JOBS}
    started = web.test_client().post("/api/jobs", json={"seed": 9})
    assert started.status_code == 202
    task_id = started.get_json()["task"]["id"]
    env = {
        **os.environ,
        "BRIDGEWORK_SECRET_KEY": secrets.token_hex(16),
        "BRIDGEWORK_SQLITE_PATH": web.config["SQLITE_PATH"],
        "BRIDGEWORK_DATA_DIR": web.config["DATA_DIR"],
        "BRIDGEWORK_ACCOUNTS_PATH": web.config["ACCOUNTS_PATH"],
        "BRIDGEWORK_PSEUDONYM_KEY": web.config["PSEUDONYM_KEY"],
        "BRIDGEWORK_TASK_RUNNER": "worker",
        "BRIDGEWORK_STORE": "sqlite",
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.1"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        task = tasks.get_runner(web).wait(task_id, timeout=120)
        assert task["state"] == "done", task["error"]
        assert task["result"]["seed"] == 9 and (task["step"], task["steps"]) == (9, 9)
        with web.app_context():
            store = get_store()
            assert {job: store.snapshot_versions(job)[-1] for job in JOBS} == {
                job: version + 1 for job, version in before.items()
            }
            assert store.snapshot(JOBS[0]).data["seed"] == 9
        assert tasks.get_runner(web).db.task(task_id).worker.split(":")[1] == str(process.pid)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "SIGTERM, stopping after the current task" in err and "worker: stopped" in err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        tasks.shutdown(web)
        close_store(web)
