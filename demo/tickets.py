"""Stream a ServiceNow-style incident export (CSV).

Callers are staff weighted by activity; tickets go to an IT team serving the
caller's unit (mostly the service desk). Tickets raised by the fragile unit
are all handled by its liaison, so its IT contact stays with one person.
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter
from itertools import accumulate
from typing import TextIO

from demo import names as vocab
from demo.model import FRAGILE
from demo.model import ISOLATED
from demo.model import Router
from demo.org import Org
from demo.timeline import Timeline
from demo.timeline import iso_utc
from demo.timeline import work_second

COLUMNS = (
    "number", "caller_id", "opened_by", "assignment_group", "assigned_to", "sys_updated_by",
    "opened_at", "resolved_at", "closed_at", "state", "reopen_count", "satisfaction",
)  # fmt: skip
OPEN_STATES = ("New", "In Progress", "In Progress", "On Hold")
SATISFACTION = (1, 2, 3, 4, 5)
SATISFACTION_WEIGHTS = (3, 5, 12, 35, 45)
CLOSE_DELAY = 3 * 86400


class TicketWriter:
    """Generate and write every incident of the period."""

    def __init__(self, org: Org, router: Router, timeline: Timeline, rng: random.Random) -> None:
        self.org, self.router, self.tl, self.rng = org, router, timeline, rng
        self.random = rng.random
        self.stats: Counter[str] = Counter()
        offices = list(vocab.LOCATIONS)
        self.office = [offices.index(org.teams[p.team].location) for p in org.people]
        self.offsets = [timeline.offsets[o] for o in offices]
        self.email = [p.email for p in org.people]
        liaison = org.people[router.plant.liaison]
        self.liaison_team = liaison.team

    def write(self, fh: TextIO, total: int) -> Counter[str]:
        """Write the header and ``total`` tickets in order of opening."""
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        guard = self.router.guard
        weights = (p.activity * (0.2 if guard[p.idx] & ISOLATED else 1) for p in self.org.people)
        cum = list(accumulate(weights))
        people = range(len(cum))
        for d, count in enumerate(self.tl.counts(total)):
            rows = [self._ticket(d, c) for c in self.rng.choices(people, cum_weights=cum, k=count)]
            out.writerows(rows)
        return self.stats

    def _handlers(self, caller: int) -> tuple[int, int, int]:
        """(assignment group team, assignee or -1, IT opener) for a caller."""
        router = self.router
        if router.guard[caller] & FRAGILE:
            return self.liaison_team, router.plant.liaison, router.plant.liaison
        teams = router.it_teams[router.unit[caller]] or self.org.units[self.org.it_unit].teams
        desk = self.org.teams[teams[0]]
        group = teams[0] if self.random() < 0.55 else teams[int(self.random() * len(teams))]
        team = self.org.teams[group]
        assignee = team.start + int(self.random() * team.size)
        if assignee == caller:
            assignee = team.start + (assignee - team.start + 1) % team.size
        opener = desk.start + int(self.random() * desk.size)
        return group, assignee, opener

    def _ticket(self, d: int, caller: int) -> list[object]:
        """One row; the timestamps decide the state."""
        self.stats["tickets"] += 1
        group, assignee, agent = self._handlers(caller)
        opener = caller if self.random() < 0.75 else agent
        if self.random() < 0.04:
            assignee = -1
            self.stats["unassigned"] += 1
        opened = self.tl.midnight[d] + work_second(self.rng) - self.offsets[self.office[caller]][d]
        opened = self.tl.inside(opened)
        fix = int(self.rng.lognormvariate(math.log(6 * 3600), 1.2))
        resolved = opened + fix if assignee >= 0 else self.tl.end
        updater = assignee if assignee >= 0 and self.random() < 0.8 else opener
        row: list[object] = [f"INC{10000 + self.stats['tickets']:07d}", self.email[caller]]
        row += [self.email[opener], self.org.teams[group].name]
        row += [self.email[assignee] if assignee >= 0 else "", self.email[updater]]
        return row + self._lifecycle(opened, resolved)

    def _lifecycle(self, opened: int, resolved: int) -> list[object]:
        """opened_at .. satisfaction columns."""
        reopen = 0 if (r := self.random()) < 0.92 else 1 if r < 0.98 else 2
        if resolved >= self.tl.end:
            self.stats["open"] += 1
            state = OPEN_STATES[int(self.random() * len(OPEN_STATES))]
            return [iso_utc(opened), "", "", state, reopen, ""]
        closed = resolved + CLOSE_DELAY
        score: object = ""
        if self.random() < 0.3:
            score = self.rng.choices(SATISFACTION, weights=SATISFACTION_WEIGHTS)[0]
            self.stats["with_satisfaction"] += 1
        if closed >= self.tl.end:
            self.stats["resolved_not_closed"] += 1
            return [iso_utc(opened), iso_utc(resolved), "", "Resolved", reopen, score]
        return [iso_utc(opened), iso_utc(resolved), iso_utc(closed), "Closed", reopen, score]
