"""The demo organisation: departments, teams, people and their hierarchy.

People are numbered so that every department, and every team inside it, is a
contiguous range of indices: picking "a random member of team t" is then one
``randrange`` call, which keeps the activity generator fast at 100,000 people.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

from demo import names as vocab


@dataclass(slots=True)
class Member:
    """One generated person (an HR directory row)."""

    idx: int
    first: str
    last: str
    name: str
    email: str
    alias: str
    unit: int
    team: int
    title: str = ""
    manager: int = -1
    start_date: str = ""
    activity: float = 1.0


@dataclass(slots=True)
class Unit:
    """A department: a business unit, the executive office or IT."""

    name: str
    base: str
    is_it: bool
    start: int = 0
    size: int = 0
    head: int = -1
    location: str = "London"
    teams: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Team:
    """A team inside a unit; IT teams list the units they serve."""

    name: str
    unit: int
    start: int
    size: int
    location: str
    lead: int = -1
    serves: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Org:
    """The whole organisation, before any activity is generated."""

    domain: str
    people: list[Member]
    units: list[Unit]
    teams: list[Team]
    exec_unit: int
    it_unit: int
    small_unit: int = -1

    @property
    def ceo(self) -> int:
        """Index of the CEO (head of the executive office)."""
        return self.units[self.exec_unit].head

    @property
    def business_units(self) -> list[int]:
        """Indices of the non-IT units other than the executive office."""
        return [u for u, unit in enumerate(self.units) if not unit.is_it and u != self.exec_unit]


def build_org(people: int, domain: str, start: date, rng: random.Random) -> Org:
    """Make an organisation of exactly ``people`` members."""
    units, small = _make_units(people, rng)
    org = Org(domain, [], units, [], exec_unit=0, it_unit=len(units) - 1, small_unit=small)
    for u, unit in enumerate(units):
        sizes = _team_sizes(unit.size, rng, small=unit.is_it)
        _fill_unit(org, u, sizes, rng)
    _name_people(org, rng)
    _assign_hierarchy(org, start, rng)
    _assign_service(org, rng)
    return org


def _make_units(people: int, rng: random.Random) -> tuple[list[Unit], int]:
    """Executive office, business units (count grows with size), then IT.

    One business unit is kept small (10 to 40 people) whatever the size of
    the organisation; its index in the unit list is returned with the list.
    """
    exec_size = 4 if people < 2000 else 6
    it_size = max(8, round(people * 0.09))
    n_business = min(48, max(3, round(math.sqrt(people) / 2.3)))
    small = rng.randrange(n_business)
    small_size = min(40, max(10, round(math.sqrt(people) * 1.2)))
    weights = [rng.uniform(0.6, 1.4) for _ in range(n_business - 1)]
    sizes = _apportion(people - exec_size - it_size - small_size, weights, minimum=8)
    sizes.insert(small, small_size)
    offices = list(vocab.LOCATIONS)
    units = [Unit(vocab.EXECUTIVE_UNIT, vocab.EXECUTIVE_UNIT, False, size=exec_size)]
    for i, size in enumerate(sizes):
        base = vocab.BUSINESS_UNITS[i % len(vocab.BUSINESS_UNITS)]
        cycle = i // len(vocab.BUSINESS_UNITS)
        name = base if cycle == 0 else f"{base} {vocab.REGIONS[(cycle - 1) % len(vocab.REGIONS)]}"
        units.append(Unit(name, base, False, size=size, location=rng.choice(offices)))
    units.append(Unit(vocab.IT_UNIT, vocab.IT_UNIT, True, size=it_size))
    return units, small + 1


def _apportion(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split ``total`` proportionally to ``weights``, each part >= ``minimum``."""
    spare = total - minimum * len(weights)
    scale = sum(weights)
    sizes = [minimum + int(spare * w / scale) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def _team_sizes(n: int, rng: random.Random, small: bool = False) -> list[int]:
    """Split a unit of ``n`` people into teams of 4 to 15."""
    mean = rng.uniform(5.5, 7.0) if small else rng.uniform(7.5, 10.0)
    k = max(1, round(n / mean), math.ceil(n / 15))
    if n >= 10:
        k = max(k, 2)
    k = min(k, max(1, n // 4))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    for _ in range(2 * k):
        i, j = rng.randrange(k), rng.randrange(k)
        step = rng.randint(1, 3)
        if i != j and sizes[i] - step >= 4 and sizes[j] + step <= 15:
            sizes[i] -= step
            sizes[j] += step
    return sizes


def _team_names(unit: Unit, count: int) -> list[str]:
    """Team names, unique within the unit: functions, numbered when reused."""
    if unit.name == vocab.EXECUTIVE_UNIT:
        functions: tuple[str, ...] = (vocab.EXECUTIVE_TEAM,)
    elif unit.is_it:
        functions = vocab.IT_TEAMS
    else:
        functions = vocab.UNIT_FUNCTIONS[unit.base]
    out = []
    for i in range(count):
        cycle = i // len(functions)
        name = functions[i % len(functions)]
        out.append(name if cycle == 0 else f"{name} {cycle + 1}")
    return out


def _fill_unit(org: Org, u: int, sizes: list[int], rng: random.Random) -> None:
    """Create the unit's teams and their (still unnamed) members."""
    unit = org.units[u]
    unit.start = len(org.people)
    offices = list(vocab.LOCATIONS)
    for name, size in zip(_team_names(unit, len(sizes)), sizes, strict=True):
        t = len(org.teams)
        where = unit.location if rng.random() < 0.7 else rng.choice(offices)
        org.teams.append(Team(name, u, len(org.people), size, where))
        unit.teams.append(t)
        for _ in range(size):
            org.people.append(Member(len(org.people), "", "", "", "", "", u, t))


def slug(text: str) -> str:
    """ASCII, lower-case local-part fragment of a name (``Zoë`` -> ``zoe``)."""
    text = text.replace("ø", "o").replace("Ø", "O").replace("ß", "ss")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def _name_people(org: Org, rng: random.Random) -> None:
    """Give everyone a unique display name, an address and maybe an alias."""
    combos = [(f, s) for f in vocab.FIRST_NAMES for s in vocab.LAST_NAMES]
    rng.shuffle(combos)
    used: set[str] = set()
    for p in org.people:
        cycle, k = divmod(p.idx, len(combos))
        p.first, p.last = combos[k]
        middle = _middle(cycle)
        p.name = " ".join(x for x in (p.first, middle, p.last) if x)
        local = ".".join(x for x in (slug(p.first), slug(middle), slug(p.last)) if x)
        p.email = _unique(local, org.domain, used)
        if rng.random() < 0.15:
            p.alias = _unique(f"{slug(p.first)[:1]}.{slug(p.last)}", org.domain, used)


def _middle(cycle: int) -> str:
    """Middle initials that keep repeated first/last combinations distinct."""
    letters = vocab.MIDDLE_INITIALS
    if cycle == 0:
        return ""
    first, second = divmod(cycle - 1, len(letters))
    if first == 0:
        return f"{letters[second]}."
    return f"{letters[first - 1]}. {letters[second]}."


def _unique(local: str, domain: str, used: set[str]) -> str:
    """``local@domain``, numbered (``local2@``...) if already taken."""
    candidate, n = f"{local}@{domain}", 1
    while candidate in used:
        n += 1
        candidate = f"{local}{n}@{domain}"
    used.add(candidate)
    return candidate


def _assign_hierarchy(org: Org, start: date, rng: random.Random) -> None:
    """Heads lead their unit's first team; leads report to heads, heads to the CEO."""
    ceo = org.units[org.exec_unit].start
    for unit in org.units:
        unit.head = unit.start
        for t in unit.teams:
            team = org.teams[t]
            team.lead = team.start
            for i in range(team.start, team.start + team.size):
                _describe(org, org.people[i], unit, team, rng)
                org.people[i].start_date = (
                    start - timedelta(days=rng.randint(20, 6000))
                ).isoformat()
    for unit in org.units:
        org.people[unit.head].manager = -1 if unit.head == ceo else ceo


def _describe(org: Org, p: Member, unit: Unit, team: Team, rng: random.Random) -> None:
    """Title and manager of one person, from their place in the hierarchy."""
    if p.idx == unit.head:
        p.title = _head_title(unit)
    elif p.idx == team.lead:
        p.title = f"Team Lead, {team.name}"
        p.manager = unit.head
    else:
        titles = vocab.UNIT_TITLES.get(unit.base, vocab.GENERIC_TITLES)
        p.title = rng.choice(vocab.SENIORITY) + rng.choice(titles)
        p.manager = team.lead
    p.activity = min(5.0, rng.lognormvariate(0.0, 0.9))


def _head_title(unit: Unit) -> str:
    """Title of a unit head."""
    if unit.name == vocab.EXECUTIVE_UNIT:
        return "Chief Executive Officer"
    if unit.is_it:
        return "Chief Information Officer"
    return f"Head of {unit.name}"


def _assign_service(org: Org, rng: random.Random) -> None:
    """Give each IT team a home set of business units.

    The first team (the central service desk) serves every unit, the
    executive office included; the others get one to four business units.
    """
    served = org.business_units
    it_teams = org.units[org.it_unit].teams
    org.teams[it_teams[0]].serves = [org.exec_unit, *served]
    order = list(served)
    rng.shuffle(order)
    rest = it_teams[1:]
    for i, t in enumerate(rest):
        home = {order[i % len(order)]}
        home.update(rng.sample(served, min(len(served), rng.randint(1, 3))))
        org.teams[t].serves = sorted(home)
    for k, u in enumerate(order[len(rest) :]):
        if rest:
            org.teams[rest[k % len(rest)]].serves.append(u)
