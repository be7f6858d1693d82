"""Errors the graph store raises. Callers never see a driver's exceptions."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error; ``status`` is the HTTP status it maps to."""

    status = 500


class InvalidInput(StoreError, ValueError):
    """A record handed to the store is not valid; nothing of its call was written.

    ``record`` is the record's position in the call (0-based), ``field`` the
    offending field and ``value`` its value.
    """

    status = 400

    def __init__(
        self, message: str, *, record: int | None = None, field: str = "", value: object = None
    ):
        self.record = record
        self.field = field
        self.value = value
        where = f"record {record}: " if record is not None else ""
        what = f"field {field!r}: " if field else ""
        super().__init__(f"{where}{what}{message}")


class NotFound(StoreError):
    """The requested person, team or snapshot does not exist."""

    status = 404


class Conflict(StoreError):
    """A write collided with a uniqueness rule."""

    status = 409


class StoreUnavailable(StoreError):
    """The database cannot be reached (Neo4j down, file locked)."""

    status = 503
