"""THE access table: which role may open each endpoint, checked in one place.

Roles rank ``viewer`` < ``analyst`` < ``admin`` (:data:`graph.accounts.ROLES`);
a rule names the least role an endpoint needs. ``viewer`` covers group-level
pages (the CIO dashboard), ``analyst`` person-level pages and downloads,
``admin`` ingest, jobs, the audit log and user administration. Only
``static`` and the login form are open without logging in.

An endpoint missing from :data:`ACCESS` is refused to everybody (403): a new
route stays closed until someone decides who may open it here (and in
``tests/security/test_access_matrix.py``). ``"blueprint.*"`` covers every
endpoint of a blueprint that has no entry of its own.

A rule may name an audit action: successful requests to it are written to
the audit log (:mod:`web.audit`) with the endpoint and its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import url_for
from werkzeug.exceptions import HTTPException

from graph.accounts import rank
from web import auth

PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Rule:
    """The least role an endpoint needs (or ``public``), and what to audit on success."""

    role: str
    audit: str | None = None


OPEN = Rule(PUBLIC)
GROUP = Rule("viewer")
PERSON = Rule("analyst", audit="view")
ANALYST = Rule("analyst")
EXPORT = Rule("analyst", audit="export")
ADMIN = Rule("admin")

ACCESS: dict[str, Rule] = {
    "static": OPEN,
    "auth.login": OPEN,
    "auth.logout": GROUP,
    # overview and map: teams only; drilling into a team or searching names people
    "views.index": GROUP,
    "views.network_map": GROUP,
    "api.counts": GROUP,
    "api.openapi": GROUP,
    "api.overview": GROUP,
    "api.team_map": GROUP,
    "api.team_people": PERSON,
    "api.search": PERSON,
    # liaison matrix by unit; a cell lists the people behind it
    "liaison.matrix_page": GROUP,
    "liaison.matrix_api": GROUP,
    "liaison.cell_page": PERSON,
    "liaison.cell_api": PERSON,
    # isolated teams and their team-level ego maps
    "isolation.page": GROUP,
    "isolation.isolated_api": GROUP,
    "isolation.ego_api": GROUP,
    "compare.page": GROUP,
    "compare.api_compare": GROUP,
    # the team list is group-level; a team page lists its members
    "teams.team_list": GROUP,
    "teams.api_team_list": GROUP,
    "teams.team_page": PERSON,
    "teams.api_team": PERSON,
    "teams.person_page": PERSON,
    "teams.api_person": PERSON,
    # downloads: tables and graphs name people (audited); the map pictures show teams only
    # (not audited: the Exports page shows the map picture as a preview)
    "exports.page": ANALYST,
    "exports.api_exports": ANALYST,
    "exports.table_csv": EXPORT,
    "exports.graph_file": EXPORT,
    "exports.map_svg": GROUP,
    "exports.map_png": GROUP,
    "exports.report": PERSON,
    "exports.api_report": PERSON,
    # uploads, ingest runs (file names), analysis jobs
    "data.*": ADMIN,
    "audit.log_page": ADMIN,
    "audit.log_api": ADMIN,
}


def rule_for(endpoint: str | None) -> Rule | None:
    """The rule of an endpoint (its own entry, else its blueprint's ``*``), or ``None``.

    >>> rule_for("teams.person_page").role, rule_for("data.upload").role, rule_for("nope.x")
    ('analyst', 'admin', None)
    """
    if not endpoint:
        return None
    if endpoint in ACCESS:
        return ACCESS[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
    return ACCESS.get(f"{blueprint}.*") if blueprint else None


def allows(role: str | None, endpoint: str | None) -> bool:
    """Whether a user of ``role`` (``None``: not logged in) may open ``endpoint``.

    >>> allows("viewer", "views.index"), allows("viewer", "teams.person_page")
    (True, False)
    >>> allows(None, "auth.login"), allows(None, "views.index"), allows("admin", "nope.x")
    (True, False, False)
    """
    rule = rule_for(endpoint)
    if rule is None:
        return False
    if rule.role == PUBLIC:
        return True
    return role is not None and rank(role) >= rank(rule.role)


def can(endpoint: str) -> bool:
    """Whether the current user may open ``endpoint`` (for templates: hide what they can't)."""
    user = auth.current_user()
    return allows(user.role if user else None, endpoint)


def may_open(url: str) -> bool:
    """Whether the current user may open the page at ``url`` on this site."""
    try:
        endpoint, _ = current_app.create_url_adapter(request).match(urlsplit(url).path)
    except HTTPException:
        return False
    return can(endpoint)


def _not_logged_in() -> Response:
    """401 under ``/api/``; elsewhere the login form, coming back here afterwards."""
    if request.path.startswith("/api/"):
        abort(401, "Log in first.")
    back = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=back))


def guard() -> Response | None:
    """The one access check before every request: session, role, then CSRF token."""
    endpoint = request.endpoint
    if endpoint == "static":
        return None
    rule = rule_for(endpoint)
    user = auth.load_user()
    if rule is not None and rule.role == PUBLIC:
        auth.check_csrf()
        return None
    if user is None:
        return _not_logged_in()
    if endpoint is None:  # no such route: let the 404 or 405 through
        return None
    if rule is None:
        abort(403, f"No role may open {endpoint} yet: it is missing from the access table.")
    if rank(user.role) < rank(rule.role):
        abort(403, f"Your role ({user.role}) may not open this page; it needs {rule.role}.")
    auth.check_csrf()
    return None


def record(response: Response) -> Response:
    """Write successful person-level views and downloads to the audit log."""
    from web import audit

    rule = rule_for(request.endpoint)
    if rule and rule.audit and getattr(g, "user", None) and response.status_code < 400:
        target = audit.target_of(
            request.endpoint or "", request.view_args or {}, request.args.to_dict(flat=False)
        )
        audit.record(rule.audit, target)
    return response


def init_app(app: Flask) -> None:
    """Check every request against the table and audit what the table asks for."""
    # First of all before-request functions, so nothing runs before the check.
    app.before_request_funcs.setdefault(None, []).insert(0, guard)
    app.after_request(record)
    app.add_template_global(can)
    app.add_template_global(may_open)
