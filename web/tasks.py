"""Background tasks: ingests and analyses run in turn on one worker thread per app.

A request that starts slow work (an upload to ingest, an analysis) submits a
task and answers at once with its id; the page polls the task for progress.
One worker thread per app takes tasks in the order they came (FIFO), so two
ingests, or an ingest and an analysis, never write to the store at the same
time from this process. The worker starts with the first task and runs as a
daemon; :func:`shutdown` (called at exit) stops it.

Tasks live in memory: a restart forgets them. What they did stays in the
store (the ingest ledger, the analysis snapshots).
"""

from __future__ import annotations

import atexit
import itertools
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Flask
from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

from graph.errors import NotFound
from graph.errors import StoreError
from ingest.errors import IngestError

KEY = "bridgework.tasks"
KINDS = ("ingest", "analysis")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: how many finished tasks are remembered
KEEP = 100
#: how many progress messages a task keeps (the newest)
MESSAGES = 50


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(eq=False)
class Task:
    """One piece of background work and what is known about it so far.

    ``steps`` is the number of steps when known in advance (the analysis
    jobs), and ``step`` how many have started. ``result`` is a JSON-ready
    summary (kept, as far as it got, when the task fails); ``error`` says why
    a task failed.
    """

    id: str
    kind: str
    label: str
    steps: int | None = None
    state: str = QUEUED
    created: datetime = field(default_factory=_now)
    started: datetime | None = None
    finished: datetime | None = None
    step: int = 0
    message: str = ""
    messages: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str = ""
    order: int = 0
    ended: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the task."""
        ended = self.finished or (_now() if self.started else None)
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "state": self.state,
            "created": self.created.isoformat(),
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "seconds": (ended - self.started).total_seconds() if self.started and ended else None,
            "step": self.step,
            "steps": self.steps,
            "progress": self.message,
            "messages": list(self.messages),
            "result": self.result,
            "error": self.error,
        }


class Progress:
    """What running work reports back to its task; safe to call from the worker."""

    def __init__(self, task: Task, lock: threading.Lock) -> None:
        self._task, self._lock = task, lock

    def step(self, label: str) -> None:
        """Start the next of the task's steps, e.g. ``4/9 brokers``."""
        with self._lock:
            task = self._task
            task.step += 1
            shown = f"{task.step}/{task.steps} {label}" if task.steps else label
            self._say(shown)

    def note(self, message: str) -> None:
        """Say something without counting a step (``12,000 records``)."""
        with self._lock:
            self._say(message)

    def partial(self, result: dict[str, Any]) -> None:
        """Keep a result so far; a failed task still shows it."""
        with self._lock:
            self._task.result = result

    def _say(self, message: str) -> None:
        task = self._task
        task.message = message
        task.messages.append(message)
        del task.messages[:-MESSAGES]


#: work takes a :class:`Progress` and returns the task's JSON-ready result
Work = Callable[[Progress], dict[str, Any]]


class TaskRunner:
    """The tasks of one app and the worker thread that runs them."""

    def __init__(self, app: Flask, *, keep: int = KEEP) -> None:
        self.app = app
        self.keep = keep
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._queue: queue.SimpleQueue[tuple[Task, Work] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._stopped = False
        self._order = itertools.count()

    def submit(
        self, kind: str, label: str, work: Work, *, steps: int | None = None
    ) -> dict[str, Any]:
        """Queue ``work`` behind the tasks already waiting; return its task as a dict."""
        if kind not in KINDS:
            raise ValueError(f"unknown task kind {kind!r}")
        task = Task(id=uuid.uuid4().hex, kind=kind, label=label, steps=steps)
        with self._lock:
            if self._stopped:
                raise ServiceUnavailable("the server is stopping; try again when it is back")
            task.order = next(self._order)
            self._tasks[task.id] = task
            self._forget_old()
            self._queue.put((task, work))
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._loop, name=f"bridgework-tasks-{id(self.app):x}", daemon=True
                )
                self._worker.start()
            return task.as_dict()

    def get(self, task_id: str) -> dict[str, Any]:
        """One task as a dict; raises :class:`NotFound`."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise NotFound(
                    f"no task {task_id!r} (tasks are forgotten when the server restarts)"
                )
            return task.as_dict()

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest tasks first, as dicts."""
        with self._lock:
            newest = sorted(self._tasks.values(), key=lambda t: t.order, reverse=True)
            return [task.as_dict() for task in newest[:limit]]

    def wait(self, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Block until a task is done or failed; raise :class:`TimeoutError` if it takes longer."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r}")
        if not task.ended.wait(timeout):
            raise TimeoutError(f"task {task_id} still {task.state} after {timeout} s")
        return self.get(task_id)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Refuse new tasks, fail the queued ones and let the running one finish (up to ``timeout``)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            worker = self._worker
            for task in self._tasks.values():
                if task.state == QUEUED:
                    self._end(task, FAILED, error="cancelled: the server stopped before it ran")
        self._queue.put(None)
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    # -- the worker -----------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            task, work = item
            with self._lock:
                if task.state != QUEUED:  # cancelled by shutdown
                    continue
                task.state, task.started = RUNNING, _now()
            self._run(task, work)

    def _run(self, task: Task, work: Work) -> None:
        progress = Progress(task, self._lock)
        try:
            with self.app.app_context():
                result = work(progress)
        except Exception as err:
            self.app.logger.exception("task %s (%s) failed", task.id, task.label)
            with self._lock:
                self._end(task, FAILED, error=describe(err))
        else:
            with self._lock:
                task.result = result
                self._end(task, DONE)

    def _end(self, task: Task, state: str, *, error: str = "") -> None:
        task.state, task.finished, task.error = state, _now(), error
        task.ended.set()

    def _forget_old(self) -> None:
        finished = [t for t in self._tasks.values() if t.state in (DONE, FAILED)]
        for task in finished[: max(0, len(finished) - self.keep)]:
            del self._tasks[task.id]


class TaskFailed(Exception):
    """Raised by work to fail its task with a message meant for people, shown as it is."""


def describe(err: BaseException) -> str:
    """An error as one line for people: our own errors as they are, others with their type."""
    ours = StoreError | IngestError | TaskFailed
    text = str(err) if isinstance(err, ours) else f"{type(err).__name__}: {err}"
    notes = getattr(err, "__notes__", None) or []
    return "; ".join([text, *notes])


def init_app(app: Flask) -> None:
    """Give the app a task runner (once) and stop it at exit."""
    if KEY in app.extensions:
        return
    runner = TaskRunner(app)
    app.extensions[KEY] = runner
    atexit.register(runner.shutdown)


def get_runner(app: Flask | None = None) -> TaskRunner:
    """The task runner of ``app`` (default: the current app)."""
    return (app or current_app).extensions[KEY]


def shutdown(app: Flask, timeout: float = 5.0) -> None:
    """Stop the app's task runner (tests, shutdown)."""
    runner = app.extensions.get(KEY)
    if runner is not None:
        runner.shutdown(timeout)
