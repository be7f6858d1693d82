"""What the current viewer may see: the one place pages, the API and exports ask.

Every view that shows a person's name or a group-level figure goes through
this module, so that a rule changes in one place. Issue #6 adds accounts and
roles; until then every viewer is treated as an administrator who may
identify people, and groups of any size are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask import g

from ingest.records import Person


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, and what their role allows."""

    name: str
    role: str
    identify: bool


ADMIN = Viewer("local", "admin", identify=True)


def viewer() -> Viewer:
    """The viewer of the current request."""
    return getattr(g, "viewer", None) or ADMIN


def person_label(person: Person) -> str:
    """How a person is named to the current viewer: the name, or a short pseudonym."""
    if viewer().identify and person.name:
        return person.name
    return short_key(person.key)


def short_key(key: str) -> str:
    """A person key shortened for display (still unique enough to tell people apart)."""
    return key[:12]


def min_group_size() -> int:
    """The smallest group whose figures may be shown (``MIN_GROUP_SIZE``)."""
    return int(current_app.config.get("MIN_GROUP_SIZE", 1))


def group_visible(size: int) -> bool:
    """Whether figures for a group of ``size`` people may be shown to the viewer."""
    return viewer().role == "admin" or size >= min_group_size()
