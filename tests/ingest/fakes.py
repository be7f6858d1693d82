"""A recording in-memory store that implements :class:`ingest.runner.Sink`."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.records import IngestRun
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import TicketFact


class MemorySink:
    """Keeps people by key, interactions by event key, facts and ledger runs.

    ``atomic()`` snapshots the data and restores it when the block raises;
    ``batches`` records the size of every ``add_interactions`` call and
    ``units`` counts the atomic blocks that committed.
    """

    def __init__(self, people: Iterable[Person] = ()) -> None:
        self.people_by_key: dict[str, Person] = {p.key: p for p in people}
        self.interactions: dict[str, Interaction] = {}
        self.facts: dict[tuple[str, str], TicketFact] = {}
        self.ledger: list[IngestRun] = []
        self.batches: list[int] = []
        self.units = 0
        self._in_unit = False

    @contextmanager
    def atomic(self) -> Iterator[None]:
        if self._in_unit:
            raise RuntimeError("atomic() blocks do not nest")
        saved = (self.people_by_key, self.interactions, self.facts, self.ledger)
        self.people_by_key, self.interactions, self.facts, self.ledger = (
            dict(self.people_by_key), dict(self.interactions), dict(self.facts), list(self.ledger)
        )  # fmt: skip
        self._in_unit = True
        try:
            yield
        except BaseException:
            self.people_by_key, self.interactions, self.facts, self.ledger = saved
            raise
        finally:
            self._in_unit = False
        self.units += 1

    def upsert_people(self, people: Iterable[Person]) -> int:
        written = 0
        for person in people:
            self.people_by_key[person.key] = person
            written += 1
        return written

    def add_interactions(self, interactions: Iterable[Interaction]) -> int:
        batch = list(interactions)
        self.batches.append(len(batch))
        before = len(self.interactions)
        for interaction in batch:
            self.interactions.setdefault(interaction.event_key, interaction)
        return len(self.interactions) - before

    def add_ticket_facts(self, facts: Iterable[TicketFact]) -> int:
        written = 0
        for fact in facts:
            self.facts[(fact.system, fact.ref)] = fact
            written += 1
        return written

    def people(self) -> Iterator[Person]:
        return iter(list(self.people_by_key.values()))

    def record_run(self, run: IngestRun) -> None:
        self.ledger.append(run)

    def runs(self, *, limit: int = 100) -> list[IngestRun]:
        return self.ledger[::-1][:limit]
