"""The background task runner: one worker per app, FIFO, progress, captured errors, clean stop."""

from __future__ import annotations

import threading
import time

import pytest
from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

from graph.errors import NotFound
from ingest.errors import IngestError
from web import tasks
from web.store import get_store


@pytest.fixture
def runner(app):
    """The app's task runner, stopped after the test."""
    tasks.init_app(app)
    yield tasks.get_runner(app)
    tasks.shutdown(app)


def test_tasks_run_one_at_a_time_in_the_order_they_came(runner):
    lock = threading.Lock()
    running, most, order = [0], [0], []

    def work_for(number: int):
        def work(progress: tasks.Progress) -> dict:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1
                order.append(number)
            return {"number": number}

        return work

    submitted = [runner.submit("ingest", f"task {n}", work_for(n)) for n in range(5)]
    assert all(t["state"] == "queued" for t in submitted[1:])
    finished = [runner.wait(t["id"], timeout=10) for t in submitted]
    assert most[0] == 1
    assert order == list(range(5))
    assert [t["result"] for t in finished] == [{"number": n} for n in range(5)]
    for before, after in zip(finished, finished[1:], strict=False):
        assert before["finished"] <= after["started"]
    assert [t["label"] for t in runner.recent()] == [f"task {n}" for n in reversed(range(5))]
    assert [t["label"] for t in runner.recent(2)] == ["task 4", "task 3"]


def test_progress_counts_steps_and_keeps_messages(runner):
    def work(progress: tasks.Progress) -> dict:
        progress.note("loading")
        for name in ("first", "second", "third"):
            progress.step(name)
        return {}

    task = runner.wait(runner.submit("analysis", "three steps", work, steps=3)["id"], timeout=10)
    assert task["state"] == tasks.DONE
    assert (task["step"], task["steps"], task["progress"]) == (3, 3, "3/3 third")
    assert task["messages"] == ["loading", "1/3 first", "2/3 second", "3/3 third"]
    assert task["started"] and task["finished"] and task["seconds"] >= 0


def test_errors_are_captured_with_the_partial_result(runner):
    def fails(progress: tasks.Progress) -> dict:
        progress.partial({"files": 1})
        raise ZeroDivisionError("division by zero")

    def bad_record(progress: tasks.Progress) -> dict:
        raise IngestError("missing Date", source="mail.mbox", record=3, field="Date")

    first = runner.wait(runner.submit("ingest", "fails", fails)["id"], timeout=10)
    assert first["state"] == tasks.FAILED
    assert first["error"] == "ZeroDivisionError: division by zero"
    assert first["result"] == {"files": 1}
    second = runner.wait(runner.submit("ingest", "bad record", bad_record)["id"], timeout=10)
    assert second["error"] == "mail.mbox: record 3: field 'Date': missing Date"
    after = runner.wait(runner.submit("ingest", "still works", lambda p: {"ok": 1})["id"], 10)
    assert after["state"] == tasks.DONE


def test_work_runs_inside_the_app_context(app, runner):
    def work(progress: tasks.Progress) -> dict:
        return {"app": current_app.name, "people": get_store().counts().people}

    task = runner.wait(runner.submit("analysis", "context", work)["id"], timeout=10)
    assert task["result"] == {"app": app.name, "people": 0}


def test_wait_times_out_and_unknown_tasks_are_not_found(runner):
    release = threading.Event()
    task = runner.submit("ingest", "blocked", lambda progress: {"released": release.wait(10)})
    with pytest.raises(TimeoutError, match="still"):
        runner.wait(task["id"], timeout=0.05)
    release.set()
    assert runner.wait(task["id"], timeout=10)["result"] == {"released": True}
    with pytest.raises(NotFound):
        runner.get("no-such-task")
    with pytest.raises(NotFound):
        runner.wait("no-such-task", timeout=0.01)
    with pytest.raises(ValueError, match="kind"):
        runner.submit("cleanup", "unknown kind", lambda progress: {})


def test_old_finished_tasks_are_forgotten(app):
    runner = tasks.TaskRunner(app, keep=2)
    try:
        ids = [runner.submit("ingest", str(n), lambda progress: {})["id"] for n in range(4)]
        runner.wait(ids[-1], timeout=10)
        runner.submit("ingest", "one more", lambda progress: {})
        kept = [t["label"] for t in runner.recent(10)]
        assert kept[0] == "one more" and len(kept) <= 3
        with pytest.raises(NotFound):
            runner.get(ids[0])
    finally:
        runner.shutdown()


def test_shutdown_cancels_queued_work_and_stops_the_worker(runner):
    release = threading.Event()
    running = runner.submit("ingest", "running", lambda progress: {"done": release.wait(10)})
    queued = runner.submit("analysis", "queued", lambda progress: {"ran": True})
    deadline = time.monotonic() + 10
    while runner.get(running["id"])["state"] != tasks.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    stopper = threading.Thread(target=runner.shutdown, kwargs={"timeout": 10})
    stopper.start()
    cancelled = runner.wait(queued["id"], timeout=10)
    assert cancelled["state"] == tasks.FAILED and "cancelled" in cancelled["error"]
    release.set()
    stopper.join(10)
    assert runner.get(running["id"])["state"] == tasks.DONE
    assert runner.get(queued["id"])["result"] is None
    with pytest.raises(ServiceUnavailable):
        runner.submit("ingest", "too late", lambda progress: {})
    assert not any(t.name.startswith("bridgework-tasks") and t.is_alive() for t in _workers(runner))


def test_init_app_is_idempotent(app):
    tasks.init_app(app)
    runner = tasks.get_runner(app)
    tasks.init_app(app)
    assert tasks.get_runner(app) is runner


def _workers(runner: tasks.TaskRunner) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"bridgework-tasks-{id(runner.app):x}"]
