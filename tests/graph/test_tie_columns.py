"""The columnar tie read: ``tie_columns()`` holds the rows of ``ties(by_month=True)``, in both stores."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import numpy as np
import pytest

from analysis.ties import TieTable
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import TieColumns

PEOPLE = [
    Person(f"p_{k:02d}", f"Person {k}", "IT" if k < 3 else "Sales", f"T{k % 3}", is_it=k < 3)
    for k in range(12)
]
LONELY = Person("p_lonely", "Nobody's contact", "Sales", "T9")
START = datetime(2024, 11, 1, tzinfo=UTC)

WINDOWS = [
    {},
    {"since": date(2025, 1, 1)},
    {"until": date(2025, 2, 1)},
    {"since": date(2024, 12, 1), "until": date(2025, 3, 1)},
    {"channels": [Channel.MEETING]},
    {"channels": [Channel.TICKET, Channel.EMAIL], "since": date(2025, 2, 1)},
    {"channels": []},
    {"since": date(2030, 1, 1)},
]


def interactions(seed: int, count: int) -> list[Interaction]:
    """Seeded events over six months: repeats in a bucket, odd weights, every channel."""
    rng = random.Random(seed)
    events = []
    for number in range(count):
        a, b = rng.sample(PEOPLE, 2)
        when = START + timedelta(seconds=rng.randrange(0, 181 * 86400))
        channel = rng.choice(list(Channel))
        weight = rng.choice([1.0, 0.5, 1 / 3, 0.1, 2.75])
        events.append(Interaction(a.key, b.key, channel, when, f"e{number}", weight))
    return events


@pytest.fixture
def filled(store):
    store.upsert_people([*PEOPLE, LONELY])
    store.add_interactions(interactions(7, 400))
    return store


def assert_well_formed(columns: TieColumns) -> None:
    assert list(columns.keys) == sorted(set(columns.keys))
    assert list(columns.months) == sorted(set(columns.months))
    for name, dtype in (("source", np.int32), ("target", np.int32), ("channel", np.int8),
                        ("month", np.int32), ("count", np.int64), ("weight", np.float64),
                        ("first_seen", np.int64), ("last_seen", np.int64)):  # fmt: skip
        column = getattr(columns, name)
        assert column.dtype == dtype and len(column) == len(columns), name
    if len(columns):
        assert columns.source.min() >= 0 and columns.target.min() >= 0
        assert max(columns.source.max(), columns.target.max()) < len(columns.keys)
        assert columns.month.max() < len(columns.months)
        assert set(np.unique(columns.month).tolist()) == set(range(len(columns.months)))


@pytest.mark.parametrize("window", WINDOWS, ids=repr)
def test_columns_hold_the_monthly_ties_in_order(filled, window):
    columns = filled.tie_columns(**window)
    assert_well_formed(columns)
    monthly = list(filled.ties(by_month=True, **window))
    assert list(columns.ties()) == monthly
    if window.get("channels") == []:
        assert len(columns) == 0
    if not window:
        assert len(columns) > 100  # the seeded events fill many buckets


def test_columns_of_an_empty_store(store):
    columns = store.tie_columns()
    assert_well_formed(columns)
    assert (len(columns), columns.months, list(columns.ties())) == (0, (), [])
    store.upsert_people(PEOPLE)
    columns = store.tie_columns()
    assert len(columns) == 0 and set(columns.keys) <= {p.key for p in PEOPLE}


def test_columns_add_up_the_events_of_a_bucket(store):
    store.upsert_people(PEOPLE[:2])
    a, b = PEOPLE[0].key, PEOPLE[1].key
    first = datetime(2025, 3, 2, 8, 15, 7, tzinfo=UTC)
    last = datetime(2025, 3, 30, 17, 0, 59, tzinfo=UTC)
    store.add_interactions([
        Interaction(a, b, Channel.EMAIL, last, "m1", 0.25),
        Interaction(a, b, Channel.EMAIL, first, "m2", 0.5),
        Interaction(a, b, Channel.EMAIL, first + timedelta(days=3), "m3"),
        Interaction(b, a, Channel.CHAT, first, "c1"),
    ])  # fmt: skip
    columns = store.tie_columns()
    assert columns.keys[columns.source[0]] == a and columns.keys[columns.target[0]] == b
    assert TieColumns.CHANNELS[columns.channel[0]] is Channel.EMAIL
    assert columns.months == ("2025-03",)
    assert (columns.count.tolist(), columns.weight.tolist()) == ([3, 1], [1.75, 1.0])
    us = 1_000_000
    assert columns.first_seen[0] == int(first.timestamp()) * us
    assert columns.last_seen[0] == int(last.timestamp()) * us


def test_erased_people_are_gone_from_the_columns(filled):
    gone = PEOPLE[4].key
    assert any(gone in (t.source, t.target) for t in filled.ties(by_month=True))
    filled.erase_person(gone)
    columns = filled.tie_columns()
    assert gone not in columns.keys
    named = {columns.keys[i] for i in np.union1d(columns.source, columns.target).tolist()}
    assert gone not in named and named
    assert list(columns.ties()) == list(filled.ties(by_month=True))


def test_new_ties_show_in_the_next_read(filled):
    before = len(filled.tie_columns())
    filled.add_interactions(
        [
            Interaction(
                LONELY.key, PEOPLE[0].key, Channel.TICKET, datetime(2026, 1, 5, tzinfo=UTC), "t"
            )
        ]
    )
    columns = filled.tie_columns()
    assert len(columns) == before + 1 and columns.months[-1] == "2026-01"
    assert LONELY.key in columns.keys


def test_columns_can_be_read_inside_an_open_unit(filled):
    when = datetime(2026, 2, 1, tzinfo=UTC)
    before = list(filled.ties(by_month=True))
    with filled.atomic():
        filled.add_interactions([Interaction(PEOPLE[1].key, LONELY.key, Channel.CHAT, when, "x")])
        inside = list(filled.tie_columns(until=date(2026, 1, 1)).ties())
    assert inside == before  # the unit's write is after the window read
    columns = filled.tie_columns(since=date(2026, 2, 1))
    assert [(t.source, t.target) for t in columns.ties()] == [(PEOPLE[1].key, LONELY.key)]


def test_the_analysis_table_from_columns_equals_the_one_from_records(filled):
    people = list(filled.people())
    for window in WINDOWS[:4]:
        by_columns = TieTable.from_columns(people, filled.tie_columns(**window))
        by_records = TieTable.from_ties(people, filled.ties(by_month=True, **window))
        assert_same_table(by_columns, by_records)


def assert_same_table(a: TieTable, b: TieTable) -> None:
    assert (a.people, a.outsiders, a.months) == (b.people, b.outsiders, b.months)
    for name in ("source", "target", "channel", "month", "count", "weight", "last_seen", "pair",
                 "forward", "pair_lo", "pair_hi", "self_month", "self_last"):  # fmt: skip
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
