"""Per-ticket service facts (:class:`TicketFact`) and their summary per group.

Event-log exports hold many rows per ticket; the facts of a ticket combine
them: the earliest ``opened_at``, the latest ``resolved_at``, the highest
``reopen_count``, the last non-empty assignment group and satisfaction (in
file order), and the first requester that resolves to a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from ingest.records import TicketFact
from ingest.tickets import TicketRow

__all__ = ["FactCollector", "NO_GROUP", "summarise"]

#: how reports name tickets without an assignment group
NO_GROUP = "(no group)"


@dataclass(slots=True)
class _Ticket:
    requester: str | None = None
    group: str = ""
    opened: datetime | None = None
    resolved: datetime | None = None
    reopen_count: int = 0
    satisfaction: float | None = None


class FactCollector:
    """Folds ticket rows into one :class:`TicketFact` per ticket number."""

    def __init__(self, system: str) -> None:
        self.system = system
        self._tickets: dict[str, _Ticket] = {}

    def __len__(self) -> int:
        return len(self._tickets)

    def add(self, row: TicketRow, requester: str | None) -> None:
        """Fold one row in; ``requester`` is the person key of its requester, if any."""
        ticket = self._tickets.setdefault(row.number, _Ticket())
        ticket.requester = ticket.requester or requester
        ticket.group = row.group or ticket.group
        ticket.opened = _earliest(ticket.opened, row.opened_at)
        ticket.resolved = _latest(ticket.resolved, row.resolved_at)
        ticket.reopen_count = max(ticket.reopen_count, row.reopen_count or 0)
        if row.satisfaction is not None:
            ticket.satisfaction = row.satisfaction

    def facts(self) -> Iterator[TicketFact]:
        """The facts, in order of first appearance."""
        for number, t in self._tickets.items():
            yield TicketFact(
                self.system,
                number,
                t.requester,
                t.group,
                t.opened,
                t.resolved,
                t.reopen_count,
                t.satisfaction,
            )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def summarise(facts: Iterable[TicketFact]) -> dict[str, dict[str, float | int | None]]:
    """Per assignment group: ``tickets``, ``resolved``, ``median_hours_to_resolve``,
    ``reopened`` (tickets reopened at least once), ``rated`` and
    ``mean_satisfaction`` (0–1, ``None`` when nothing was rated)."""
    groups: dict[str, list[TicketFact]] = {}
    for fact in facts:
        groups.setdefault(fact.group or NO_GROUP, []).append(fact)
    return {name: _group_summary(items) for name, items in sorted(groups.items())}


def _group_summary(items: list[TicketFact]) -> dict[str, float | int | None]:
    hours = [h for h in (f.hours_to_resolve for f in items) if h is not None]
    ratings = [f.satisfaction for f in items if f.satisfaction is not None]
    return {
        "tickets": len(items),
        "resolved": len(hours),
        "median_hours_to_resolve": round(median(hours), 2) if hours else None,
        "reopened": sum(1 for f in items if f.reopen_count > 0),
        "rated": len(ratings),
        "mean_satisfaction": round(sum(ratings) / len(ratings), 3) if ratings else None,
    }
