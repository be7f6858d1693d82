"""Parsed records -> :class:`Interaction` ties. Pure: no I/O, no store.

Weighting rules (strengths, not distances):

* **E-mail**: a message from the sender to ``k`` people (distinct To and Cc
  addresses other than the sender, bots and lists; external people count) gives
  each internal recipient a tie of weight ``1/k``: Newman's ``1/(n-1)`` with
  ``n = k + 1`` participants. Messages to more than ``broadcast_cutoff``
  people are mass mail and make no tie.
* **Meetings**: every unordered pair of internal participants (organiser plus
  attendees who did not decline; rooms and resources excluded) gets
  ``1/(n-1)`` for ``n`` participants, external ones included (Newman 2001,
  "Scientific collaboration networks. II", doi:10.1103/PhysRevE.64.016132).
  The pair is stored once, ``source < target``. Meetings with more than
  ``broadcast_cutoff`` participants make no tie.
* **Tickets**: the requester (``caller_id``, else ``opened_by``) gets a
  tie of weight 1 to the assignee and to the updater of each row; the ticket
  number is the ref, so each pair counts once per ticket.

Callers pass a :class:`collections.Counter` for notes: why records made no
tie and which addresses were left out.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable
from itertools import combinations

from ingest.ical import Meeting
from ingest.ical import skip_reason
from ingest.identity import AddressKind
from ingest.identity import Resolver
from ingest.mail import MailHeader
from ingest.records import Channel
from ingest.records import Interaction
from ingest.tickets import TicketRow

__all__ = ["mail_fingerprint", "mail_ties", "meeting_ties", "ticket_ties"]

_NOT_PEOPLE = (AddressKind.BOT, AddressKind.LIST)


def mail_fingerprint(header: MailHeader, key: bytes) -> str:
    """Keyed fingerprint of a message: sender, minute, sorted recipients, subject hash.

    Copies of one message in different mailboxes (with different Message-IDs)
    share it, so it is the ``ref`` of e-mail ties.
    """
    minute = header.date.strftime("%Y-%m-%dT%H:%M")
    parts = [header.sender.address, minute, *sorted(header.recipients), header.subject_hash]
    digest = hmac.new(key, "\x1f".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "m_" + digest.hexdigest()[:32]


def mail_ties(
    header: MailHeader, resolver: Resolver, *, ref: str, notes: Counter[str]
) -> list[Interaction]:
    """Ties from the sender to each internal To/Cc recipient (see module docstring).

    Addresses are classified first and resolved (which may create people)
    only when the message makes ties, so skipped mail creates nobody.
    """
    cutoff = resolver.settings.broadcast_cutoff
    if header.list_id:
        resolver.mark_list(header.sender.address)
        notes["skipped: list mail (List-Id)"] += 1
        return []
    if header.automated:
        notes["skipped: automated mail (Auto-Submitted/Precedence)"] += 1
        return []
    sender_kind = resolver.classify(header.sender.address)
    if sender_kind is not AddressKind.INTERNAL:
        notes[f"skipped: {sender_kind.value} sender"] += 1
        return []
    others = [a for a in header.recipients if a != header.sender.address]
    people, internal, left_out = _people(others, resolver, role="recipient")
    if len(people) > cutoff:
        notes[f"skipped: broadcast (more than {cutoff} recipients)"] += 1
        return []
    notes.update(left_out)
    sender = resolver.resolve(header.sender.address).key
    keys = _keys(internal, resolver, exclude=sender)
    if sender is None or not keys:
        notes["skipped: no internal recipient"] += 1
        return []
    weight = 1.0 / len(people)
    return [Interaction(sender, k, Channel.EMAIL, header.date, ref, weight) for k in keys]


def meeting_ties(meeting: Meeting, resolver: Resolver, *, notes: Counter[str]) -> list[Interaction]:
    """Ties between every pair of internal participants (see module docstring)."""
    cutoff = resolver.settings.broadcast_cutoff
    reason = skip_reason(meeting)
    if reason:
        notes[f"skipped: {reason}"] += 1
        return []
    people, internal, left_out = _people(meeting.participants(), resolver, role="participant")
    if len(people) > cutoff:
        notes[f"skipped: large meeting (more than {cutoff} participants)"] += 1
        return []
    notes.update(left_out)
    if len(people) < 2:
        notes["skipped: 1-person event"] += 1
        return []
    keys = sorted(_keys(internal, resolver))
    if len(keys) < 2:
        notes["skipped: fewer than 2 internal participants"] += 1
        return []
    weight = 1.0 / (len(people) - 1)
    return [
        Interaction(a, b, Channel.MEETING, meeting.start, meeting.ref, weight)
        for a, b in combinations(keys, 2)
    ]


def ticket_ties(
    row: TicketRow, resolver: Resolver, *, namespace: str, notes: Counter[str]
) -> list[Interaction]:
    """Requester -> assignee and requester -> updater ties of one ticket row."""
    label = row.requester or row.opener
    when = row.when
    if not label or when is None:
        notes["row without requester" if not label else "row without a time"] += 1
        return []
    requester = resolver.resolve_label(label, namespace)
    if requester.key is None:
        notes[f"skipped: {requester.kind.value} requester"] += 1
        return []
    ties = []
    for other in dict.fromkeys(x for x in (row.assignee, row.updater) if x):
        found = resolver.resolve_label(other, namespace)
        if found.key and found.key != requester.key:
            ties.append(Interaction(requester.key, found.key, Channel.TICKET, when, row.number))
    return ties


def _people(
    addresses: Iterable[str], resolver: Resolver, *, role: str
) -> tuple[list[str], list[str], Counter[str]]:
    """Split addresses into people (no bots or lists) and internal people; count the rest."""
    people, internal, left_out = [], [], Counter[str]()
    for address in addresses:
        kind = resolver.classify(address)
        if kind not in _NOT_PEOPLE:
            people.append(address)
        if kind is AddressKind.INTERNAL:
            internal.append(address)
        else:
            left_out[f"{kind.value} {role} left out"] += 1
    return people, internal, left_out


def _keys(addresses: list[str], resolver: Resolver, exclude: str | None = None) -> list[str]:
    keys = (resolver.resolve(a).key for a in addresses)
    return [k for k in dict.fromkeys(keys) if k is not None and k != exclude]
