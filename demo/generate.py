"""Generate a deterministic demo organisation as real export files.

``generate(DemoSpec(), out_dir)`` writes an HR directory (``hr.csv``), a mail
export (``mail.mbox``), a calendar export (``meetings.ics``), a ServiceNow
incident export (``tickets.csv``) and the planted ground truth
(``truth.json``). The same spec always gives byte-identical files.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import median

from demo.headers import make_book
from demo.ics import CalendarWriter
from demo.mail import MailStats
from demo.mail import MailWriter
from demo.model import Plant
from demo.model import Router
from demo.model import choose_plant
from demo.org import Org
from demo.org import build_org
from demo.tickets import TicketWriter
from demo.timeline import Timeline
from demo.timeline import make_timeline

HR_COLUMNS = (
    "person_id", "name", "email", "aliases", "department", "team", "title",
    "manager_id", "location", "start_date", "end_date", "is_it",
)  # fmt: skip
MIN_PEOPLE, MAX_PEOPLE = 50, 100_000


@dataclass(frozen=True)
class DemoSpec:
    """What to generate.

    Parameters
    ----------
    people
        Headcount, 50 to 100,000.
    seed
        Seed of every random choice; the same spec gives the same bytes.
    start, months
        The period of activity: ``months`` months from ``start``.
    messages_per_person, meetings_per_person, tickets_per_person
        Mean number of emails sent, meetings organised (a recurring series
        counts once) and tickets raised per person over the period.
    domain
        Mail domain of the organisation.
    """

    people: int = 300
    seed: int = 7
    start: date = date(2025, 1, 1)
    months: int = 12
    messages_per_person: float = 40.0
    meetings_per_person: float = 6.0
    tickets_per_person: float = 2.0
    domain: str = "bridgework-demo.example"

    def __post_init__(self) -> None:
        if not MIN_PEOPLE <= self.people <= MAX_PEOPLE:
            raise ValueError(f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE}")
        if not 1 <= self.months <= 120:
            raise ValueError("months must be between 1 and 120")
        rates = (self.messages_per_person, self.meetings_per_person, self.tickets_per_person)
        if min(rates) < 0:
            raise ValueError("per-person rates must not be negative")
        if not self.domain or "@" in self.domain or " " in self.domain:
            raise ValueError(f"not a mail domain: {self.domain!r}")


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files one :func:`generate` call wrote.

    Attributes
    ----------
    directory
        ``hr.csv``, the HR directory.
    mbox
        ``mail.mbox``, the mail export.
    calendar
        ``meetings.ics``, the calendar export.
    tickets
        ``tickets.csv``, the ServiceNow incident export.
    truth
        ``truth.json``, the planted ground truth and the counts of every
        planted irregularity.
    """

    directory: Path
    mbox: Path
    calendar: Path
    tickets: Path
    truth: Path


def generate(spec: DemoSpec, out_dir: Path) -> DemoFiles:
    """Write the demo organisation's export files into ``out_dir``.

    Parameters
    ----------
    spec
        Size, seed, period and activity rates.
    out_dir
        Target directory (created if missing); existing files are replaced.

    Returns
    -------
    DemoFiles
        The paths of ``hr.csv``, ``mail.mbox``, ``meetings.ics``,
        ``tickets.csv`` and ``truth.json``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        out_dir / "hr.csv",
        out_dir / "mail.mbox",
        out_dir / "meetings.ics",
        out_dir / "tickets.csv",
        out_dir / "truth.json",
    )
    org = build_org(spec.people, spec.domain, spec.start, random.Random(f"{spec.seed}:org"))
    plant = choose_plant(org, random.Random(f"{spec.seed}:plant"))
    timeline = make_timeline(spec.start, spec.months)
    write_directory(org, files.directory)
    truth = _write_activity(spec, org, plant, timeline, files)
    text = json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    files.truth.write_text(text, encoding="utf-8")
    return files


def _write_activity(
    spec: DemoSpec, org: Org, plant: Plant, timeline: Timeline, files: DemoFiles
) -> dict[str, object]:
    """Write the mbox, the calendar and the tickets; return the ground truth."""
    book = make_book(org, random.Random(f"{spec.seed}:book"))
    mail = MailWriter(org, _router(spec, org, plant, "mail"), book, timeline, _rng(spec, "mail"))
    with files.mbox.open("w", encoding="utf-8", newline="\n") as fh:
        mail_stats = mail.write(fh, round(spec.people * spec.messages_per_person))
    router = _router(spec, org, plant, "calendar")
    cal = CalendarWriter(org, router, book, timeline, _rng(spec, "calendar"))
    with files.calendar.open("w", encoding="utf-8", newline="") as fh:
        cal_stats = cal.write(fh, round(spec.people * spec.meetings_per_person))
    router = _router(spec, org, plant, "tickets")
    desk = TicketWriter(org, router, timeline, _rng(spec, "tickets"))
    with files.tickets.open("w", encoding="utf-8", newline="") as fh:
        ticket_stats = desk.write(fh, round(spec.people * spec.tickets_per_person))
    truth = build_truth(spec, org, plant, timeline, mail_stats)
    truth["mess"] = {
        "mail": _sorted(mail_stats.mess),
        "calendar": _sorted(cal_stats),
        "tickets": _sorted(ticket_stats),
    }
    truth["counts"] = _counts(mail_stats, cal_stats["vevents"], ticket_stats["tickets"])
    return truth


def _router(spec: DemoSpec, org: Org, plant: Plant, channel: str) -> Router:
    return Router(org, plant, spec.seed, channel)


def _rng(spec: DemoSpec, channel: str) -> random.Random:
    return random.Random(f"{spec.seed}:{channel}:writer")


def _sorted(counter: dict[str, int]) -> dict[str, int]:
    return {k: counter[k] for k in sorted(counter)}


def _counts(mail: MailStats, vevents: int, tickets: int) -> dict[str, int]:
    duplicates = mail.mess["duplicate_copies"]
    return {
        "mbox_messages": mail.messages,
        "unique_message_ids": mail.messages - duplicates,
        "vevents": vevents,
        "tickets": tickets,
    }


def person_id(idx: int) -> str:
    """The HR id of person ``idx``."""
    return f"E{100001 + idx}"


def write_directory(org: Org, path: Path) -> None:
    """Write the HR directory CSV."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(HR_COLUMNS)
        for p in org.people:
            unit, team = org.units[p.unit], org.teams[p.team]
            manager = person_id(p.manager) if p.manager >= 0 else ""
            out.writerow(
                [person_id(p.idx), p.name, p.email, p.alias, unit.name, team.name, p.title,
                 manager, team.location, p.start_date, "", "true" if unit.is_it else "false"]
            )  # fmt: skip


def build_truth(
    spec: DemoSpec, org: Org, plant: Plant, timeline: Timeline, mail: MailStats
) -> dict[str, object]:
    """The planted ground truth and the figures that show it is real."""
    people = org.people
    spec_dict = asdict(spec)
    spec_dict["start"] = spec.start.isoformat()
    shares = {t: _external_share(mail, t) for t in range(len(org.teams))}
    known = [v for t, v in shares.items() if v is not None and t != plant.isolated_team]
    others = [n for p, n in mail.cross.items() if p not in plant.brokers]
    return {
        "generator": "bridgework-demo/1",
        "spec": spec_dict,
        "period": {"start": timeline.days[0].isoformat(), "end_exclusive": _end(timeline)},
        "people": len(people),
        "departments": {u.name: u.size for u in org.units},
        "it_departments": [u.name for u in org.units if u.is_it],
        "teams": [_team(org, t) for t in range(len(org.teams))],
        "isolated_teams": [_isolated(org, plant, shares[plant.isolated_team])],
        "median_team_email_external_share": round(median(known), 4) if known else None,
        "fragile_units": [_fragile(org, plant)],
        "brokers": [people[b].email for b in plant.brokers],
        "broker_cross_department_contacts": {people[b].email: mail.cross[b] for b in plant.brokers},
        "max_other_cross_department_contacts": max(others, default=0),
        "pseudo_addresses": {
            "bot": f"no-reply@{org.domain}",
            "list": f"all-staff@{org.domain}",
            "list_id": f"all-staff.{org.domain}",
        },
        "files": {
            "directory": "hr.csv",
            "mbox": "mail.mbox",
            "calendar": "meetings.ics",
            "tickets": "tickets.csv",
        },  # fmt: skip
    }


def _end(timeline: Timeline) -> str:
    return date.fromordinal(timeline.days[-1].toordinal() + 1).isoformat()


def _external_share(mail: MailStats, team: int) -> float | None:
    total = mail.team_in[team] + mail.team_out[team]
    return round(mail.team_out[team] / total, 4) if total else None


def _team(org: Org, t: int) -> dict[str, object]:
    team = org.teams[t]
    unit = org.units[team.unit]
    return {
        "department": unit.name,
        "team": team.name,
        "headcount": team.size,
        "is_it": unit.is_it,
        "lead": org.people[team.lead].email,
    }


def _isolated(org: Org, plant: Plant, share: float | None) -> dict[str, object]:
    entry = _team(org, plant.isolated_team)
    team = org.teams[plant.isolated_team]
    entry["members"] = [org.people[i].email for i in range(team.start, team.start + team.size)]
    entry["email_external_share"] = share
    return entry


def _fragile(org: Org, plant: Plant) -> dict[str, object]:
    unit = org.units[plant.fragile_unit]
    liaison = org.people[plant.liaison]
    return {
        "department": unit.name,
        "headcount": unit.size,
        "liaison": liaison.email,
        "liaison_team": org.teams[liaison.team].name,
    }
