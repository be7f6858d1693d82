"""Every route × every role: who may open what, walked on an app with demo data.

The expectations below are this test's own specification, written
independently of ``web/access.py``. A route of the app that is missing here
fails :func:`test_every_route_is_classified`: add its endpoint to exactly one
of the sets (and to ``web.access.ACCESS``).

To add a route: put its endpoint in one of ``PUBLIC``, ``GROUP``, ``PERSON``,
``ANALYST``, ``ADMIN`` (or ``SIGNED_IN`` for logging out); if its URL has a
variable not in ``VALUES`` add one; if it needs query arguments to answer
200, add them to ``QUERY``. POSTs are sent with a valid CSRF token and the
body in ``BODY`` (chosen to fail validation, so that no job really starts):
allowed roles must get past the access check (anything but 401 and 403).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.security.helpers import PASSWORD
from tests.security.helpers import client_as
from tests.security.helpers import login
from tests.security.helpers import make_user
from tests.security.helpers import secure_app
from tests.security.helpers import session_token
from web.store import close_store
from web.store import get_store

# -- the specification --------------------------------------------------------------------------

#: open without logging in
PUBLIC = {"static", "auth.login"}
#: any logged-in user: logging out
SIGNED_IN = {"auth.logout"}
#: group-level pages: viewers (the CIO dashboard) and up
GROUP = {
    "views.index",
    "views.network_map",
    "api.counts",
    "api.openapi",
    "api.overview",
    "api.team_map",
    "liaison.matrix_page",
    "liaison.matrix_api",
    "isolation.page",
    "isolation.isolated_api",
    "isolation.ego_api",
    "compare.page",
    "compare.api_compare",
    "teams.team_list",
    "teams.api_team_list",
    "exports.map_svg",
    "exports.map_png",
}
#: person-level pages and downloads: analysts and admins
PERSON = {
    "api.team_people",
    "api.search",
    "liaison.cell_page",
    "liaison.cell_api",
    "teams.team_page",
    "teams.api_team",
    "teams.person_page",
    "teams.api_person",
    "exports.table_csv",
    "exports.graph_file",
    "exports.report",
    "exports.api_report",
}
#: analysts and admins, but naming nobody (the list of downloads)
ANALYST = {"exports.page", "exports.api_exports"}
#: admins only: ingest, jobs, uploads, the audit log, user administration
ADMIN = {
    "audit.log_page",
    "audit.log_api",
    "data.page",
    "data.run_page",
    "data.upload_form",
    "data.analysis_form",
    "data.api_upload",
    "data.api_jobs",
    "data.api_runs",
    "data.api_run",
    "data.api_tasks",
    "data.api_task",
}

LEVELS = {"group": GROUP, "person": PERSON, "analyst": ANALYST, "admin": ADMIN}
#: which roles may open each level
ALLOWED = {
    "group": {"viewer", "analyst", "analyst_identify", "admin"},
    "person": {"analyst", "analyst_identify", "admin"},
    "analyst": {"analyst", "analyst_identify", "admin"},
    "admin": {"admin"},
}
#: bodies of state-changing requests: invalid on purpose, so allowed roles get 400, not a job
BODY: dict[str, dict[str, Any]] = {
    "auth.login": {"data": {"name": "m-admin", "password": PASSWORD}},
    "data.api_jobs": {"json": {"since": "not-a-month"}},
    "data.analysis_form": {"data": {"since": "not-a-month"}},
    "data.api_upload": {"data": {"kind": "email"}},
    "data.upload_form": {"data": {"kind": "email"}},
}
#: GETs whose URL value cannot be real in a fresh app (no background task yet): 404 is fine
NOT_FOUND_OK = {"data.api_task"}
ROLES = ("anonymous", "viewer", "analyst", "analyst_identify", "admin")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# -- the app -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """An app with accounts and the 60-person demo organisation, analysed."""
    app = secure_app(Path(tmp_path_factory.mktemp("matrix")))
    result = app.test_cli_runner().invoke(args=["demo", "--people", "60", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield app
    close_store(app)


@pytest.fixture(scope="module")
def cookies(demo: Flask) -> dict[str, str | None]:
    """A session cookie for each role (``None`` for anonymous), logged in through the form."""
    found: dict[str, str | None] = {"anonymous": None}
    for role in ROLES[1:]:
        base, identify = role.split("_")[0], role.endswith("_identify")
        found[role] = _cookie(client_as(demo, f"m-{role.replace('_', '-')}", base, identify))
    return found


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


@pytest.fixture(scope="module")
def values(demo: Flask) -> dict[str, Any]:
    """Real values for URL variables and query arguments, taken from the demo data."""
    with demo.app_context():
        store = get_store()
        people = [p for p in store.people() if p.team]
        sizes = Counter(p.team_key for p in people)
        team = max(sizes, key=lambda t: (sizes[t], t))
        person = next(p for p in people if p.team_key == team)
        run = store.runs(limit=1)[0]
        business = sorted({p.department for p in people if not p.is_it})
        it_teams = sorted(t for t in sizes if any(p.is_it for p in people if p.team_key == t))
    return {
        "VALUES": {
            "key": person.key,
            "team": team,
            "fmt": "gexf",
            "name": "people",
            "filename": "style.css",
            "run_id": run.id,
            "task_id": "0" * 32,
        },
        "QUERY": {
            "liaison.cell_page": {"unit": business[0], "it_team": it_teams[0]},
            "liaison.cell_api": {"unit": business[0], "it_team": it_teams[0]},
            "api.search": {"q": person.name[:3]},
        },
    }


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) of the app, without HEAD and OPTIONS."""
    return [
        (rule, method)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
        for method in sorted(rule.methods or ())
        if method in METHODS
    ]


def level_of(endpoint: str) -> str:
    found = [name for name, endpoints in LEVELS.items() if endpoint in endpoints]
    found += ["public"] if endpoint in PUBLIC else []
    found += ["signed_in"] if endpoint in SIGNED_IN else []
    assert len(found) == 1, f"classify new route {endpoint} (found in {found or 'no set'})"
    return found[0]


def url_of(rule: Rule, values: dict[str, Any]) -> str:
    missing = set(rule.arguments) - set(values["VALUES"])
    assert not missing, f"give a value for {sorted(missing)} of {rule.rule} in VALUES"
    path = rule.build(values["VALUES"], append_unknown=False)
    assert path is not None
    return path[1]


# -- the tests ---------------------------------------------------------------------------------


def test_every_route_is_classified(demo):
    endpoints = {rule.endpoint for rule in demo.url_map.iter_rules()}
    unclassified = sorted(
        e
        for e in endpoints
        if sum(e in s for s in (PUBLIC, SIGNED_IN, GROUP, PERSON, ANALYST, ADMIN)) != 1
    )
    assert unclassified == [], [f"classify new route {e}" for e in unclassified]


def test_spec_names_only_real_routes(demo):
    endpoints = {rule.endpoint for rule in demo.url_map.iter_rules()}
    spec = PUBLIC | SIGNED_IN | GROUP | PERSON | ANALYST | ADMIN
    assert spec - endpoints == set(), "remove or rename these in the spec"


def expect(role: str, endpoint: str, method: str) -> str:
    """``ok``, ``login`` (anonymous: redirect or 401) or ``denied`` (403)."""
    level = level_of(endpoint)
    if level == "public":
        return "ok"
    if role == "anonymous":
        return "login"
    if level == "signed_in":
        return "ok"
    return "ok" if role in ALLOWED[level] else "denied"


def check(response, role: str, endpoint: str, method: str, path: str) -> str | None:
    """What is wrong with the response, or ``None``."""
    wanted = expect(role, endpoint, method)
    status = response.status_code
    is_api = path.startswith("/api/")
    where = f"{role} {method} {path} ({endpoint})"
    if wanted == "login":
        if is_api:
            body = response.get_json(silent=True) or {}
            if status != 401 or body.get("ok") is not False or body.get("status") != 401:
                return f"{where}: wanted 401 JSON, got {status}"
        elif status != 302 or "/login?next=" not in response.headers.get("Location", ""):
            return f"{where}: wanted a redirect to /login, got {status}"
        return None
    if wanted == "denied":
        if status != 403:
            return f"{where}: wanted 403, got {status}"
        if is_api:
            body = response.get_json(silent=True) or {}
            if body.get("ok") is not False or body.get("status") != 403:
                return f"{where}: 403 without the JSON error shape"
        elif "403" not in response.get_data(as_text=True):
            return f"{where}: 403 page does not say 403"
        return None
    if status in (401, 403):
        return f"{where}: wanted access, got {status}"
    if method == "GET" and status == 404 and endpoint in NOT_FOUND_OK:
        return None
    if method == "GET" and status >= 400:
        return f"{where}: allowed but failed with {status}: {response.get_data(as_text=True)[:200]}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(demo, cookies, values, role):
    problems = []
    walked = 0
    for rule, method in routes(demo):
        if rule.endpoint in SIGNED_IN:
            continue  # logging out ends the shared session: see test_logout_for_every_role
        client = demo.test_client()
        headers = {}
        if cookies[role]:
            client.set_cookie("session", cookies[role])
            headers["X-CSRF-Token"] = session_token(client)
        path = url_of(rule, values)
        query = values["QUERY"].get(rule.endpoint, {})
        body = BODY.get(rule.endpoint, {}) if method != "GET" else {}
        response = client.open(path, method=method, query_string=query, headers=headers, **body)
        problem = check(response, role, rule.endpoint, method, path)
        response.close()
        walked += 1
        if problem:
            problems.append(problem)
    assert walked >= 40
    assert problems == []


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_logout_for_every_role(demo, role):
    client = client_as(demo, f"out-{role}", role)
    response = client.post("/logout", headers={"X-CSRF-Token": session_token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302


def test_anonymous_logout_goes_to_login(demo):
    client = demo.test_client()
    response = client.post("/logout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_denied_role_keeps_working_after_403(demo):
    make_user(demo, "m-after", "viewer")
    client = demo.test_client()
    assert login(client, "m-after").status_code == 302
    assert client.get("/audit").status_code == 403
    assert client.get("/").status_code == 200
