"""Logging in and out, sessions that end, and the secret key check."""

from __future__ import annotations

import click
import pytest

from app import create_app
from tests.security.helpers import PASSWORD
from tests.security.helpers import client_as
from tests.security.helpers import login
from tests.security.helpers import make_user
from tests.security.helpers import secure_app
from tests.security.helpers import secure_config
from tests.security.helpers import session_token
from web import auth


def test_everything_needs_a_login(app):
    client = app.test_client()
    page = client.get("/teams?since=2025-01")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/teams?since%3D2025-01"
    api = client.get("/api/counts")
    assert api.status_code == 401
    assert api.get_json() == {
        "ok": False,
        "error": "Log in first.",
        "errors": ["Log in first."],
        "status": 401,
    }
    assert client.get("/no/such/page").status_code == 302  # no hint which routes exist
    assert client.get("/login").status_code == 200
    style = client.get("/static/style.css")
    assert style.status_code == 200
    style.close()


def test_login_then_logout(app):
    make_user(app, "Ann", "viewer")
    client = app.test_client()
    response = login(client, "ann", next_url="/teams")
    assert response.status_code == 302 and response.headers["Location"] == "/teams"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Ann · viewer" in text and 'action="/logout"' in text
    assert client.get("/login").status_code == 302  # logged in already
    out = client.post("/logout", data={"csrf_token": session_token(client)})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_name_look_the_same(app):
    make_user(app, "ann", "viewer")
    client = app.test_client()
    wrong = login(client, "ann", "not the password")
    unknown = login(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong.get_data(as_text=True)
    assert "Wrong user name or password." in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_never_redirects_to_another_site(app):
    make_user(app, "ann", "viewer")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = login(app.test_client(), "ann", next_url=target)
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_disabled_user_cannot_log_in_and_their_session_ends(app):
    client = client_as(app, "ann", "analyst")
    assert client.get("/").status_code == 200
    with app.app_context():
        auth.accounts().set_disabled("ann", True)
    assert client.get("/").status_code == 302
    assert client.get("/api/counts").status_code == 401
    again = login(app.test_client(), "ann")
    assert again.status_code == 401 and "disabled" in again.get_data(as_text=True)
    with app.app_context():
        auth.accounts().set_disabled("ann", False)
    assert login(app.test_client(), "ann").status_code == 302


def test_role_change_takes_effect_at_the_next_request(app):
    client = client_as(app, "ann", "viewer")
    assert client.get("/api/audit").status_code == 403
    with app.app_context():
        auth.accounts().set_role("ann", "admin")
    assert client.get("/api/audit").status_code == 200
    with app.app_context():
        auth.accounts().set_role("ann", "viewer")
    denied = client.get("/api/audit")
    assert denied.status_code == 403 and denied.get_json()["status"] == 403


def test_logout_ends_copies_of_the_session_cookie(app):
    client = client_as(app, "ann", "viewer")
    copied = client.get_cookie("session").value
    client.post("/logout", headers={"X-CSRF-Token": session_token(client)})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 302


def test_new_password_ends_other_sessions(app):
    client = client_as(app, "ann", "viewer")
    with app.app_context():
        auth.accounts().set_password("ann", "a brand new password")
    assert client.get("/").status_code == 302
    assert login(app.test_client(), "ann", "a brand new password").status_code == 302


def test_session_lasts_session_hours(app):
    client = client_as(app, "ann", "viewer")
    with client.session_transaction() as session:
        session["at"] -= 11 * 3600
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["at"] -= 2 * 3600
    assert client.get("/").status_code == 302
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_tampered_session_is_ignored(app):
    make_user(app, "ann", "admin")
    client = app.test_client()
    client.set_cookie("session", '{"uid": 1, "epoch": 0, "at": 9999999999}')
    assert client.get("/").status_code == 302


def test_cookie_is_secure_outside_debug_and_testing(tmp_path):
    served = create_app(secure_config(tmp_path, TESTING=False))
    assert served.config["SESSION_COOKIE_SECURE"] is True
    plain = create_app(secure_config(tmp_path, TESTING=False, SESSION_COOKIE_SECURE=False))
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    assert secure_app(tmp_path).config["SESSION_COOKIE_SECURE"] is False  # TESTING


@pytest.mark.parametrize("key", ["dev", "change-me", "short-key", ""])
def test_refuses_to_serve_with_a_weak_secret_key(tmp_path, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(secure_config(tmp_path, TESTING=False, SECRET_KEY=key))


def test_weak_secret_key_is_fine_for_commands_and_tests(tmp_path):
    assert create_app(secure_config(tmp_path, SECRET_KEY="dev")).testing
    with click.Context(click.Command("user"), info_name="user"):
        create_app(secure_config(tmp_path, TESTING=False, SECRET_KEY="dev"))
    with click.Context(click.Command("run"), info_name="run"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(secure_config(tmp_path, TESTING=False, SECRET_KEY="dev"))


def test_viewer_of_the_request_is_the_logged_in_user(app, monkeypatch):
    from web import access
    from web import policy

    seen = {}

    @app.get("/_whoami")
    def whoami() -> str:
        seen["viewer"] = policy.viewer()
        seen["people"] = policy.sees_people()
        return "ok"

    monkeypatch.setitem(access.ACCESS, "whoami", access.GROUP)
    with app.test_request_context("/"):
        assert policy.viewer() == policy.ANONYMOUS and not policy.sees_people()
    with app.app_context():
        assert policy.viewer() == policy.ADMIN  # the command line, background work
    cases = [
        ("v", "viewer", True, policy.Viewer("v", "viewer", identify=False), False),
        ("a", "analyst", False, policy.Viewer("a", "analyst", identify=False), True),
        ("ai", "analyst", True, policy.Viewer("ai", "analyst", identify=True), True),
        ("ad", "admin", False, policy.Viewer("ad", "admin", identify=True), True),
    ]
    for name, role, identify, expected, people in cases:
        client = client_as(app, name, role, identify)
        assert client.get("/_whoami").status_code == 200
        assert seen == {"viewer": expected, "people": people}
