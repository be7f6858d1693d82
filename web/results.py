"""The latest analysis results, read from the store's versioned snapshots."""

from __future__ import annotations

from typing import Any

from graph.errors import NotFound
from web.store import get_store


def latest(job: str) -> dict[str, Any] | None:
    """The latest snapshot of ``job`` (``result``, ``window``, ``seed``, ``version``…), or ``None``."""
    store = get_store()
    try:
        snapshot = store.snapshot(job)
    except NotFound:
        return None
    return {**snapshot.data, "version": snapshot.version, "created": snapshot.created.isoformat()}


def result(job: str) -> dict[str, Any] | None:
    """Just the ``result`` part of the latest snapshot of ``job``, or ``None``."""
    found = latest(job)
    return found["result"] if found else None
