"""The demo generator: deterministic, well-formed files, and a planted truth that is real.

The structural checks read the raw files with the standard library (and
icalendar), never with Bridgework's ingestors, so they test the generator alone.
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import json
import mailbox
import statistics
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import icalendar
import pytest

from demo import DemoFiles
from demo import DemoSpec
from demo import generate
from demo.__main__ import main
from demo.tickets import COLUMNS

BROADCAST_CUTOFF = 25
SMALL = {"messages_per_person": 4.0, "meetings_per_person": 1.0, "tickets_per_person": 0.5}


@dataclass
class Directory:
    """hr.csv, indexed by every address a person uses."""

    rows: list[dict[str, str]]
    by_address: dict[str, dict[str, str]]


def read_directory(path: Path) -> Directory:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_address = {}
    for row in rows:
        for address in [row["email"], *filter(None, row["aliases"].split(";"))]:
            by_address[address.lower()] = row
    return Directory(rows, by_address)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_paths(files: DemoFiles) -> list[Path]:
    return [files.directory, files.mbox, files.calendar, files.tickets, files.truth]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoFiles, dict, Directory]:
    """A 150-person organisation at the default activity rates."""
    files = generate(DemoSpec(people=150, seed=11), tmp_path_factory.mktemp("demo150"))
    truth = json.loads(files.truth.read_text(encoding="utf-8"))
    return files, truth, read_directory(files.directory)


@pytest.fixture(scope="module")
def messages(demo) -> list[mailbox.mboxMessage]:
    files, _, _ = demo
    box = mailbox.mbox(files.mbox, create=False)
    try:
        return list(box)
    finally:
        box.close()


@pytest.fixture(scope="module")
def calendar(demo) -> icalendar.Calendar:
    files, _, _ = demo
    return icalendar.Calendar.from_ical(files.calendar.read_bytes())


def people_of(message: mailbox.mboxMessage, directory: Directory) -> tuple[dict | None, list]:
    """(sender row or None, recipient rows) of a person-to-person message."""
    if message["List-Id"] or message["Auto-Submitted"]:
        return None, []
    _, sender = email.utils.parseaddr(str(message["From"]))
    recipients = recipients_of(message)
    if len(recipients) > BROADCAST_CUTOFF:
        return None, []
    rows = [directory.by_address[a] for a in recipients if a in directory.by_address]
    return directory.by_address.get(sender.lower()), rows


def attendees_of(event: icalendar.Event) -> list:
    """ATTENDEE values of an event (icalendar gives one value or a list)."""
    attendees = event.get("ATTENDEE") or []
    return attendees if isinstance(attendees, list) else [attendees]


def recipients_of(message: mailbox.mboxMessage) -> list[str]:
    fields = [str(v) for v in message.get_all("To", []) + message.get_all("Cc", [])]
    return [a.lower() for _, a in email.utils.getaddresses(fields)]


def team_of(row: dict[str, str]) -> tuple[str, str]:
    return row["department"], row["team"]


# --- determinism and scale -------------------------------------------------------------


def test_same_spec_gives_identical_bytes(tmp_path):
    spec = DemoSpec(people=60, seed=3, **SMALL)
    first = [sha256(p) for p in all_paths(generate(spec, tmp_path / "a"))]
    second = [sha256(p) for p in all_paths(generate(spec, tmp_path / "b"))]
    assert first == second
    other = generate(DemoSpec(people=60, seed=4, **SMALL), tmp_path / "c")
    assert sha256(other.mbox) != first[1]


@pytest.mark.parametrize("people", [50, 2000])
def test_directory_scales(tmp_path, people):
    files = generate(DemoSpec(people=people, seed=5, **SMALL), tmp_path)
    directory = read_directory(files.directory)
    rows = directory.rows
    assert len(rows) == people
    assert len({r["email"] for r in rows}) == people
    assert len(directory.by_address) == people + sum(bool(r["aliases"]) for r in rows)
    assert len({r["name"] for r in rows}) == people
    teams = Counter(team_of(r) for r in rows)
    assert all(4 <= n <= 15 for n in teams.values()), teams
    departments = {r["department"] for r in rows}
    assert len(departments) >= (5 if people == 50 else 18)
    assert {r["department"] for r in rows if r["is_it"] == "true"} == {"IT"}
    ids = {r["person_id"] for r in rows}
    assert [r for r in rows if not r["manager_id"]] == [rows[0]]
    assert all(r["manager_id"] in ids for r in rows[1:])
    assert rows[0]["title"] == "Chief Executive Officer"


def test_spec_is_validated():
    with pytest.raises(ValueError, match="people"):
        DemoSpec(people=49)
    with pytest.raises(ValueError, match="people"):
        DemoSpec(people=100_001)
    with pytest.raises(ValueError, match="domain"):
        DemoSpec(domain="not a domain")


def test_cli_prints_the_paths(tmp_path, capsys):
    assert main(["--people", "50", "--seed", "2", "--messages-per-person", "2", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    names = ["hr.csv", "mail.mbox", "meetings.ics", "tickets.csv", "truth.json"]
    assert printed == [str(tmp_path / n) for n in names]


# --- truth.json against hr.csv -----------------------------------------------------------


def test_truth_matches_the_directory(demo):
    _, truth, directory = demo
    rows = directory.rows
    assert truth["people"] == len(rows)
    assert truth["departments"] == dict(Counter(r["department"] for r in rows))
    assert truth["it_departments"] == ["IT"]
    teams = Counter(team_of(r) for r in rows)
    assert {(t["department"], t["team"]): t["headcount"] for t in truth["teams"]} == teams
    (isolated,) = truth["isolated_teams"]
    assert isolated["headcount"] >= 5
    members = [r["email"] for r in rows if team_of(r) == (isolated["department"], isolated["team"])]
    assert sorted(isolated["members"]) == sorted(members)
    assert isolated["department"] not in truth["it_departments"]
    (fragile,) = truth["fragile_units"]
    assert directory.by_address[fragile["liaison"]]["is_it"] == "true"
    assert fragile["department"] in truth["departments"] and fragile["department"] != "IT"
    assert 3 <= len(truth["brokers"]) <= 5
    for address in truth["brokers"]:
        assert directory.by_address[address]["is_it"] == "false"


# --- mbox ----------------------------------------------------------------------------------


def test_mbox_parses_and_matches_the_counts(demo, messages):
    files, truth, _ = demo
    mess = truth["mess"]["mail"]
    assert len(messages) == truth["counts"]["mbox_messages"]
    ids = Counter(m["Message-ID"] for m in messages)
    assert len(ids) == truth["counts"]["unique_message_ids"]
    assert sum(n - 1 for n in ids.values()) == mess["duplicate_copies"] >= 3
    assert sum(1 for m in messages if m["List-Id"]) == mess["list_messages"]
    assert sum(1 for m in messages if m["Auto-Submitted"]) == mess["bot_messages"]
    wide = [m for m in messages if len(recipients_of(m)) > BROADCAST_CUTOFF]
    assert len(wide) == mess["broadcast_messages"] >= 2
    unique = {m["Message-ID"]: m for m in messages}
    assert sum(1 for m in unique.values() if m["In-Reply-To"]) == mess["replies"]
    escaped = sum(1 for m in messages if "\n>From " in m.get_payload())
    assert escaped == mess["from_escaped_bodies"] > 0


def test_mbox_has_the_usual_mess(demo, messages):
    _, truth, directory = demo
    raw = "\n".join(str(m["From"]) + str(m["To"]) for m in messages[:3000])
    assert "=?utf-8?q?" in raw and "=?UTF-8?B?" in raw
    assert '"' in raw and ", " in raw
    senders = [email.utils.parseaddr(str(m["From"]))[1] for m in messages]
    aliases = {a for r in directory.rows for a in r["aliases"].split(";") if a}
    assert sum(1 for s in senders if s in aliases) == truth["mess"]["mail"]["alias_from_messages"]
    assert any(s.endswith(("@gmail.com", "@outlook.com", "@yahoo.com")) for s in senders)
    assert truth["pseudo_addresses"]["bot"] in senders
    dates = {str(m["Date"])[-5:] for m in messages}
    assert len(dates) >= 3  # several time zones


def test_isolated_team_keeps_to_itself_in_the_mbox(demo, messages):
    _, truth, directory = demo
    inside: Counter[tuple[str, str]] = Counter()
    outside: Counter[tuple[str, str]] = Counter()
    for message in messages:
        sender, recipients = people_of(message, directory)
        if sender is None:
            continue
        for row in recipients:
            (inside if team_of(row) == team_of(sender) else outside)[team_of(sender)] += 1
    share = {t: outside[t] / (inside[t] + outside[t]) for t in inside.keys() | outside.keys()}
    (isolated,) = truth["isolated_teams"]
    key = (isolated["department"], isolated["team"])
    others = statistics.median(v for t, v in share.items() if t != key)
    assert share[key] < 0.1
    assert share[key] < others / 4
    assert share[key] == pytest.approx(isolated["email_external_share"], abs=0.01)


def test_brokers_have_the_most_cross_department_contact(demo, messages):
    _, truth, directory = demo
    cross: Counter[str] = Counter()
    for message in messages:
        sender, recipients = people_of(message, directory)
        for row in recipients if sender else []:
            if row["department"] != sender["department"]:
                cross[sender["email"]] += 1
                cross[row["email"]] += 1
    brokers = truth["brokers"]
    best_other = max(n for p, n in cross.items() if p not in brokers)
    assert min(cross[b] for b in brokers) > 1.5 * best_other


# --- the fragile unit, on every channel -------------------------------------------------


def it_contacts(groups: list[list[dict]], fragile: str) -> Counter[str]:
    """IT people met by the fragile unit, over groups of people who met."""
    met: Counter[str] = Counter()
    for group in groups:
        if any(r["department"] == fragile for r in group):
            met.update(r["email"] for r in group if r["is_it"] == "true")
    return met


def test_fragile_unit_reaches_it_only_through_its_liaison(demo, messages, calendar):
    files, truth, directory = demo
    (fragile,) = truth["fragile_units"]
    unit, liaison = fragile["department"], fragile["liaison"]
    mail_groups = []
    for message in messages:
        sender, recipients = people_of(message, directory)
        mail_groups.append(([sender] if sender else []) + recipients)
    assert set(it_contacts(mail_groups, unit)) == {liaison}
    meeting_groups = []
    for event in calendar.walk("VEVENT"):
        people = [event["ORGANIZER"], *attendees_of(event)]
        rows = [directory.by_address.get(str(p).removeprefix("mailto:").lower()) for p in people]
        meeting_groups.append([r for r in rows if r])
    assert set(it_contacts(meeting_groups, unit)) == {liaison}
    with files.tickets.open(encoding="utf-8", newline="") as fh:
        tickets = list(csv.DictReader(fh))
    people = ("caller_id", "opened_by", "assigned_to", "sys_updated_by")
    ticket_groups = [[directory.by_address[t[c]] for c in people if t[c]] for t in tickets]
    assert set(it_contacts(ticket_groups, unit)) == {liaison}


# --- calendar and tickets -----------------------------------------------------------------


def test_calendar_parses_and_matches_the_counts(demo, calendar):
    _, truth, _ = demo
    mess = truth["mess"]["calendar"]
    events = calendar.walk("VEVENT")
    assert len(events) == truth["counts"]["vevents"] == mess["vevents"]
    assert sum(1 for e in events if e.get("STATUS") == "CANCELLED") == mess["cancelled_events"] > 0
    assert sum(1 for e in events if "RRULE" in e) == mess["recurring_series"] > 0
    assert sum(1 for e in events if "EXDATE" in e) == mess["exdates"] > 0
    assert sum(1 for e in events if "RECURRENCE-ID" in e) == mess["moved_occurrences"] > 0
    all_day = [e for e in events if not hasattr(e.decoded("DTSTART"), "hour")]
    assert len(all_day) == mess["all_day_events"] > 0
    declined = sum(
        1 for e in events for a in attendees_of(e) if a.params.get("PARTSTAT") == "DECLINED"
    )
    assert declined == mess["declined_attendees"] > 0
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {str(e["DTSTART"].params["TZID"]) for e in events if "TZID" in e["DTSTART"].params}
    assert used and used <= zones


def test_tickets_have_the_servicenow_columns(demo):
    files, truth, directory = demo
    with files.tickets.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert header == [
        "number", "caller_id", "opened_by", "assignment_group", "assigned_to", "sys_updated_by",
        "opened_at", "resolved_at", "closed_at", "state", "reopen_count", "satisfaction",
    ]  # fmt: skip
    assert tuple(header) == COLUMNS
    assert len(rows) == truth["counts"]["tickets"]
    it_teams = {r["team"] for r in directory.rows if r["is_it"] == "true"}
    assert {r["assignment_group"] for r in rows} <= it_teams
    open_rows = [r for r in rows if not r["resolved_at"]]
    assert len(open_rows) == truth["mess"]["tickets"]["open"] > 0
    assert {r["satisfaction"] for r in rows} <= {"", "1", "2", "3", "4", "5"}
    assert all(r["opened_at"].endswith("Z") and "T" in r["opened_at"] for r in rows)
    for row in rows:
        for column in ("caller_id", "opened_by", "sys_updated_by"):
            assert row[column] in directory.by_address
    by_group: defaultdict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["assigned_to"]:
            by_group[row["assignment_group"]].add(directory.by_address[row["assigned_to"]]["team"])
    assert all(teams == {group} for group, teams in by_group.items())
