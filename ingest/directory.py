"""The HR directory: CSV rows -> :class:`DirectoryEntry` -> :class:`Person`."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.identity import IdentitySettings
from ingest.identity import Resolver
from ingest.identity import canonical_address
from ingest.identity import pseudonym
from ingest.records import Person
from ingest.tabular import readable

__all__ = [
    "DirectoryEntry",
    "address_book",
    "directory_resolver",
    "parse_directory_row",
    "read_directory_csv",
    "to_people",
]

REQUIRED_COLUMNS = ("person_id", "name", "email", "department", "team")
#: longest value of a field (Neo4j cannot index much longer keys, team and department names)
MAX_LENGTH = 1_000
_TRUE = frozenset({"true", "yes", "1", "y"})
_FALSE = frozenset({"false", "no", "0", "n"})


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One directory row; addresses are canonical. ``is_it`` is None when not given."""

    person_id: str
    name: str
    email: str
    aliases: tuple[str, ...] = ()
    department: str = ""
    team: str = ""
    title: str = ""
    manager_id: str = ""
    location: str = ""
    is_it: bool | None = None


def read_directory_csv(path: str | os.PathLike[str]) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Yield ``(line number, row)``; the header must name the required columns."""
    file = Path(path)
    with open(file, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        with readable(file, lambda: f"line {reader.line_num + 1}"):
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise IngestError(
                    "missing column", source=str(file), record="header", field=", ".join(missing)
                )
            for row in reader:
                yield str(reader.line_num), row


def parse_directory_row(
    row: Mapping[str, str | None], *, source: str, record: str
) -> DirectoryEntry:
    """Validate one row: required fields present, addresses valid, ``is_it`` boolean."""
    if None in row:
        raise IngestError("row has extra fields", source=source, record=record)
    values = {k: " ".join((v or "").split()) for k, v in row.items() if k is not None}
    for column in REQUIRED_COLUMNS:
        if not values.get(column):
            raise IngestError(f"missing {column}", source=source, record=record, field=column)
    for column, value in values.items():
        if len(value) > MAX_LENGTH:
            raise IngestError(
                f"longer than {MAX_LENGTH:,} characters",
                source=source,
                record=record,
                field=str(column),
                value=value,
            )
    email = _address(values["email"], field="email", source=source, record=record)
    aliases = tuple(
        _address(a, field="aliases", source=source, record=record)
        for a in values.get("aliases", "").split(";")
        if a.strip()
    )
    return DirectoryEntry(
        person_id=values["person_id"],
        name=values["name"],
        email=email,
        aliases=tuple(a for a in dict.fromkeys(aliases) if a != email),
        department=values["department"],
        team=values["team"],
        title=values.get("title", ""),
        manager_id=values.get("manager_id", ""),
        location=values.get("location", ""),
        is_it=_bool(values.get("is_it", ""), source=source, record=record),
    )


def _address(value: str, *, field: str, source: str, record: str) -> str:
    address = canonical_address(value)
    if address is None:
        raise IngestError(
            "not an e-mail address", source=source, record=record, field=field, value=value
        )
    return address


def _bool(value: str, *, source: str, record: str) -> bool | None:
    lowered = value.lower()
    if not lowered:
        return None
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise IngestError("not true/false", source=source, record=record, field="is_it", value=value)


def is_it_unit(entry: DirectoryEntry, it_units: Iterable[str]) -> bool:
    """The ``is_it`` column if given, else whether the department or
    ``department/team`` is listed in ``it_units`` (case-insensitive)."""
    if entry.is_it is not None:
        return entry.is_it
    units = {u.strip().casefold() for u in it_units}
    return entry.department.casefold() in units or (
        f"{entry.department}/{entry.team}".casefold() in units
    )


def to_people(entries: Iterable[DirectoryEntry], settings: IdentitySettings) -> list[Person]:
    """Directory entries as :class:`Person` records; ``manager`` is the manager's key.

    A ``manager_id`` that is not in ``entries`` leaves ``manager`` empty.
    """
    entries = list(entries)
    keys = {e.person_id: pseudonym(e.email, settings.key) for e in entries}
    return [
        Person(
            key=keys[e.person_id],
            name=e.name,
            department=e.department,
            team=e.team,
            title=e.title,
            is_it=is_it_unit(e, settings.it_units),
            manager=keys.get(e.manager_id) if e.manager_id else None,
            aliases=tuple(sorted({pseudonym(a, settings.key) for a in e.aliases})),
        )
        for e in entries
    ]


def address_book(entries: Iterable[DirectoryEntry], settings: IdentitySettings) -> dict[str, str]:
    """Canonical address (primary and aliases) -> person key."""
    book: dict[str, str] = {}
    for entry in entries:
        key = pseudonym(entry.email, settings.key)
        for address in (entry.email, *entry.aliases):
            book[address] = key
    return book


def directory_resolver(entries: Iterable[DirectoryEntry], settings: IdentitySettings) -> Resolver:
    """A :class:`Resolver` that knows every directory address, aliases included."""
    entries = list(entries)
    return Resolver(
        settings, to_people(entries, settings), addresses=address_book(entries, settings)
    )
