"""A small organisation for the security tests: two teams, a handful of ties."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask import Flask

from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from web.store import get_store

PEOPLE = [
    Person("p_ann", "Ann Ash", "Sales", "Field", "Rep", False),
    Person("p_ben", "Ben Birch", "Sales", "Field", "Rep", False),
    Person("p_cat", "Cat Cedar", "IT", "Desk", "Analyst", True),
    Person("p_dov", "Dov Dale", "IT", "Desk", "Analyst", True),
]


def fill(app: Flask) -> None:
    """Store :data:`PEOPLE` and a few ties between them."""
    at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    with app.app_context():
        store = get_store()
        store.upsert_people(PEOPLE)
        store.add_interactions(
            [
                Interaction("p_ann", "p_cat", Channel.EMAIL, at, "m1"),
                Interaction("p_cat", "p_ann", Channel.EMAIL, at, "m2"),
                Interaction("p_ben", "p_dov", Channel.TICKET, at, "t1"),
                Interaction("p_ann", "p_ben", Channel.MEETING, at, "mt1"),
            ]
        )
