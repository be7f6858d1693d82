"""Tie strength: decay, percentile ranks, reciprocity, multiplexity and the composite."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analysis.build import person_graph
from analysis.build import strength_graph
from analysis.strength import DEFAULT_HALF_LIFE_DAYS
from analysis.strength import tie_strengths
from ingest.records import Channel
from ingest.records import Person
from ingest.records import Tie

AT = datetime(2025, 6, 30, tzinfo=UTC)


def tie(a, b, channel=Channel.EMAIL, *, count=1, weight=None, days_ago=0.0):
    last = AT - timedelta(days=days_ago)
    return Tie(a, b, channel, count, float(count if weight is None else weight), last, last)


@pytest.mark.parametrize(("channel", "half_life"), sorted(DEFAULT_HALF_LIFE_DAYS.items()))
def test_a_contact_one_half_life_ago_counts_half(channel, half_life):
    s = tie_strengths([tie("a", "b", channel, count=4, days_ago=half_life)], at=AT)
    assert s["a", "b"].channels[0].decayed_ab == pytest.approx(2.0)


def test_half_life_can_be_configured_per_channel():
    s = tie_strengths(
        [tie("a", "b", Channel.TICKET, count=8, days_ago=20)],
        at=AT,
        half_life_days={Channel.TICKET: 10},
    )
    assert s["a", "b"].channels[0].decayed == pytest.approx(2.0)


def test_month_buckets_of_one_pair_add_up():
    ties = [tie("a", "b", days_ago=0), tie("a", "b", count=2, days_ago=30)]
    part = tie_strengths(ties, at=AT)["a", "b"].channels[0]
    assert (part.count_ab, part.decayed_ab) == (3, pytest.approx(1.0 + 1.0))
    assert part.first_seen == AT - timedelta(days=30) and part.last_seen == AT


def test_weight_not_count_is_decayed():
    """A broadcast diluted by the ingestor keeps its dilution."""
    part = tie_strengths([tie("a", "b", count=4, weight=0.5)], at=AT)["a", "b"].channels[0]
    assert (part.count_ab, part.decayed_ab) == (4, 0.5)


def test_percentile_is_the_empirical_cdf_within_the_channel():
    ties = [tie("a", "b"), tie("a", "c", count=2), tie("a", "d", count=2)]
    s = tie_strengths(ties, at=AT)
    assert [s[p].channels[0].percentile for p in [("a", "b"), ("a", "c"), ("a", "d")]] == [
        pytest.approx(1 / 3),
        1.0,
        1.0,
    ]


def test_percentiles_are_ranked_within_each_channel_separately():
    ties = [tie("a", "b", Channel.EMAIL, count=50), tie("a", "c", Channel.CHAT, count=1)]
    s = tie_strengths(ties, at=AT)
    assert s["a", "b"].channels[0].percentile == s["a", "c"].channels[0].percentile == 1.0


def test_reciprocity_is_min_over_max_of_decayed_weight_each_way():
    ties = [tie("b", "a", count=3), tie("a", "b", count=1), tie("a", "c", count=5)]
    s = tie_strengths(ties, at=AT)
    ab = s["a", "b"]
    assert (ab.a, ab.b, ab.channels[0].count_ab, ab.channels[0].count_ba) == ("a", "b", 1, 3)
    assert ab.reciprocity == pytest.approx(1 / 3)
    assert s["a", "c"].reciprocity == 0.0


def test_composite_follows_the_formula():
    # email both ways (only email pair: ŵ = 1), meeting one way, chat far below threshold
    ties = [
        tie("a", "b", Channel.EMAIL, count=2),
        tie("b", "a", Channel.EMAIL, count=2),
        tie("a", "b", Channel.MEETING, count=1),
        tie("a", "b", Channel.CHAT, count=1, days_ago=300),
    ]
    s = tie_strengths(ties, at=AT, channel_weights={Channel.MEETING: 2.0}, beta=0.5)["a", "b"]
    assert s.multiplexity == 2  # chat decayed to 2^-10, below 0.25
    assert s.reciprocity == pytest.approx(2 / (3 + 2**-10))  # a sent 2 + 1 + 2^-10, b sent 2
    # every channel is the only (so top) pair of its channel: ŵ = 1; α = 1, 2, 1
    assert s.strength == pytest.approx((1 + 2 * 1 + 1) * (0.5 + 0.5 * s.reciprocity) * 1.5)


def test_a_tie_below_the_threshold_everywhere_is_not_penalised():
    s = tie_strengths([tie("a", "b", days_ago=400)], at=AT)["a", "b"]
    assert s.multiplexity == 0
    assert s.strength == pytest.approx(1.0 * 0.5)  # ŵ = 1, one-way, factor 1 (not 1 − β)


def test_self_ties_are_ignored():
    assert tie_strengths([tie("a", "a", count=9)], at=AT) == {}


def test_explain_names_every_component():
    ties = [tie("a", "b", count=2, days_ago=3), tie("b", "a", Channel.MEETING, days_ago=1)]
    s = tie_strengths(ties, at=AT)["a", "b"]
    r = 2 ** (-1 / 60) / (2 * 2 ** (-3 / 30))
    assert s.reciprocity == pytest.approx(r)
    assert s.strength == pytest.approx(2 * (0.5 + 0.5 * r) * 1.25)
    assert s.explain() == (
        "email 2 (2 a→b, 0 b→a), last 2025-06-27, p100; "
        "meeting 1 (0 a→b, 1 b→a), last 2025-06-29, p100; "
        "reciprocity 0.53, 2 channel(s), strength 1.91"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": datetime(2025, 6, 30)}, "timezone-aware"),
        ({"at": AT - timedelta(days=1)}, "after at="),
        ({"at": AT, "half_life_days": {Channel.EMAIL: 0}}, "positive"),
    ],
)
def test_bad_inputs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tie_strengths([tie("a", "b")], **kwargs)


def test_no_ties_no_strengths():
    assert tie_strengths([], at=AT) == {}


pairs = st.tuples(st.sampled_from("abcde"), st.sampled_from("abcde"))
ties_strategy = st.lists(
    st.builds(
        lambda pair, channel, count, days: tie(*pair, channel, count=count, days_ago=days),
        pairs,
        st.sampled_from(list(Channel)),
        st.integers(1, 20),
        st.floats(0, 400),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(ties_strategy)
def test_components_stay_in_range(ties):
    for s in tie_strengths(ties, at=AT).values():
        assert s.a < s.b
        assert 0 <= s.reciprocity <= 1
        assert 0 <= s.multiplexity <= len(s.channels) <= 4
        assert all(0 < c.percentile <= 1 for c in s.channels)
        assert 0 < s.strength <= 4 * (1 + 0.25 * 3)
        assert s.count == sum(t.count for t in ties if {t.source, t.target} == {s.a, s.b})


def test_strength_graph_has_the_person_graph_vertices_and_composite_weights():
    people = [Person("a", department="D", team="T", is_it=True), Person("b"), Person("c")]
    ties = [tie("a", "b", count=2), tie("b", "a"), tie("a", "zz")]
    strengths = tie_strengths(ties, at=AT)
    g = strength_graph(people, strengths)
    reference = person_graph(people, ties)
    for attr in ("name", "team", "department", "is_it"):
        assert g.vs[attr] == reference.vs[attr]
    assert g.get_edgelist() == [(0, 1)]  # "zz" is not a person; "c" stays an isolate
    assert g.es["weight"] == [strengths["a", "b"].strength]
    assert (g.es["count"], g.es["reciprocity"], g.es["multiplexity"]) == ([3], [0.5], [1])
