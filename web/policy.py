"""What the current viewer may see: the one place pages, the API and exports ask.

Every view that shows a person's name or a group-level figure goes through
this module, so that a rule changes in one place.

The viewer is the logged-in user (:mod:`web.auth` puts it on ``flask.g``):
admins see names and every group; analysts see names only when granted
identification (``flask --app app user identify NAME on``), pseudonyms
otherwise; viewers see group-level pages only (:mod:`web.access` keeps them
off person-level ones) and never names. Groups smaller than
``MIN_GROUP_SIZE`` are hidden from everyone but admins. Outside a request
(the command line, background work) and in an app without accounts, the
viewer is the local administrator.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask import g
from flask import has_app_context
from flask import has_request_context

from ingest.records import Person


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, and what their role allows."""

    name: str
    role: str
    identify: bool


ADMIN = Viewer("local", "admin", identify=True)
ANONYMOUS = Viewer("", "anonymous", identify=False)
#: where :mod:`web.auth` registers itself on the app
AUTH_KEY = "bridgework.auth"


def viewer() -> Viewer:
    """The viewer of the current request (the logged-in user's role and identification)."""
    found = getattr(g, "viewer", None) if has_app_context() else None
    if found is not None:
        return found
    if has_request_context() and AUTH_KEY in current_app.extensions:
        return ANONYMOUS
    return ADMIN


def for_user(name: str, role: str, identify: bool) -> Viewer:
    """The viewer of a user: admins identify people, analysts when granted, viewers never.

    >>> for_user("ann", "viewer", True).identify
    False
    """
    return Viewer(name, role, identify=role == "admin" or (role == "analyst" and identify))


def sees_people() -> bool:
    """Whether the viewer may see individual people at all (analysts and admins)."""
    return viewer().role in ("analyst", "admin")


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
    return int(current_app.config.get("MIN_GROUP_SIZE", 5))


def group_visible(size: int) -> bool:
    """Whether figures for a group of ``size`` people may be shown to the viewer."""
    return viewer().role == "admin" or size >= min_group_size()
