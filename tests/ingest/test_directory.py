"""HR directory rows -> entries -> people."""

from __future__ import annotations

import pytest

from ingest.directory import DirectoryEntry
from ingest.directory import address_book
from ingest.directory import directory_resolver
from ingest.directory import parse_directory_row
from ingest.directory import read_directory_csv
from ingest.directory import to_people
from ingest.errors import IngestError
from ingest.identity import pseudonym


def entries(path):
    return [
        parse_directory_row(row, source=str(path), record=r) for r, row in read_directory_csv(path)
    ]


def test_rows_are_canonicalised(data):
    ada = entries(data / "hr.csv")[0]
    assert ada == DirectoryEntry(
        person_id="1",
        name="Ada Lovelace",
        email="ada.lovelace@example.com",
        aliases=("ada@example.com", "a.lovelace@example.com"),
        department="Engineering",
        team="Platform",
        title="Head of Engineering",
        location="London",
    )


def test_people_have_manager_keys_and_it_flags(data, settings):
    people = {p.name: p for p in to_people(entries(data / "hr.csv"), settings)}
    ada = people["Ada Lovelace"]
    assert ada.key == pseudonym("ada.lovelace@example.com", settings.key)
    assert people["Grace Hopper"].manager == ada.key
    assert people["Katherine Johnson"].manager is None  # manager 9 is not in the file
    assert ada.is_it  # Engineering/Platform is listed in it_units
    assert people["Alan Turing"].is_it  # department IT
    assert not people["Hopper, Grace"].is_it  # column says false
    assert people["Linus Ops"].is_it  # column says true, department is not IT


def test_address_book_covers_aliases(data, settings):
    book = address_book(entries(data / "hr.csv"), settings)
    assert book["ada@example.com"] == book["ada.lovelace@example.com"]


@pytest.mark.parametrize(
    ("row", "reason", "field"),
    [
        (
            {"person_id": "1", "name": "A", "email": "nope", "department": "D", "team": "T"},
            "not an e-mail address",
            "email",
        ),
        (
            {"person_id": "1", "name": "", "email": "a@x.com", "department": "D", "team": "T"},
            "missing name",
            "name",
        ),
        (
            {
                "person_id": "1",
                "name": "A",
                "email": "a@x.com",
                "department": "D",
                "team": "T",
                "is_it": "maybe",
            },
            "not true/false",
            "is_it",
        ),
        (
            {
                "person_id": "1",
                "name": "A",
                "email": "a@x.com",
                "department": "D",
                "team": "T",
                "aliases": "a;;b@x.com;bad",
            },
            "not an e-mail address",
            "aliases",
        ),
    ],
)
def test_bad_rows(row, reason, field):
    with pytest.raises(IngestError) as info:
        parse_directory_row(row, source="hr.csv", record="2")
    assert (info.value.reason, info.value.field) == (reason, field)


def test_missing_columns_are_reported_on_the_header(tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text("person_id,name,email\n1,A,a@x.com\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        list(read_directory_csv(path))
    assert info.value.record == "header"
    assert info.value.field == "department, team"


def test_directory_resolver_knows_aliases(data, settings):
    resolver = directory_resolver(entries(data / "hr.csv"), settings)
    ada = pseudonym("ada.lovelace@example.com", settings.key)
    assert resolver.resolve("a.lovelace@example.com").key == ada
    assert resolver.resolve("ADA@example.com".lower()).key == ada
    assert resolver.drain_new_people() == []
