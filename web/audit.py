"""The audit log: who viewed which person-level page or export, who ran what.

:func:`record` appends one row (the app database refuses to change or
delete rows). :mod:`web.access` records views of person-level pages and
downloads by itself; code that starts an ingest or an analysis calls
``audit.record("ingest", ...)`` or ``audit.record("analysis", ...)``. Admins
read the log at ``/audit`` (``/api/audit`` as JSON), newest first.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import g
from flask import has_request_context
from flask import jsonify
from flask import render_template
from flask import request

from graph.accounts import ACTIONS
from graph.errors import InvalidInput

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


def record(action: str, target: str, *, user: str | None = None, role: str | None = None) -> int:
    """Append a row to the audit log: ``action`` (see ``graph.accounts.ACTIONS``) on ``target``.

    The user, role and client address come from the request (``cli`` with
    no address outside one) unless given. Returns the row's id.
    """
    from web.auth import accounts
    from web.auth import client_ip

    found = getattr(g, "user", None) if has_request_context() else None
    if user is None:
        user = found.name if found else ("-" if has_request_context() else "cli")
    if role is None:
        role = found.role if found else ""
    ip = client_ip() if has_request_context() else ""
    return accounts().append_audit(user=user, role=role, action=action, target=target, ip=ip)


def target_of(endpoint: str, view_args: dict[str, Any], query: dict[str, list[str]]) -> str:
    """How a request is named in the log: endpoint, then its URL and query arguments.

    >>> target_of("teams.person_page", {"key": "p1"}, {"since": ["2025-01"]})
    'teams.person_page key=p1 since=2025-01'
    """
    parts = [endpoint]
    parts += [f"{name}={value}" for name, value in sorted(view_args.items())]
    for name, values in sorted(query.items()):
        parts += [f"{name}={value}" for value in values]
    return " ".join(parts)


def page_of_log() -> dict[str, Any]:
    """The page of audit rows the query asks for (``user``, ``action``, ``page``), JSON-ready."""
    user = request.args.get("user", "").strip()
    action = request.args.get("action", "").strip()
    if action and action not in ACTIONS:
        raise InvalidInput(f"must be one of {', '.join(ACTIONS)}", field="action", value=action)
    raw = request.args.get("page", "1").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput("must be a whole number from 1", field="page", value=raw)
    page = int(raw)
    from web.auth import accounts

    entries, total = accounts().audit(
        user=user or None, action=action or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "user": user or None,
        "action": action or None,
        "page": page,
        "pages": pages,
        "page_size": PAGE_SIZE,
        "total": total,
        "actions": list(ACTIONS),
        "entries": [entry.as_dict() for entry in entries],
    }


@bp.get("/audit")
def log_page() -> str:
    """The audit log, newest first, filtered by user and action, 50 rows a page."""
    return render_template("audit/log.html", log=page_of_log())


@bp.get("/api/audit")
def log_api():  # noqa: ANN201 - Flask view
    """The audit log as JSON (same filters and pages as the page)."""
    return jsonify({"ok": True, **page_of_log()})
