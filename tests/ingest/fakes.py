"""A recording in-memory store that implements :class:`ingest.pipeline.Sink`."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator

from ingest.records import Interaction
from ingest.records import Person


class MemorySink:
    """Keeps people by key and interactions by event key; records batch sizes."""

    def __init__(self, people: Iterable[Person] = ()) -> None:
        self.people_by_key: dict[str, Person] = {p.key: p for p in people}
        self.interactions: dict[str, Interaction] = {}
        self.batches: list[int] = []

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

    def people(self) -> Iterator[Person]:
        return iter(list(self.people_by_key.values()))
