"""Driver failures reach callers as our own errors, never as neo4j exceptions."""

from __future__ import annotations

import socket

import pytest

from graph.errors import InvalidInput
from graph.errors import StoreUnavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_store_unavailable():
    from graph.neo4j_store import Neo4jStore

    with pytest.raises(StoreUnavailable, match="unavailable"):
        Neo4jStore(f"bolt://127.0.0.1:{free_port()}", password="whatever")


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "127.0.0.1:7687", ""])
def test_only_bolt_uris_are_accepted(uri):
    from graph.neo4j_store import Neo4jStore

    with pytest.raises(InvalidInput, match="Bolt URI"):
        Neo4jStore(uri, password="whatever")


@pytest.mark.neo4j
def test_wrong_password_is_store_unavailable(neo4j_target):
    from graph.neo4j_store import Neo4jStore

    with pytest.raises(StoreUnavailable, match="credentials"):
        Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password="not-the-password")


@pytest.mark.neo4j
def test_closed_store_is_store_unavailable(neo4j_target):
    from graph.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password=neo4j_target.password)
    store.close()
    with pytest.raises(StoreUnavailable):
        store.counts()
