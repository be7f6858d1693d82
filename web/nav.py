"""The navigation bar: pages in order, shown when their endpoint exists."""

from __future__ import annotations

from flask import Flask
from flask import request
from flask import url_for

NAV = (
    ("Overview", "views.index"),
    ("Map", "views.network_map"),
    ("Teams", "teams.team_list"),
    ("Liaison", "liaison.matrix_page"),
    ("Isolated teams", "isolation.page"),
    ("Compare", "compare.page"),
    ("Data", "data.page"),
    ("Exports", "exports.page"),
)


def init_app(app: Flask) -> None:
    """Give every template ``nav``: (label, url, current) for each page that exists."""

    @app.context_processor
    def navigation() -> dict[str, object]:
        entries = [
            (label, url_for(endpoint), request.endpoint == endpoint)
            for label, endpoint in NAV
            if endpoint in app.view_functions
        ]
        return {"nav": entries}
