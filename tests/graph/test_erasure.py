"""Erasure marks, snapshot erasure and retention purges, on the embedded store and Neo4j alike."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from graph.base import Subject
from graph.errors import InvalidInput
from graph.errors import StoreError
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import TicketFact

ALICE = Person("p_alice", "Alice Archer", "Finance", "Payables", "Clerk", False, "p_carol")
BOB = Person("p_bob", "Bob Baker", "IT", "Service Desk", "Analyst", True, None, ("p_bob2",))
CAROL = Person("p_carol", "Carol Cole", "Finance", "Controlling", "Head", False, None)
DAN = Person("p_dan", "Dan Dunn", "IT", "Infrastructure", "Engineer", True, "p_bob")
PEOPLE = [ALICE, BOB, CAROL, DAN]


def at(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


def mail(source: str, target: str, when: datetime, ref: str) -> Interaction:
    return Interaction(source, target, Channel.EMAIL, when, ref)


EVENTS = [
    mail("p_alice", "p_bob", at(2024, 11), "nov"),
    mail("p_alice", "p_bob", at(2024, 12), "dec"),
    mail("p_alice", "p_bob", at(2025, 1), "jan"),
    mail("p_bob", "p_dan", at(2024, 12), "dec-2"),
    mail("p_carol", "p_dan", at(2025, 2), "feb"),
    Interaction("p_alice", "p_carol", Channel.MEETING, at(2024, 10), "m1", 0.5),
]


@pytest.fixture
def loaded(store):
    store.upsert_people(PEOPLE)
    store.add_interactions(EVENTS)
    return store


def pairs(store) -> set[tuple[str, str, str]]:
    return {(t.source, t.target, t.month) for t in store.ties(by_month=True)}


def keys(store) -> set[str]:
    return {p.key for p in store.people()}


# -- marks ------------------------------------------------------------------------------


def test_marks_are_counted_once_and_read_back(store):
    assert store.erased_keys() == set()
    assert store.mark_erased(["p_x", "p_y", "p_x"]) == 2
    assert store.mark_erased(["p_y", "p_z"]) == 1
    assert store.mark_erased([]) == 0
    assert store.erased_keys() == {"p_x", "p_y", "p_z"}


@pytest.mark.parametrize("bad", ["p_x", [""], [None], ["  "]])
def test_bad_marks_are_refused(store, bad):
    with pytest.raises(InvalidInput):
        store.mark_erased(bad)
    assert store.erased_keys() == set()


def test_a_marked_person_is_left_out_of_upserts(store):
    store.mark_erased(["p_dan"])
    assert store.upsert_people(PEOPLE) == 3
    assert keys(store) == {"p_alice", "p_bob", "p_carol"}


def test_a_person_with_a_marked_alias_is_left_out(store):
    store.mark_erased(["p_bob2"])
    store.upsert_people(PEOPLE)
    assert keys(store) == {"p_alice", "p_carol", "p_dan"}


def test_a_marked_manager_is_forgotten(store):
    store.mark_erased(["p_carol"])
    store.upsert_people(PEOPLE)
    assert store.person("p_alice").manager is None
    assert store.person("p_dan").manager == "p_bob"


def test_interactions_naming_a_marked_key_are_left_out_without_error(store):
    store.upsert_people(PEOPLE)
    store.mark_erased(["p_dan"])
    # p_dan is not missing: he is marked, so his events are dropped, not refused.
    store.erase_person("p_dan")
    assert store.add_interactions(EVENTS) == 4
    assert all("p_dan" not in (s, t) for s, t, _ in pairs(store))
    assert store.counts().interactions == 4


def test_marks_hold_inside_an_atomic_unit(store):
    with store.atomic():
        store.mark_erased(["p_bob"])
        store.upsert_people(PEOPLE)
        added = store.add_interactions(EVENTS)
    assert keys(store) == {"p_alice", "p_carol", "p_dan"}
    assert added == 2  # carol-dan and alice-carol


def test_marks_roll_back_with_their_unit(store):
    with pytest.raises(RuntimeError), store.atomic():
        store.mark_erased(["p_bob"])
        raise RuntimeError("boom")
    assert store.erased_keys() == set()


def test_erasing_and_marking_then_loading_again_changes_nothing(loaded):
    with loaded.atomic():
        loaded.mark_erased(["p_bob", "p_bob2"])
        erasure = loaded.erase_person("p_bob")
    assert (erasure.ties, erasure.events) == (4, 4)
    before = (loaded.counts().as_dict(), pairs(loaded), keys(loaded))
    assert loaded.upsert_people(PEOPLE) == 3
    assert loaded.add_interactions(EVENTS) == 0
    assert (loaded.counts().as_dict(), pairs(loaded), keys(loaded)) == before
    assert loaded.person("p_dan").manager is None


def test_a_marked_requester_is_forgotten_but_the_ticket_kept(store):
    store.upsert_people(PEOPLE)
    store.mark_erased(["p_alice"])
    store.add_ticket_facts(
        [
            TicketFact("tickets:jira", "T1", "p_alice", "Desk", at(2025, 1), None),
            TicketFact("tickets:jira", "T2", "p_bob", "Desk", at(2025, 1), None),
        ]
    )
    assert [(f.ref, f.requester) for f in store.ticket_facts()] == [("T1", None), ("T2", "p_bob")]


def test_clear_removes_the_marks(store):
    store.mark_erased(["p_x"])
    store.clear()
    assert store.erased_keys() == set()


# -- snapshots --------------------------------------------------------------------------


def test_snapshots_naming_a_key_are_dropped_in_every_version(store):
    store.save_snapshot("brokers", {"result": {"top": [["p_bob", 0.5], ["p_alice", 0.1]]}})
    store.save_snapshot("brokers", {"result": {"top": [["p_alice", 0.2]]}})
    store.save_snapshot("brokers", {"result": {"roles": {"p_bob": "liaison"}}})
    store.save_snapshot("roles", {"result": {"p_carol": 1}})
    store.save_snapshot("risk", {"result": {"people": 3}})
    assert store.drop_snapshots_naming(["p_bob", "p_carol"]) == 3
    assert store.snapshot_versions("brokers") == [2]
    assert store.snapshot("brokers").data == {"result": {"top": [["p_alice", 0.2]]}}
    assert store.snapshot_versions("roles") == []
    assert store.snapshot_versions("risk") == [1]
    assert store.drop_snapshots_naming(["p_bob"]) == 0


def test_snapshot_keys_are_matched_as_stored(store):
    odd = 'p_"quoted"\\key'
    store.save_snapshot("roles", {"result": {odd: 1}})
    store.save_snapshot("risk", {"result": {"p_quoted": 1}})
    assert store.drop_snapshots_naming([odd]) == 1
    assert store.snapshot_versions("risk") == [1]


# -- retention --------------------------------------------------------------------------


def test_purge_removes_only_older_buckets_and_is_idempotent(loaded):
    loaded.add_ticket_facts(
        [
            TicketFact("tickets:jira", "OLD", "p_alice", "Desk", at(2024, 11), at(2024, 12)),
            TicketFact("tickets:jira", "NEW", "p_alice", "Desk", at(2025, 1), None),
            TicketFact("tickets:jira", "UNDATED", None, "Desk", None, None),
        ]
    )
    purge = loaded.purge_before(date(2024, 12, 1))
    assert (purge.before, purge.ties, purge.events, purge.tickets) == ("2024-12", 2, 2, 1)
    assert pairs(loaded) == {
        ("p_alice", "p_bob", "2024-12"),
        ("p_alice", "p_bob", "2025-01"),
        ("p_bob", "p_dan", "2024-12"),
        ("p_carol", "p_dan", "2025-02"),
    }
    assert sorted(f.ref for f in loaded.ticket_facts()) == ["NEW", "UNDATED"]
    again = loaded.purge_before(date(2024, 12, 1))
    assert (again.ties, again.events, again.tickets) == (0, 0, 0)
    assert len(pairs(loaded)) == 4


def test_purged_events_are_gone_from_the_ledger(loaded):
    loaded.purge_before(date(2025, 1, 1))
    assert loaded.counts().interactions == 2
    # Their keys went with them: the same events load as new ones.
    assert loaded.add_interactions(EVENTS) == 4
    assert loaded.counts().interactions == 6


def test_purge_keeps_people_and_scores(loaded):
    loaded.write_scores(Subject.PERSON, {"p_alice": {"degree": 2}})
    loaded.purge_before(date(2030, 1, 1))
    assert loaded.counts().interactions == 0
    assert keys(loaded) == {"p_alice", "p_bob", "p_carol", "p_dan"}
    assert loaded.scores(Subject.PERSON) == {"p_alice": {"degree": 2.0}}


def test_purge_inside_an_atomic_unit_is_part_of_it(loaded):
    with pytest.raises(StoreError), loaded.atomic():
        loaded.purge_before(date(2030, 1, 1))
        loaded.upsert_people([Person("")])  # spoils the unit
    assert loaded.counts().interactions == len(EVENTS)


@pytest.mark.parametrize("bad", [date(2025, 1, 2), datetime(2025, 1, 1, tzinfo=UTC), None])
def test_purge_needs_the_first_day_of_a_month(loaded, bad):
    with pytest.raises(InvalidInput):
        loaded.purge_before(bad)
    assert loaded.counts().interactions == len(EVENTS)


@pytest.mark.neo4j
def test_neo4j_keeps_one_mark_per_key_by_a_named_constraint(neo4j_target):
    from graph.errors import Conflict
    from graph.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password=neo4j_target.password)
    try:
        store.clear()
        names = {r["name"] for r in store._run("SHOW CONSTRAINTS YIELD name", "test", read=True)}
        assert "erased_key" in names
        store.mark_erased(["p_x"])
        with pytest.raises(Conflict):
            store._run("CREATE (:Erased {key: 'p_x', at: 0})", "test")
        assert store.erased_keys() == {"p_x"}
    finally:
        store.clear()
        store.close()
