"""Helpers for tests of an app with accounts: build it, add users, log in for real.

Until ``create_app`` turns accounts on itself, :func:`secure_app` calls
:func:`web.auth.init_app`; afterwards it only builds the app.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from graph.accounts import User
from web import auth
from web import policy

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-not-for-production"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def secure_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Test settings for an app with accounts: files under ``tmp_path``."""
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLITE_PATH": str(tmp_path / "bridgework.sqlite3"),
        "DATA_DIR": str(tmp_path / "data"),
        "ACCOUNTS_PATH": str(tmp_path / "accounts.sqlite3"),
        "PSEUDONYM_KEY": "test-key",
        **overrides,
    }


def secure_app(tmp_path: Path, **overrides: Any) -> Flask:
    """A fresh app with accounts, login and access checks on."""
    app = create_app(secure_config(tmp_path, **overrides))
    if policy.AUTH_KEY not in app.extensions:
        auth.init_app(app)
    return app


def make_user(
    app: Flask, name: str, role: str, identify: bool = False, password: str = PASSWORD
) -> User:
    """Add a user to the app's account database."""
    with app.app_context():
        return auth.accounts().create_user(name, password, role, identify=identify)


def form_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form at ``path`` (read from the page, as a browser would)."""
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no csrf_token field on {path}"
    return found.group(1)


def session_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session (what ``<meta name="csrf-token">`` holds)."""
    with client.session_transaction() as session:
        return session["csrf"]


def login(
    client: FlaskClient, name: str, password: str = PASSWORD, *, next_url: str | None = None
) -> TestResponse:
    """Log in through the form: GET it for its CSRF token, then POST name and password."""
    data = {"name": name, "password": password, "csrf_token": form_token(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def client_as(
    app: Flask, name: str, role: str, identify: bool = False, password: str = PASSWORD
) -> FlaskClient:
    """A test client logged in as a new user of ``role``."""
    make_user(app, name, role, identify, password)
    client = app.test_client()
    response = login(client, name, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
