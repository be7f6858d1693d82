"""Security headers on pages, JSON, downloads, errors and the login form."""

from __future__ import annotations

import pytest

from tests.security.fill import fill
from tests.security.helpers import client_as

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


@pytest.fixture
def admin(app):
    fill(app)
    return client_as(app, "root", "admin")


def assert_secure(response, *, no_store: bool = True) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert (headers.get("Cache-Control") == "no-store") is no_store


@pytest.mark.parametrize(
    "path",
    ["/", "/api/counts", "/people/p_ann", "/api/people/p_ann", "/export/people.csv", "/nowhere"],
)
def test_headers_when_logged_in(admin, path):
    response = admin.get(path)
    assert response.status_code == (404 if path == "/nowhere" else 200)
    assert_secure(response)
    assert "Strict-Transport-Security" not in response.headers
    response.close()


def test_headers_for_anonymous_and_login(app):
    client = app.test_client()
    for path in ("/login", "/", "/api/counts"):
        assert_secure(client.get(path))


def test_static_files_may_be_cached(admin):
    response = admin.get("/static/style.css")
    assert_secure(response, no_store=False)
    response.close()


def test_hsts_over_https(admin):
    response = admin.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
