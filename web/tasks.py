"""Background tasks: ingests and analyses, queued in the app database, run one at a time.

A request that starts slow work (an upload to ingest, an analysis) queues a
task and answers at once with its id; the page polls the task for progress.
A task is data, not code: its ``kind`` names a handler registered with
:func:`handler` and its JSON ``params`` say what to do, so any process can
run it. Tasks live in the app database (:class:`graph.accounts.Accounts`),
so every web process sees every task, and they outlast restarts.

One task runs at a time across all processes (two ingests, or an ingest and
an analysis, never write to the store together): a runner claims the oldest
queued task only when none is running, in one write transaction. While it
runs, the runner beats the task's heartbeat; a task whose heartbeat stopped
for :data:`STALE_SECONDS` (its process died) is failed, so the queue moves on.

``TASK_RUNNER`` says who runs tasks:

``thread`` (default)
    each web process runs a daemon thread that takes queued tasks while
    there are any; nothing to set up.
``worker``
    web processes only queue tasks; ``flask --app app worker`` runs them in
    a process of its own and stops cleanly on SIGTERM after the current task.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask import g
from flask import has_request_context
from flask.cli import with_appcontext
from werkzeug.exceptions import ServiceUnavailable

from graph.accounts import TASK_MESSAGES
from graph.accounts import Accounts
from graph.accounts import TaskRecord
from graph.errors import InvalidInput
from graph.errors import NotFound
from graph.errors import StoreError
from ingest.errors import IngestError
from web.auth import ACCOUNTS_KEY

logger = logging.getLogger(__name__)

KEY = "bridgework.tasks"
RUNNERS = ("thread", "worker")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: how many finished tasks are remembered
KEEP = 500
#: how many progress messages a task keeps (the newest)
MESSAGES = TASK_MESSAGES
#: seconds between looks at the queue when there is nothing to do here
POLL_SECONDS = 1.0
#: seconds between heartbeats of a running task
HEARTBEAT_SECONDS = 10.0
#: a running task whose heartbeat is older than this is failed (its process died)
STALE_SECONDS = 300.0
#: at most one progress note a second is written (steps and results at once)
NOTE_SECONDS = 1.0


class TaskFailed(Exception):
    """Raised by work to fail its task with a message meant for people, shown as it is."""


class TaskLost(TaskFailed):
    """The task was failed as stale while this process still ran it: give it up."""


#: a handler takes the task's params and a :class:`Progress`; returns a JSON-ready result
Handler = Callable[[dict[str, Any], "Progress"], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs tasks of ``kind`` (a decorator).

    The handler runs inside an app context with the task's ``params`` (as
    given to :meth:`TaskRunner.submit`) and a :class:`Progress`.
    """

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def _time(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).replace(microsecond=0).isoformat()


def as_dict(task: TaskRecord) -> dict[str, Any]:
    """A JSON-ready view of a task (its params and worker are not shown)."""
    ended = task.finished or (time.time() if task.started else None)
    seconds = round(ended - task.started, 3) if task.started and ended else None
    return {
        "id": task.id,
        "kind": task.kind,
        "label": task.label,
        "state": task.state,
        "created": _time(task.created),
        "started": _time(task.started),
        "finished": _time(task.finished),
        "seconds": max(seconds, 0.0) if seconds is not None else None,
        "step": task.step,
        "steps": task.steps,
        "progress": task.message,
        "messages": list(task.messages),
        "result": task.result,
        "error": task.error,
    }


class Progress:
    """What running work reports back to its task, written to the app database.

    Steps and partial results are written at once; notes at most once every
    :data:`NOTE_SECONDS` (the newest is written when the task ends). Raises
    :class:`TaskLost` when the task was taken away from this process.
    """

    def __init__(
        self, db: Accounts, task: TaskRecord, worker: str, *, every: float = NOTE_SECONDS
    ) -> None:
        self._db, self._id, self._worker, self._every = db, task.id, worker, every
        self.steps = task.steps
        self.step_count = 0
        self.message = ""
        self.messages: list[str] = []
        self.result: dict[str, Any] | None = None
        self.lost = False
        self._written = float("-inf")
        self._pending = False
        self._lock = threading.Lock()

    def step(self, label: str) -> None:
        """Start the next of the task's steps, e.g. ``4/9 brokers``."""
        with self._lock:
            self.step_count += 1
            steps = self.steps
            self._say(f"{self.step_count}/{steps} {label}" if steps else label)
            self._write()

    def note(self, message: str) -> None:
        """Say something without counting a step (``12,000 records read``)."""
        with self._lock:
            self._say(message)
            if time.monotonic() - self._written >= self._every:
                self._write()
            else:
                self._pending = True

    def partial(self, result: dict[str, Any]) -> None:
        """Keep a result so far; a failed task still shows it."""
        with self._lock:
            self.result = result
            self._write(result=result)

    def flush(self) -> None:
        """Write a note that is still waiting (when the work ends)."""
        with self._lock:
            if self._pending and not self.lost:
                self._write(check=False)

    def _say(self, message: str) -> None:
        self.message = message
        self.messages.append(message)
        del self.messages[:-MESSAGES]

    def _write(self, *, result: dict[str, Any] | None = None, check: bool = True) -> None:
        try:
            ours = self._db.update_task(
                self._id,
                self._worker,
                step=self.step_count,
                message=self.message,
                messages=self.messages,
                result=result,
            )
        except Exception:  # a busy database must not fail the work: write it next time
            logger.warning("progress of task %s not written; trying later", self._id, exc_info=True)
            self._pending = True
            return
        self._written, self._pending = time.monotonic(), False
        if not ours:
            self.lost = True
        if self.lost and check:
            raise TaskLost("this task was failed as stale while it still ran; its work was stopped")


def worker_name() -> str:
    """A name for this process's runner: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TaskRunner:
    """Queues tasks in the app database and runs them, one at a time across processes.

    ``threaded`` (default: ``TASK_RUNNER == "thread"``) starts a daemon
    thread here that takes queued tasks while there are any; otherwise tasks
    only run when something calls :meth:`run_next` or :meth:`serve` (the
    ``worker`` command).
    """

    def __init__(
        self,
        app: Flask,
        *,
        keep: int = KEEP,
        threaded: bool | None = None,
        poll: float = POLL_SECONDS,
        heartbeat: float = HEARTBEAT_SECONDS,
        stale: float = STALE_SECONDS,
    ) -> None:
        self.app = app
        self.keep = keep
        self.threaded = app.config.get("TASK_RUNNER", "thread") == "thread"
        if threaded is not None:
            self.threaded = threaded
        self.poll, self.heartbeat, self.stale = poll, heartbeat, stale
        self._worker = (os.getpid(), worker_name())
        self._db: Accounts | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._current: str | None = None
        self._idle = threading.Event()
        self._idle.set()

    @property
    def worker(self) -> str:
        """This process's name in the ``worker`` column (a forked copy gets a name of its own)."""
        if self._worker[0] != os.getpid():
            self._worker = (os.getpid(), worker_name())
        return self._worker[1]

    @property
    def db(self) -> Accounts:
        """The app database (the app's own when accounts are on)."""
        if self._db is None:
            found = self.app.extensions.get(ACCOUNTS_KEY)
            self._db = found if found is not None else Accounts(self.app.config["ACCOUNTS_PATH"])
        return self._db

    # -- queueing and reading -------------------------------------------------------------

    def submit(
        self,
        kind: str,
        label: str,
        params: dict[str, Any] | None = None,
        *,
        steps: int | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Queue a task of ``kind`` with JSON ``params`` behind those waiting; return it as a dict.

        ``user`` defaults to the logged-in user (``cli`` outside a request).
        """
        if kind not in HANDLERS:
            raise ValueError(f"unknown task kind {kind!r}")
        if self._stop.is_set():
            raise ServiceUnavailable("the server is stopping; try again when it is back")
        if user is None:
            found = getattr(g, "user", None) if has_request_context() else None
            user = found.name if found else ("-" if has_request_context() else "cli")
        task = self.db.add_task(uuid.uuid4().hex, kind, label, params or {}, steps=steps, user=user)
        self.db.prune_tasks(self.keep)
        self._kick()
        return as_dict(task)

    def get(self, task_id: str) -> dict[str, Any]:
        """One task as a dict; raises :class:`NotFound`."""
        task = self.db.task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r} (only the newest {self.keep} are kept)")
        if self._check(task):
            return self.get(task_id)
        return as_dict(task)

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest tasks first, as dicts."""
        found = self.db.tasks(limit)
        if any(self._check(task) for task in found):
            found = self.db.tasks(limit)
        return [as_dict(task) for task in found]

    def wait(self, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Block until a task is done or failed; raise :class:`TimeoutError` if it takes longer."""
        deadline = time.monotonic() + timeout
        pause = 0.01
        while True:
            task = self.get(task_id)
            if task["state"] in (DONE, FAILED):
                return task
            if time.monotonic() >= deadline:
                raise TimeoutError(f"task {task_id} still {task['state']} after {timeout} s")
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.1)

    def _check(self, task: TaskRecord) -> bool:
        """Look after a task just read: start this process's thread for queued work,
        fail it if its process died; whether it changed."""
        if task.state == QUEUED:
            self._kick()
        elif task.state == RUNNING and time.time() - (task.heartbeat or 0) > self.stale:
            return self.db.fail_stale_tasks(self.stale) > 0
        return False

    # -- running --------------------------------------------------------------------------

    def run_next(self) -> dict[str, Any] | None:
        """Claim the oldest queued task and run it here; the finished task, or ``None``.

        ``None`` when nothing is queued or another task is running somewhere.
        """
        task = self.db.claim_task(self.worker, stale_after=self.stale)
        if task is None:
            return None
        self._run(task)
        return self.get(task.id)

    def serve(self, stop: threading.Event | None = None, *, until_idle: bool = False) -> None:
        """Run tasks as they come until ``stop`` is set (or :meth:`stop` is called).

        Between tasks it looks at the queue every ``poll`` seconds (at once
        when this process queues one). ``until_idle`` returns as soon as
        nothing is queued. Errors of the app database are logged and tried
        again later; a task's own errors fail that task.
        """
        stop = stop or self._stop
        while not (stop.is_set() or self._stop.is_set()):
            self._wake.clear()
            try:
                if self.run_next() is not None:
                    continue
                queued = self.db.count_tasks(QUEUED)
            except Exception:
                self.app.logger.exception("the task queue could not be read; trying again")
                queued = 1
            if until_idle and not queued:
                return
            self._wake.wait(self.poll)

    @property
    def stopping(self) -> bool:
        """Whether it takes no more tasks (after :meth:`stop` or :meth:`shutdown`)."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Take no more tasks; the running one finishes (the ``worker`` command's SIGTERM)."""
        self._stop.set()
        self._wake.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Refuse new tasks and let the running one finish (up to ``timeout`` seconds).

        Queued tasks stay queued for another process or the next start. A
        task of this process still running after ``timeout`` is failed: the
        process is about to end.
        """
        self.stop()
        deadline = time.monotonic() + timeout
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if self._idle.wait(max(0.0, deadline - time.monotonic())):
            return
        current = self._current
        if current is not None:
            self.db.finish_task(
                current,
                self.worker,
                state=FAILED,
                error="stopped: the server stopped while it ran; start it again",
            )

    def _kick(self) -> None:
        """Wake this process's thread, starting it if it is not running (thread mode)."""
        self._wake.set()
        if not self.threaded or self._stop.is_set():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._thread_loop, name=f"bridgework-tasks-{id(self):x}", daemon=True
                )
                self._thread.start()

    def _thread_loop(self) -> None:
        """The web process's thread: run tasks while any are queued, then end."""
        try:
            while not self._stop.is_set():
                self.serve(until_idle=True)
                with self._lock:
                    # a task queued here after the queue looked empty wakes us: look again
                    if self._stop.is_set() or not self._wake.is_set():
                        self._thread = None
                        return
        except Exception:  # never let the thread die with a traceback on stderr
            self.app.logger.exception("the task thread stopped")
            with self._lock:
                self._thread = None

    def _run(self, task: TaskRecord) -> None:
        """Run a claimed task with its handler; record its result or error."""
        progress = Progress(self.db, task, self.worker)
        beating = threading.Event()
        beat = threading.Thread(
            target=self._beat,
            args=(task.id, beating, progress),
            daemon=True,
            name=f"bridgework-heartbeat-{task.id[:8]}",
        )
        self._current = task.id
        self._idle.clear()
        beat.start()
        state, result, error = FAILED, None, "stopped: interrupted"
        try:
            work = HANDLERS.get(task.kind)
            if work is None:
                raise TaskFailed(f"this process has no handler for tasks of kind {task.kind!r}")
            with self.app.app_context():
                result = work(task.params, progress)
            state, error = DONE, ""
        except Exception as err:
            self.app.logger.exception("task %s (%s) failed", task.id, task.label)
            error = describe(err)
        finally:
            beating.set()
            beat.join()
            from web import cache

            cache.clear(self.app)  # this process's pages see the new data at once
            try:
                progress.flush()
                if not self.db.finish_task(
                    task.id, self.worker, state=state, result=result, error=error
                ):
                    self.app.logger.warning(
                        "task %s (%s) ended here after it was failed as stale", task.id, task.label
                    )
            finally:
                self._current = None
                self._idle.set()

    def _beat(self, task_id: str, done: threading.Event, progress: Progress) -> None:
        """Say every ``heartbeat`` seconds that the task's process is alive."""
        while not done.wait(self.heartbeat):
            try:
                if not self.db.update_task(task_id, self.worker):
                    progress.lost = True
                    return
            except Exception:
                self.app.logger.exception("the heartbeat of task %s was not written", task_id)


def describe(err: BaseException) -> str:
    """An error as one line for people: our own errors as they are, others with their type."""
    ours = StoreError | IngestError | TaskFailed
    text = str(err) if isinstance(err, ours) else f"{type(err).__name__}: {err}"
    notes = getattr(err, "__notes__", None) or []
    return "; ".join([text, *notes])


# -- the app ----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Give the app a task runner (once), stop it at exit and add the ``worker`` command."""
    if KEY in app.extensions:
        return
    mode = app.config.get("TASK_RUNNER", "thread")
    if mode not in RUNNERS:
        raise InvalidInput(f"must be {' or '.join(RUNNERS)}", field="TASK_RUNNER", value=mode)
    runner = TaskRunner(app)
    app.extensions[KEY] = runner
    atexit.register(runner.shutdown)
    app.cli.add_command(worker_command)


def get_runner(app: Flask | None = None) -> TaskRunner:
    """The task runner of ``app`` (default: the current app)."""
    return (app or current_app).extensions[KEY]


def shutdown(app: Flask, timeout: float = 5.0) -> None:
    """Stop the app's task runner (tests, shutdown)."""
    runner = app.extensions.get(KEY)
    if runner is not None:
        runner.shutdown(timeout)


@click.command("worker")
@click.option(
    "--poll",
    type=click.FloatRange(0.01, 60),
    default=POLL_SECONDS,
    show_default=True,
    help="Seconds between looks at the queue when it is empty.",
)
@click.option("--until-idle", is_flag=True, help="Stop when nothing is queued.")
@with_appcontext
def worker_command(poll: float, until_idle: bool) -> None:
    """Run queued background tasks (ingests, analyses) one at a time until stopped.

    SIGTERM or Ctrl-C stops it after the task it is running. Run it with
    TASK_RUNNER=worker on the web app, sharing its app database
    (ACCOUNTS_PATH), data folder (DATA_DIR) and store.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = TaskRunner(app, threaded=False, poll=poll)

    def stop(signum: int, frame: object) -> None:
        click.echo(
            f"worker: {signal.Signals(signum).name}, stopping after the current task", err=True
        )
        runner.stop()

    if app.config.get("TASK_RUNNER") != "worker":
        click.echo("worker: TASK_RUNNER is not 'worker', so web processes run tasks too", err=True)
    before = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"worker {runner.worker}: waiting for tasks", err=True)
    try:
        runner.serve(until_idle=until_idle)
    finally:
        for signum, previous in before.items():
            signal.signal(signum, previous)
    click.echo("worker: stopped", err=True)
