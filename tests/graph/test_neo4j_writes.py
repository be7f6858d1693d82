"""How the Neo4j store writes ties: planned index seeks, and ledgers checked exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime

import pytest

from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person

pytestmark = pytest.mark.neo4j

WHEN = datetime(2025, 3, 10, 9, tzinfo=UTC)


@pytest.fixture
def neo4j(neo4j_target) -> Iterator:
    from graph.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password=neo4j_target.password)
    store.clear()
    try:
        yield store
    finally:
        store.close()


def operators(plan: dict) -> Iterator[str]:
    yield plan["operatorType"].split("@")[0]
    for child in plan.get("children", []):
        yield from operators(child)


@pytest.mark.parametrize("name", ["MISSING_PEOPLE", "EXISTING_TIES", "CREATE_TIES", "ADD_TO_TIES"])
def test_batch_statements_are_planned_as_index_seeks(neo4j, name):
    from graph import cypher

    query = "EXPLAIN " + getattr(cypher, name)
    summary = neo4j._driver.execute_query(query, keys=[], rows=[]).summary
    used = list(operators(summary.plan))
    assert any("IndexSeek" in op for op in used), used
    assert not any("Scan" in op for op in used), used


def mail(ref: str, hour: int) -> Interaction:
    return Interaction("p_a", "p_b", Channel.EMAIL, WHEN.replace(hour=hour), ref)


def add_to_tie(neo4j, seen: int, refs: list[str]) -> int:
    from graph import cypher

    events = [
        {
            "key": mail(ref, 12).event_key,
            "ts": int(WHEN.replace(hour=12).timestamp()),
            "weight": 1.0,
        }
        for ref in refs
    ]
    rows = [{"key": "p_a|p_b|email|2025-03", "seen": seen, "events": events}]
    records = neo4j._driver.execute_query(cypher.ADD_TO_TIES, rows=rows).records
    return records[0]["added"]


def test_events_appended_by_another_writer_are_not_counted_twice(neo4j):
    neo4j.upsert_people([Person("p_a"), Person("p_b")])
    assert neo4j.add_interactions([mail("m1", 9), mail("m2", 10)]) == 2
    # Read when the ledger held one event: m2 looked new, but is there now.
    assert add_to_tie(neo4j, seen=1, refs=["m2", "m3"]) == 1
    (tie,) = neo4j.ties(by_month=True)
    assert (tie.count, tie.weight, tie.last_seen) == (3, 3.0, WHEN.replace(hour=12))


def test_an_unchanged_ledger_takes_the_events_as_given(neo4j):
    neo4j.upsert_people([Person("p_a"), Person("p_b")])
    neo4j.add_interactions([mail("m1", 9)])
    assert add_to_tie(neo4j, seen=1, refs=["m4"]) == 1
    assert neo4j.add_interactions([mail("m1", 9), mail("m4", 12), mail("m5", 8)]) == 1
    (tie,) = neo4j.ties(by_month=True)
    assert (tie.count, tie.first_seen) == (3, WHEN.replace(hour=8))
