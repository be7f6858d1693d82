"""The analysis table from tie columns equals the one from Tie records, whatever the ties."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analysis.ties import TieTable
from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie
from ingest.records import TieColumns
from tests.analysis.test_ties import AT
from tests.analysis.test_ties import PEOPLE
from tests.analysis.test_ties import tie
from tests.analysis.test_ties import ties_strategy

COLUMNS = ("source", "target", "channel", "month", "count", "weight", "last_seen", "pair",
           "forward", "pair_lo", "pair_hi", "self_month", "self_last")  # fmt: skip


def assert_same_table(a: TieTable, b: TieTable) -> None:
    assert (a.people, a.outsiders, a.months, a.keys) == (b.people, b.outsiders, b.months, b.keys)
    for name in COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


@settings(max_examples=120, deadline=None)
@given(ties_strategy, st.randoms(use_true_random=False))
def test_from_columns_equals_from_ties(ties, rnd):
    shuffled = list(ties)
    rnd.shuffle(shuffled)
    columns = TieColumns.from_ties(shuffled)
    assert list(columns.ties()) == shuffled
    expected = TieTable.from_ties(PEOPLE, shuffled)
    assert_same_table(TieTable.from_columns(PEOPLE, columns), expected)


def test_seeded_ties_with_microseconds_outsiders_and_unused_keys():
    rng = random.Random(11)
    keys = [f"k{n:03d}" for n in range(60)]
    people = [Person(k, team=f"T{n % 4}", department="D") for n, k in enumerate(keys[:45])]
    found = {}
    for _ in range(3000):
        last = AT - timedelta(days=rng.randrange(0, 400), microseconds=rng.randrange(10**6))
        made = tie(rng.choice(keys), rng.choice(keys), rng.choice(list(Channel)),
                   count=rng.randrange(1, 9), weight=rng.random() * 3, days_ago=0)  # fmt: skip
        found[(made.source, made.target, made.channel, last.strftime("%Y-%m"))] = Tie(
            made.source, made.target, made.channel, made.count, made.weight,
            last - timedelta(hours=1), last, last.strftime("%Y-%m"),
        )  # fmt: skip
    ties = list(found.values())
    columns = TieColumns.from_ties(ties)
    # keys and months no tie uses must not change the table
    padded = TieColumns(
        (*columns.keys, "zz_unused"), ("1999-01", *columns.months), columns.source,
        columns.target, columns.channel, columns.month + 1, columns.count, columns.weight,
        columns.first_seen, columns.last_seen,
    )  # fmt: skip
    expected = TieTable.from_ties(people, ties)
    assert expected.outsiders  # some ties name people outside the directory
    assert any(t.source == t.target for t in ties)  # and some are self-ties
    for given_columns in (columns, padded):
        assert_same_table(TieTable.from_columns(reversed(people), given_columns), expected)


def test_no_columns_give_the_empty_table():
    empty = TieColumns.from_ties([])
    assert_same_table(TieTable.from_columns(PEOPLE, empty), TieTable.from_ties(PEOPLE, []))
