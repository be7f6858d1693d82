"""The store's lifetime in the app: opened once on first use, closed at exit."""

from __future__ import annotations

import atexit
import threading

from flask import Flask
from flask import current_app

from graph import Store
from graph import open_store

KEY = "bridgework.store"


class StoreHolder:
    """Opens the configured store lazily, so ``--help`` needs no database."""

    def __init__(self, app: Flask) -> None:
        self._config = app.config
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        """The store, opened on first call."""
        with self._lock:
            if self._store is None:
                self._store = open_store(self._config)
            return self._store

    def close(self) -> None:
        """Close the store if it was opened."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def init_app(app: Flask) -> None:
    """Register the store holder on the app and close it at exit."""
    holder = StoreHolder(app)
    app.extensions[KEY] = holder
    atexit.register(holder.close)


def get_store() -> Store:
    """The current app's store."""
    return current_app.extensions[KEY].get()


def close_store(app: Flask) -> None:
    """Close the app's store (tests, shutdown)."""
    app.extensions[KEY].close()
