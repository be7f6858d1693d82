"""Ticket presets (Jira, Zendesk), detection, user mappings and service facts."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from ingest.errors import IngestError
from ingest.identity import pseudonym
from ingest.pipeline import ingest_tickets
from ingest.records import Channel
from ingest.tabular import parse_mapping
from ingest.tickets import FIELDS
from ingest.tickets import PRESETS
from ingest.tickets import columns_for
from ingest.tickets import detect_preset
from ingest.tickets import parse_ticket_row
from ingest.tickets import read_mapping
from ingest.tickets import read_ticket_rows
from ingest.tickets import read_user_map


def key(settings, address):
    return pseudonym(address, settings.key)


def parsed(path, **kw):
    out = []
    for record, row, header in read_ticket_rows(path):
        columns = columns_for(header, kw.get("preset"), source=str(path), mapping=kw.get("mapping"))
        fmt = kw["mapping"].time_format if kw.get("mapping") else None
        try:
            out.append(parse_ticket_row(row, columns, source="t", record=record, time_format=fmt))
        except IngestError as err:
            out.append(err)
    return out


def ties(sink):
    return {(i.source, i.target, i.ref) for i in sink.interactions.values()}


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("jira.csv", "jira"),
        ("jira-search.json", "jira"),
        ("zendesk.csv", "zendesk"),
        ("zendesk.json", "zendesk"),
    ],
)
def test_presets_are_detected_from_the_columns(data, name, preset):
    header = next(read_ticket_rows(data / "tickets-presets" / name))[2]
    assert detect_preset(header, source=name) == preset
    assert detect_preset(next(read_ticket_rows(data / "tickets.csv"))[2], source="t") == (
        "servicenow"
    )


def test_jira_csv(data):
    first, second, third, bad = parsed(data / "tickets-presets" / "jira.csv")
    assert (first.number, first.requester, first.assignee) == (
        "OPS-101",
        "Katherine Johnson",
        "Alan Turing",
    )
    assert first.group == "Network"  # the first non-empty of the repeated Component/s columns
    assert first.opened_at == datetime(2024, 1, 2, 9, 15, tzinfo=UTC)
    assert first.resolved_at == datetime(2024, 1, 3, 16, 30, tzinfo=UTC)
    assert (second.group, second.resolved_at, third.group) == ("Hardware", None, "Access")
    assert (bad.reason, bad.field, bad.record) == ("unparseable time", "Created", "5 (OPS-104)")


def test_jira_rest_json_falls_back_to_the_display_name(data):
    first, second = parsed(data / "tickets-presets" / "jira-search.json")
    assert (first.requester, first.assignee, first.group) == (
        "katherine.johnson@example.com",
        "Alan Turing",
        "Storage",
    )
    assert first.opened_at == datetime(2024, 2, 1, 8, tzinfo=UTC)  # +0100
    assert first.state == "Done"
    assert (second.requester, second.assignee, second.group) == ("Grace Hopper", None, None)


def test_zendesk_csv_and_json(data):
    good, bad, offered = parsed(data / "tickets-presets" / "zendesk.csv")
    assert (good.requester, good.assignee, good.group) == (
        "katherine.johnson@example.com",
        "Alan Turing",
        "Service Desk",
    )
    assert (good.satisfaction, bad.satisfaction, offered.satisfaction) == (1.0, 0.0, None)
    assert (bad.reopen_count, good.resolved_at) == (2, datetime(2024, 3, 1, 12, tzinfo=UTC))
    first, second = parsed(data / "tickets-presets" / "zendesk.json")
    assert (first.number, first.requester, first.assignee, first.group) == (
        "35436",
        "20978392",
        "235323",
        "98738",
    )
    assert first.resolved_at == datetime(2024, 3, 5, 16, tzinfo=UTC)  # metric_set.solved_at
    assert (first.satisfaction, second.satisfaction, second.resolved_at) == (1.0, None, None)


def test_jira_ingest_resolves_names_and_keeps_facts(loaded, settings, data):
    [report] = ingest_tickets([data / "tickets-presets" / "jira.csv"], loaded, settings)
    kj, alan, grace, linus = (
        key(settings, f"{n}@example.com")
        for n in ("katherine.johnson", "alan.turing", "grace.hopper", "linus.ops")
    )
    joe = pseudonym("tickets:jira:Contractor Joe", settings.key)
    assert ties(loaded) == {
        (kj, alan, "OPS-101"),
        (grace, linus, "OPS-102"),
        (joe, alan, "OPS-103"),
    }
    assert report.skipped == {"unparseable time": 1}
    assert report.people_created == 1 and loaded.people_by_key[joe].name == ""
    assert report.service == {
        "Access": _group(1, 1, 2.0),
        "Hardware": _group(1, 0, None),
        "Network": _group(1, 1, 31.25),
    }
    fact = loaded.facts[("tickets:jira", "OPS-101")]
    assert (fact.requester, fact.group, fact.hours_to_resolve) == (kj, "Network", 31.25)


def _group(tickets, resolved, hours, reopened=0, rated=0, satisfaction=None):
    return {
        "tickets": tickets,
        "resolved": resolved,
        "median_hours_to_resolve": hours,
        "reopened": reopened,
        "rated": rated,
        "mean_satisfaction": satisfaction,
    }


def test_zendesk_json_ids_resolve_through_a_user_map(loaded, settings, data):
    folder = data / "tickets-presets"
    users = read_user_map(folder / "zendesk-users.csv")
    [report] = ingest_tickets([folder / "zendesk.json"], loaded, settings, user_map=users)
    kj, alan = (
        key(settings, "katherine.johnson@example.com"),
        key(settings, "alan.turing@example.com"),
    )
    unmapped = pseudonym("tickets:zendesk:20978393", settings.key)
    assert ties(loaded) == {(kj, alan, "35436"), (unmapped, alan, "35437")}
    assert report.service == {"98738": _group(2, 1, 6.0, rated=1, satisfaction=1.0)}


def test_zendesk_csv_personal_requester_makes_a_fact_but_no_tie(loaded, settings, data):
    [report] = ingest_tickets([data / "tickets-presets" / "zendesk.csv"], loaded, settings)
    assert report.notes["skipped: personal requester"] == 1
    assert report.notes["tickets"] == 3 and report.notes["tickets with ties"] == 2
    assert loaded.facts[("tickets:zendesk", "1002")].requester is None
    assert report.service["Service Desk"] == _group(2, 2, 25.0, 1, 2, 0.5)


def test_user_mapping_file(loaded, settings, data):
    folder = data / "tickets-presets"
    mapping = read_mapping(folder / "helpdesk-mapping.json")
    assert (mapping.name, mapping.preset, mapping.time_format) == (
        "helpdesk",
        None,
        "%m/%d/%Y %H:%M",
    )
    [report] = ingest_tickets([folder / "helpdesk.csv"], loaded, settings, mapping=mapping)
    assert report.skipped == {"unparseable time": 1}  # 16/03/2024 is not month-first
    assert report.examples[0].field == "Opened" and report.examples[0].record == "4 (HD-3)"
    assert report.service["Desk"] == _group(2, 1, 8.0, rated=1, satisfaction=1.0)
    assert ("tickets:helpdesk", "HD-1") in loaded.facts


def test_a_mapping_overrides_a_preset(data):
    mapping = parse_mapping(
        {"preset": "zendesk", "columns": {"group": "Submitter"}},
        source="m",
        fields=FIELDS,
        presets=PRESETS,
    )
    first = parsed(data / "tickets-presets" / "zendesk.csv", mapping=mapping)[0]
    assert (first.group, first.assignee) == ("Katherine Johnson", "Alan Turing")


@pytest.mark.parametrize(
    ("data_", "reason"),
    [
        ([], "mapping needs a columns object"),
        ({"columns": {"owner": "x"}}, "unknown field or bad columns"),
        ({"columns": {"number": []}}, "unknown field or bad columns"),
        ({"columns": {}, "preset": "freshdesk"}, "unknown preset"),
        ({"columns": {}, "time_format": 3}, "time_format must be text"),
    ],
)
def test_bad_mappings_are_refused(data_, reason):
    with pytest.raises(IngestError, match=reason):
        parse_mapping(data_, source="m.json", fields=FIELDS, presets=PRESETS)


def test_unreadable_mapping_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(IngestError, match="unreadable mapping"):
        read_mapping(path)


def test_ticket_ties_are_ticket_channel(loaded, settings, data):
    ingest_tickets([data / "tickets-presets" / "jira-search.json"], loaded, settings)
    assert {i.channel for i in loaded.interactions.values()} == {Channel.TICKET}
