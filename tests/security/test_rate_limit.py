"""Failed logins are limited per user name and per client address."""

from __future__ import annotations

from graph.accounts import Accounts
from tests.security.helpers import PASSWORD
from tests.security.helpers import form_token
from tests.security.helpers import make_user
from tests.security.helpers import secure_app
from web.auth import LIMITER_KEY
from web.auth import LoginLimiter


def attempt(app, name, password, ip="10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    token = form_token(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def test_five_failures_then_429_even_with_the_right_password(app):
    make_user(app, "ann", "viewer")
    for _ in range(5):
        assert attempt(app, "ann", "wrong password").status_code == 401
    refused = attempt(app, "ann", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins" in refused.get_data(as_text=True)
    # the same name from another address is refused too (per user name) ...
    assert attempt(app, "ann", PASSWORD, ip="10.0.0.2").status_code == 429
    # ... while another user from another address may log in
    make_user(app, "bob", "viewer")
    assert attempt(app, "bob", PASSWORD, ip="10.0.0.3").status_code == 302


def test_one_address_trying_many_names_is_limited(app):
    make_user(app, "ann", "viewer")
    for n in range(5):
        assert attempt(app, f"guess{n}", "wrong password", ip="10.9.9.9").status_code == 401
    assert attempt(app, "ann", PASSWORD, ip="10.9.9.9").status_code == 429
    assert attempt(app, "ann", PASSWORD, ip="10.0.0.4").status_code == 302


def test_the_window_passes(app):
    make_user(app, "ann", "viewer")
    limiter: LoginLimiter = app.extensions[LIMITER_KEY]
    now = [1000.0]
    limiter.clock = lambda: now[0]
    for _ in range(5):
        attempt(app, "ann", "wrong password")
    refused = attempt(app, "ann", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(15 * 60)
    now[0] += 15 * 60 - 1
    assert attempt(app, "ann", PASSWORD).headers["Retry-After"] == "1"
    now[0] += 1
    assert attempt(app, "ann", PASSWORD).status_code == 302


def test_success_clears_the_name_count(app):
    make_user(app, "ann", "viewer")
    for _ in range(4):
        attempt(app, "ann", "wrong password", ip=f"10.1.0.{_}")
    assert attempt(app, "ann", PASSWORD, ip="10.2.0.1").status_code == 302
    for _ in range(4):
        attempt(app, "ann", "wrong password", ip=f"10.3.0.{_}")
    assert attempt(app, "ann", PASSWORD, ip="10.4.0.1").status_code == 302


def test_limits_come_from_settings(tmp_path):
    app = secure_app(tmp_path, LOGIN_ATTEMPTS=2, LOGIN_WINDOW_MINUTES=1)
    make_user(app, "ann", "viewer")
    attempt(app, "ann", "wrong password")
    attempt(app, "ann", "wrong password")
    refused = attempt(app, "ann", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60


def test_the_count_is_shared_by_every_process_on_the_same_accounts(tmp_path):
    # two apps on one accounts database stand for two server processes
    first, second = secure_app(tmp_path), secure_app(tmp_path)
    make_user(first, "ann", "viewer")
    for app in (first, second, first, second, first):
        assert attempt(app, "ann", "wrong password").status_code == 401
    assert attempt(second, "ann", PASSWORD).status_code == 429
    assert attempt(first, "ann", PASSWORD).status_code == 429
    # a restart (a new app) does not forget either
    assert attempt(secure_app(tmp_path), "ann", PASSWORD).status_code == 429


def test_limiter_forgets_old_failures(tmp_path):
    now = [0.0]
    limiter = LoginLimiter(3, 10, Accounts(tmp_path / "accounts.sqlite3"), clock=lambda: now[0])
    for step in range(3):
        now[0] = step
        limiter.failed(["k"])
    assert limiter.retry_after(["k"]) == 8  # the oldest failure (at 0) leaves at 10
    now[0] = 10.5  # the first failure (at 0) has left the window
    assert limiter.retry_after(["k"]) == 0
    assert limiter.retry_after(["other"]) == 0
    limiter.failed(["k"])  # at 10.5: drops the failures before 0.5 from the database
    assert limiter.store.login_failures(["k"], -1) == {"k": [1.0, 2.0, 10.5]}
    limiter.forget("k")
    assert limiter.store.login_failures(["k"], -1) == {"k": []}
