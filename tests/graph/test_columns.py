"""Column-wise checking of interaction batches gives record-by-record answers."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from datetime import tzinfo
from zoneinfo import ZoneInfo

import pytest

from graph.base import EventColumns
from graph.base import _checked_columns
from graph.base import _fast_columns
from graph.base import check_interaction
from graph.base import event_columns
from graph.base import month_of
from graph.errors import InvalidInput
from ingest.records import Channel
from ingest.records import Interaction

ZONES = (
    UTC,
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
)


def varied(count: int = 3000) -> list[Interaction]:
    """Interactions near month boundaries, in several zones, channels as members and text."""
    items = []
    channels = (Channel.EMAIL, "ticket", Channel.MEETING, "chat")
    for i in range(count):
        year = (1700, 1969, 1970, 2000, 2024, 2240)[i % 6]
        start = datetime(year, 1 + i % 12, 1, tzinfo=UTC)
        nudge = timedelta(microseconds=(-1, 0, 1, -999_999, 500_000, 86_399_000_000)[i % 6 - 1])
        when = (start + nudge).astimezone(ZONES[i % len(ZONES)])
        ref = f"r{i}\ud800" if i % 7 == 0 else f"ré{i}"
        weight = (1, 0.5, 2.0, 3)[i % 4]
        items.append(Interaction(f"a{i % 13}", f"b{i % 11}", channels[i % 4], when, ref, weight))
    return items


def per_record(batch: list[Interaction]) -> dict[str, list]:
    """What each record means, the slow and obvious way."""
    return {
        "keys": [it.event_key for it in batch],
        "sources": [it.source for it in batch],
        "targets": [it.target for it in batch],
        "channels": [Channel(it.channel).value for it in batch],
        "months": [month_of(it.timestamp) for it in batch],
        "stamps": [int(it.timestamp.timestamp()) for it in batch],
        "weights": [float(it.weight) for it in batch],
    }


def as_dict(columns: EventColumns) -> dict[str, list]:
    names = ("keys", "sources", "targets", "channels", "months", "stamps", "weights")
    return {name: list(getattr(columns, name)) for name in names}


def test_bulk_path_matches_record_by_record():
    batch = varied()
    assert _fast_columns(batch) is not None
    columns = event_columns(batch, offset=40)
    assert as_dict(columns) == per_record(batch)
    assert list(columns.positions) == list(range(40, 40 + len(batch)))
    assert {type(w) for w in columns.weights} == {float}


class Shifted(tzinfo):
    """A home-made zone: the bulk path leaves it to the record-by-record check."""

    def utcoffset(self, dt):
        return timedelta(hours=2)

    def dst(self, dt):
        return timedelta(0)


class Key(str):
    """A str subclass."""

    __slots__ = ()


class Stamp(datetime):
    """A datetime subclass (as pandas.Timestamp is)."""


@pytest.mark.parametrize(
    "odd",
    [
        Interaction("a", "b", Channel.EMAIL, datetime(2025, 3, 31, 23, tzinfo=Shifted()), "r"),
        Interaction("a", "b", Channel.EMAIL, Stamp(2025, 3, 31, 23, tzinfo=UTC), "r"),
        Interaction("a", "b", Channel.EMAIL, datetime(2600, 1, 1, tzinfo=UTC), "r"),
        Interaction("a", "b", Channel.EMAIL, datetime(1500, 1, 1, tzinfo=UTC), "r"),
        Interaction(Key("a"), "b", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "r"),
    ],
)
def test_unusual_records_take_the_careful_path_with_the_same_result(odd):
    batch = [*varied(20), odd]
    assert as_dict(event_columns(batch)) == per_record(batch)


BAD = [
    Interaction("a", "b", "fax", datetime(2025, 3, 1, tzinfo=UTC), "x"),
    Interaction("a", "b", Channel.EMAIL, datetime(2025, 3, 1), "x"),
    Interaction("a", "b", Channel.EMAIL, "2025-03-01", "x"),
    Interaction("a", "a", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x"),
    Interaction(" ", "b", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x"),
    Interaction("a", None, Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x"),
    Interaction("a", "b", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), " "),
    Interaction("a", "b", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x", 0),
    Interaction("a", "b", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x", True),
    Interaction("a", "b", Channel.EMAIL, datetime(2025, 3, 1, tzinfo=UTC), "x", float("inf")),
    Interaction("a", "b", ["email"], datetime(2025, 3, 1, tzinfo=UTC), "x"),
    "not an interaction",
]


@pytest.mark.parametrize("bad", BAD)
def test_bad_records_raise_what_the_record_check_raises(bad):
    with pytest.raises(InvalidInput) as expected:
        check_interaction(105, bad)
    batch = [*varied(5), bad, *varied(5)]
    with pytest.raises(InvalidInput) as caught:
        event_columns(batch, offset=100)
    assert caught.value.record == 105
    assert (caught.value.field, str(caught.value)) == (expected.value.field, str(expected.value))


def test_the_first_bad_record_is_the_one_named():
    batch = [*varied(5), BAD[3], BAD[0]]
    with pytest.raises(InvalidInput) as caught:
        event_columns(batch)
    assert (caught.value.record, caught.value.field) == (5, "target")


def test_first_occurrences_keep_the_first_record_of_each_event():
    when = datetime(2025, 3, 1, tzinfo=UTC)
    batch = [
        Interaction("a", "b", Channel.EMAIL, when, "m1", 1.0),
        Interaction("a", "c", Channel.EMAIL, when, "m1", 1.0),
        Interaction("a", "b", Channel.EMAIL, when + timedelta(days=40), "m1", 5.0),
        Interaction("a", "b", Channel.TICKET, when, "m1", 1.0),
    ]
    unique = event_columns(batch, offset=10).first_occurrences()
    assert list(unique.positions) == [10, 11, 13]
    assert unique.weights == [1.0, 1.0, 1.0]
    assert unique.months == ["2025-03"] * 3


def test_missing_person_names_the_first_record_and_side():
    when = datetime(2025, 3, 1, tzinfo=UTC)
    batch = [
        Interaction("a", "b", Channel.EMAIL, when, "m1"),
        Interaction("a", "ghost", Channel.EMAIL, when, "m2"),
        Interaction("ghost", "b", Channel.EMAIL, when, "m3"),
    ]
    error = event_columns(batch, offset=7).missing_person({"ghost"})
    assert (error.record, error.field, error.value) == (8, "target", "ghost")


def test_checked_columns_of_nothing_are_empty():
    assert _checked_columns([], 0) == ([], [], [], [], [], [], [])
    assert len(event_columns([])) == 0
