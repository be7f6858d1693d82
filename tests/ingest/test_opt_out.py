"""Opt-out lists and erasure marks in identity resolution (no store involved)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from datetime import datetime

import pytest

from ingest.errors import IngestError
from ingest.identity import AddressKind
from ingest.identity import Resolver
from ingest.identity import address_marks
from ingest.identity import erasure_marks
from ingest.identity import name_marks
from ingest.identity import pseudonym
from ingest.identity import read_opt_out
from ingest.records import Person
from ingest.tickets import TicketRow
from ingest.ties import ticket_ties


def test_opt_out_file_is_canonicalised_deduplicated_and_commented(tmp_path):
    listed = tmp_path / "opt-out.txt"
    listed.write_text(
        "\ufeff# opted out\n"
        "Alice@Example.com\n"
        "  <mailto:bob@example.com>   # asked on 2025-02-01\n"
        "\n"
        "alice@example.com\n"
        "odd#local@example.com\n",
        encoding="utf-8",
    )
    assert read_opt_out(listed) == [
        "alice@example.com",
        "bob@example.com",
        "odd#local@example.com",
    ]


def test_a_bad_line_names_its_number_not_its_value(tmp_path):
    listed = tmp_path / "opt-out.txt"
    listed.write_text("alice@example.com\nAlice Archer\n")
    with pytest.raises(IngestError) as caught:
        read_opt_out(listed)
    assert (caught.value.record, caught.value.field, caught.value.value) == ("2", "address", "")


def test_a_missing_opt_out_file_is_an_ingest_error(tmp_path):
    with pytest.raises(IngestError, match="cannot read the opt-out list"):
        read_opt_out(tmp_path / "nope.txt")


def test_marks_are_keyed_pseudonyms(settings):
    assert address_marks(["a@example.com"], settings.key) == {
        pseudonym("a@example.com", settings.key)
    }
    ada = Person("p_ada", "Ada Lovelace", aliases=("p_ada2",))
    marks = erasure_marks(ada, settings.key)
    assert {"p_ada", "p_ada2"} < marks
    assert marks - {"p_ada", "p_ada2"} == name_marks("Ada Lovelace", settings.key)
    assert pseudonym("form:alovelace", settings.key) in marks
    assert name_marks("", settings.key) == set()


def test_an_erased_address_resolves_to_its_mark(settings):
    mark = pseudonym("gone@example.com", settings.key)
    resolver = Resolver(settings, erased=[mark])
    assert resolver.classify("gone@example.com") is AddressKind.INTERNAL
    assert resolver.resolve("gone@example.com").key == mark
    assert resolver.resolve("gone@example.com").how == "erased"
    assert resolver.drain_new_people() == []


def test_an_erased_external_address_is_marked_too(settings):
    mark = pseudonym("partner@vendor.test", settings.key)
    resolver = Resolver(settings, erased=[mark])
    assert resolver.resolve("partner@vendor.test").key == mark


def test_a_name_form_of_an_erased_person_no_longer_creates_anyone(settings):
    marks = name_marks("Ada Lovelace", settings.key)
    resolver = Resolver(settings, erased=marks)
    found = resolver.resolve("alovelace@example.com")
    assert (found.key, found.how) == (pseudonym("form:alovelace", settings.key), "erased")
    assert resolver.drain_new_people() == []


def test_a_form_shared_with_an_erased_person_stays_ambiguous(settings):
    grace = Person(pseudonym("g.hopper2@example.com", settings.key), "Hopper, Grace")
    erased = name_marks("Grace Hopper", settings.key)
    before = Resolver(settings, [grace, Person("p_grace", "Grace Hopper")])
    after = Resolver(settings, [grace], erased=erased)
    assert before.resolve("ghopper@example.com").how == "created"
    assert after.resolve("ghopper@example.com") == before.resolve("ghopper@example.com")


def test_ticket_labels_naming_an_erased_person_make_no_person(settings):
    erased = name_marks("Linus Ops", settings.key)
    resolver = Resolver(settings, [Person("p_alan", "Alan Turing")], erased=erased)
    row = TicketRow(
        "INC1",
        requester="Alan Turing",
        assignee="Linus Ops",
        opened_at=datetime(2025, 1, 2, tzinfo=UTC),
    )
    notes: Counter[str] = Counter()
    [tie] = ticket_ties(row, resolver, namespace="tickets:servicenow", notes=notes)
    assert (tie.source, tie.target) == ("p_alan", pseudonym("name:linus ops", settings.key))
    assert resolver.drain_new_people() == []


def test_an_erased_label_person_is_not_created_again(settings):
    token = pseudonym("tickets:servicenow:Caller 7", settings.key)
    resolver = Resolver(settings, erased=[token])
    found = resolver.resolve_label("Caller 7", "tickets:servicenow")
    assert (found.key, found.how) == (token, "erased")
    assert resolver.drain_new_people() == []
