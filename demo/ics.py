"""Stream an iCalendar export: one VCALENDAR with VTIMEZONEs and VEVENTs.

Meetings follow the same contact model as email. The calendar carries the
usual mess of real exports: weekly RRULE series with EXDATEs and moved
occurrences (RECURRENCE-ID), cancelled events, declined attendees, all-day
events, times in UTC or with a TZID, and DURATION instead of DTEND.
"""

from __future__ import annotations

import random
from collections import Counter
from itertools import accumulate
from typing import TextIO

from demo import names as vocab
from demo.headers import Book
from demo.model import Router
from demo.org import Org
from demo.timeline import ICS_DAYS
from demo.timeline import Timeline
from demo.timeline import ics_date
from demo.timeline import ics_stamp

CRLF = "\r\n"
WEEK = 7 * 86400
PARTSTATS = ("ACCEPTED",) * 16 + ("TENTATIVE", "TENTATIVE", "NEEDS-ACTION", "NEEDS-ACTION")
P_SERIES, P_ALL_DAY, P_TEAM, P_CANCELLED, P_DECLINED = 0.10, 0.03, 0.25, 0.015, 0.04

VTIMEZONES: dict[str, str] = {
    "Europe/London": "GMT:+0000:BST:+0100:19700329T010000:3;-1SU:19701025T020000:10;-1SU",
    "Europe/Berlin": "CET:+0100:CEST:+0200:19700329T020000:3;-1SU:19701025T030000:10;-1SU",
    "Europe/Madrid": "CET:+0100:CEST:+0200:19700329T020000:3;-1SU:19701025T030000:10;-1SU",
    "America/New_York": "EST:-0500:EDT:-0400:19700308T020000:3;2SU:19701101T020000:11;1SU",
    "Asia/Singapore": "+08:+0800",
}


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 sequence."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and raw[end] & 0xC0 == 0x80:
            end -= 1
        parts.append(raw[start:end].decode("utf-8"))
        start, limit = end, 74
    return (CRLF + " ").join(parts)


def vtimezone(tzid: str) -> list[str]:
    """A VTIMEZONE for one of the offices' zones (rules valid since 1970)."""
    fields = VTIMEZONES[tzid].split(":")
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    if len(fields) == 2:
        name, offset = fields
        return [*lines, "BEGIN:STANDARD", f"TZOFFSETFROM:{offset}", f"TZOFFSETTO:{offset}",
                f"TZNAME:{name}", "DTSTART:19700101T000000", "END:STANDARD", "END:VTIMEZONE"]  # fmt: skip
    std, std_off, dst, dst_off, dst_start, dst_rule, std_start, std_rule = fields
    for kind, name, frm, to, begin, rule in (
        ("DAYLIGHT", dst, std_off, dst_off, dst_start, dst_rule),
        ("STANDARD", std, dst_off, std_off, std_start, std_rule),
    ):
        month, byday = rule.split(";")
        lines += [f"BEGIN:{kind}", f"TZOFFSETFROM:{frm}", f"TZOFFSETTO:{to}", f"TZNAME:{name}",
                  f"DTSTART:{begin}", f"RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY={byday}",
                  f"END:{kind}"]  # fmt: skip
    return [*lines, "END:VTIMEZONE"]


def cn(name: str) -> str:
    """A CN parameter value, quoted when it holds a separator."""
    return f'"{name}"' if any(c in name for c in ",;:") else name


class CalendarWriter:
    """Generate and write every meeting of the period."""

    def __init__(
        self, org: Org, router: Router, book: Book, timeline: Timeline, rng: random.Random
    ) -> None:
        self.org, self.router, self.book, self.tl, self.rng = org, router, book, timeline, rng
        self.random = rng.random
        self.stats: Counter[str] = Counter()
        offices = list(vocab.LOCATIONS)
        self.office = [offices.index(org.teams[p.team].location) for p in org.people]
        self.offsets = [timeline.offsets[o] for o in offices]
        self.zones = [vocab.LOCATIONS[o] for o in offices]
        self.serial = 0

    def write(self, fh: TextIO, total: int) -> Counter[str]:
        """Write the VCALENDAR with ``total`` meetings (series count once)."""
        head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bridgework//Demo Generator//EN",
                "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Bridgework demo meetings"]  # fmt: skip
        for zone in dict.fromkeys(vocab.LOCATIONS.values()):
            head += vtimezone(zone)
        fh.write(CRLF.join(head) + CRLF)
        lead_bonus = {t.lead for t in self.org.teams}
        cum = list(
            accumulate(p.activity * (3 if p.idx in lead_bonus else 1) for p in self.org.people)
        )
        people = range(len(cum))
        for d, count in enumerate(self.tl.counts(total)):
            chunk = [
                self._meeting(d, s) for s in self.rng.choices(people, cum_weights=cum, k=count)
            ]
            fh.write("".join(chunk))
        fh.write("END:VCALENDAR" + CRLF)
        return self.stats

    def _meeting(self, d: int, s: int) -> str:
        """One VEVENT (or a series with its override) organised by ``s``."""
        r = self.random()
        if r < P_SERIES:
            return self._series(d, self.router.t_start[s])
        if r < P_SERIES + P_ALL_DAY:
            return self._all_day(d, s)
        if r < P_SERIES + P_ALL_DAY + P_TEAM:
            team = self._team(s)
            return self._single(d, s, self.rng.sample(team, max(1, int(self.random() * len(team)))))
        picks = {self.router.pick(s) for _ in range(1 + int(self.rng.expovariate(0.6)))}
        if self.random() < 0.02:
            picks.add(self.book.external(self.rng))
            self.stats["external_attendees"] += 1
        return self._single(d, s, sorted(picks - {s}))

    def _team(self, s: int) -> list[int]:
        start, size = self.router.t_start[s], self.router.t_size[s]
        return [i for i in range(start, start + size) if i != s]

    def _start(self, d: int, s: int) -> tuple[int, int]:
        """(local wall-clock start as POSIX-like seconds, UTC start) on day ``d``."""
        local = (
            self.tl.midnight[d] + 3600 * (8 + int(self.random() * 9)) + 900 * int(self.random() * 4)
        )
        return local, local - self.offsets[self.office[s]][d]

    def _uid(self) -> str:
        self.serial += 1
        return f"{self.serial:07d}-{self.rng.getrandbits(48):012x}@{self.org.domain}"

    def _people(self, s: int, attendees: list[int]) -> list[str]:
        """ORGANIZER and ATTENDEE lines; some attendees decline."""
        b = self.book
        lines = [f"ORGANIZER;CN={cn(b.names[s])}:mailto:{b.addr[s]}"]
        if self.random() < 0.5:
            lines.append(
                f"ATTENDEE;CN={cn(b.names[s])};ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:{b.addr[s]}"
            )
        for t in self.router.clean(s, attendees):
            if self.random() < P_DECLINED:
                state = "DECLINED"
                self.stats["declined_attendees"] += 1
            else:
                state = PARTSTATS[int(self.random() * len(PARTSTATS))]
            lines.append(
                f"ATTENDEE;CN={cn(b.names[t])};ROLE=REQ-PARTICIPANT;PARTSTAT={state};RSVP=TRUE"
                f":mailto:{b.addr[t]}"
            )
        return lines

    def _when(self, s: int, d: int, local: int, utc: int, minutes: int, tz: bool) -> list[str]:
        """DTSTART and DTEND/DURATION, with a TZID or in UTC."""
        if tz:
            zone = self.zones[self.office[s]]
            start = f"DTSTART;TZID={zone}:{ics_stamp(local, utc=False)}"
            end = f"DTEND;TZID={zone}:{ics_stamp(local + 60 * minutes, utc=False)}"
            self.stats["tzid_events"] += 1
        else:
            start, end = f"DTSTART:{ics_stamp(utc)}", f"DTEND:{ics_stamp(utc + 60 * minutes)}"
            self.stats["utc_events"] += 1
        if self.random() < 0.1:
            end = (
                f"DURATION:PT{minutes // 60}H{minutes % 60}M"
                if minutes >= 60
                else f"DURATION:PT{minutes}M"
            )
            self.stats["duration_events"] += 1
        return [start, end]

    def _event(self, uid: str, utc: int, summary: str, body: list[str]) -> str:
        lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{ics_stamp(utc - 3 * 86400)}"]
        lines += [f"SUMMARY:{summary}", *body, "END:VEVENT"]
        self.stats["vevents"] += 1
        return CRLF.join(fold_line(x) for x in lines) + CRLF

    def _single(self, d: int, s: int, attendees: list[int]) -> str:
        """A one-off meeting, sometimes cancelled."""
        local, utc = self._start(d, s)
        minutes = (30, 30, 45, 60, 60, 90, 120)[int(self.random() * 7)]
        body = self._when(s, d, local, utc, minutes, tz=self.random() < 0.5)
        if self.random() < P_CANCELLED:
            body.append("STATUS:CANCELLED")
            self.stats["cancelled_events"] += 1
        else:
            body.append("STATUS:CONFIRMED")
        title = vocab.MEETING_TITLES[int(self.random() * len(vocab.MEETING_TITLES))]
        return self._event(self._uid(), utc, title, body + self._people(s, attendees))

    def _all_day(self, d: int, s: int) -> str:
        """A team day (offsite, training) as an all-day event."""
        day = self.tl.midnight[d]
        body = [f"DTSTART;VALUE=DATE:{ics_date(day)}", f"DTEND;VALUE=DATE:{ics_date(day + 86400)}"]
        body += ["TRANSP:TRANSPARENT", *self._people(s, self._team(s))]
        self.stats["all_day_events"] += 1
        return self._event(self._uid(), day, "Team offsite", body)

    def _series(self, d: int, lead: int) -> str:
        """A weekly team sync led by the team lead, with an EXDATE and maybe a moved occurrence."""
        local, utc = self._start(d, lead)
        weeks_left = max(1, (self.tl.end - utc) // WEEK)
        count = min(weeks_left, 6 + int(self.random() * 11))
        zone = self.zones[self.office[lead]]
        weekday = ICS_DAYS[self.tl.days[d].weekday()]
        body = self._when(lead, d, local, utc, 30, tz=True)
        body += [f"RRULE:FREQ=WEEKLY;COUNT={count};BYDAY={weekday}", "STATUS:CONFIRMED"]
        skipped = -1
        if count > 2 and self.random() < 0.6:
            skipped = 1 + int(self.random() * (count - 1))
            body.append(f"EXDATE;TZID={zone}:{ics_stamp(local + skipped * WEEK, utc=False)}")
            self.stats["exdates"] += 1
        team = self._team(lead)
        uid = self._uid()
        title = f"Team sync: {self.org.teams[self.org.people[lead].team].name}"
        out = self._event(uid, utc, title, body + self._people(lead, team))
        self.stats["recurring_series"] += 1
        moved = 1 if skipped != 1 else 2
        if count > moved and self.random() < 0.2:
            out += self._moved(
                uid, lead, zone, local + moved * WEEK, utc + moved * WEEK, title, team
            )
        return out

    def _moved(
        self, uid: str, lead: int, zone: str, local: int, utc: int, title: str, team: list[int]
    ) -> str:
        """An override of one occurrence (RECURRENCE-ID), moved an hour later."""
        body = [
            f"RECURRENCE-ID;TZID={zone}:{ics_stamp(local, utc=False)}",
            f"DTSTART;TZID={zone}:{ics_stamp(local + 3600, utc=False)}",
            f"DTEND;TZID={zone}:{ics_stamp(local + 5400, utc=False)}",
            "SEQUENCE:1",
            "STATUS:CONFIRMED",
        ]
        self.stats["moved_occurrences"] += 1
        return self._event(uid, utc, title, body + self._people(lead, team))
