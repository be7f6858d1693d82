"""Batches that mix new and seen events, on both stores."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from graph.errors import InvalidInput
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person

PEOPLE = [Person(f"p{i}", department="D", team=f"T{i % 2}") for i in range(6)]


def mail(source: int, target: int, month: int, ref: str, weight: float = 1.0) -> Interaction:
    when = datetime(2025, month, 1 + len(ref) % 27, 8, tzinfo=UTC)
    return Interaction(f"p{source}", f"p{target}", Channel.EMAIL, when, ref, weight)


def monthly(store) -> dict:
    return {
        (t.source, t.target, t.month): (t.count, t.weight, t.first_seen, t.last_seen)
        for t in store.ties(by_month=True)
    }


@pytest.fixture
def loaded(store):
    store.upsert_people(PEOPLE)
    return store


@pytest.mark.parametrize("batch_size", [2, 3, 10_000])
def test_a_call_mixing_seen_and_new_events_adds_only_the_new(loaded, batch_size):
    first = [mail(0, 1, 3, "a"), mail(0, 1, 3, "bb", 0.5), mail(1, 2, 4, "c")]
    assert loaded.add_interactions(first) == 3
    loaded.batch_size = batch_size
    later = [
        mail(0, 1, 3, "bb", 0.5),
        mail(0, 1, 3, "dddd", 0.25),
        mail(1, 2, 4, "c"),
        mail(1, 2, 5, "eeeee"),
        mail(0, 1, 3, "dddd", 0.25),
        mail(3, 4, 4, "a"),
    ]
    assert loaded.add_interactions(later) == 3
    ties = monthly(loaded)
    march = datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert ties[("p0", "p1", "2025-03")] == (
        3,
        1.75,
        march.replace(day=2),
        march.replace(day=5),
    )
    assert ties[("p1", "p2", "2025-04")][0] == 1
    assert ties[("p1", "p2", "2025-05")][0] == 1
    assert ties[("p3", "p4", "2025-04")][0] == 1
    assert loaded.counts().interactions == 6
    assert loaded.add_interactions([*first, *later]) == 0
    assert monthly(loaded) == ties


def test_a_missing_person_in_a_later_batch_names_its_record(loaded):
    loaded.batch_size = 2
    events = [mail(0, 1, 3, f"m{i}") for i in range(5)]
    events.insert(3, Interaction("p0", "p9", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x"))
    with pytest.raises(InvalidInput) as caught:
        loaded.add_interactions(events)
    assert (caught.value.record, caught.value.field, caught.value.value) == (3, "target", "p9")
    assert loaded.counts().interactions == 0
