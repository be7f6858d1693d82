"""Errors raised by the ingest layer: specific, located, chained."""

from __future__ import annotations

from ingest.records import Skip


class IngestError(ValueError):
    """A record that cannot be read.

    ``source`` is the file, ``record`` the line number, message index or
    ticket id inside it, ``field`` the offending field and ``value`` its
    (shortened) value. ``reason`` is a short, stable description that reports
    count by, so keep variable data in ``value``. Raise it ``from`` the
    underlying error.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str,
        record: str | int = "",
        field: str = "",
        value: object = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source
        self.record = str(record)
        self.field = field
        self.value = _shorten(value)

    def __str__(self) -> str:
        return str(self.as_skip())

    def as_skip(self) -> Skip:
        """The report entry for this error (lenient mode)."""
        return Skip(
            source=self.source,
            record=self.record,
            field=self.field,
            reason=self.reason,
            value=self.value,
        )


def _shorten(value: object, limit: int = 120) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
