"""The analysis table, person graph and team sums from tie columns equal those from Tie records."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analysis.build import person_graph
from analysis.build import person_graph_of_columns
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


def assert_same_graph(a, b) -> None:
    assert a.vcount() == b.vcount() and a.get_edgelist() == b.get_edgelist()
    for name in ("name", "team", "department", "is_it"):
        assert a.vs[name] == b.vs[name], name
    assert a.es["weight"] == b.es["weight"] and a.es["count"] == b.es["count"]  # to the last bit
    assert all(type(n) is int for n in a.es["count"])


@settings(max_examples=120, deadline=None)
@given(ties_strategy, st.randoms(use_true_random=False))
def test_from_columns_equals_from_ties(ties, rnd):
    shuffled = list(ties)
    rnd.shuffle(shuffled)
    columns = TieColumns.from_ties(shuffled)
    assert list(columns.ties()) == shuffled
    expected = TieTable.from_ties(PEOPLE, shuffled)
    assert_same_table(TieTable.from_columns(PEOPLE, columns), expected)
    # and the person graph of the same columns, against the record loop
    assert_same_graph(person_graph_of_columns(PEOPLE, columns), person_graph(PEOPLE, shuffled))


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


# --- the person graph from columns -------------------------------------------------------------


def test_person_graph_of_columns_with_outsiders_self_ties_and_unused_keys():
    rng = random.Random(5)
    keys = [f"k{n:03d}" for n in range(50)]
    people = [
        Person(k, team=f"T{n % 4}", department="D", is_it=n < 5) for n, k in enumerate(keys[:40])
    ]
    ties = [
        Tie(rng.choice(keys), rng.choice(keys), rng.choice(list(Channel)), rng.randrange(1, 9),
            rng.random() * 3, AT, AT, f"2025-{rng.randrange(1, 13):02d}")
        for _ in range(4000)
    ]  # fmt: skip
    columns = TieColumns.from_ties(ties)
    padded = TieColumns(
        ("a_unused", *columns.keys), columns.months, columns.source + 1, columns.target + 1,
        columns.channel, columns.month, columns.count, columns.weight, columns.first_seen,
        columns.last_seen,
    )  # fmt: skip
    expected = person_graph(people, ties)
    assert expected.ecount() > 500
    for given_columns in (columns, padded):
        assert_same_graph(person_graph_of_columns(reversed(people), given_columns), expected)
    empty = TieColumns.from_ties([])
    assert_same_graph(person_graph_of_columns(people, empty), person_graph(people, []))
    assert_same_graph(person_graph_of_columns([], columns), person_graph([], ties))


def test_team_channels_from_columns_count_events_between_teams_per_channel():
    from collections import Counter

    from web.params import team_channels

    rng = random.Random(9)
    keys = [f"k{n:03d}" for n in range(50)]
    teams = ["Ops/B", "Ops/A", "IT/Desk", ""]  # not in name order; "" is no team
    people = [Person(k, team=teams[n % 4].split("/")[-1], department=teams[n % 4].split("/")[0])
              for n, k in enumerate(keys[:40])]  # fmt: skip
    ties = [
        Tie(rng.choice(keys), rng.choice(keys), rng.choice(list(Channel)), rng.randrange(1, 9),
            1.0, AT, AT, f"2025-{rng.randrange(1, 13):02d}")
        for _ in range(3000)
    ]  # fmt: skip
    team_of = {p.key: p.team_key for p in people if p.team}
    expected: dict = {}
    for t in ties:  # the record loop the columns replace
        a, b = team_of.get(t.source), team_of.get(t.target)
        if a and b and a != b:
            expected.setdefault(tuple(sorted((a, b))), Counter())[t.channel.value] += t.count
    found = team_channels(people, TieColumns.from_ties(ties))
    assert found == expected and len(found) == 3
    assert all(type(n) is int for mix in found.values() for n in mix.values())
    assert team_channels(people, TieColumns.from_ties([])) == {}
    assert team_channels([], TieColumns.from_ties(ties)) == {}


def test_team_graph_sums_like_a_loop_over_the_edges():
    """analysis.maps.team_graph (numpy) against the plain loop it replaced."""
    from collections import Counter

    from analysis.maps import team_graph

    rng = random.Random(3)
    keys = [f"k{n:03d}" for n in range(80)]
    people = [Person(k, team=f"T{n % 7}" if n % 9 else "", department=f"D{n % 3}",
                     is_it=n % 3 == 0) for n, k in enumerate(keys)]  # fmt: skip
    ties = [
        Tie(rng.choice(keys), rng.choice(keys), rng.choice(list(Channel)), rng.randrange(1, 9),
            rng.random() * 2, AT, AT, "2025-01")
        for _ in range(2500)
    ]  # fmt: skip
    graph = person_graph(people, ties)
    teams = team_graph(graph)
    team_of = graph.vs["team"]
    names = sorted({t for t in team_of if t})
    internal: Counter = Counter()
    weight: Counter = Counter()
    count: Counter = Counter()
    pairs: Counter = Counter()
    for edge in graph.es:
        a, b = team_of[edge.source], team_of[edge.target]
        if a and b and a == b:
            internal[a] += edge["weight"]
        elif a and b:
            key = tuple(sorted((names.index(a), names.index(b))))
            weight[key] += edge["weight"]
            count[key] += edge["count"]
            pairs[key] += 1
    assert teams.vs["name"] == names
    assert teams.vs["internal_weight"] == [float(internal[t]) for t in names]
    assert teams.get_edgelist() == sorted(weight)
    assert teams.es["weight"] == [weight[e] for e in sorted(weight)]  # to the last bit
    assert teams.es["count"] == [count[e] for e in sorted(weight)]
    assert teams.es["pairs"] == [pairs[e] for e in sorted(weight)]
    assert teams.vs["size"] == [sum(t == name for t in team_of) for name in names]
    empty = team_graph(person_graph(people, []))
    assert empty.vcount() == len(names) > 7 and empty.ecount() == 0
    assert empty.vs["internal_weight"] == [0.0] * len(names)
    assert team_graph(person_graph([], [])).vcount() == 0
