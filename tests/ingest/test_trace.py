"""Message-trace CSVs: presets, status filtering, grouping rows back into messages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.errors import IngestError
from ingest.identity import pseudonym
from ingest.pipeline import ingest_email
from ingest.tabular import ColumnMapping
from ingest.tabular import read_csv_rows
from ingest.tabular import read_mapping
from ingest.trace import FIELDS
from ingest.trace import TRACE_PRESETS
from ingest.trace import dropped_status
from ingest.trace import group_messages
from ingest.trace import parse_trace_row
from ingest.trace import trace_columns


def key(settings, name):
    return pseudonym(f"{name}@example.com", settings.key)


def mapping(data):
    return read_mapping(data / "traces" / "m365-mapping.json", fields=FIELDS, presets=TRACE_PRESETS)


def pairs(sink):
    return {(i.source, i.target, round(i.weight, 4)) for i in sink.interactions.values()}


@pytest.mark.parametrize(
    ("name", "date_column"),
    [
        ("m365.csv", "Received"),
        ("m365-report.csv", "origin_timestamp_utc"),
        ("google.csv", "Start date"),
    ],
)
def test_presets_are_detected(data, name, date_column):
    header = next(read_csv_rows(data / "traces" / name))[2]
    assert trace_columns(header, source=name)["date"] == (date_column,)


def test_m365_us_times_need_the_mapping_time_format(loaded, settings, data):
    path = data / "traces" / "m365.csv"
    [report] = ingest_email([path], loaded, settings)
    assert report.skipped == {"unparseable time": 7, "missing MessageId": 1}
    assert report.examples[0].value == "3/4/2024 9:15:02 AM" and report.interactions == 0


def test_m365_trace_groups_recipients_by_message_id(loaded, settings, data):
    path = data / "traces" / "m365.csv"
    [report] = ingest_email([path], loaded, settings, trace_mapping=mapping(data))
    ada, grace, alan = (key(settings, n) for n in ("ada.lovelace", "grace.hopper", "alan.turing"))
    assert pairs(loaded) == {(ada, grace, 0.5), (ada, alan, 0.5), (grace, ada, 1.0)}
    assert report.read == 6  # 5 messages (the first has its rows apart) + 1 bad row
    assert report.skipped == {"missing MessageId": 1}
    assert report.examples[0].record == "8" and report.examples[0].field == "MessageId"
    assert report.notes["trace rows"] == 8
    assert report.notes["trace recipient left out: expanded"] == 1
    assert report.notes["trace recipient left out: fail"] == 1
    assert report.notes["skipped: external sender"] == 1
    assert report.notes["skipped: no internal recipient"] == 2  # to a partner; a failed one
    first = loaded.interactions[next(iter(loaded.interactions))]
    assert first.timestamp == datetime(2024, 3, 4, 9, 15, 2, tzinfo=UTC)  # the earliest row


def test_m365_report_recipient_status(loaded, settings, data):
    [report] = ingest_email([data / "traces" / "m365-report.csv"], loaded, settings)
    kj, grace, alan = (
        key(settings, n) for n in ("katherine.johnson", "grace.hopper", "alan.turing")
    )
    assert pairs(loaded) == {(kj, grace, 0.5), (alan, kj, 1.0)}  # partner counts in 1/k
    assert report.notes["trace recipient left out: fail"] == 1
    assert report.notes["external recipient left out"] == 1


def test_google_trace_dedupes_repeated_events(loaded, settings, data):
    [report] = ingest_email([data / "traces" / "google.csv"], loaded, settings)
    ada, grace, kj = (
        key(settings, n) for n in ("ada.lovelace", "grace.hopper", "katherine.johnson")
    )
    assert pairs(loaded) == {(ada, grace, 0.5), (ada, kj, 0.5), (grace, ada, 1.0)}
    assert report.skipped == {"unparseable time": 1}


def test_strict_trace_stops_at_the_first_bad_row(loaded, settings, data):
    with pytest.raises(IngestError) as info:
        ingest_email([data / "traces" / "google.csv"], loaded, settings, strict=True)
    assert (info.value.record, info.value.field) == ("6", "Start date")
    assert loaded.interactions == {}


def test_a_mapping_can_name_every_column(tmp_path, loaded, settings):
    path = tmp_path / "trace.csv"
    path.write_text(
        "id,when,from,to\n<x@e>,2024-01-01T10:00:00+01:00,ada@example.com,"
        '"grace.hopper@example.com; alan.turing@example.com"\n',
        encoding="utf-8",
    )
    columns = {"message_id": "id", "date": "when", "sender": "from", "recipient": "to"}
    custom = read_mapping(
        _json(tmp_path, {"columns": columns}), fields=FIELDS, presets=TRACE_PRESETS
    )
    [report] = ingest_email([path], loaded, settings, trace_mapping=custom)
    assert report.interactions == 2 and not report.skipped


def _json(tmp_path, data):
    import json

    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_unknown_trace_fields_and_missing_columns(data):
    with pytest.raises(IngestError, match="unknown trace field"):
        trace_columns(["a"], source="t", mapping=ColumnMapping({"owner": ("a",)}))
    with pytest.raises(IngestError, match="missing message-trace columns"):
        trace_columns(["a", "b"], source="t")
    with pytest.raises(IngestError, match="unknown trace preset"):
        trace_columns(["a"], source="t", preset="exim")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("Delivered", None),
        ("Receive, Deliver", None),
        ("Receive, Send", None),
        ("", None),
        ("Failed", "fail"),
        ("Receive, Fail", "fail"),
        ("FilteredAsSpam", "filteredasspam"),
        ("Quarantined", "quarantine"),
        ("Expanded", "expanded"),
    ],
)
def test_dropped_status(status, reason):
    assert dropped_status(status) == reason


LOCAL = st.from_regex(r"[a-z][a-z0-9.]{0,10}[a-z0-9]", fullmatch=True)
ADDRESS = st.builds(lambda local, dom: f"{local}@{dom}.example", LOCAL, st.sampled_from("abc"))


@given(
    st.lists(ADDRESS, min_size=1, max_size=8, unique=True),
    st.randoms(use_true_random=False),
    st.sampled_from(["m365", "m365-report"]),
)
def test_any_row_order_and_split_gives_the_same_message(recipients, rng, shape):
    """Recipients spread over rows (one per row, or ``##`` lists) in any order."""
    columns = trace_columns(_header(shape), source="t")
    rows = _rows(recipients, rng, shape)
    parsed = [
        (str(i), parse_trace_row(row, columns, source="t", record=str(i)))
        for i, row in enumerate(rows)
    ]
    [(record, header)] = list(group_messages(parsed, Counter()))
    assert sorted(a.address for a in header.to) == sorted(recipients)
    assert header.date == datetime(2024, 1, 1, 9, tzinfo=UTC)


def _header(shape):
    return list(TRACE_PRESETS[shape][f][0] for f in ("message_id", "date", "sender", "recipient"))


def _rows(recipients, rng, shape):
    cut = rng.randint(1, len(recipients))
    parts = (
        [recipients[:cut], recipients[cut:]]
        if shape == "m365-report"
        else [[r] for r in recipients]
    )
    rows = []
    for minute, part in enumerate(p for p in parts if p):
        cell = (
            ";".join(f"{r}##Receive, Deliver" for r in part) if shape == "m365-report" else part[0]
        )
        when = f"2024-01-01T09:{minute:02d}:00Z"
        rows.append(
            dict(zip(_header(shape), ["<m@x>", when, "ada@example.com", cell], strict=True))
        )
    rng.shuffle(rows)
    return rows
