"""Apps for tests: one place that knows the test configuration.

Every app here is in TESTING mode with its store, data folder and accounts
database under ``root``, and its test clients are signed in as an admin who
may identify people (``SignedInClient``), sending the CSRF token themselves.
Tests of accounts and roles use ``tests.security.helpers`` for other users.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app


def config_for(root: Path, **overrides: Any) -> dict[str, Any]:
    """The test configuration with everything stored under ``root``."""
    return {
        "TESTING": True,
        "SQLITE_PATH": str(root / "store.sqlite3"),
        "DATA_DIR": str(root / "data"),
        "ACCOUNTS_PATH": str(root / "accounts.sqlite3"),
        "PSEUDONYM_KEY": "test-key",
        **overrides,
    }


def make_app(root: Path, **overrides: Any) -> Flask:
    """A fresh app whose test clients are signed in as an admin."""
    from tests.security.helpers import SignedInClient

    app = create_app(config_for(root, **overrides))
    app.test_client_class = SignedInClient
    return app


def make_demo(root: Path, *, people: int = 80, seed: int = 5, **overrides: Any) -> Flask:
    """A fresh app holding a generated, ingested and analysed organisation.

    The demo files (``truth.json`` among them) are in ``root/data/demo``.
    """
    app = make_app(root, **overrides)
    result = app.test_cli_runner().invoke(
        args=["demo", "--people", str(people), "--seed", str(seed)]
    )
    assert result.exit_code == 0, result.output
    return app
