"""Gzip of answers: the same bytes once decompressed, only when asked for and worth it."""

from __future__ import annotations

import doctest
import gzip
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.apps import make_demo
from tests.security.helpers import session_token
from web import compress
from web.compress import MIN_BYTES
from web.compress import gzip_bytes
from web.headers import HEADERS
from web.store import close_store

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_demo(tmp_path_factory.mktemp("compress"))
    yield app
    close_store(app)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


def test_doctests():
    assert doctest.testmod(compress).failed == 0


@pytest.mark.parametrize("url", ["/api/map/teams", "/api/liaison", "/api/overview", "/api/teams"])
def test_a_large_json_answer_is_gzipped_and_decompresses_to_the_plain_one(demo, url):
    client = demo.test_client()
    plain = client.get(url)
    packed = client.get(url, headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert len(plain.data) >= MIN_BYTES
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Content-Type"] == plain.headers["Content-Type"] == "application/json"
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    assert gzip.decompress(packed.data) == plain.data
    assert "accept-encoding" in vary(packed) and "accept-encoding" in vary(plain)
    for name, value in HEADERS.items():  # the strict headers are still there
        assert packed.headers[name] == value
    assert packed.headers["Cache-Control"] == "no-store"


def test_the_same_large_body_is_compressed_once(demo, monkeypatch):
    calls = []

    def counted(data: bytes, **kwargs: bytes) -> bytes:
        calls.append(len(data))
        return gzip_bytes(data, **kwargs)

    monkeypatch.setattr(compress, "MEMO_BYTES", MIN_BYTES)
    monkeypatch.setattr(compress, "gzip_bytes", counted)
    client = demo.test_client()
    first = client.get("/api/map/teams", headers=GZIP)
    again = client.get("/api/map/teams", headers=GZIP)
    other = client.get("/api/map/teams?channel=email", headers=GZIP)
    assert again.data == first.data and len(calls) == 2
    assert gzip.decompress(other.data) == client.get("/api/map/teams?channel=email").data


@pytest.mark.parametrize(
    "headers",
    [{}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, deflate"}],
    ids=["none", "identity", "refused"],
)
def test_clients_that_do_not_accept_gzip_get_the_plain_body(demo, headers):
    response = demo.test_client().get("/api/map/teams", headers=headers)
    assert "Content-Encoding" not in response.headers
    assert response.get_json()["ok"] is True


def test_any_encoding_counts_as_gzip(demo):
    response = demo.test_client().get("/api/map/teams", headers={"Accept-Encoding": "*"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_small_answers_are_sent_as_they_are(demo):
    client = demo.test_client()
    missing = client.get("/api/map/teams/Nowhere/Team/people", headers=GZIP)
    assert missing.status_code == 404 and len(missing.data) < MIN_BYTES
    assert "Content-Encoding" not in missing.headers
    assert missing.get_json()["ok"] is False
    assert "accept-encoding" in vary(missing)


def test_files_and_streamed_downloads_are_sent_as_they_are(demo):
    client = demo.test_client()
    script = client.get("/static/map.js", headers=GZIP)
    try:
        assert script.status_code == 200 and "Content-Encoding" not in script.headers
    finally:
        script.close()
    table = client.get("/export/people.csv", headers=GZIP)
    try:
        assert table.status_code == 200 and table.mimetype == "text/csv"
        assert "Content-Encoding" not in table.headers
    finally:
        table.close()


def test_an_svg_picture_is_gzipped(demo):
    client = demo.test_client()
    plain = client.get("/export/map.svg")
    packed = client.get("/export/map.svg", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip" and packed.mimetype == "image/svg+xml"
    assert gzip.decompress(packed.data) == plain.data


def test_a_page_is_gzipped_with_its_csrf_token_intact(demo):
    client = demo.test_client()
    client.get("/")
    token = session_token(client)
    plain = client.get("/isolated")
    packed = client.get("/isolated", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip" and packed.mimetype == "text/html"
    assert gzip.decompress(packed.data) == plain.data
    assert token.encode() in plain.data


def test_a_secret_is_compressed_apart_so_a_guess_next_to_it_does_not_shrink_the_page():
    """BREACH: a reflected guess that starts like the secret must not compress better."""
    secret = b"Q7f2xZk9LmP4rT8wYb3NcV6dHs1JgE5aUo0iKqRyWt"
    page = b'<meta name="csrf-token" content="' + secret + b'">' + b"<p>the page</p>" * 80

    def size(guess: bytes, **kwargs: bytes) -> int:
        return len(gzip_bytes(page + b'<p>you searched for content="' + guess + b"</p>", **kwargs))

    good, bad = secret[:20], b"h8Dk2LwQz5Rn7VbXc1Mf"
    assert size(good) <= size(bad) - 10  # plain gzip gives the prefix away
    assert abs(size(good, secret=secret) - size(bad, secret=secret)) <= 4
    body = page + b"tail " + secret + b" end"
    assert gzip.decompress(gzip_bytes(body, secret=secret)) == body
