"""Query parameters shared by pages and the API: the data window and channels.

Every page and endpoint that reads ties accepts the same three parameters,
``since=YYYY-MM``, ``until=YYYY-MM`` (whole months, ``until`` excluded) and any
number of ``channel=`` values. Bad values raise :class:`~graph.errors.InvalidInput`,
which the error handlers turn into a 400 that names the parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import igraph as ig
from flask import request

from analysis.build import person_graph
from graph.errors import InvalidInput
from ingest.records import Channel
from web.store import get_store

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Window:
    """The slice of ties a request asks for."""

    since: date | None = None
    until: date | None = None
    channels: tuple[Channel, ...] | None = None

    def query(self) -> dict[str, str | list[str]]:
        """The window as query parameters (for links that keep the filter)."""
        args: dict[str, str | list[str]] = {}
        if self.since:
            args["since"] = self.since.strftime("%Y-%m")
        if self.until:
            args["until"] = self.until.strftime("%Y-%m")
        if self.channels:
            args["channel"] = [c.value for c in self.channels]
        return args


def month(name: str) -> date | None:
    """The month in query parameter ``name`` (``YYYY-MM``), or ``None`` when absent."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    match = MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput("must be a month, YYYY-MM", field=name, value=value)
    return date(int(match.group(1)), int(match.group(2)), 1)


def channels() -> tuple[Channel, ...] | None:
    """The ``channel`` query parameters, or ``None`` for all channels."""
    values = request.args.getlist("channel")
    if not values:
        return None
    known = {c.value: c for c in Channel}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise InvalidInput(
            f"unknown channel (known: {', '.join(known)})", field="channel", value=unknown[0]
        )
    return tuple(known[v] for v in values)


def window() -> Window:
    """The window the current request asks for."""
    return Window(month("since"), month("until"), channels())


def people_graph(wanted: Window | None = None) -> ig.Graph:
    """The undirected person graph (weights summed over months) for a window."""
    wanted = wanted or window()
    store = get_store()
    chosen = list(wanted.channels) if wanted.channels else None
    ties = store.ties(since=wanted.since, until=wanted.until, channels=chosen)
    return person_graph(store.people(), ties)
