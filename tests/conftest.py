"""Shared fixtures: a fresh app per test, and stores of both kinds.

The Neo4j store runs against a real Neo4j Community server that the test
session starts itself (``tests/neo4j/server.py``), or against
``BRIDGEWORK_TEST_NEO4J_URI`` when set (that database is wiped by the tests).
With ``CI=true`` the Neo4j tests must run: a missing Java or Maven fails them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from tests.apps import make_app
from web.store import close_store

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"


class Neo4jTarget:
    """Where the test Neo4j listens, and how to log in."""

    def __init__(self, uri: str, user: str, password: str, startup_seconds: float | None) -> None:
        self.uri, self.user, self.password = uri, user, password
        self.startup_seconds = startup_seconds


@pytest.fixture(scope="session")
def neo4j_target() -> Iterator[Neo4jTarget]:
    """A real Neo4j server for the session, started on first use."""
    uri = os.environ.get("BRIDGEWORK_TEST_NEO4J_URI")
    if uri:
        yield Neo4jTarget(
            uri,
            os.environ.get("BRIDGEWORK_TEST_NEO4J_USER", "neo4j"),
            os.environ.get("BRIDGEWORK_TEST_NEO4J_PASSWORD", ""),
            None,
        )
        return
    from tests.neo4j import server

    ok, reason = server.java_and_maven_available()
    if not ok:
        if IN_CI:
            pytest.fail(f"CI=true but the Neo4j tests cannot run: {reason}")
        pytest.skip(f"NEO4J TESTS SKIPPED: {reason} (install Java 17 and Maven to run them)")
    running = server.start_server()
    try:
        yield Neo4jTarget(running.uri, running.user, running.password, running.startup_seconds)
    finally:
        running.stop()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """An empty store of each kind; the same contract runs against both."""
    if request.param == "embedded":
        opened = EmbeddedStore(tmp_path / "store.sqlite3")
    else:
        from graph.neo4j_store import Neo4jStore

        target = request.getfixturevalue("neo4j_target")
        opened = Neo4jStore(target.uri, user=target.user, password=target.password)
        opened.clear()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(tmp_path: Path):
    """A fresh app on a temporary embedded store; its test clients are signed in as an admin."""
    application = make_app(tmp_path)
    yield application
    close_store(application)


@pytest.fixture
def client(app):
    """A test client for the app, signed in as an admin who may identify people."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()
