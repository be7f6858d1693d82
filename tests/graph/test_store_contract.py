"""The store contract, run against the embedded store and a real Neo4j alike."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from graph.base import IngestRun
from graph.base import Subject
from graph.errors import InvalidInput
from graph.errors import NotFound
from graph.errors import StoreError
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import Team
from ingest.records import TicketFact

ALICE = Person(
    "p_alice", "Alice Archer", "Finance", "Payables", "Clerk", False, "p_carol", ("p_aa", "p_a2")
)
BOB = Person("p_bob", "Bob Baker", "IT", "Service Desk", "Analyst", True, None)
CAROL = Person("p_carol", "Carol Cole", "Finance", "Controlling", "Head of Finance", False, None)
DAN = Person("p_dan", "Dan Dunn", "IT", "Infrastructure", "Engineer", True, "p_bob")
PEOPLE = [ALICE, BOB, CAROL, DAN]


def at(month: int, day: int = 10, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, 30, tzinfo=UTC)


def mail(source: str, target: str, when: datetime, ref: str, weight: float = 1.0) -> Interaction:
    return Interaction(source, target, Channel.EMAIL, when, ref, weight)


@pytest.fixture
def loaded(store):
    store.upsert_people(PEOPLE)
    return store


def tie_table(store, **window) -> dict:
    return {
        (t.source, t.target, t.channel.value): (t.count, t.weight, t.first_seen, t.last_seen)
        for t in store.ties(**window)
    }


# -- people and teams -------------------------------------------------------------------


def test_people_round_trip(loaded):
    assert list(loaded.people()) == sorted(PEOPLE, key=lambda p: p.key)
    assert loaded.person("p_dan") == DAN


def test_teams_follow_people(loaded):
    assert list(loaded.teams()) == [
        Team("Finance/Controlling", "Controlling", "Finance", False),
        Team("Finance/Payables", "Payables", "Finance", False),
        Team("IT/Infrastructure", "Infrastructure", "IT", True),
        Team("IT/Service Desk", "Service Desk", "IT", True),
    ]


def test_upsert_updates_in_place_and_moves_teams(loaded):
    moved = Person(
        "p_alice", "Alice Archer-Smith", "Finance", "Controlling", "Analyst", False, "p_carol"
    )
    assert loaded.upsert_people([moved]) == 1
    assert loaded.person("p_alice") == moved
    assert [t.key for t in loaded.teams()] == [
        "Finance/Controlling",
        "IT/Infrastructure",
        "IT/Service Desk",
    ]
    counts = loaded.counts()
    assert (counts.people, counts.teams, counts.departments) == (4, 3, 2)


def test_missing_person_is_not_found(loaded):
    with pytest.raises(NotFound, match="p_nobody"):
        loaded.person("p_nobody")


# -- interactions: idempotence and aggregation --------------------------------------------


def test_ties_aggregate_per_pair_and_channel(loaded):
    added = loaded.add_interactions(
        [
            mail("p_alice", "p_bob", at(3), "m1"),
            mail("p_alice", "p_bob", at(3, 20), "m2", 0.5),
            mail("p_alice", "p_bob", at(4), "m3"),
            mail("p_bob", "p_alice", at(4), "m4"),
            Interaction("p_alice", "p_bob", Channel.TICKET, at(5), "INC1"),
        ]
    )
    assert added == 5
    ties = tie_table(loaded)
    assert ties[("p_alice", "p_bob", "email")] == (3, 2.5, at(3), at(4))
    assert ties[("p_bob", "p_alice", "email")] == (1, 1.0, at(4), at(4))
    assert ties[("p_alice", "p_bob", "ticket")] == (1, 1.0, at(5), at(5))
    assert len(ties) == 3


def test_monthly_buckets(loaded):
    loaded.add_interactions(
        [mail("p_alice", "p_bob", at(3), "m1"), mail("p_alice", "p_bob", at(4), "m2")]
    )
    months = [(t.month, t.count) for t in loaded.ties(by_month=True)]
    assert months == [("2025-03", 1), ("2025-04", 1)]


def test_re_adding_the_same_events_changes_nothing(loaded):
    batch = [mail("p_alice", "p_bob", at(3), "m1"), mail("p_alice", "p_carol", at(3), "m1")]
    assert loaded.add_interactions(batch) == 2
    before = (tie_table(loaded), loaded.counts())
    assert loaded.add_interactions(batch) == 0
    assert loaded.add_interactions(reversed(batch)) == 0
    assert (tie_table(loaded), loaded.counts()) == before


def test_duplicates_inside_one_call_count_once(loaded):
    event = mail("p_alice", "p_bob", at(3), "m1")
    assert loaded.add_interactions([event, event, event]) == 1
    assert tie_table(loaded)[("p_alice", "p_bob", "email")][0] == 1


def test_same_ref_between_other_people_is_another_event(loaded):
    added = loaded.add_interactions(
        [mail("p_alice", "p_bob", at(3), "m1"), mail("p_alice", "p_dan", at(3), "m1")]
    )
    assert added == 2


def test_timestamps_are_kept_in_utc_to_the_second(loaded):
    local = datetime(2025, 3, 31, 23, 30, 15, 999_000, tzinfo=timezone(timedelta(hours=-5)))
    loaded.add_interactions([mail("p_alice", "p_bob", local, "late")])
    (tie,) = loaded.ties(by_month=True)
    assert tie.month == "2025-04"
    assert tie.first_seen == datetime(2025, 4, 1, 4, 30, 15, tzinfo=UTC)


def test_large_batches_span_many_chunks(loaded):
    events = [
        mail("p_alice", "p_bob", at(1 + i % 12, 1 + i % 28), f"bulk-{i}") for i in range(25_000)
    ]
    assert loaded.add_interactions(events) == 25_000
    assert loaded.add_interactions(events[-100:]) == 0
    assert tie_table(loaded)[("p_alice", "p_bob", "email")][0] == 25_000
    assert loaded.counts().interactions == 25_000


# -- windows and channel filters --------------------------------------------------------------


@pytest.fixture
def year(loaded):
    loaded.add_interactions(
        [
            mail("p_alice", "p_bob", at(1), "jan"),
            mail("p_alice", "p_bob", at(2), "feb"),
            mail("p_alice", "p_bob", at(6), "jun"),
            Interaction("p_carol", "p_dan", Channel.MEETING, at(2), "weekly@2025-02", 0.5),
            Interaction("p_alice", "p_dan", Channel.TICKET, at(7), "INC7"),
        ]
    )
    return loaded


def test_window_is_half_open_in_whole_months(year):
    ties = tie_table(year, since=date(2025, 2, 1), until=date(2025, 6, 1))
    assert ties == {
        ("p_alice", "p_bob", "email"): (1, 1.0, at(2), at(2)),
        ("p_carol", "p_dan", "meeting"): (1, 0.5, at(2), at(2)),
    }


def test_open_ended_windows(year):
    assert set(tie_table(year, since=date(2025, 6, 1))) == {
        ("p_alice", "p_bob", "email"),
        ("p_alice", "p_dan", "ticket"),
    }
    assert tie_table(year, until=date(2025, 2, 1)) == {
        ("p_alice", "p_bob", "email"): (1, 1.0, at(1), at(1))
    }


def test_channel_filter(year):
    ties = tie_table(year, channels=[Channel.MEETING, Channel.TICKET])
    assert set(ties) == {("p_carol", "p_dan", "meeting"), ("p_alice", "p_dan", "ticket")}
    assert tie_table(year, channels=[]) == {}


def test_counts_per_channel(year):
    counts = year.counts().as_dict()
    assert counts["interactions"] == 5
    assert counts["channels"] == {
        "email": {"interactions": 3, "pairs": 1},
        "meeting": {"interactions": 1, "pairs": 1},
        "ticket": {"interactions": 1, "pairs": 1},
    }


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"since": date(2025, 2, 15)}, "since"),
        ({"until": datetime(2025, 2, 1, tzinfo=UTC)}, "until"),
        ({"since": date(2025, 5, 1), "until": date(2025, 5, 1)}, "until"),
        ({"since": "2025-01"}, "since"),
    ],
)
def test_bad_windows_are_rejected(year, window, field):
    with pytest.raises(InvalidInput) as caught:
        list(year.ties(**window))
    assert caught.value.field == field


def test_unknown_channel_in_filter(year):
    with pytest.raises(InvalidInput, match="unknown channel"):
        list(year.ties(channels=["fax"]))


# -- bad input: clear errors, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        (Interaction("p_alice", "p_bob", "fax", at(3), "x"), "channel", "unknown channel"),
        (
            Interaction("p_alice", "p_bob", Channel.EMAIL, datetime(2025, 3, 1), "x"),
            "timestamp",
            "timezone-aware",
        ),
        (
            Interaction("p_alice", "p_bob", Channel.EMAIL, "2025-03-01", "x"),
            "timestamp",
            "datetime",
        ),
        (Interaction("p_alice", "p_alice", Channel.EMAIL, at(3), "x"), "target", "two people"),
        (Interaction("p_alice", "p_bob", Channel.EMAIL, at(3), ""), "ref", "required"),
        (Interaction("p_alice", "p_bob", Channel.EMAIL, at(3), "x", -1.0), "weight", "positive"),
        (
            Interaction("p_alice", "p_bob", Channel.EMAIL, at(3), "x", float("nan")),
            "weight",
            "finite",
        ),
        (Interaction("p_alice", "p_ghost", Channel.EMAIL, at(3), "x"), "target", "no such person"),
        (Interaction("p_ghost", "p_bob", Channel.EMAIL, at(3), "x"), "source", "no such person"),
    ],
)
def test_bad_interaction_names_record_and_field_and_writes_nothing(loaded, bad, field, message):
    loaded.add_interactions([mail("p_alice", "p_bob", at(1), "kept")])
    before = (tie_table(loaded), loaded.counts())
    good = [mail("p_carol", "p_dan", at(2), f"g{i}") for i in range(3)]
    with pytest.raises(InvalidInput, match=message) as caught:
        loaded.add_interactions([*good, bad, *good])
    assert caught.value.record == 3
    assert caught.value.field == field
    assert "record 3" in str(caught.value)
    assert (tie_table(loaded), loaded.counts()) == before


def test_bad_record_in_a_later_chunk_rolls_back_the_whole_call(loaded):
    events = [mail("p_alice", "p_bob", at(2), f"c{i}") for i in range(12_000)]
    events.append(mail("p_alice", "p_nobody", at(2), "bad"))
    with pytest.raises(InvalidInput) as caught:
        loaded.add_interactions(events)
    assert caught.value.record == 12_000
    assert loaded.counts().interactions == 0
    assert loaded.add_interactions(events[:-1]) == 12_000


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (Person(""), "key"),
        (Person("p_x", team="Orphans"), "department"),
        (Person("p_x", name=None), "name"),
        (Person("p_x", is_it="yes"), "is_it"),
        (Person("p_x", aliases=["p_y"]), "aliases"),
        (Person("p_x", aliases=("",)), "aliases"),
    ],
)
def test_bad_person_is_rejected_and_nothing_is_written(store, bad, field):
    with pytest.raises(InvalidInput) as caught:
        store.upsert_people([ALICE, bad])
    assert (caught.value.record, caught.value.field) == (1, field)
    assert list(store.people()) == []


# -- scores -----------------------------------------------------------------------------------


def test_scores_round_trip_and_replace(loaded):
    assert loaded.write_scores(Subject.PERSON, {"p_alice": {"degree": 2, "liaison": 0.25}}) == 2
    loaded.write_scores(Subject.PERSON, {"p_alice": {"degree": 3}})
    loaded.write_scores(Subject.TEAM, {"IT/Service Desk": {"ei_index": -0.5}})
    loaded.write_scores(Subject.DEPARTMENT, {"Finance": {"liaison_volume": 12.5}})
    assert loaded.scores(Subject.PERSON) == {"p_alice": {"degree": 3.0, "liaison": 0.25}}
    assert loaded.scores(Subject.TEAM) == {"IT/Service Desk": {"ei_index": -0.5}}
    assert loaded.scores(Subject.DEPARTMENT) == {"Finance": {"liaison_volume": 12.5}}


@pytest.mark.parametrize(
    ("scores", "error"),
    [
        ({"p_alice": {"Bad Name": 1.0}}, InvalidInput),
        ({"p_alice": {"degree": float("inf")}}, InvalidInput),
        ({"p_ghost": {"degree": 1.0}}, NotFound),
        ({"p_alice": {"degree": 1.0}, "p_ghost": {"degree": 1.0}}, NotFound),
    ],
)
def test_bad_scores_are_rejected(loaded, scores, error):
    with pytest.raises(error):
        loaded.write_scores(Subject.PERSON, scores)
    assert loaded.scores(Subject.PERSON) == {}


@pytest.mark.parametrize(
    ("subject", "key"), [(Subject.TEAM, "IT/Nowhere"), (Subject.DEPARTMENT, "Nowhere")]
)
def test_scores_of_unknown_groups_are_not_found(loaded, subject, key):
    with pytest.raises(NotFound):
        loaded.write_scores(subject, {key: {"ei_index": 0.0}})
    assert loaded.scores(subject) == {}


# -- erasure ----------------------------------------------------------------------------------


def test_erasure_removes_person_ties_events_and_scores(year):
    year.write_scores(Subject.PERSON, {"p_dan": {"degree": 2}, "p_bob": {"degree": 1}})
    erased = year.erase_person("p_dan")
    assert (erased.ties, erased.events, erased.scores) == (2, 2, 1)
    assert "p_dan" not in {p.key for p in year.people()}
    assert all("p_dan" not in (t.source, t.target) for t in year.ties())
    assert year.scores(Subject.PERSON) == {"p_bob": {"degree": 1.0}}
    assert [t.key for t in year.teams()] == [
        "Finance/Controlling",
        "Finance/Payables",
        "IT/Service Desk",
    ]
    assert year.counts().interactions == 3


def test_erasure_takes_scores_of_emptied_groups_along(loaded):
    loaded.write_scores(
        Subject.TEAM, {"IT/Infrastructure": {"size": 1}, "IT/Service Desk": {"size": 1}}
    )
    loaded.erase_person("p_dan")
    assert loaded.scores(Subject.TEAM) == {"IT/Service Desk": {"size": 1.0}}


def test_erasure_forgets_the_person_as_manager(loaded):
    loaded.erase_person("p_carol")
    assert loaded.person("p_alice").manager is None


def test_erased_events_can_be_stored_again_once_the_person_returns(year):
    year.erase_person("p_dan")
    year.upsert_people([DAN])
    assert (
        year.add_interactions([Interaction("p_alice", "p_dan", Channel.TICKET, at(7), "INC7")]) == 1
    )


def test_erasing_an_unknown_person_is_not_found(loaded):
    with pytest.raises(NotFound):
        loaded.erase_person("p_ghost")


def test_clear_empties_the_store(year):
    year.clear()
    assert year.counts().as_dict() == {
        "people": 0,
        "teams": 0,
        "departments": 0,
        "interactions": 0,
        "channels": {},
    }


# -- units of work --------------------------------------------------------------------------


def test_atomic_commits_people_and_interactions_together(store):
    with store.atomic():
        store.upsert_people(PEOPLE)
        store.add_interactions([mail("p_alice", "p_bob", at(3), "m1")])
    assert store.counts().interactions == 1
    assert len(list(store.people())) == 4


def test_an_exception_in_atomic_rolls_everything_back(store):
    store.upsert_people([ALICE])
    with pytest.raises(RuntimeError, match="mid-file"):
        with store.atomic():
            store.upsert_people([BOB, CAROL, DAN])
            store.add_interactions([mail("p_alice", "p_bob", at(3), "m1")])
            raise RuntimeError("mid-file failure")
    assert [p.key for p in store.people()] == ["p_alice"]
    assert store.counts().interactions == 0


def test_a_failed_write_spoils_the_unit_even_if_caught(loaded):
    with pytest.raises(StoreError, match="nothing was committed"):
        with loaded.atomic():
            loaded.add_interactions([mail("p_alice", "p_bob", at(3), "m1")])
            with pytest.raises(InvalidInput):
                loaded.add_interactions([mail("p_alice", "p_ghost", at(3), "m2")])
    assert loaded.counts().interactions == 0


def test_atomic_blocks_do_not_nest(store):
    with pytest.raises(StoreError, match="do not nest"):
        with store.atomic(), store.atomic():
            pass


# -- ingest ledger and snapshots ------------------------------------------------------------


def run(n: int, status: str = "ok", **report) -> IngestRun:
    started = datetime(2025, 6, 1, 12, n, tzinfo=UTC)
    return IngestRun(f"run-{n}", "email", f"mail-{n}.mbox", status, started, started, report)


def test_runs_are_listed_newest_first_with_their_reports(store):
    store.record_run(run(1, read=10, skipped={"no Date": 2}))
    store.record_run(
        IngestRun("run-2", "tickets", "t.csv", "failed", at(5), at(5), {}, "bad header")
    )
    store.record_run(run(3, read=5))
    runs = store.runs()
    assert [r.id for r in runs] == ["run-3", "run-1", "run-2"]
    assert runs[1].report == {"read": 10, "skipped": {"no Date": 2}}
    assert runs[1].started == datetime(2025, 6, 1, 12, 1, tzinfo=UTC)
    assert runs[2].error == "bad header" and runs[2].status == "failed"
    assert [r.id for r in store.runs(limit=1)] == ["run-3"]


def test_a_run_recorded_inside_a_rolled_back_unit_is_gone(store):
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.record_run(run(1))
            raise RuntimeError("boom")
    assert store.runs() == []


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (IngestRun("r", "email", "x", "maybe", at(1), at(1), {}), "status"),
        (IngestRun("r", "email", "x", "ok", datetime(2025, 1, 1), at(1), {}), "started"),
        (IngestRun("r", "email", "x", "ok", at(1), at(1), {"x": float("nan")}), "report"),
        (IngestRun("", "email", "x", "ok", at(1), at(1), {}), "id"),
    ],
)
def test_bad_runs_are_rejected(store, bad, field):
    with pytest.raises(InvalidInput) as caught:
        store.record_run(bad)
    assert caught.value.field == field
    assert store.runs() == []


def test_snapshots_are_versioned_per_kind(store):
    first = store.save_snapshot("liaison", {"Finance": {"score": 40.5}, "params": {"seed": 1}})
    second = store.save_snapshot("liaison", {"Finance": {"score": 42.0}})
    other = store.save_snapshot("isolation", {"teams": []})
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert store.snapshot("liaison").data == {"Finance": {"score": 42.0}}
    assert store.snapshot("liaison", 1).data == {"Finance": {"score": 40.5}, "params": {"seed": 1}}
    assert store.snapshot("liaison", 1).created == first.created
    assert store.snapshot_versions("liaison") == [1, 2]
    assert store.snapshot_versions("nothing") == []


def test_missing_and_bad_snapshots(store):
    with pytest.raises(NotFound):
        store.snapshot("liaison")
    store.save_snapshot("liaison", {})
    with pytest.raises(NotFound, match="version 9"):
        store.snapshot("liaison", 9)
    with pytest.raises(InvalidInput):
        store.save_snapshot("Bad Kind", {})
    with pytest.raises(InvalidInput):
        store.save_snapshot("liaison", {"when": datetime(2025, 1, 1)})
    assert store.snapshot_versions("liaison") == [1]


# -- ticket service facts -------------------------------------------------------------------


def fact(ref: str, requester: str | None = "p_alice", **kw) -> TicketFact:
    values = {
        "group": "Service Desk",
        "opened": at(3),
        "resolved": at(3, 12),
        "reopen_count": 0,
        "satisfaction": None,
    }
    values.update(kw)
    return TicketFact("tickets:servicenow", ref, requester, **values)


def test_ticket_facts_round_trip_and_replace(loaded):
    facts = [fact("INC2", satisfaction=0.75), fact("INC1", None, resolved=None, reopen_count=2)]
    assert loaded.add_ticket_facts(facts) == 2
    assert list(loaded.ticket_facts()) == sorted(facts, key=lambda f: f.ref)
    loaded.add_ticket_facts([fact("INC2", "p_carol", group="Apps")])
    stored = {f.ref: f for f in loaded.ticket_facts()}
    assert len(stored) == 2 and (stored["INC2"].requester, stored["INC2"].group) == (
        "p_carol",
        "Apps",
    )
    assert stored["INC1"].hours_to_resolve is None and stored["INC2"].hours_to_resolve == 48.0


def test_erasure_forgets_the_requester_but_keeps_the_ticket(loaded):
    loaded.add_ticket_facts([fact("INC1")])
    loaded.erase_person("p_alice")
    assert [(f.ref, f.requester) for f in loaded.ticket_facts()] == [("INC1", None)]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (fact("INC9", opened=datetime(2025, 3, 1)), "opened"),
        (fact("INC9", satisfaction=4), "satisfaction"),
        (fact("INC9", reopen_count=-1), "reopen_count"),
        (fact(""), "ref"),
    ],
)
def test_bad_ticket_facts_are_rejected(loaded, bad, field):
    with pytest.raises(InvalidInput) as caught:
        loaded.add_ticket_facts([fact("INC1"), bad])
    assert (caught.value.record, caught.value.field) == (1, field)
    assert list(loaded.ticket_facts()) == []
