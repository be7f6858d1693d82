"""Who contacts whom: the planted structure and the contact router.

The :class:`Router` answers "whom does person ``s`` contact next?" for every
channel, so email, meetings and tickets share one social structure: mostly
the own team, less the own department, some other departments, and IT teams
serving their home business units. Three things are planted on top:

* an isolated business team whose members nearly only talk among themselves;
* a fragile business unit whose every IT contact is one liaison;
* a few brokers who spread their contact over all departments.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from demo.org import Org

#: Guard bits: member of the fragile unit, IT person other than the liaison,
#: member of the isolated team.
FRAGILE, IT_OTHER, ISOLATED = 1, 2, 4

#: Brokers send this many times the median person's volume (others <= 5).
BROKER_ACTIVITY = 12.0


@dataclass(frozen=True, slots=True)
class Plant:
    """The planted ground truth (person, team and unit indices)."""

    isolated_team: int
    fragile_unit: int
    liaison: int
    brokers: tuple[int, ...]


def choose_plant(org: Org, rng: random.Random) -> Plant:
    """Pick the isolated team, the fragile unit with its liaison, and brokers."""
    business = org.business_units
    fragile = org.small_unit
    candidates = [
        t
        for u in business
        if u != fragile
        for t in org.units[u].teams
        if org.teams[t].size >= 5 and org.teams[t].lead != org.units[u].head
    ]
    isolated = rng.choice(candidates)
    it_teams = org.units[org.it_unit].teams
    serving = it_teams[1:] or it_teams
    team = org.teams[rng.choice(serving)]
    liaison = rng.randrange(team.start + 1, team.start + team.size)
    if fragile not in team.serves:
        team.serves.append(fragile)
    return Plant(isolated, fragile, liaison, _choose_brokers(org, rng, fragile, isolated))


def _choose_brokers(org: Org, rng: random.Random, fragile: int, isolated: int) -> tuple[int, ...]:
    """3 to 5 ordinary members of distinct business units (not the planted ones)."""
    want = 3 if len(org.people) < 1000 else 4 if len(org.people) < 20000 else 5
    units = [u for u in org.business_units if u != fragile and u != org.teams[isolated].unit]
    rng.shuffle(units)
    brokers = []
    for u in units[:want]:
        team = org.teams[rng.choice(org.units[u].teams)]
        brokers.append(rng.randrange(team.start + 1, team.start + team.size))
    for p in brokers:
        org.people[p].activity = BROKER_ACTIVITY
    return tuple(sorted(brokers))


Picker = Callable[[int], int]


class Router:
    """Draw contacts for a person; the planted rules are enforced on every pick."""

    def __init__(self, org: Org, plant: Plant, seed: int, channel: str) -> None:
        self.org, self.plant = org, plant
        self.rng = rng = random.Random(f"{seed}:{channel}")
        self.random, self.randrange = rng.random, rng.randrange
        people = org.people
        self.unit = [p.unit for p in people]
        self.team = [p.team for p in people]
        self.t_start = [org.teams[p.team].start for p in people]
        self.t_size = [org.teams[p.team].size for p in people]
        self.u_start = [u.start for u in org.units]
        self.u_size = [u.size for u in org.units]
        self.heads = [u.head for u in org.units]
        self.guard = self._guards()
        self.partners = self._partners(random.Random(f"{seed}:partners"))
        self.all_units = [u for u in range(len(org.units)) if u != org.it_unit]
        self.non_it = org.units[org.it_unit].start
        self.it_teams = self._it_teams()
        self.profile = [self._profile(p.idx) for p in people]

    def _guards(self) -> list[int]:
        org, plant = self.org, self.plant
        guard = [0] * len(org.people)
        for p in org.people:
            if p.unit == plant.fragile_unit:
                guard[p.idx] |= FRAGILE
            elif p.unit == org.it_unit and p.idx != plant.liaison:
                guard[p.idx] |= IT_OTHER
            if p.team == plant.isolated_team:
                guard[p.idx] |= ISOLATED
        return guard

    def _partners(self, rng: random.Random) -> list[list[int]]:
        """Per unit, two other business units it works with most (big ones likelier)."""
        org = self.org
        business = org.business_units
        out: list[list[int]] = [[] for _ in org.units]
        for u in [org.exec_unit, *business]:
            others = [v for v in business if v != u]
            sizes = [org.units[v].size for v in others]
            chosen: list[int] = []
            while len(chosen) < min(2, len(others)):
                v = rng.choices(others, weights=sizes)[0]
                if v not in chosen:
                    chosen.append(v)
            out[u] = chosen
        return out

    def _it_teams(self) -> list[list[int]]:
        """Per unit, the IT teams that serve it (the central desk comes first)."""
        out: list[list[int]] = [[] for _ in self.org.units]
        for t in self.org.units[self.org.it_unit].teams:
            for u in self.org.teams[t].serves:
                out[u].append(t)
        return out

    def _profile(self, s: int) -> tuple[tuple[float, Picker], ...]:
        """Cumulative probabilities of each kind of contact for person ``s``."""
        org, plant = self.org, self.plant
        unit = org.units[self.unit[s]]
        if s in plant.brokers:
            return (
                (0.08, self.in_team),
                (0.14, self.in_unit),
                (0.92, self.anywhere),
                (1.0, self.to_it),
            )
        if self.guard[s] & ISOLATED:
            return (
                (0.965, self.in_team),
                (0.99, self.in_unit),
                (0.995, self.across),
                (1.0, self.to_it),
            )
        if unit.is_it:
            if s == unit.head:
                return ((0.35, self.in_team), (0.75, self.in_unit), (1.0, self.to_heads))
            return ((0.52, self.in_team), (0.78, self.in_unit), (1.0, self.to_business))
        if s == unit.head:
            return (
                (0.35, self.in_team),
                (0.70, self.in_unit),
                (0.90, self.to_heads),
                (1.0, self.to_it),
            )
        if self.guard[s] & FRAGILE:
            return (
                (0.60, self.in_team),
                (0.86, self.in_unit),
                (0.98, self.across),
                (1.0, self.to_it),
            )
        return ((0.58, self.in_team), (0.80, self.in_unit), (0.93, self.across), (1.0, self.to_it))

    def pick(self, s: int) -> int:
        """One contact of ``s`` (never ``s`` itself), planted rules applied."""
        r = self.random()
        for p, fn in self.profile[s]:
            if r < p:
                t = fn(s)
                break
        if self.guard[s] | self.guard[t]:
            t = self.fix(s, t)
        return t

    def fix(self, s: int, t: int) -> int:
        """Redirect a contact that would break a planted rule."""
        gs, gt = self.guard[s], self.guard[t]
        if (gs | gt) & (FRAGILE | IT_OTHER) == FRAGILE | IT_OTHER:
            return self.plant.liaison if gs & FRAGILE else self.in_team(s)
        if gt & ISOLATED and not gs & ISOLATED:
            return self.in_team(s)
        return t

    def in_team(self, s: int) -> int:
        """A random teammate."""
        start, size = self.t_start[s], self.t_size[s]
        t = start + self.randrange(size)
        return t if t != s else start + (t - start + 1) % size

    def in_unit(self, s: int) -> int:
        """Someone in the own department, outside the own team."""
        u = self.unit[s]
        rest = self.u_size[u] - self.t_size[s]
        if rest <= 0:
            return self.in_team(s)
        t = self.u_start[u] + self.randrange(rest)
        return t + self.t_size[s] if t >= self.t_start[s] else t

    def member(self, u: int) -> int:
        """A random member of unit ``u``."""
        return self.u_start[u] + self.randrange(self.u_size[u])

    def across(self, s: int) -> int:
        """Someone in another non-IT department: a partner unit or anyone."""
        units = self.partners[self.unit[s]]
        if units and self.random() < 0.5:
            return self.member(units[self.randrange(len(units))])
        own = self.unit[s]
        for _ in range(8):
            t = self.randrange(self.non_it)
            if self.unit[t] != own:
                return t
        return self.in_unit(s)

    def anywhere(self, s: int) -> int:
        """Someone in any other non-IT department, uniformly (brokers)."""
        own = self.unit[s]
        while True:
            u = self.all_units[self.randrange(len(self.all_units))]
            if u != own:
                return self.member(u)

    def to_heads(self, s: int) -> int:
        """Another unit head (or the CEO)."""
        t = self.heads[self.randrange(len(self.heads))]
        return t if t != s else self.in_unit(s)

    def to_it(self, s: int) -> int:
        """A member of an IT team serving the person's unit.

        The central service desk (which serves everyone) is left to tickets
        unless it is the only team serving the unit.
        """
        if self.guard[s] & FRAGILE:
            return self.plant.liaison
        teams = self.it_teams[self.unit[s]]
        first = 1 if len(teams) > 1 else 0
        team = self.org.teams[teams[first + self.randrange(len(teams) - first)]]
        return team.start + self.randrange(team.size)

    def to_business(self, s: int) -> int:
        """For IT staff: someone in one of the team's home units."""
        serves = self.org.teams[self.team[s]].serves
        return self.member(serves[self.randrange(len(serves))])

    def clean(self, s: int, others: list[int]) -> list[int]:
        """Drop co-participants that would put the fragile unit next to other IT staff."""
        g = self.guard
        mask = g[s] if s >= 0 else 0
        for t in others:
            if t >= 0:
                mask |= g[t]
        if mask & (FRAGILE | IT_OTHER) != FRAGILE | IT_OTHER:
            return others
        drop = FRAGILE if s >= 0 and g[s] & IT_OTHER else IT_OTHER
        return [t for t in others if t < 0 or not g[t] & drop]

    def clean_message(self, s: int, to: list[int], cc: list[int]) -> tuple[list[int], list[int]]:
        """:meth:`clean` over all recipients of a message at once."""
        kept = self.clean(s, to + cc)
        if len(kept) == len(to) + len(cc):
            return to, cc
        keep = set(kept)
        return [t for t in to if t in keep], [t for t in cc if t in keep]
