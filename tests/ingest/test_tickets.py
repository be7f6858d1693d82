"""Ticket rows: presets, times, missing values, JSON shapes."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from ingest.errors import IngestError
from ingest.tickets import columns_for
from ingest.tickets import parse_ticket_row
from ingest.tickets import parse_time
from ingest.tickets import read_ticket_rows
from ingest.tickets import read_user_map


def rows(path):
    out = []
    for record, row, header in read_ticket_rows(path):
        columns = columns_for(header, "servicenow", source=str(path))
        try:
            out.append(parse_ticket_row(row, columns, source=str(path), record=record))
        except IngestError as err:
            out.append(err)
    return out


def test_servicenow_csv(data):
    parsed = rows(data / "tickets.csv")
    first, second, uci = parsed[0], parsed[1], parsed[2]
    assert first.number == "INC0001"
    assert first.requester == "grace.hopper@example.com"
    assert first.opened_at == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)
    assert first.resolved_at is None and first.satisfaction is None
    assert second.resolved_at == datetime(2016, 2, 29, 11, 29, tzinfo=UTC)
    assert second.satisfaction == 0.75 and second.state == "Resolved"  # 4 of 1-5
    assert uci.opener == "Opened by 8"  # double space folded
    assert uci.opened_at == datetime(2016, 3, 1, 8, 0, tzinfo=UTC)
    assert uci.reopen_count == 1


def test_bad_rows_are_located(data):
    errors = [e for e in rows(data / "tickets.csv") if isinstance(e, IngestError)]
    assert [(e.reason, e.field, e.record) for e in errors] == [
        ("unparseable time", "opened_at", "7 (INC0005)"),
        ("not a number", "reopen_count", "8 (INC0006)"),
    ]
    assert isinstance(errors[0].__cause__, ValueError)


def test_servicenow_json_reference_fields(data):
    first, second = rows(data / "tickets.json")
    assert first.requester == "Katherine Johnson"
    assert first.group == "Service Desk"
    assert first.opened_at == datetime(2016, 3, 2, 10, tzinfo=UTC)
    assert second.assignee == "Alan Turing"


def test_missing_required_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("number,assigned_to\nINC1,x\n", encoding="utf-8")
    header = next(read_ticket_rows(path))[2]
    with pytest.raises(IngestError) as info:
        columns_for(header, "servicenow", source=str(path))
    assert (info.value.field, info.value.record) == ("caller_id", "header")


def test_unknown_preset():
    with pytest.raises(IngestError, match="unknown ticket preset"):
        columns_for(["number"], "freshdesk", source="x")


def test_extra_fields_are_an_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("number,caller_id\nINC1,a,b\n", encoding="utf-8")
    record, row, header = next(read_ticket_rows(path))
    with pytest.raises(IngestError, match="extra fields"):
        parse_ticket_row(
            row, columns_for(header, "servicenow", source="t"), source="t", record=record
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29/2/2016 01:16", datetime(2016, 2, 29, 1, 16, tzinfo=UTC)),
        ("01/03/2016 10:00:30", datetime(2016, 3, 1, 10, 0, 30, tzinfo=UTC)),
        ("2016-03-01 10:00:00", datetime(2016, 3, 1, 10, tzinfo=UTC)),
        ("2016-03-01T10:00:00Z", datetime(2016, 3, 1, 10, tzinfo=UTC)),
        ("2016-03-01T11:00:00+01:00", datetime(2016, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_invalid_json(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(IngestError, match="invalid JSON"):
        list(read_ticket_rows(path))
    path.write_text('{"x": 1}', encoding="utf-8")
    with pytest.raises(IngestError, match="not a list"):
        list(read_ticket_rows(path))


def test_user_map(data):
    assert read_user_map(data / "users.csv") == {"admin": "alan.turing@example.com"}
