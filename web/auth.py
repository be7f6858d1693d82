"""Logging in and out, the session, CSRF tokens and the login rate limit.

:func:`init_app` turns accounts on for an app: it opens the app database
(:class:`graph.accounts.Accounts`), sets the session cookie's flags,
registers the ``auth`` and ``audit`` blueprints, the one access check
(:mod:`web.access`), the security headers (:mod:`web.headers`) and the
``user`` commands (:mod:`web.users_cli`).

The session is Flask's signed cookie. It holds the user's id, the account's
``epoch`` (raised at logout, when the account is disabled and when its
password changes, so older sessions, and copies of their cookie, stop
working), the login time (a login lasts
``SESSION_HOURS``) and the CSRF token. The user is read from the app
database on every request, so a new role or a disabled account takes effect
at the next request.

Failed logins are counted per user name and per client address in the app
database (shared by every server process): after ``LOGIN_ATTEMPTS``
failures within ``LOGIN_WINDOW_MINUTES`` the login form answers 429 with
``Retry-After`` until the oldest failure leaves the window.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Callable
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

import click
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from graph.accounts import Accounts
from graph.accounts import User
from web import policy

bp = Blueprint("auth", __name__)

ACCOUNTS_KEY = "bridgework.accounts"
LIMITER_KEY = "bridgework.login_limiter"
#: secret keys that must never sign sessions of a served app
WEAK_SECRETS = frozenset({"", "dev", "change-me", "changeme", "secret"})
MIN_SECRET_CHARS = 16
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRONG = "Wrong user name or password."


class LoginLimiter:
    """Counts failed logins per key in a sliding window, in the app database.

    The count lives in the accounts database, so every server process (and
    a restart) sees the same failures. ``clock`` gives epoch seconds.
    """

    def __init__(
        self,
        attempts: int,
        window_seconds: float,
        store: Accounts,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.store = store
        self.clock = clock

    def retry_after(self, keys: Iterable[str]) -> int:
        """Seconds until a login under ``keys`` may be tried again (0: now)."""
        now = self.clock()
        wait = 0.0
        for found in self.store.login_failures(keys, now - self.window).values():
            if len(found) >= self.attempts:
                wait = max(wait, found[-self.attempts] + self.window - now)
        return math.ceil(wait)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failed login under each key."""
        now = self.clock()
        self.store.add_login_failure(keys, now, forget_before=now - self.window)

    def forget(self, key: str) -> None:
        """Forget the failures under ``key`` (after a successful login)."""
        self.store.forget_login_failures(key)


def limiter_keys(name: str, ip: str) -> list[str]:
    """The keys a login attempt counts under: its user name and its client address.

    >>> limiter_keys(" Ann ", "10.0.0.1")
    ['name:ann', 'ip:10.0.0.1']
    """
    return [f"name:{name.strip().casefold()}", f"ip:{ip}"]


# -- the app's accounts and the current user ---------------------------------------------------


def accounts() -> Accounts:
    """The current app's account database."""
    return current_app.extensions[ACCOUNTS_KEY]


def current_user() -> User | None:
    """The logged-in user of this request, or ``None``."""
    return getattr(g, "user", None)


def client_ip() -> str:
    """The client's address as the server sees it (put a proxy fixer in front of proxies)."""
    return request.remote_addr or "-"


def load_user() -> User | None:
    """Read the session's user onto ``g.user`` and ``g.viewer``; end sessions no longer valid."""
    g.user = None
    g.viewer = policy.ANONYMOUS
    user_id = session.get("uid")
    if user_id is None:
        return None
    user = accounts().user_by_id(int(user_id))
    hours = float(current_app.config["SESSION_HOURS"])
    fresh = time.time() - float(session.get("at", 0)) < hours * 3600
    if user is None or user.disabled or user.epoch != session.get("epoch") or not fresh:
        session.clear()
        return None
    g.user = user
    g.viewer = policy.for_user(user.name, user.role, user.identify)
    return user


def csrf_token() -> str:
    """This session's CSRF token (made on first use); forms send it as ``csrf_token``."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse (400) a state-changing request without this session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        abort(
            400,
            "The form's security token is missing or out of date: reload the page and try again.",
        )


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, else the overview.

    >>> safe_next("/teams?x=1"), safe_next("https://evil.example/"), safe_next("//evil")
    ('/teams?x=1', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


# -- views ------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201 - Flask view
    """The login form; a correct name and password start a session."""
    from web import audit

    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user():
            return redirect(target)
        return render_template("auth/login.html", next=target, error=None, name="")
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    limiter: LoginLimiter = current_app.extensions[LIMITER_KEY]
    keys = limiter_keys(name, client_ip())
    wait = limiter.retry_after(keys)
    if wait:
        message = f"Too many failed logins. Try again in {math.ceil(wait / 60)} minutes."
        page = render_template("auth/login.html", next=target, error=message, name=name)
        return Response(page, status=429, headers={"Retry-After": str(wait)})
    user = accounts().authenticate(name, password) if name and password else None
    if user is None or user.disabled:
        limiter.failed(keys)
        audit.record("login_failed", f"name={name[:64]}", user=name[:64] or "-", role="")
        error = "This account is disabled." if user else WRONG
        page = render_template("auth/login.html", next=target, error=error, name=name)
        return page, 401
    limiter.forget(keys[0])
    session.clear()
    session.permanent = True
    session.update(uid=user.id, epoch=user.epoch, at=int(time.time()))
    csrf_token()
    accounts().touch_login(user.id)
    audit.record("login", "auth.login", user=user.name, role=user.role)
    return redirect(target)


@bp.post("/logout")
def logout():  # noqa: ANN201 - Flask view
    """End the user's sessions (on every device: a copied cookie stops working too)."""
    from web import audit

    user = current_user()
    if user:
        audit.record("logout", "auth.logout")
        accounts().end_sessions(user.id)
    session.clear()
    return redirect(url_for("auth.login"))


# -- wiring -----------------------------------------------------------------------------------


def weak_secret(key: str | bytes | None) -> bool:
    """Whether ``key`` is a default, a placeholder or shorter than 16 characters.

    >>> weak_secret("dev"), weak_secret("change-me"), weak_secret("3f9c1b7e0a5d4c2b8e6f")
    (True, True, False)
    """
    if isinstance(key, bytes):
        key = key.decode(errors="replace")
    key = key or ""
    return key.strip().lower() in WEAK_SECRETS or len(key.strip()) < MIN_SECRET_CHARS


def check_secret_key(app: Flask) -> None:
    """Refuse to serve with the default or a short ``SECRET_KEY`` (unless DEBUG or TESTING).

    Flask commands other than ``run`` serve nothing, so they may start
    without one (``flask --app app secret-key`` writes one).
    """
    if app.debug or app.testing:
        return
    command = click.get_current_context(silent=True)
    if command is not None and command.info_name != "run":
        return
    if weak_secret(app.config.get("SECRET_KEY")):
        raise RuntimeError(
            "SECRET_KEY is the default or too short: sessions could be forged. Set "
            f"BRIDGEWORK_SECRET_KEY to {MIN_SECRET_CHARS}+ random characters, or run "
            "`flask --app app secret-key` to write one to instance/config.py."
        )


def init_app(app: Flask) -> None:
    """Turn on accounts for ``app``: login required everywhere, roles, CSRF, headers, audit."""
    from web import access
    from web import audit
    from web import headers
    from web import users_cli

    check_secret_key(app)
    config = app.config
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(config["SESSION_HOURS"]))
    app.extensions[ACCOUNTS_KEY] = Accounts(config["ACCOUNTS_PATH"])
    app.extensions[LIMITER_KEY] = LoginLimiter(
        int(config["LOGIN_ATTEMPTS"]),
        float(config["LOGIN_WINDOW_MINUTES"]) * 60,
        app.extensions[ACCOUNTS_KEY],
    )
    app.extensions[policy.AUTH_KEY] = True
    app.register_blueprint(bp)
    app.register_blueprint(audit.bp)
    app.add_template_global(csrf_token)
    app.add_template_global(current_user)
    access.init_app(app)
    headers.init_app(app)
    users_cli.init_app(app)
