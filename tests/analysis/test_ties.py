"""Ties as columns: the table, vectorised strengths and graphs equal the per-tie reference."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analysis.build import pair_graph
from analysis.build import person_digraph
from analysis.build import strength_graph
from analysis.build import table_digraph
from analysis.strength import pair_strengths
from analysis.strength import tie_strengths
from analysis.ties import TieTable
from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie

AT = datetime(2025, 6, 30, 12, tzinfo=UTC)
MONTHS = ("2025-04", "2025-05", "2025-06")
PEOPLE = [Person(k, department="D" if k < "d" else "E", team="T", is_it=k == "a") for k in "abcdef"]


def tie(a, b, channel=Channel.EMAIL, *, count=1, weight=None, days_ago=0.0, month=None):
    last = AT - timedelta(days=days_ago)
    month = month or last.strftime("%Y-%m")
    return Tie(a, b, channel, count, float(count if weight is None else weight), last, last, month)


keys = st.sampled_from("abcdefz")  # z is nobody in the directory
ties_strategy = st.lists(
    st.builds(
        lambda a, b, channel, count, weight, days: tie(
            a, b, channel, count=count, weight=weight, days_ago=days
        ),
        keys,
        keys,
        st.sampled_from(list(Channel)),
        st.integers(1, 9),
        st.sampled_from([0.5, 1.0, 2.0, 3.0]),
        st.sampled_from([0.0, 0.5, 3.0, 30.0, 31.0, 60.0, 89.5]),
    ),
    max_size=40,
    unique_by=lambda t: (t.source, t.target, t.channel, t.month),
)


def as_dict(table: TieTable, strengths) -> dict:
    names = table.keys
    return {
        (names[a], names[b]): (s, c, r, m)
        for a, b, s, c, r, m in zip(
            strengths.lo.tolist(),
            strengths.hi.tolist(),
            strengths.strength.tolist(),
            strengths.count.tolist(),
            strengths.reciprocity.tolist(),
            strengths.multiplexity.tolist(),
            strict=True,
        )
    }


def assert_same(table: TieTable, strengths, reference: dict) -> None:
    got = as_dict(table, strengths)
    assert got.keys() == reference.keys()
    for pair, s in reference.items():
        strength, count, reciprocity, multiplexity = got[pair]
        assert strength == pytest.approx(s.strength, rel=1e-12, abs=1e-15)
        assert reciprocity == pytest.approx(s.reciprocity, rel=1e-12, abs=1e-15)
        assert (count, multiplexity) == (s.count, s.multiplexity)


@settings(max_examples=80, deadline=None)
@given(ties_strategy, st.randoms(use_true_random=False))
def test_vectorised_strengths_equal_the_per_tie_reference(ties, rnd):
    shuffled = list(ties)
    rnd.shuffle(shuffled)
    table = TieTable.from_ties(PEOPLE, shuffled)
    assert_same(table, pair_strengths(table, at=AT), tie_strengths(ties, at=AT))


@settings(max_examples=40, deadline=None)
@given(ties_strategy)
def test_a_window_of_months_equals_the_reference_on_those_ties(ties):
    table = TieTable.from_ties(PEOPLE, ties)
    chosen = ["2025-05"]
    inside = [t for t in ties if t.month in chosen]
    at = max((t.last_seen for t in inside), default=None)
    if at is None:
        assert len(pair_strengths(table, months=chosen).lo) == 0
        return
    assert table.latest(chosen) == at
    assert_same(table, pair_strengths(table, months=chosen), tie_strengths(inside, at=at))


def test_the_table_is_the_same_whatever_the_order_of_the_ties():
    rng = random.Random(4)
    ties = [
        tie(rng.choice("abcdefz"), rng.choice("abcdefz"), rng.choice(list(Channel)),
            count=rng.randrange(1, 5), days_ago=rng.choice([0, 20, 40, 70]))
        for _ in range(200)
    ]  # fmt: skip
    ties = list({(t.source, t.target, t.channel, t.month): t for t in ties}.values())
    first = TieTable.from_ties(PEOPLE, ties)
    rng.shuffle(ties)
    second = TieTable.from_ties(reversed(PEOPLE), ties)
    for column in ("source", "target", "channel", "month", "count", "weight", "last_seen",
                   "pair", "forward", "pair_lo", "pair_hi"):  # fmt: skip
        assert np.array_equal(getattr(first, column), getattr(second, column)), column
    assert first.keys == second.keys == [*"abcdef", "z"]
    assert first.months == MONTHS
    assert all(first.source[i] != first.target[i] for i in range(len(first)))


def test_self_ties_only_move_the_latest_contact():
    ties = [tie("a", "b", days_ago=5), tie("c", "c", days_ago=1)]
    table = TieTable.from_ties(PEOPLE, ties)
    assert len(table) == 1 and table.latest() == AT - timedelta(days=1)
    assert table.latest(["2025-01"]) is None


def test_pair_graph_equals_strength_graph():
    rng = random.Random(9)
    ties = list(
        {
            (t.source, t.target, t.channel, t.month): t
            for t in (
                tie(rng.choice("abcdefz"), rng.choice("abcdefz"), rng.choice(list(Channel)),
                    count=rng.randrange(1, 4), days_ago=rng.choice([0, 10, 45, 80]))
                for _ in range(120)
            )
        }.values()
    )  # fmt: skip
    at = max(t.last_seen for t in ties)
    table = TieTable.from_ties(PEOPLE, ties)
    fast, reference = (
        pair_graph(table, pair_strengths(table)),
        strength_graph(PEOPLE, tie_strengths(ties, at=at)),
    )
    assert fast.get_edgelist() == reference.get_edgelist()
    for attr in ("name", "team", "department", "is_it"):
        assert fast.vs[attr] == reference.vs[attr]
    assert fast.es["weight"] == pytest.approx(reference.es["weight"], rel=1e-12)
    for attr in ("count", "multiplexity"):
        assert fast.es[attr] == reference.es[attr]
    seen = {frozenset((t.source, t.target)): set() for t in ties}
    for t in ties:
        seen[frozenset((t.source, t.target))].add(t.channel)
    names = fast.vs["name"]
    for edge, bits in zip(fast.es, fast.es["channels"], strict=True):
        channels = seen[frozenset((names[edge.source], names[edge.target]))]
        assert bits == sum(1 << k for k, c in enumerate(sorted(Channel)) if c in channels)

    digraph, reference = table_digraph(table), person_digraph(PEOPLE, ties)
    assert digraph.get_edgelist() == reference.get_edgelist()
    assert digraph.es["weight"] == pytest.approx(reference.es["weight"])
    assert digraph.es["count"] == reference.es["count"]


def test_an_empty_table_gives_an_empty_graph():
    table = TieTable.from_ties(PEOPLE, [])
    strengths = pair_strengths(table, at=AT)
    g = pair_graph(table, strengths)
    assert (len(table), g.vcount(), g.ecount(), table.latest()) == (0, 6, 0, None)
    assert table_digraph(table).ecount() == 0
