"""Every state-changing request needs the session's CSRF token."""

from __future__ import annotations

import pytest
from flask import jsonify

from tests.security.helpers import PASSWORD
from tests.security.helpers import SignedInClient
from tests.security.helpers import client_as
from tests.security.helpers import form_token
from tests.security.helpers import make_user
from tests.security.helpers import session_token
from tests.security.helpers import sign_in
from web import access


@pytest.fixture
def echo(app, monkeypatch):
    """The app with a state-changing JSON endpoint for viewers and up."""

    @app.route("/api/_echo", methods=["POST", "PUT", "PATCH", "DELETE"])
    def echo_view():  # noqa: ANN202
        return jsonify({"ok": True})

    monkeypatch.setitem(access.ACCESS, "echo_view", access.GROUP)
    return app


def test_login_form_needs_the_token(app):
    make_user(app, "ann", "viewer")
    client = app.test_client()
    refused = client.post("/login", data={"name": "ann", "password": PASSWORD})
    assert refused.status_code == 400 and "security token" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in
    token = form_token(client)
    accepted = client.post(
        "/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302 and client.get("/").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_api_needs_the_token_in_a_header_or_the_form(echo, method):
    client = client_as(echo, "ann", "viewer")
    token = session_token(client)
    missing = client.open("/api/_echo", method=method)
    assert missing.status_code == 400
    body = missing.get_json()
    assert body["ok"] is False and body["status"] == 400 and "security token" in body["error"]
    wrong = client.open("/api/_echo", method=method, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert wrong.status_code == 400
    header = client.open("/api/_echo", method=method, headers={"X-CSRF-Token": token})
    assert header.status_code == 200 and header.get_json() == {"ok": True}
    form = client.open("/api/_echo", method=method, data={"csrf_token": token})
    assert form.status_code == 200


def test_token_of_another_session_is_refused(echo):
    ann = client_as(echo, "ann", "viewer")
    bob = client_as(echo, "bob", "viewer")
    stolen = session_token(bob)
    assert ann.post("/api/_echo", headers={"X-CSRF-Token": stolen}).status_code == 400
    assert bob.post("/api/_echo", headers={"X-CSRF-Token": stolen}).status_code == 200


def test_logout_needs_the_token(app):
    client = client_as(app, "ann", "viewer")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
    assert client.get("/logout").status_code == 405  # no logging out by a link or an image
    client.post("/logout", data={"csrf_token": session_token(client)})
    assert client.get("/").status_code == 302


def test_token_is_on_every_page_for_scripts(app):
    client = client_as(app, "ann", "viewer")
    page = client.get("/").get_data(as_text=True)
    assert f'<meta name="csrf-token" content="{session_token(client)}">' in page


def test_new_token_after_login(app):
    make_user(app, "ann", "viewer")
    client = app.test_client()
    before = form_token(client)
    client.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": before})
    assert session_token(client) != before


def test_signed_in_client_for_older_tests(echo):
    echo.test_client_class = SignedInClient
    client = echo.test_client()
    assert client.get("/api/audit").status_code == 200  # an admin
    assert client.post("/api/_echo").get_json() == {"ok": True}  # the header is sent
    assert client.post("/api/_echo", headers={"X-CSRF-Token": "forged"}).status_code == 400
    assert echo.test_client().get("/").status_code == 200  # the user exists already


def test_sign_in_as_another_role(app):
    client = app.test_client()
    user = sign_in(client, "vic", "viewer")
    assert user.role == "viewer"
    assert client.get("/").status_code == 200 and client.get("/api/audit").status_code == 403
