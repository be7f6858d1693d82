"""Exports: CSV tables, GEXF and GraphML for Gephi, SVG/PNG maps, a printable report.

Every export names people through :mod:`web.policy` and leaves out the rows
of groups too small to show, the people of those groups and their ties
(for everyone but admins), exactly as the pages do: an export never shows
what a page hides. Tables read from the store's latest analysis snapshots,
or from the ties of the requested window (``since``, ``until``,
``channel``) where a window means something.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import networkx as nx
from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for

from analysis import render
from analysis.maps import layout
from analysis.maps import team_graph
from graph.base import Subject
from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.records import Channel
from ingest.records import Person
from web import compare
from web import policy
from web import results
from web.jobs import JOBS
from web.jobs import headline
from web.liaison import build_matrix
from web.params import Window
from web.params import people_graph
from web.params import window
from web.store import get_store
from web.views import counts

bp = Blueprint("exports", __name__)

IT_COLOUR = "#2f6fb3"
BUSINESS_COLOUR = "#c2672d"
#: First characters a spreadsheet may read as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ANALYZE_HINT = "run the analysis first (flask --app app analyze)"

Row = Sequence[object]
Rows = tuple[list[str], Iterable[Row]]


# -- the people and groups an export may show -----------------------------------------------


@dataclass(slots=True)
class Directory:
    """The people the viewer may see, and the policy's view of the groups.

    ``people`` holds the visible people only (everyone for admins); the
    rules are :class:`web.policy.Groups`'.
    """

    groups: policy.Groups
    _neighbours: dict[str, frozenset[str]] | None = None

    @classmethod
    def load(cls) -> Directory:
        """Read every person once."""
        return cls(policy.Groups.of(get_store().people()))

    @property
    def people(self) -> Mapping[str, Person]:
        """The people the viewer may see, by key."""
        return self.groups.people

    def shows(self, key: str | None) -> bool:
        """Whether a person (by key) may appear in an export."""
        return self.groups.person_visible(key)

    def label(self, key: str | None) -> str:
        """How the viewer sees a person (a short key when they are no longer stored)."""
        if not key:
            return ""
        person = self.people.get(key)
        return policy.person_label(person) if person else policy.short_key(key)

    def team(self, key: str | None) -> str:
        """The team key of a person, or ``""``."""
        person = self.people.get(key or "")
        return person.team_key if person and person.team else ""

    def department(self, key: str | None) -> str:
        """The department of a person, or ``""``."""
        person = self.people.get(key or "")
        return person.department if person else ""

    def team_visible(self, team: str) -> bool:
        """Whether the viewer may see figures of a team."""
        return self.groups.team_visible(team)

    def unit_visible(self, unit: str) -> bool:
        """Whether the viewer may see figures of a business unit (or department)."""
        return self.groups.unit_visible(unit) or self.groups.department_visible(unit)

    def unit_whole(self, unit: str) -> bool:
        """Whether a unit's liaison snapshot may be shown in full (not only its score)."""
        return self.unit_visible(unit) and self.groups.liaison_whole(unit)

    def subject_visible(self, subject: str) -> bool:
        """Whether a team, a department or a ``team ↔ team`` pair may be shown."""
        return self.groups.subject_visible(subject)

    def isolation_safe(self, team: str) -> bool:
        """Whether a team's E-I index, tie counts and flags may be shown (see :mod:`web.policy`)."""
        if self._neighbours is None:
            window = (results.latest("isolation") or {}).get("window")
            self._neighbours = policy.snapshot_neighbours(window)
        return self.groups.boundary_safe(team, self._neighbours)


def needs(job: str) -> dict[str, Any]:
    """The latest result of a job; 404 when the analysis has not run or the job was skipped."""
    found = results.result(job)
    if found is None:
        raise NotFound(f"no {job} results yet: {ANALYZE_HINT}")
    if "skipped" in found:
        raise NotFound(f"the {job} job was skipped: {found['skipped']}")
    return found


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, object]:
    """Nested mappings as one level of ``outer_inner`` keys; lists of scalars joined by ``; ``.

    >>> flatten({"a": 1, "b": {"c": 2.5, "d": [1, 2]}, "e": [{"x": 1}]})
    {'a': 1, 'b_c': 2.5, 'b_d': '1; 2'}
    """
    flat: dict[str, object] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            flat.update(flatten(item, f"{name}_"))
        elif isinstance(item, list | tuple):
            if all(not isinstance(v, Mapping | list | tuple) for v in item):
                flat[name] = "; ".join(str(v) for v in item)
        else:
            flat[name] = item
    return flat


def columns(rows: Iterable[Mapping[str, object]], first: Sequence[str] = ()) -> list[str]:
    """The union of the rows' keys: ``first`` in order, then the rest sorted."""
    seen = {k for row in rows for k in row}
    return [c for c in first if c in seen or c in first] + sorted(seen - set(first))


# -- CSV tables --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """One CSV download."""

    name: str
    description: str
    build: Callable[[Window], Rows]
    windowed: bool


TABLES: dict[str, Table] = {}


def table(name: str, description: str, *, windowed: bool = False) -> Callable:
    """Register a table builder under ``name``."""

    def register(build: Callable[[Window], Rows]) -> Callable[[Window], Rows]:
        TABLES[name] = Table(name, description, build, windowed)
        return build

    return register


@table("people", "Every person: label, team, department, IT or not, and every stored score.")
def people_table(_: Window) -> Rows:
    """One row per person with the scores the analysis wrote back."""
    directory = Directory.load()
    scores = {k: policy.person_scores(v) for k, v in get_store().scores(Subject.PERSON).items()}
    names = sorted({n for values in scores.values() for n in values})
    role_names = {
        int(r["cluster"]): r["name"] for r in (results.result("roles") or {}).get("roles", [])
    }
    header = ["key", "label", "team", "department", "is_it", *names, "role_name"]
    rows = []
    for key, person in directory.people.items():
        values = scores.get(key, {})
        role = values.get("role")
        rows.append(
            [key, directory.label(key), directory.team(key), person.department, person.is_it]
            + [values.get(n) for n in names]
            + [role_names.get(int(role), "") if role is not None else ""]
        )
    return header, rows


@table("teams", "Every team: headcount, team scores, and why it was flagged as isolated.")
def teams_table(_: Window) -> Rows:
    """One row per team with its scores and isolation reasons."""
    directory = Directory.load()
    store = get_store()
    scores = store.scores(Subject.TEAM)
    names = sorted({n for values in scores.values() for n in values})
    isolation = {t["team"]: t for t in (results.result("isolation") or {}).get("teams", [])}
    header = ["team", "department", "name", "is_it", "headcount", *names, "reasons"]
    rows = []
    for team in store.teams():
        if not directory.team_visible(team.key):
            continue
        safe = directory.isolation_safe(team.key)  # else the scores would give a tie away
        values = scores.get(team.key, {}) if safe else {}
        reasons = _reasons(isolation.get(team.key, {}), directory) if safe else []
        rows.append(
            [team.key, team.department, team.name, team.is_it, directory.groups.teams[team.key]]
            + [values.get(n) for n in names]
            + ["; ".join(reasons)]
        )
    return header, rows


def _reasons(found: Mapping[str, Any], directory: Directory) -> list[str]:
    """A team's isolation reasons, with the member they name as the viewer may see them."""
    top = (found.get("concentration") or {}).get("top_member")
    label = directory.label(top) if top and directory.shows(top) else "one member"
    return [r.replace(top, label) if top else r for r in found.get("reasons", [])]


@table(
    "team_ties",
    "Team × team tie weights in the window (a team with itself: ties inside the team).",
    windowed=True,
)
def team_ties_table(wanted: Window) -> Rows:
    """Summed strength, events and pairs of people between (and within) teams."""
    directory = Directory.load()
    graph = policy.visible_graph(people_graph(wanted))  # totals over visible teams only
    teams = graph.vs["team"]
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for edge in graph.es:
        a, b = teams[edge.source], teams[edge.target]
        if not a or not b:
            continue
        slot = totals[(a, b) if a <= b else (b, a)]
        slot[0] += edge["weight"]
        slot[1] += edge["count"]
        slot[2] += 1
    header = ["team_a", "team_b", "weight", "count", "pairs"]
    rows = [
        [a, b, weight, int(count), int(pairs)]
        for (a, b), (weight, count, pairs) in sorted(totals.items())
        if directory.team_visible(a) and directory.team_visible(b)
    ]
    return header, rows


@table(
    "person_ties",
    "Person × person ties in the window: summed weight, events, channels, first and last seen.",
    windowed=True,
)
def person_ties_table(wanted: Window) -> Rows:
    """One row per pair of people who interacted, both directions and all channels summed."""
    directory = Directory.load()
    store = get_store()
    chosen = list(wanted.channels) if wanted.channels else None
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for tie in store.ties(since=wanted.since, until=wanted.until, channels=chosen):
        a, b = sorted((tie.source, tie.target))
        if a == b or a not in directory.people or b not in directory.people:
            continue
        slot = pairs.setdefault(
            (a, b),
            {"weight": 0.0, "count": 0, "channels": set(), "first": tie.first_seen,
             "last": tie.last_seen},
        )  # fmt: skip
        slot["weight"] += tie.weight
        slot["count"] += tie.count
        slot["channels"].add(tie.channel.value)
        slot["first"] = min(slot["first"], tie.first_seen)
        slot["last"] = max(slot["last"], tie.last_seen)
    header = ["key_a", "label_a", "team_a", "key_b", "label_b", "team_b",
              "weight", "count", "channels", "first_seen", "last_seen"]  # fmt: skip
    rows = (
        [a, directory.label(a), directory.team(a), b, directory.label(b), directory.team(b),
         s["weight"], s["count"], ";".join(sorted(s["channels"])), s["first"], s["last"]]
        for (a, b), s in sorted(pairs.items())
    )  # fmt: skip
    return header, rows


@table(
    "liaison",
    "Liaison score per business unit, its components, and the named liaisons with their share.",
)
def liaison_table(_: Window) -> Rows:
    """One row per business unit, weakest liaison first."""
    directory = Directory.load()
    units = needs("liaison")["units"]
    rows = []
    for unit, found in sorted(units.items(), key=lambda kv: (kv[1]["score"], kv[0])):
        if not directory.unit_visible(unit):
            continue
        headcount = directory.groups.units.get(unit, 0)
        if not directory.unit_whole(unit):  # only the score: it draws on a small hidden team
            rows.append({"unit": unit, "headcount": headcount, "score": found["score"],
                         "partial": True})  # fmt: skip
            continue
        flat = flatten(found)
        flat.pop("liaison_unit", None)
        flat["headcount"] = headcount
        flat["partial"] = False
        liaisons = [(k, share) for k, share in found["liaison"]["liaisons"] if directory.shows(k)]
        flat["liaisons"] = "; ".join(f"{directory.label(k)} ({share:.0%})" for k, share in liaisons)
        flat["liaison_keys"] = "; ".join(k for k, _ in liaisons)
        rows.append(flat)
    header = columns(
        rows, ["unit", "headcount", "score", "partial", "paths", "liaisons", "liaison_keys"]
    )
    return header, [[row.get(c) for c in header] for row in rows]


@table(
    "liaison_matrix",
    "Business unit × IT team cells in the window: liaison score, components, ties and people.",
    windowed=True,
)
def liaison_matrix_table(wanted: Window) -> Rows:
    """One row per (business unit, IT team) cell of the liaison matrix; hidden cells left out."""
    matrix = build_matrix(wanted)
    rows = []
    for unit in matrix["units"]:
        if not unit["visible"]:
            continue
        for found in unit["cells"]:
            if found["state"] == "hidden":
                continue
            flat = flatten({k: v for k, v in found.items() if k not in ("url", "api")})
            flat["unit"] = unit["unit"]
            flat["unit_size"] = unit["size"]
            rows.append(flat)
    header = columns(rows, ["unit", "it_team", "state", "score", "interactions", "pairs",
                            "weight", "unit_size"])  # fmt: skip
    return header, [[row.get(c) for c in header] for row in rows]


@table("isolation", "Every team's isolation figures: E-I index against expected, reach, reasons.")
def isolation_table(_: Window) -> Rows:
    """One row per team, in the isolation job's ranking."""
    directory = Directory.load()
    rows = []
    kept = (f for f in needs("isolation")["teams"] if directory.isolation_safe(f["team"]))
    for rank, found in enumerate(kept, start=1):
        flat = flatten(found)
        top = found.get("concentration", {}).get("top_member")
        flat["concentration_top_member"] = directory.label(top)
        flat["reasons"] = "; ".join(_reasons(found, directory))
        flat["rank"] = rank
        flat["flagged"] = bool(found.get("reasons"))
        rows.append(flat)
    header = columns(rows, ["rank", "team", "size", "flagged", "reasons", "ei", "expected",
                            "p_value"])  # fmt: skip
    return header, [[row.get(c) for c in header] for row in rows]


@table(
    "brokers",
    "Brokerage per person: betweenness, constraint, effective size, Gould–Fernandez roles.",
)
def brokers_table(_: Window) -> Rows:
    """One row per person, highest betweenness first."""
    directory = Directory.load()
    roles = needs("brokers").get("roles", {})
    scores = get_store().scores(Subject.PERSON)
    measures = ["betweenness", "constraint", "effective_size"]
    gf = sorted({n for values in scores.values() for n in values if n.startswith("gf_")})
    zs = sorted({f"{r}" for found in roles.values() for r in found.get("z", {})})
    header = ["key", "label", "team", "department", *measures, *gf, *(f"z_{r}" for r in zs)]
    keys = [k for k, v in scores.items() if any(m in v for m in measures) and directory.shows(k)]
    keys.sort(key=lambda k: (-(scores[k].get("betweenness") or 0.0), k))
    rows = []
    for key in keys:
        z = roles.get(key, {}).get("z", {})
        rows.append(
            [key, directory.label(key), directory.team(key), directory.department(key)]
            + [scores[key].get(n) for n in (*measures, *gf)]
            + [z.get(r) for r in zs]
        )
    return header, rows


@table(
    "risk",
    "Key-person risk: who holds team pairs and IT–business relationships together.",
)
def risk_table(_: Window) -> Rows:
    """The ranked key people with the relationships they alone keep."""
    directory = Directory.load()
    header = ["rank", "key", "label", "team", "department", "articulation", "cut_off",
              "reach_drop", "team_pairs", "it_units"]  # fmt: skip
    rows = []
    kept = (f for f in needs("risk")["ranked"] if directory.shows(f["person"]))
    for rank, found in enumerate(kept, start=1):
        key = found["person"]
        rows.append(
            [rank, key, directory.label(key), directory.team(key), directory.department(key),
             found["articulation"], found["cut_off"], found["reach_drop"],
             losses(found["team_pairs"], directory), it_losses(found["it_units"], directory)]
        )  # fmt: skip
    return header, rows


def losses(found: Iterable[Mapping[str, Any]], directory: Directory) -> str:
    """Relationships that fall to few paths, as ``A ↔ B: 2 → 1`` (hidden groups left out)."""
    return "; ".join(
        f"{' ↔ '.join(loss['pair'])}: {loss['before']} → {loss['after']}"
        for loss in found
        if directory.subject_visible(" ↔ ".join(loss["pair"]))
    )


def it_losses(found: Iterable[Mapping[str, Any]], directory: Directory) -> str:
    """Unit–IT relationships that fall to few paths: units whose liaison may be shown in full."""
    return losses((loss for loss in found if directory.unit_whole(loss["pair"][0])), directory)


@table(
    "introductions",
    "Recommended IT × business introductions with the model's probability and gain.",
)
def introductions_table(_: Window) -> Rows:
    """The recommended introductions, in the planner's order."""
    directory = Directory.load()
    header = ["rank", "unit", "person", "person_label", "person_team", "it_person",
              "it_label", "it_team", "probability", "gain", "adds_path", "covers_person"]  # fmt: skip
    rows = [
        [rank, found["unit"], found["person"], directory.label(found["person"]),
         directory.team(found["person"]), found["it_person"], directory.label(found["it_person"]),
         directory.team(found["it_person"]), found["probability"], found["gain"],
         found["adds_path"], found["covers_person"]]
        for rank, found in enumerate(
            (f for f in needs("introductions")["introductions"]
             if directory.unit_visible(f["unit"]) and directory.shows(f["person"])
             and directory.shows(f["it_person"])),
            start=1,
        )
    ]  # fmt: skip
    return header, rows


@table("communities", "Communities found in the network, their size, departments and teams.")
def communities_table(_: Window) -> Rows:
    """One row per community, with the departments and teams of its members."""
    needs("communities")
    directory = Directory.load()
    scores = get_store().scores(Subject.PERSON)
    members: dict[int, list[str]] = defaultdict(list)
    for key, values in scores.items():
        if "community" in values and key in directory.people:
            members[int(values["community"])].append(key)
    header = ["community", "size", "main_department", "main_department_share", "departments",
              "teams"]  # fmt: skip
    rows = []
    for community, keys in sorted(members.items()):
        if not policy.group_visible(len(keys)):
            continue
        departments = Counter(directory.department(k) or "(none)" for k in keys)
        teams = Counter(directory.team(k) or "(none)" for k in keys)
        main, count = min(departments.items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append(
            [community, len(keys), main, count / len(keys), tally(departments), tally(teams)]
        )
    return header, rows


def tally(counts: Counter[str]) -> str:
    """``name: n`` parts, largest first.

    >>> tally(Counter({"IT": 2, "Sales": 5}))
    'Sales: 5; IT: 2'
    """
    return "; ".join(f"{k}: {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@table(
    "compare",
    "First half against second half: every measure before and after with its 95 % interval.",
)
def compare_table(_: Window) -> Rows:
    """Findings first, then every team's E-I index and every unit's liaison score."""
    directory = Directory.load()
    found = needs("compare")
    ei_shown = compare.ei_shown(directory.groups, found["windows"])
    before, after = (months_span(w) for w in found["windows"])
    header = ["metric", "subject", "finding", "before", "after", "difference", "ci_low",
              "ci_high", "significant", "window_before", "window_after"]  # fmt: skip
    findings = {(f["metric"], f["subject"]): f for f in found["findings"]}
    measured = [("E-I index", found.get("ei", {})), ("liaison score", found.get("liaison", {}))]
    seen = set()
    rows = []
    for (metric, subject), f in findings.items():
        rows.append((metric, subject, f["kind"], f["change"]))
        seen.add((metric, subject))
    for metric, changes in measured:
        for subject, change in sorted(changes.items()):
            if (metric, subject) not in seen:
                rows.append((metric, subject, "", change))
    table_rows = [
        [metric, subject, kind, c["before"], c["after"], difference(c), c["low"], c["high"],
         significant(c), before, after]
        for metric, subject, kind, c in rows
        if (ei_shown(subject) if metric == "E-I index" else directory.subject_visible(subject))
    ]  # fmt: skip
    return header, table_rows


def difference(change: Mapping[str, float | None]) -> float | None:
    """``after − before``, or ``None`` when either is missing."""
    if change.get("before") is None or change.get("after") is None:
        return None
    return change["after"] - change["before"]


def significant(change: Mapping[str, float | None]) -> bool:
    """Whether the interval of the difference excludes 0."""
    low, high = change.get("low"), change.get("high")
    return low is not None and high is not None and (low > 0 or high < 0)


def months_span(months: Sequence[str]) -> str:
    """``first..last`` of a run of months.

    >>> months_span(["2025-01", "2025-02", "2025-03"]), months_span([])
    ('2025-01..2025-03', '')
    """
    return f"{months[0]}..{months[-1]}" if months else ""


@table("roles", "Structural roles (k-means clusters): name, size, description and centroid.")
def roles_table(_: Window) -> Rows:
    """One row per role (for viewers below admin: sizes over visible people, centroids when whole)."""
    found = needs("roles")["roles"]
    directory = Directory.load()
    scores = get_store().scores(Subject.PERSON)
    shown = Counter(int(v["role"]) for k, v in scores.items() if "role" in v and directory.shows(k))
    rows = []
    for role in found:
        size = int(role["size"]) if policy.sees_all() else shown[int(role["cluster"])]
        if not policy.group_visible(size):
            continue
        if size != int(role["size"]):  # the centroid includes hidden people: leave it out
            role = {k: v for k, v in role.items() if k != "centroid"}
        rows.append(flatten({**role, "size": size}))
    header = columns(rows, ["cluster", "name", "size", "description"])
    return header, [[row.get(c) for c in header] for row in rows]


@table("ingest_runs", "The ingest ledger: every file loaded, what it read, kept and skipped.")
def ingest_runs_table(_: Window) -> Rows:
    """One row per ingest run, newest first.

    Below admin only when and what ran: file names belong to the Data page
    (admins), and the whole-data counts minus the visible teams' would give
    the hidden teams' people and interactions away.
    """
    if not policy.sees_all():
        header = ["id", "kind", "status", "started", "finished"]
        runs = get_store().runs(limit=1_000_000)
        return header, [[r.id, r.kind, r.status, r.started, r.finished] for r in runs]
    header = ["id", "kind", "source", "status", "started", "finished", "read", "kept",
              "interactions", "people_created", "people_matched", "skipped", "error"]  # fmt: skip
    rows = []
    for run in get_store().runs(limit=1_000_000):
        report = run.report or {}
        skipped = report.get("skipped") or {}
        rows.append(
            [run.id, run.kind, run.source, run.status, run.started, run.finished]
            + [
                report.get(n)
                for n in ("read", "kept", "interactions", "people_created", "people_matched")
            ]  # fmt: skip
            + [sum(skipped.values()), run.error]
        )
    return header, rows


@table(
    "tickets",
    "Ticket facts: assignment group, requester, opened, resolved, reopens, satisfaction "
    "(window: the month a ticket was opened).",
    windowed=True,
)
def tickets_table(wanted: Window) -> Rows:
    """One row per ticket opened in the window."""
    directory = Directory.load()
    header = ["system", "ref", "group", "requester", "requester_team", "requester_department",
              "opened", "resolved", "hours_to_resolve", "reopen_count", "satisfaction"]  # fmt: skip
    rows = [
        [fact.system, fact.ref, fact.group, directory.label(fact.requester),
         directory.team(fact.requester), directory.department(fact.requester), fact.opened,
         fact.resolved, fact.hours_to_resolve, fact.reopen_count, fact.satisfaction]
        for fact in get_store().ticket_facts()
        if in_window(fact.opened, wanted)
        and (not fact.requester or directory.shows(fact.requester))
        and directory.groups.group_name_visible(fact.group or "")
    ]  # fmt: skip
    return header, rows


def in_window(when: datetime | None, wanted: Window) -> bool:
    """Whether a time falls in the window's months (anything does when there are no bounds)."""
    if wanted.since is None and wanted.until is None:
        return True
    if when is None:
        return False
    month = date(when.year, when.month, 1)
    return (wanted.since is None or month >= wanted.since) and (
        wanted.until is None or month < wanted.until
    )


def cell(value: object) -> object:
    """A value as a CSV cell: text that a spreadsheet would run as a formula is quoted.

    Numbers stay numbers (a negative number is not a formula); text starting
    with ``= + - @``, tab or carriage return gets a leading ``'``.

    >>> [cell(v) for v in ("=HYPERLINK(1)", "-1+1", "@SUM", "Ann", -0.5, True, None, 1/3)]
    ["'=HYPERLINK(1)", "'-1+1", "'@SUM", 'Ann', '-0.5', 'true', '', '0.3333333333']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".10g") if math.isfinite(value) else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_chunks(header: Sequence[str], rows: Iterable[Row], *, every: int = 500) -> Iterator[str]:
    """The CSV text (header first, CRLF line ends, minimal quoting) in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(h) for h in header])
    for n, row in enumerate(rows, start=1):
        writer.writerow([cell(v) for v in row])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/export/<name>.csv")
def table_csv(name: str) -> Response:
    """One table as a CSV download (window parameters apply to the windowed tables)."""
    found = TABLES.get(name)
    if found is None:
        raise NotFound(f"no table {name!r} (tables: {', '.join(TABLES)})")
    header, rows = found.build(window())
    return Response(
        stream_with_context(csv_chunks(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=bridgework-{name}.csv"},
    )


# -- graphs for Gephi ------------------------------------------------------------------------


def export_graph(level: str, wanted: Window) -> nx.Graph:
    """The team or person graph of a window as networkx, ready for GEXF and GraphML.

    Node attributes are flat and typed (no ``None``): ``label``, ``team``,
    ``department``, ``is_it``, ``size``, ``x`` and ``y`` (the server layout,
    unit square) and every stored score; ``viz`` carries position, size and
    colour for GEXF. Edge attributes: ``weight``, ``count`` (and ``pairs``
    between teams).
    """
    people = policy.visible_graph(people_graph(wanted))  # no hidden team's people or ties
    store = get_store()
    directory = Directory.load()
    if level == "teams":
        graph = team_graph(people)
        hidden = [v.index for v in graph.vs if not directory.team_visible(v["name"])]
        graph.delete_vertices(hidden)
        scores = {
            t: values
            for t, values in store.scores(Subject.TEAM).items()
            if directory.isolation_safe(t)
        }
        labels = [name.split("/", 1)[-1] for name in graph.vs["name"]]
        teams = graph.vs["name"]
        sizes = graph.vs["size"]
    else:
        graph = people
        scores = {k: policy.person_scores(v) for k, v in store.scores(Subject.PERSON).items()}
        labels = [directory.label(key) for key in graph.vs["name"]]
        teams = [t or "" for t in graph.vs["team"]]
        sizes = [1] * graph.vcount()
    positions = layout(graph, seed=1)
    strength = graph.strength(weights="weight") if graph.ecount() else [0.0] * graph.vcount()
    out = nx.Graph(name=f"Bridgework {level}")
    for v, label, team, size, (x, y), s in zip(
        graph.vs, labels, teams, sizes, positions, strength, strict=True
    ):
        colour = IT_COLOUR if v["is_it"] else BUSINESS_COLOUR
        attrs: dict[str, object] = {
            "label": label,
            "team": team,
            "department": v["department"] or "",
            "is_it": bool(v["is_it"]),
            "size": int(size),
            "strength": float(s),
            "x": float(x),
            "y": float(y),
        }
        attrs.update(
            {k: float(val) for k, val in scores.get(v["name"], {}).items() if k not in attrs}
        )
        out.add_node(v["name"], **attrs)
        out.nodes[v["name"]]["_viz"] = {
            "position": {"x": round(x * 1000, 2), "y": round((1 - y) * 1000, 2), "z": 0.0},
            "size": round(4 + 4 * math.sqrt(size if level == "teams" else 1 + s), 2),
            "color": rgb(colour),
        }
    names = graph.vs["name"]
    for e in graph.es:
        attrs = {"weight": float(e["weight"]), "count": int(e["count"])}
        if "pairs" in graph.es.attributes():
            attrs["pairs"] = int(e["pairs"])
        out.add_edge(names[e.source], names[e.target], **attrs)
    return out


def rgb(colour: str) -> dict[str, int | float]:
    """A ``#rrggbb`` colour as GEXF's viz colour.

    >>> rgb("#2f6fb3")
    {'r': 47, 'g': 111, 'b': 179, 'a': 1.0}
    """
    value = colour.lstrip("#")
    return {"r": int(value[0:2], 16), "g": int(value[2:4], 16), "b": int(value[4:6], 16),
            "a": 1.0}  # fmt: skip


def graph_level() -> str:
    """The ``level`` query parameter: ``teams`` (default) or ``people``."""
    level = request.args.get("level", "teams")
    if level not in ("teams", "people"):
        raise InvalidInput("must be teams or people", field="level", value=level)
    return level


@bp.get("/export/graph.<any(gexf, graphml):fmt>")
def graph_file(fmt: str) -> Response:
    """The team or person graph of a window for Gephi (``level=teams|people``)."""
    level = graph_level()
    graph = export_graph(level, window())
    buffer = io.BytesIO()
    if fmt == "gexf":
        for _, attrs in graph.nodes(data=True):
            attrs["viz"] = attrs.pop("_viz")
        nx.write_gexf(graph, buffer)
        mimetype = "application/gexf+xml"
    else:
        for _, attrs in graph.nodes(data=True):
            attrs.pop("_viz")
        nx.write_graphml(graph, buffer)
        mimetype = "application/graphml+xml"
    return Response(
        buffer.getvalue(),
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=bridgework-{level}.{fmt}"},
    )


# -- map pictures ----------------------------------------------------------------------------


def map_scene(wanted: Window) -> render.Scene:
    """The team map of a window, drawn like the map page (size: headcount, width: strength)."""
    directory = Directory.load()
    graph = team_graph(policy.visible_graph(people_graph(wanted)))
    graph.delete_vertices([v.index for v in graph.vs if not directory.team_visible(v["name"])])
    positions = layout(graph, seed=1)
    names = graph.vs["name"]
    scene = render.map_scene(
        positions,
        graph.vs["size"],
        [IT_COLOUR if it else BUSINESS_COLOUR for it in graph.vs["is_it"]],
        [n.split("/", 1)[-1] for n in names],
        [(e.source, e.target) for e in graph.es],
        graph.es["weight"] if graph.ecount() else [],
        titles=[f"{n} · {size} people" for n, size in zip(names, graph.vs["size"], strict=True)],
    )
    scene.legend = [(IT_COLOUR, "IT"), (BUSINESS_COLOUR, "business")]
    scene.title = "Bridgework team map" + (f" ({describe(wanted)})" if describe(wanted) else "")
    return scene


def describe(wanted: Window) -> str:
    """The window in words, for titles (empty for the whole data set).

    >>> describe(Window(date(2025, 1, 1), None, (Channel.EMAIL,)))
    'from 2025-01; email'
    """
    parts = []
    if wanted.since:
        parts.append(f"from {wanted.since:%Y-%m}")
    if wanted.until:
        parts.append(f"until {wanted.until:%Y-%m}")
    if wanted.channels:
        parts.append(", ".join(c.value for c in wanted.channels))
    return "; ".join(parts)


@bp.get("/export/map.svg")
def map_svg() -> Response:
    """The team map of a window as an SVG picture."""
    return Response(
        render.to_svg(map_scene(window())),
        mimetype="image/svg+xml",
        headers={"Content-Disposition": "attachment; filename=bridgework-map.svg"},
    )


@bp.get("/export/map.png")
def map_png() -> Response:
    """The team map of a window as a PNG picture."""
    return Response(
        render.to_png(map_scene(window())),
        mimetype="image/png",
        headers={"Content-Disposition": "attachment; filename=bridgework-map.png"},
    )


# -- the list of downloads ---------------------------------------------------------------------


def downloads(wanted: Window) -> list[dict[str, object]]:
    """Every download with its format, URL (keeping the window where it applies) and description."""
    args = wanted.query()
    found: list[dict[str, object]] = []

    def add(name: str, fmt: str, url: str, description: str, windowed: bool) -> None:
        found.append(
            {"name": name, "format": fmt, "url": url, "description": description,
             "windowed": windowed}
        )  # fmt: skip

    for t in TABLES.values():
        add(t.name, "csv", url_for("exports.table_csv", name=t.name, **(args if t.windowed else {})),
            t.description, t.windowed)  # fmt: skip
    for fmt, what in (("gexf", "GEXF"), ("graphml", "GraphML")):
        add(f"graph-teams-{fmt}", fmt, url_for("exports.graph_file", fmt=fmt, level="teams", **args),
            f"Team graph for Gephi ({what}): headcount, scores, layout positions, tie weights.",
            True)  # fmt: skip
        add(f"graph-people-{fmt}", fmt,
            url_for("exports.graph_file", fmt=fmt, level="people", **args),
            f"Person graph for Gephi ({what}): labels, teams, scores, layout positions, ties.",
            True)  # fmt: skip
    add(
        "map-svg",
        "svg",
        url_for("exports.map_svg", **args),
        "The team map as a vector picture (size: headcount, colour: IT or business).",
        True,
    )
    add("map-png", "png", url_for("exports.map_png", **args),
        "The team map as a PNG picture, 1200 × 900 pixels.", True)  # fmt: skip
    add(
        "report",
        "html",
        url_for("exports.report"),
        "A printable report of the latest analysis (print it or save it as PDF).",
        False,
    )
    return found


@bp.get("/exports")
def page() -> str:
    """Every download, with a form to choose the data window."""
    wanted = window()
    return render_template(
        "exports/page.html",
        downloads=downloads(wanted),
        wanted=wanted,
        channels=[c.value for c in Channel],
        describe=describe(wanted),
    )


@bp.get("/api/exports")
def api_exports() -> Response:
    """Every download as JSON: name, format, url, description, windowed."""
    wanted = window()
    return jsonify({"ok": True, "window": wanted.query(), "downloads": downloads(wanted)})


# -- the printable report ----------------------------------------------------------------------


def report_data(*, top: int = 10) -> dict[str, Any]:
    """Everything the printable report shows, JSON-ready."""
    store = get_store()
    directory = Directory.load()
    latest = {job: results.latest(job) for job in JOBS}
    ran = [snapshot for snapshot in latest.values() if snapshot]
    analysis = None
    if ran:
        newest = max(ran, key=lambda s: s["created"])
        months = newest["window"].get("months") or []
        analysis = {
            "created": newest["created"],
            "version": newest["version"],
            "seed": newest["seed"],
            "window": {
                "since": newest["window"].get("since"),
                "until": newest["window"].get("until"),
                "first_month": months[0] if months else None,
                "last_month": months[-1] if months else None,
                "months": len(months),
            },
            "versions": newest["versions"],
            "jobs": {job: s["version"] for job, s in latest.items() if s},
        }
    data: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": counts(),
        "analysis": analysis,
        "headline": report_headline(headline(store), directory),
    }
    data["liaison"] = report_liaison(latest["liaison"], directory)
    data["single_liaison_units"] = data["headline"]["single_liaison_units"]
    data["isolated_teams"] = [
        {"team": t["team"], "size": t["size"], "ei": t.get("ei"), "expected": t.get("expected"),
         "reasons": _reasons(t, directory)}
        for t in _result(latest["isolation"]).get("teams", [])
        if t.get("reasons") and directory.isolation_safe(t["team"])
    ]  # fmt: skip
    scores = store.scores(Subject.PERSON)
    ranked = [
        (key, value)
        for key, value in _result(latest["brokers"]).get("top_betweenness", [])
        if directory.shows(key)
    ]
    data["brokers"] = [
        {"label": directory.label(key), "team": directory.team(key), "betweenness": value,
         "constraint": scores.get(key, {}).get("constraint"),
         "role": broker_role(_result(latest["brokers"]).get("roles", {}).get(key))}
        for key, value in ranked[:top]
    ]  # fmt: skip
    risky = [r for r in _result(latest["risk"]).get("ranked", []) if directory.shows(r["person"])]
    data["risks"] = [
        {"label": directory.label(r["person"]), "team": directory.team(r["person"]),
         "articulation": r["articulation"], "cut_off": r["cut_off"],
         "reach_drop": r["reach_drop"], "it_units": it_losses(r["it_units"], directory),
         "team_pairs": losses(r["team_pairs"], directory)}
        for r in risky[:top]
    ]  # fmt: skip
    intro = _result(latest["introductions"])
    data["introductions"] = {
        "skipped": intro.get("skipped"),
        "held_out_auc": intro.get("held_out_auc"),
        "items": [
            {"unit": i["unit"], "person": directory.label(i["person"]),
             "person_team": directory.team(i["person"]), "it_person": directory.label(i["it_person"]),
             "it_team": directory.team(i["it_person"]), "probability": i["probability"]}
            for i in intro.get("introductions", [])
            if directory.unit_visible(i["unit"]) and directory.shows(i["person"])
            and directory.shows(i["it_person"])
        ],
    }  # fmt: skip
    data["communities"] = report_communities(_result(latest["communities"]), directory)
    compared = _result(latest["compare"])
    ei_shown = compare.ei_shown(directory.groups, compared.get("windows") or [])
    data["compare"] = {
        "skipped": compared.get("skipped"),
        "windows": [months_span(w) for w in compared.get("windows", [])],
        "findings": [
            {"kind": f["kind"], "metric": f["metric"], "subject": f["subject"],
             "before": f["change"]["before"], "after": f["change"]["after"],
             "low": f["change"]["low"], "high": f["change"]["high"]}
            for f in compared.get("findings", [])
            if (ei_shown(f["subject"]) if f["metric"] == "E-I index"
                else directory.subject_visible(f["subject"]))
        ],
    }  # fmt: skip
    return data


def report_headline(found: Mapping[str, Any], directory: Directory) -> dict[str, Any]:
    """The headline results without hidden groups (and single-liaison units only when whole)."""
    return {
        **found,
        "isolated_teams": [t for t in found["isolated_teams"] if directory.isolation_safe(t)],
        "liaison_scores": {
            u: score for u, score in found["liaison_scores"].items() if directory.unit_visible(u)
        },
        "single_liaison_units": [
            u for u in found["single_liaison_units"] if directory.unit_whole(u)
        ],
    }


def _result(snapshot: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(snapshot["result"]) if snapshot else {}


def report_liaison(
    snapshot: Mapping[str, Any] | None, directory: Directory
) -> list[dict[str, Any]]:
    """Liaison per business unit, weakest first, with named liaisons.

    A unit whose liaison draws on a small hidden team keeps only its score (``partial``).
    """
    units = _result(snapshot).get("units", {})
    rows = []
    for unit, found in sorted(units.items(), key=lambda kv: (kv[1]["score"], kv[0])):
        if not directory.unit_visible(unit):
            continue
        if not directory.unit_whole(unit):
            rows.append({"unit": unit, "score": found["score"], "partial": True, "paths": None,
                         "coverage": None, "trend": None, "it_people": None, "liaisons": []})  # fmt: skip
            continue
        rows.append(
            {"unit": unit, "score": found["score"], "partial": False, "paths": found["paths"],
             "coverage": found.get("coverage"), "trend": found.get("trend"),
             "it_people": found["liaison"].get("it_people"),
             "liaisons": [{"label": directory.label(k), "team": directory.team(k), "share": share}
                          for k, share in found["liaison"]["liaisons"] if directory.shows(k)]}
        )  # fmt: skip
    return rows


def broker_role(found: Mapping[str, Any] | None) -> str:
    """The Gould–Fernandez role a person plays most above chance (largest z), or ``""``.

    >>> broker_role({"z": {"liaison": 1.5, "gatekeeper": 3.0}})
    'gatekeeper'
    >>> broker_role(None)
    ''
    """
    z = {k: v for k, v in ((found or {}).get("z") or {}).items() if v is not None}
    if not z:
        return ""
    role, value = max(z.items(), key=lambda kv: (kv[1], kv[0]))
    return role if value > 0 else ""


def report_communities(found: Mapping[str, Any], directory: Directory) -> dict[str, Any] | None:
    """How well the communities match departments: agreement, purity, split and silo units."""
    if not found:
        return None
    fit = found["fit"]["department"]
    membership = get_store().scores(Subject.PERSON)
    hidden_in = Counter(
        int(v["community"])
        for k, v in membership.items()
        if "community" in v and not directory.shows(k)
    )
    return {
        "count": len(set(found["communities"]["membership"])),
        "modularity": found["communities"].get("modularity"),
        "agreement": fit.get("agreement", {}),
        "purity": [
            {"department": dept, **values}
            for dept, values in sorted(fit.get("purity", {}).items())
            if directory.unit_visible(dept) and directory.groups.department_whole(dept)
        ],
        "split": [
            {
                "department": s["team"],
                "size": s["size"],
                "parts": "; ".join(f"{n} in community {c}" for c, n in s["parts"]),
            }
            for s in fit.get("split", [])
            if directory.unit_visible(s["team"]) and directory.groups.department_whole(s["team"])
        ],
        "silos": [
            {
                "community": s["community"],
                "size": s["size"],
                "external_share": s["external_share"],
                "departments": "; ".join(f"{name}: {n}" for name, n in s["teams"]),
            }
            for s in fit.get("silos", [])
            if policy.group_visible(int(s["size"])) and not hidden_in[int(s["community"])]
        ],
    }


@bp.get("/report")
def report() -> str:
    """A printable report of the latest analysis (A4, one section per page)."""
    return render_template("exports/report.html", report=report_data())


@bp.get("/api/report")
def api_report() -> Response:
    """The printable report's content as JSON."""
    return jsonify({"ok": True, **report_data()})
