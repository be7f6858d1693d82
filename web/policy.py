"""What the current viewer may see: the one place pages, the API and exports ask.

Every view that shows a person's name or a group-level figure goes through
this module, so that a rule changes in one place.

The viewer is the logged-in user (:mod:`web.auth` puts it on ``flask.g``):
admins see names and every group; analysts see names only when granted
identification (``flask --app app user identify NAME on``), pseudonyms
otherwise; viewers see group-level pages only (:mod:`web.access` keeps them
off person-level ones) and never names. Outside a request (the command line,
background work) and in an app without accounts, the viewer is the local
administrator.

The rules below bind viewers and analysts. **Admins see everything**: every
group, every figure, every name.

1. *Minimum group size.* A group (team, business unit, department, IT team,
   community, structural role) of fewer than ``MIN_GROUP_SIZE`` people (k,
   5 by default) shows no figure at all: no headcount, no map node, no
   matrix cell, no export row (:func:`group_visible`, :func:`hidden_text`).
2. *People follow their team.* The people of a hidden team are left out of
   everything the viewer sees: person pages and lists, exports, and the
   live figures, which are computed over the visible people only
   (:meth:`Groups.visible`, :func:`visible_graph`). Every total of live
   figures (a matrix cell, a department's headcount, a map node's ties,
   the counts on the overview) is therefore a total over visible parts:
   subtracting the visible parts from it leaves nothing to recover.
3. *Edges between groups* are shown only when both ends are visible
   (:func:`edge_visible`, :meth:`Groups.subject_visible`).
4. *Analysis snapshots* were computed over everyone, so a snapshot figure
   of a visible group may include hidden teams' parts: a unit's liaison
   draws on its teams and on IT, a team's E-I index and tie counts on the
   teams it has ties with. Such a figure is shown only when what it
   includes of hidden teams is no single small group (:meth:`Groups.safe`:
   no hidden team at all, or at least two with k or more people together),
   so that subtracting the visible parts leaves at most a sum over a group
   of k or more. Otherwise a unit keeps only its score and a team's
   boundary figures are withheld (:meth:`Groups.liaison_whole`,
   :func:`hidden_neighbours`).
5. *Names and titles* only for viewers who may identify people
   (:func:`person_label`, :func:`person_title`): a job title names someone
   in a small team as surely as their name does.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

import igraph as ig
from flask import current_app
from flask import g
from flask import has_app_context
from flask import has_request_context

from ingest.records import Person


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, and what their role allows."""

    name: str
    role: str
    identify: bool


ADMIN = Viewer("local", "admin", identify=True)
ANONYMOUS = Viewer("", "anonymous", identify=False)
#: where :mod:`web.auth` registers itself on the app
AUTH_KEY = "bridgework.auth"
#: what a team's "department/team" pairs are joined with in findings (``A ↔ B``)
PAIR = "↔"


def viewer() -> Viewer:
    """The viewer of the current request (the logged-in user's role and identification)."""
    found = getattr(g, "viewer", None) if has_app_context() else None
    if found is not None:
        return found
    if has_request_context() and AUTH_KEY in current_app.extensions:
        return ANONYMOUS
    return ADMIN


def for_user(name: str, role: str, identify: bool) -> Viewer:
    """The viewer of a user: admins identify people, analysts when granted, viewers never.

    >>> for_user("ann", "viewer", True).identify
    False
    """
    return Viewer(name, role, identify=role == "admin" or (role == "analyst" and identify))


def sees_all() -> bool:
    """Whether the viewer sees every group and person regardless of size (admins)."""
    return viewer().role == "admin"


def sees_people() -> bool:
    """Whether the viewer may see individual people at all (analysts and admins)."""
    return viewer().role in ("analyst", "admin")


def person_label(person: Person) -> str:
    """How a person is named to the current viewer: the name, or a short pseudonym."""
    if viewer().identify and person.name:
        return person.name
    return short_key(person.key)


def person_title(person: Person) -> str | None:
    """A person's job title, for viewers who may identify people; ``None`` for the others."""
    return person.title if viewer().identify else None


#: stored person scores that count someone's contacts, hidden teams' people included
CONTACT_COUNTS = frozenset({"degree"})


def person_scores(scores: Mapping[str, float]) -> dict[str, float]:
    """A person's stored scores as the viewer may see them.

    ``degree`` counts contacts in hidden teams too: summed over a team's
    members and set against their visible contacts it would give the team's
    ties to hidden teams away, so only admins get it.
    """
    if sees_all():
        return dict(scores)
    return {name: value for name, value in scores.items() if name not in CONTACT_COUNTS}


def short_key(key: str) -> str:
    """A person key shortened for display (still unique enough to tell people apart)."""
    return key[:12]


def min_group_size() -> int:
    """The smallest group whose figures may be shown (``MIN_GROUP_SIZE``)."""
    return int(current_app.config.get("MIN_GROUP_SIZE", 5))


def group_visible(size: int) -> bool:
    """Whether figures for a group of ``size`` people may be shown to the viewer."""
    return sees_all() or size >= min_group_size()


def edge_visible(a_size: int, b_size: int) -> bool:
    """Whether a figure of the tie between two groups may be shown: both must be visible."""
    return group_visible(a_size) and group_visible(b_size)


def hidden_text() -> str:
    """What replaces the figures of a group that is too small to show."""
    return f"hidden (fewer than {min_group_size()} people)"


def withheld_text() -> str:
    """What replaces a visible group's figures that would give a hidden group's part away."""
    return f"withheld (its ties reach a team of fewer than {min_group_size()} people)"


def team_of(person: Person) -> str:
    """A person's team key, ``""`` without a team (people without a team form one group)."""
    return person.team_key if person.team else ""


def visible_graph(graph: ig.Graph) -> ig.Graph:
    """The person graph without the people of hidden teams (the same graph for admins).

    ``graph`` has a vertex attribute ``team`` (team key, empty without a
    team) and holds everyone, so that its headcounts are the real ones.
    Figures computed from the result never contain a hidden group's part.
    """
    if sees_all() or graph.vcount() == 0:
        return graph
    teams = [t or "" for t in graph.vs["team"]]
    sizes = Counter(teams)
    keep = [i for i, team in enumerate(teams) if group_visible(sizes[team])]
    return graph if len(keep) == graph.vcount() else graph.subgraph(keep)


@dataclass(frozen=True, slots=True)
class Groups:
    """The directory's groups with their real headcounts, and what the viewer may see of them.

    Build it once per request from every person (:meth:`of`); ask it who and
    what is visible. Headcounts of business units and departments are the
    *visible* ones (rule 2): for admins those are the real ones.
    """

    teams: Counter[str]
    it_teams: frozenset[str]
    unit_teams: Mapping[str, frozenset[str]]
    people: Mapping[str, Person]
    units: Counter[str] = field(default_factory=Counter)
    departments: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, people: Iterable[Person]) -> Groups:
        """Count every group of ``people`` (everyone in the store) and keep the visible people."""
        everyone = list(people)
        teams = Counter(team_of(p) for p in everyone)
        unit_teams: dict[str, set[str]] = {}
        for person in everyone:
            if person.department and not person.is_it:
                unit_teams.setdefault(person.department, set()).add(team_of(person))
        shown = [p for p in everyone if sees_all() or group_visible(teams[team_of(p)])]
        return cls(
            teams=teams,
            it_teams=frozenset(team_of(p) for p in everyone if p.is_it),
            unit_teams={unit: frozenset(found) for unit, found in unit_teams.items()},
            people={p.key: p for p in shown},
            units=Counter(p.department for p in shown if p.department and not p.is_it),
            departments=Counter(p.department for p in shown if p.department),
        )

    def team_visible(self, team: str) -> bool:
        """Whether the figures of a team (by key) may be shown."""
        return group_visible(self.teams.get(team, 0))

    def team_size(self, team: str) -> int | None:
        """A team's headcount, ``None`` when it is hidden."""
        return self.teams.get(team, 0) if self.team_visible(team) else None

    @property
    def hidden(self) -> frozenset[str]:
        """Every hidden team key, ``""`` included when too few people have no team.

        Live figures depend on the window and on this set only (a cache key).
        """
        return frozenset(t for t in self.teams if not self.team_visible(t))

    def hidden_teams(self) -> set[str]:
        """Teams (keys) whose figures are hidden from the viewer."""
        return {team for team in self.teams if team and not self.team_visible(team)}

    def person_visible(self, person: Person | str | None) -> bool:
        """Whether a person (or person key) may appear: their team is visible."""
        key = person.key if isinstance(person, Person) else person
        return key is not None and key in self.people

    def visible(self, people: Iterable[Person]) -> list[Person]:
        """The people of ``people`` the viewer may see."""
        return [p for p in people if p.key in self.people]

    def unit_visible(self, unit: str) -> bool:
        """Whether a business unit's figures may be shown (by its visible headcount)."""
        return group_visible(self.units.get(unit, 0))

    def department_visible(self, department: str) -> bool:
        """Whether a department's figures may be shown (by its visible headcount)."""
        return group_visible(self.departments.get(department, 0))

    def unit_whole(self, unit: str) -> bool:
        """Whether no team of a business unit is hidden (its snapshot figures may be shown in full)."""
        return all(self.team_visible(t) for t in self.unit_teams.get(unit, ()))

    def department_whole(self, department: str) -> bool:
        """Whether no team of a department (IT included) is hidden."""
        return all(self.team_visible(t) for t in self.teams if t.split("/", 1)[0] == department)

    def safe(self, parts: Iterable[str]) -> bool:
        """Whether a figure that includes the teams ``parts`` may be shown (rule 4).

        It may when none of them is hidden, or when the hidden ones are at
        least two with k or more people together: subtracting the visible
        parts then leaves a sum over several teams, no small group's figure.
        """
        hidden = {t for t in parts if not self.team_visible(t)}
        if not hidden:
            return True
        return len(hidden) >= 2 and sum(self.teams[t] for t in hidden) >= min_group_size()

    def boundary_safe(self, team: str, neighbours: Mapping[str, frozenset[str]]) -> bool:
        """Whether a team's snapshot figures that count its ties to other teams may be shown.

        ``neighbours``: :func:`hidden_neighbours` in the snapshot's window.
        The E-I index, tie counts, reach and isolation flags of a team tied
        to one small hidden team would give that tie away (rule 4).
        """
        return self.team_visible(team) and self.safe(neighbours.get(team, frozenset()))

    def liaison_whole(self, unit: str) -> bool:
        """Whether a unit's liaison snapshot (drawn from its teams and IT's) may be shown in full.

        Each side is judged alone: the unit's people with IT ties add up over
        its teams, the IT people it reaches over the IT teams.
        """
        return self.safe(self.unit_teams.get(unit, frozenset())) and self.safe(self.it_teams)

    def group_name_visible(self, name: str) -> bool:
        """Whether a team (``Dept/Team``), a team's short name or a department may be shown.

        Ticket assignment groups are named like a team without its
        department; a name that matches a hidden team is hidden.
        """
        if name in self.teams:
            return self.team_visible(name)
        hidden = {t.split("/", 1)[-1] for t in self.hidden_teams()}
        if name in hidden:
            return False
        if name in self.units or name in self.unit_teams:
            return self.unit_visible(name)
        return self.department_visible(name) if name in self.departments else True

    def subject_visible(self, subject: str) -> bool:
        """Whether a team, a unit or a ``A ↔ B`` pair of them may be shown (both ends for a pair)."""
        parts = [p.strip() for p in subject.split(PAIR)]
        return all(self._subject_part(p) for p in parts if p)

    def _subject_part(self, part: str) -> bool:
        if "/" in part:
            return self.team_visible(part)
        if part in self.unit_teams:
            return self.unit_visible(part)
        return self.department_visible(part)


def hidden_neighbours(graph: ig.Graph) -> dict[str, frozenset[str]]:
    """Per team, the hidden teams its people have ties with in ``graph``.

    ``graph`` is a person graph of everyone (vertex attribute ``team``).
    Admins see every team, so nothing is hidden from them: ``{}``.
    """
    if sees_all() or graph.vcount() == 0:
        return {}
    teams = [t or "" for t in graph.vs["team"]]
    sizes = Counter(teams)
    hidden = {t for t, n in sizes.items() if not group_visible(n)}
    found: dict[str, set[str]] = defaultdict(set)
    for edge in graph.es:
        a, b = teams[edge.source], teams[edge.target]
        if a != b and a in hidden:
            found[b].add(a)
        if a != b and b in hidden:
            found[a].add(b)
    return {team: frozenset(others) for team, others in found.items()}


def snapshot_neighbours(window: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    """:func:`hidden_neighbours` in the data window of an analysis snapshot.

    ``window`` is a snapshot's ``window`` (``since``/``until`` ISO dates, or
    ``months``); ``None`` means all the data.
    """
    if sees_all():
        return {}
    from web.params import Window
    from web.params import people_graph

    since, until = snapshot_bounds(window or {})
    return hidden_neighbours(people_graph(Window(since, until)))


def snapshot_bounds(window: Mapping[str, Any]) -> tuple[date | None, date | None]:
    """The first month and the month after the last of a snapshot window.

    >>> snapshot_bounds({"months": ["2025-01", "2025-12"]})
    (datetime.date(2025, 1, 1), datetime.date(2026, 1, 1))
    >>> snapshot_bounds({"since": "2025-03-01", "until": None, "months": ["2025-03"]})
    (datetime.date(2025, 3, 1), None)
    """
    months: Sequence[str] = window.get("months") or []
    if "since" in window or "until" in window:  # the bounds the analysis read
        since, until = window.get("since"), window.get("until")
        return (
            date.fromisoformat(since[:10]) if since else None,
            date.fromisoformat(until[:10]) if until else None,
        )
    if not months:
        return None, None
    first, last = months[0], months[-1]
    year, month = int(last[:4]), int(last[5:7])
    after = date(year + month // 12, month % 12 + 1, 1)
    return date(int(first[:4]), int(first[5:7]), 1), after
