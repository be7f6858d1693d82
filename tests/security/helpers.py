"""Helpers for tests of an app with accounts: build it, add users, log in.

Until ``create_app`` turns accounts on itself, :func:`secure_app` calls
:func:`web.auth.init_app`; afterwards it only builds the app.

:func:`login` goes through the real form (CSRF token and all).
:func:`sign_in` puts a session straight on a client, without the form and
its password hashing; :class:`SignedInClient` does that for every client of
an app (``app.test_client_class = SignedInClient``) and sends the CSRF
header with every request, as the pages' scripts do.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from graph.accounts import User
from web import auth

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-not-for-production"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def secure_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Test settings for an app with accounts: files under ``tmp_path``."""
    from tests.apps import config_for

    return config_for(tmp_path, **{"SECRET_KEY": SECRET, **overrides})


def secure_app(tmp_path: Path, **overrides: Any) -> Flask:
    """A fresh app with accounts, login and access checks on."""
    return create_app(secure_config(tmp_path, **overrides))


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


def sign_in(
    client: FlaskClient, name: str, role: str, identify: bool = False, password: str = PASSWORD
) -> User:
    """Give ``client`` a session of the user ``name`` (created if missing), without the form."""
    app = client.application
    with app.app_context():
        found = auth.accounts().find(name)
        user = found or auth.accounts().create_user(name, password, role, identify=identify)
    with client.session_transaction() as session:
        session.permanent = True
        session.update(
            uid=user.id, epoch=user.epoch, at=int(time.time()), csrf=secrets.token_urlsafe(32)
        )
    return user


class SignedInClient(FlaskClient):
    """A test client signed in as ``test-admin`` (an admin), sending the CSRF header itself.

    For tests written before accounts: ``app.test_client_class = SignedInClient``
    makes every ``app.test_client()`` such a client. Subclass it with another
    ``name``, ``role`` and ``identify`` to sign in as someone else.
    """

    name = "test-admin"
    role = "admin"
    identify = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sign_in(self, self.name, self.role, self.identify)

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send the request with this session's CSRF token in ``X-CSRF-Token``."""
        with self.session_transaction() as session:
            token = session.get("csrf")
        if token:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def browser_login(driver: Any, base_url: str, name: str, password: str = PASSWORD) -> None:
    """Log a Selenium browser in through the form and wait until it has left the form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base_url + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)
