"""Stream a realistic mbox: threads, external parties, bots, lists, duplicates.

Messages are written day by day, so memory stays flat whatever the size of
the organisation. Every planted irregularity is counted in :class:`MailStats`
(``mess``) so the ground truth can say exactly how many there are.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from itertools import accumulate
from typing import TextIO

from demo import names as vocab
from demo.headers import Book
from demo.headers import encoded_word
from demo.headers import fold
from demo.model import Router
from demo.org import Org
from demo.timeline import Timeline
from demo.timeline import asctime
from demo.timeline import rfc2822
from demo.timeline import work_second

P_REPLY, P_EXTERNAL_IN, P_BOT = 0.30, 0.015, 0.01
P_EXTERNAL_OUT, P_ALIAS_FROM, P_ALIAS_TO, P_FROM_LINE = 0.03, 0.08, 0.04, 0.004
BROADCAST_MIN = 26
EXTERNAL_OFFSETS = (0, 0, 3600, -18000, -28800, 19800, 32400)
#: Pseudo-senders/recipients that are not people: the bot and the list.
BOT, LIST = -(1 << 40), -(1 << 40) - 1
#: Offset marker of a client that writes ``+0000 (UTC)`` whatever the office.
UTC_CLIENT = 1 << 30


@dataclass(slots=True)
class Msg:
    """One message before rendering; negative person indices are external."""

    sender: int
    to: list[int]
    cc: list[int]
    ts: int
    offset: int
    subject: str
    mid: str
    refs: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    utc_comment: bool = False


@dataclass
class MailStats:
    """What was written: message counts, mess counts and contact tallies."""

    messages: int = 0
    mess: Counter[str] = field(default_factory=Counter)
    team_in: Counter[int] = field(default_factory=Counter)
    team_out: Counter[int] = field(default_factory=Counter)
    cross: Counter[int] = field(default_factory=Counter)


class MailWriter:
    """Generate and write every message of the period to one mbox file."""

    def __init__(
        self, org: Org, router: Router, book: Book, timeline: Timeline, rng: random.Random
    ) -> None:
        self.org, self.router, self.book, self.tl, self.rng = org, router, book, timeline, rng
        self.random = rng.random
        self.stats = MailStats()
        self.ring: list[Msg] = []
        self.serial = 0
        self.host = f"mail.{org.domain}"
        offices = list(vocab.LOCATIONS)
        self.office = [offices.index(org.teams[p.team].location) for p in org.people]
        self.offsets = [timeline.offsets[o] for o in offices]
        self.unit = [p.unit for p in org.people]
        self.team = [p.team for p in org.people]
        self.pending: list[str] = []
        self._used_alias = False

    def write(self, fh: TextIO, total: int) -> MailStats:
        """Write ``total`` ordinary messages plus the planted extras."""
        cum = list(accumulate(p.activity for p in self.org.people))
        people = range(len(cum))
        dupes = set(self.rng.sample(range(total), min(total, max(3, min(40, total // 2000)))))
        specials = self._schedule()
        ordinal = 0
        for d, count in enumerate(self.tl.counts(total)):
            chunk = []
            for s in self.rng.choices(people, cum_weights=cum, k=count):
                msg = self._one(d, s)
                if msg.sender >= 0:
                    self._tally(msg.sender, msg.to + msg.cc)
                text = self._render(msg)
                chunk.append(text)
                if ordinal in dupes:
                    self.pending.append(text.replace("\n", "\nStatus: RO\n", 1))
                ordinal += 1
            chunk.extend(self._render(m) for m in specials.get(d, ()))
            chunk.extend(self.pending)
            self.stats.mess["duplicate_copies"] += len(self.pending)
            self.pending.clear()
            self.stats.messages += len(chunk)
            self.stats.mess["from_escaped_bodies"] += sum("\n>From " in text for text in chunk)
            fh.write("".join(chunk))
        return self.stats

    def _one(self, d: int, s: int) -> Msg:
        """One ordinary message on day ``d`` whose natural sender is ``s``."""
        r = self.random()
        if r < P_REPLY and self.ring:
            i = int(self.random() * len(self.ring))
            msg = self._reply(self.ring[i])
            if msg is None:
                return self._fresh(d, s)
            self.ring[i] = msg  # each message is answered once; the answer may be answered
            return msg
        if r < P_REPLY + P_EXTERNAL_IN:
            return self._external_in(d)
        if r < P_REPLY + P_EXTERNAL_IN + P_BOT:
            return self._bot(d)
        return self._fresh(d, s)

    def _remember(self, msg: Msg) -> Msg:
        """Keep recent person-to-person messages as reply candidates."""
        if len(self.ring) < 512:
            self.ring.append(msg)
        else:
            self.ring[int(self.random() * 512)] = msg
        return msg

    def _stamp(self, d: int, s: int) -> tuple[int, int]:
        """Send time on day ``d`` and the Date offset (:data:`UTC_CLIENT` at times)."""
        offset = self.offsets[self.office[s]][d]
        ts = self.tl.midnight[d] + work_second(self.rng) - offset
        ts = self.tl.inside(ts)
        return ts, (UTC_CLIENT if self.random() < 0.05 else offset)

    def _mid(self, ts: int, host: str) -> str:
        self.serial += 1
        return f"<{ts:x}.{self.serial:x}.{self.rng.getrandbits(40):010x}@{host}>"

    def _fresh(self, d: int, s: int) -> Msg:
        """A new thread from ``s`` to contacts drawn by the router."""
        rng, pick = self.random, self.router.pick
        n_to = (
            1 if (r := rng()) < 0.72 else 2 if r < 0.92 else 3 if r < 0.98 else 4 + int(rng() * 5)
        )
        n_cc = 0 if (r := rng()) < 0.7 else 1 if r < 0.93 else 2 if r < 0.98 else 3 + int(rng() * 3)
        seen = {s}
        to: list[int] = []
        cc: list[int] = []
        for i in range(n_to + n_cc):
            t = pick(s)
            if t not in seen:
                seen.add(t)
                (to if i < n_to else cc).append(t)
        if rng() < P_EXTERNAL_OUT:
            (to if rng() < 0.6 else cc).append(self.book.external(self.rng))
        to, cc = self.router.clean_message(s, to, cc)
        to = to or [self.router.in_team(s)]
        ts, offset = self._stamp(d, s)
        subject = self._subject(d)
        return self._remember(Msg(s, to, cc, ts, offset, subject, self._mid(ts, self.host)))

    def _subject(self, d: int) -> str:
        text = vocab.SUBJECTS[int(self.random() * len(vocab.SUBJECTS))]
        text = text.replace("{q}", str((self.tl.days[d].month - 1) // 3 + 1))
        return text if text.isascii() else encoded_word(text)

    def _reply(self, orig: Msg) -> Msg | None:
        """A reply (sometimes reply-all) from one of ``orig``'s staff recipients."""
        staff = [t for t in orig.to + orig.cc if t >= 0]
        if not staff or orig.sender < -self.book.externals:
            return None
        s = staff[int(self.random() * len(staff))]
        cc = [t for t in orig.to + orig.cc if t != s] if self.random() < 0.25 else []
        ts = orig.ts + 120 + int(self.random() * 20000)
        if ts >= self.tl.end:
            return None
        d = (ts - self.tl.midnight[0]) // 86400
        offset = UTC_CLIENT if self.random() < 0.05 else self.offsets[self.office[s]][d]
        prefix = "RE: " if self.random() < 0.3 else "Re: "
        subject = orig.subject if orig.subject.startswith(("Re:", "RE:")) else prefix + orig.subject
        refs = (*orig.refs[-4:], orig.mid)
        to, cc = self.router.clean_message(s, [orig.sender], cc)
        if not to:
            return None
        self.stats.mess["replies"] += 1
        return Msg(s, to, cc, ts, offset, subject, self._mid(ts, self.host), refs)

    def _external_in(self, d: int) -> Msg:
        """A message from a vendor or personal address to one member of staff."""
        s = self.book.external(self.rng)
        to = [int(self.random() * len(self.org.people))]
        offset = EXTERNAL_OFFSETS[int(self.random() * len(EXTERNAL_OFFSETS))]
        ts = self.tl.midnight[d] + work_second(self.rng) - offset
        ts = self.tl.inside(ts)
        host = self.book.addr[s].rpartition("@")[2]
        return self._remember(Msg(s, to, [], ts, offset, self._subject(d), self._mid(ts, host)))

    def _bot(self, d: int) -> Msg:
        """An automated notification from the no-reply address."""
        t = int(self.random() * len(self.org.people))
        ts, _ = self._stamp(d, t)
        extra = ("Auto-Submitted: auto-generated", "Precedence: bulk")
        subject = "Your expense report was approved"
        self.stats.mess["bot_messages"] += 1
        return Msg(BOT, [t], [], ts, 0, subject, self._mid(ts, self.host), (), extra)

    def _schedule(self) -> dict[int, list[Msg]]:
        """All-staff list mails (monthly) and a few explicit broadcasts."""
        out: dict[int, list[Msg]] = {}
        first_weekday = [
            d for d, day in enumerate(self.tl.days) if day.day <= 3 and day.weekday() < 5
        ]
        months_seen: set[tuple[int, int]] = set()
        for d in first_weekday:
            key = (self.tl.days[d].year, self.tl.days[d].month)
            if key not in months_seen:
                months_seen.add(key)
                out.setdefault(d, []).append(self._list_mail(d))
        broadcasts = 2 + len(self.org.people) // 20000
        for d in sorted(self.rng.sample(range(len(self.tl.days)), broadcasts)):
            out.setdefault(d, []).append(self._broadcast(d))
        return out

    def _list_mail(self, d: int) -> Msg:
        """A monthly note from the CEO to the all-staff distribution list."""
        ceo = self.org.ceo
        ts, offset = self._stamp(d, ceo)
        list_id = f"All Staff <all-staff.{self.org.domain}>"
        extra = (f"List-Id: {list_id}", "Precedence: list")
        self.stats.mess["list_messages"] += 1
        return Msg(
            ceo, [LIST], [], ts, offset, "Monthly update", self._mid(ts, self.host), (), extra
        )

    def _broadcast(self, d: int) -> Msg:
        """An explicit mail to 26-40 business people (no IT, no isolated team)."""
        sender = self.org.units[self.org.exec_unit].start + 1
        pool = [
            p.idx
            for p in self.org.people
            if p.unit != self.org.it_unit and not self.router.guard[p.idx] & 4 and p.idx != sender
        ]
        chosen = self.rng.sample(pool, min(len(pool), BROADCAST_MIN + self.rng.randrange(15)))
        ts, offset = self._stamp(d, sender)
        self.stats.mess["broadcast_messages"] += 1
        self.stats.mess["broadcast_min_recipients"] = BROADCAST_MIN
        cut = len(chosen) * 2 // 3
        msg = Msg(
            sender, chosen[:cut], chosen[cut:], ts, offset, "Office move", self._mid(ts, self.host)
        )
        return msg

    def _tally(self, s: int, recipients: list[int]) -> None:
        """Count team-internal/external and cross-department recipient slots."""
        st, team, unit = self.stats, self.team[s], self.unit[s]
        for t in recipients:
            if t < 0:
                continue
            if self.team[t] == team:
                st.team_in[team] += 1
            else:
                st.team_out[team] += 1
            if self.unit[t] != unit:
                st.cross[s] += 1
                st.cross[t] += 1

    def _address(self, t: int, sender: bool = False) -> tuple[str, str]:
        """(bare address, header form) of a participant; aliases now and then."""
        b = self.book
        if t == BOT:
            return f"no-reply@{self.org.domain}", f"Expense System <no-reply@{self.org.domain}>"
        if t == LIST:
            return f"all-staff@{self.org.domain}", f"All Staff <all-staff@{self.org.domain}>"
        if t >= 0 and b.alias[t] and self.random() < (P_ALIAS_FROM if sender else P_ALIAS_TO):
            self._used_alias = True
            return self.org.people[t].alias, b.alias[t]
        return b.addr[t], b.shown[t]

    def _render(self, m: Msg) -> str:
        """The mbox entry: ``From`` line, headers, blank line, body, blank line."""
        self._used_alias = False
        envelope, shown = self._address(m.sender, sender=True)
        alias_from, self._used_alias = self._used_alias, False
        if m.offset == UTC_CLIENT:
            date = rfc2822(m.ts, 0) + " (UTC)"
        else:
            date = rfc2822(m.ts, m.offset)
        lines = [f"From {envelope} {asctime(m.ts)}", f"Message-ID: {m.mid}"]
        lines += [f"Date: {date}", f"From: {shown}"]
        lines.append(fold("To", [self._address(t)[1] for t in m.to]))
        if m.cc:
            lines.append(fold("Cc", [self._address(t)[1] for t in m.cc]))
        lines.append(f"Subject: {m.subject}")
        if m.refs:
            lines.append(f"In-Reply-To: {m.refs[-1]}")
            lines.append("References: " + "\n ".join(m.refs))
        lines.extend(m.extra)
        body = self._body(m)
        encoding = "7bit" if body.isascii() else "8bit"
        lines += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"']
        lines += [f"Content-Transfer-Encoding: {encoding}", "", body, ""]
        self._count(m, alias_from, self._used_alias)
        return "\n".join(lines) + "\n"

    def _count(self, m: Msg, alias_from: bool, alias_to: bool) -> None:
        """Record the planted irregularities of one written message."""
        mess = self.stats.mess
        mess["alias_from_messages"] += alias_from
        mess["alias_recipient_messages"] += alias_to
        if BOT < m.sender < 0:
            mess["external_sender_messages"] += 1
        if any(BOT < t < 0 for t in m.to) or any(BOT < t < 0 for t in m.cc):
            mess["external_recipient_messages"] += 1

    def _body(self, m: Msg) -> str:
        """A short plain-text body; lines starting with ``From `` are escaped."""
        b, rng = self.book, self.random
        if m.sender == BOT:
            return "This is an automated message. Please do not reply."
        first = "all" if m.to[0] == LIST else b.first[m.to[0]]
        lines = [f"Hi {first},", ""]
        for _ in range(1 + int(rng() * 3)):
            lines.append(vocab.BODY_LINES[int(rng() * len(vocab.BODY_LINES))])
        if rng() < P_FROM_LINE:
            lines.append(">" + vocab.FROM_LINES[int(rng() * len(vocab.FROM_LINES))])
        name = b.first[m.sender] if m.sender >= -b.externals else "The CEO"
        lines += ["", "Best,", name]
        return "\n".join(lines)
