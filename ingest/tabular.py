"""Rows from CSV and JSON exports, and columns picked by name or dotted path.

Shared by the ticket and message-trace readers. CSV is read with the ``csv``
module (``utf-8-sig``, excel dialect); a header that repeats a column name
(Jira writes one ``Component/s`` column per component) keeps the first
non-empty value. JSON rows stay nested: a column such as
``fields.reporter.emailAddress`` is a path into the object, and a path
segment of digits indexes a list. ``.gz`` files are read transparently.

Files that are not what they claim stop with an :class:`IngestError` naming
the file and the line reached (:func:`readable`): text that is not UTF-8, a
damaged ``.gz``, a CSV field over the ``csv`` module's limit, JSON nested
deeper than the parser goes. JSON strings holding lone surrogates (legal
``\\ud800`` escapes, but not Unicode) get U+FFFD in their place.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import IO

from ingest.errors import IngestError

__all__ = [
    "ColumnMapping",
    "Row",
    "find_columns",
    "header_paths",
    "is_json",
    "lookup",
    "open_text",
    "parse_mapping",
    "read_csv_rows",
    "read_json_rows",
    "read_mapping",
    "read_rows",
    "readable",
]

#: a raw row: CSV columns or a (nested) JSON object
Row = Mapping[str, object]
#: keys that hold the list of items in API-shaped JSON exports
LIST_KEYS = ("result", "records", "issues", "tickets", "results", "messages")
#: longest ``name`` of a column mapping (it names the ticket system in stored keys)
MAX_NAME = 100
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@contextmanager
def readable(path: Path, where: Callable[[], str]) -> Iterator[None]:
    """Turn errors of reading a damaged export into an :class:`IngestError` naming ``path``.

    ``where`` names the record reading got to, such as ``line 7`` (called
    only when something fails); text that is not UTF-8 is located exactly,
    by the first physical line that does not decode. Decoding,
    decompression and CSV syntax errors are caught.
    """
    source = str(path)
    try:
        yield
    except UnicodeDecodeError as err:
        line = _first_bad_line(path)
        raise IngestError(
            "not UTF-8 text (save the export as UTF-8)",
            source=source,
            record=f"line {line}" if line else where(),
            value=repr(err.object[err.start : err.start + 8]),
        ) from err
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise IngestError("damaged gzip file", source=source, record=where(), value=err) from err
    except csv.Error as err:
        raise IngestError("malformed CSV", source=source, record=where(), value=err) from err


def _first_bad_line(path: Path) -> int | None:
    """The number of the first line of ``path`` that is not UTF-8, if it can be read."""
    try:
        with gzip.open(path) if path.suffix == ".gz" else open(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except (OSError, EOFError, zlib.error):
        return None
    return None


def open_text(path: Path) -> IO[str]:
    """Open a text export (``.gz`` allowed) for the ``csv`` module."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def is_json(path: Path) -> bool:
    """Whether an export is JSON, by its name (``.json`` or ``.json.gz``)."""
    return path.name.removesuffix(".gz").lower().endswith(".json")


def read_rows(path: Path) -> Iterator[tuple[str, Row, list[str]]]:
    """Yield ``(record, row, header)`` from a CSV or JSON export."""
    return read_json_rows(path) if is_json(path) else read_csv_rows(path)


def read_csv_rows(path: Path) -> Iterator[tuple[str, Row, list[str]]]:
    """Yield ``(line number, row, header)``; extra cells go under the key ``None``.

    Blank lines are skipped and short rows are padded with ``None``, as
    :class:`csv.DictReader` does.
    """
    with open_text(path) as handle:
        reader = csv.reader(handle, dialect="excel")
        with readable(path, lambda: f"line {reader.line_num + 1}"):
            header = next(reader, [])
            unique = list(dict.fromkeys(header))
            for cells in reader:
                if cells:
                    yield str(reader.line_num), _csv_row(header, cells), unique


def _csv_row(header: Sequence[str], cells: list[str]) -> dict[str | None, object]:
    row: dict[str | None, object] = {}
    for name, value in zip(header, cells, strict=False):
        if not row.get(name):
            row[name] = value
    for name in header[len(cells) :]:
        row.setdefault(name, None)
    if len(cells) > len(header):
        row[None] = cells[len(header) :]
    return row


def read_json_rows(path: Path) -> Iterator[tuple[str, Row, list[str]]]:
    """Yield ``(item number, object, paths)`` from a JSON export.

    The file is a list of objects, or an object holding that list under one
    of :data:`LIST_KEYS` (ServiceNow ``result``, Jira ``issues``, Zendesk
    ``tickets``/``results``). Item numbers are 1-based.
    """
    with open_text(path) as handle, readable(path, lambda: "file"):
        text = handle.read()
    data = _json(text, source=str(path))
    if isinstance(data, Mapping):
        data = next((data[k] for k in LIST_KEYS if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        raise IngestError("JSON is not a list of records", source=str(path), record="top level")
    paths: set[str] = set()
    for item in data:
        if isinstance(item, Mapping):
            paths.update(header_paths(item))
    header = sorted(paths)
    for index, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise IngestError("record is not an object", source=str(path), record=str(index))
        yield str(index), item, header


def _json(text: str, *, source: str) -> object:
    """Parse a JSON document; lone surrogates in its strings become U+FFFD."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise IngestError(
            "invalid JSON", source=source, record=f"line {err.lineno}", value=err.msg
        ) from err
    except RecursionError as err:
        raise IngestError("JSON nested too deeply", source=source, record="file") from err
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise IngestError("invalid JSON", source=source, record="file", value=err) from err
    return _without_surrogates(data) if _SURROGATE_ESCAPE.search(text) else data


def _without_surrogates(data: object) -> object:
    """``data`` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""

    def clean(value: object) -> object:
        return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value

    root: list[object] = [data]
    stack: list[list[object] | dict[object, object]] = [root]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            items = [(clean(k), v) for k, v in container.items()]
            container.clear()
            container.update((k, clean(v)) for k, v in items)
            children = list(container.values())
        else:
            container[:] = [clean(v) for v in container]
            children = container
        stack.extend(c for c in children if isinstance(c, list | dict))
    return root[0]


def header_paths(item: Mapping[str, object], prefix: str = "") -> Iterator[str]:
    """Every key and dotted path to a nested key of a JSON object (lists are leaves)."""
    stack: list[tuple[Mapping[str, object], str]] = [(item, prefix)]
    while stack:
        mapping, start = stack.pop()
        for key, value in mapping.items():
            path = f"{start}{key}"
            yield path
            if isinstance(value, Mapping):
                stack.append((value, f"{path}."))


def lookup(row: Row, column: str) -> object:
    """The value of a column, or of a dotted path into nested objects; ``None`` if absent."""
    if column in row:
        return row[column]
    value: object = row
    for part in column.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def find_columns(
    header: Sequence[str], wanted: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """For each field, the candidate columns present in ``header``, in preference order."""
    present = set(header)
    found = {f: tuple(c for c in columns if c in present) for f, columns in wanted.items()}
    return {f: c for f, c in found.items() if c}


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """A user-supplied column mapping for ticket or message-trace exports.

    ``columns`` maps canonical fields to columns (CSV headers or dotted JSON
    paths) in preference order; ``preset`` is the preset it extends
    (``None``: the mapping stands alone, or the preset is detected);
    ``name`` names the source system (ticket people known only by a label
    are keyed in ``tickets:<name>``); ``time_format`` is a ``strptime``
    format for every time column.
    """

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    preset: str | None = None
    name: str = "custom"
    time_format: str | None = None


def read_mapping(
    path: str | os.PathLike[str], *, fields: Sequence[str], presets: Collection[str]
) -> ColumnMapping:
    """Read a JSON mapping such as ``{"columns": {"number": "Ticket", "requester":
    ["Email", "Name"]}, "preset": "jira", "name": "helpdesk", "time_format":
    "%m/%d/%Y %H:%M"}``. Only ``columns`` is required; a field names one
    column or a list of them."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, RecursionError) as err:
        raise IngestError("unreadable mapping", source=str(file), record="file", value=err) from err
    return parse_mapping(data, source=str(file), fields=fields, presets=presets)


def parse_mapping(
    data: object, *, source: str, fields: Sequence[str], presets: Collection[str]
) -> ColumnMapping:
    """Validate a mapping object (see :func:`read_mapping`)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("columns"), Mapping):
        raise IngestError("mapping needs a columns object", source=source, record="columns")
    columns: dict[str, tuple[str, ...]] = {}
    for name, value in data["columns"].items():
        names = (
            (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else ()
        )
        if name not in fields or not names or not all(isinstance(n, str) and n for n in names):
            raise IngestError(
                f"unknown field or bad columns (fields: {', '.join(fields)})",
                source=source,
                record="columns",
                field=str(name),
                value=value,
            )
        columns[name] = names
    preset = data.get("preset")
    if preset is not None and (not isinstance(preset, str) or preset not in presets):
        raise IngestError("unknown preset", source=source, record="preset", value=preset)
    fmt = data.get("time_format")
    if fmt is not None and not isinstance(fmt, str):
        raise IngestError(
            "time_format must be text", source=source, record="time_format", value=fmt
        )
    name = str(data.get("name") or preset or "custom")
    if len(name) > MAX_NAME:
        raise IngestError(
            f"name longer than {MAX_NAME} characters", source=source, record="name", value=name
        )
    return ColumnMapping(columns, preset, name, fmt or None)
