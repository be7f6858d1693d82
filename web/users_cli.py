"""Commands for accounts: ``flask --app app user create|role|identify|disable|enable|list``.

Also ``user password`` (a new password), ``user demo-admin`` (the demo's
login) and ``secret-key`` (writes a random ``SECRET_KEY`` to
``instance/config.py``). Every change to an account is written to the audit
log as ``user_admin`` by ``cli``. Passwords are read from a hidden prompt,
or from the first line of standard input with ``--password-stdin``; they are
never printed, except the demo's generated one, once.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext

from graph.accounts import ROLES
from graph.accounts import User
from graph.errors import StoreError

user_cli = AppGroup("user", help="Create and manage user accounts (roles: viewer, analyst, admin).")

DEMO_ADMIN = "admin"
DEMO_PASSWORD_ENV = "BRIDGEWORK_DEMO_PASSWORD"


def _accounts():  # noqa: ANN202 - the app's Accounts
    from web.auth import accounts

    return accounts()


def _audit(target: str) -> None:
    from web import audit

    audit.record("user_admin", target, user="cli", role="admin")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(change: Callable[[], User]) -> User:
    try:
        return change()
    except StoreError as err:
        raise click.ClickException(str(err)) from err


def describe(user: User) -> str:
    """One line about a user, as ``user list`` prints it."""
    flags = []
    if user.role == "analyst":
        flags.append("identifies people" if user.identify else "pseudonyms")
    if user.disabled:
        flags.append("DISABLED")
    last = (
        f"last login {user.last_login:%Y-%m-%d %H:%M} UTC" if user.last_login else "never logged in"
    )
    return f"{user.name:24} {user.role:8} {', '.join(flags) or '-':20} {last}"


@user_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may see.")
@click.option("--identify", is_flag=True, help="An analyst who may see people's names.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(name: str, role: str, identify: bool, password_stdin: bool) -> None:
    """Create a user; you are asked for the password (hidden)."""
    password = _password(password_stdin)
    user = _run(lambda: _accounts().create_user(name, password, role, identify=identify))
    _audit(f"create {user.name} role={user.role} identify={'on' if user.identify else 'off'}")
    click.echo(f"Created {describe(user)}")


@user_cli.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def role_command(name: str, role: str) -> None:
    """Give a user another role (from their next request)."""
    user = _run(lambda: _accounts().set_role(name, role))
    _audit(f"role {user.name} role={role}")
    click.echo(describe(user))


@user_cli.command("identify")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
def identify_command(name: str, state: str) -> None:
    """Let an analyst see people's names (on) or pseudonyms only (off)."""
    user = _run(lambda: _accounts().set_identify(name, state == "on"))
    _audit(f"identify {user.name} {state}")
    if user.role != "analyst":
        click.echo(f"Note: only analysts use this flag; {user.role}s are not affected.")
    click.echo(describe(user))


@user_cli.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Disable a user: they cannot log in and their sessions end."""
    user = _run(lambda: _accounts().set_disabled(name, True))
    _audit(f"disable {user.name}")
    click.echo(describe(user))


@user_cli.command("enable")
@click.argument("name")
def enable_command(name: str) -> None:
    """Enable a disabled user again."""
    user = _run(lambda: _accounts().set_disabled(name, False))
    _audit(f"enable {user.name}")
    click.echo(describe(user))


@user_cli.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password_command(name: str, password_stdin: bool) -> None:
    """Give a user a new password; their sessions end."""
    password = _password(password_stdin)
    user = _run(lambda: _accounts().set_password(name, password))
    _audit(f"password {user.name}")
    click.echo(f"New password set for {user.name}.")


@user_cli.command("list")
def list_command() -> None:
    """List every user with role, identification, state and last login."""
    try:
        users = _accounts().users()
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    for user in users:
        click.echo(describe(user))
    if not users:
        click.echo("No users yet: flask --app app user create NAME --role admin")


def demo_admin(password: str | None = None) -> tuple[User, str]:
    """Make sure the demo's ``admin`` exists with ``password`` (random when not given).

    Creates the user, or enables it and sets the password when it exists.
    Returns the user and the password.
    """
    password = password or os.environ.get(DEMO_PASSWORD_ENV) or secrets.token_urlsafe(12)
    accounts = _accounts()
    if accounts.find(DEMO_ADMIN) is None:
        user = accounts.create_user(DEMO_ADMIN, password, "admin")
        _audit(f"create {DEMO_ADMIN} role=admin (demo)")
    else:
        accounts.set_disabled(DEMO_ADMIN, False)
        accounts.set_role(DEMO_ADMIN, "admin")
        user = accounts.set_password(DEMO_ADMIN, password)
        _audit(f"password {DEMO_ADMIN} (demo)")
    return user, password


@user_cli.command("demo-admin")
def demo_admin_command() -> None:
    """Create (or reset) the demo's admin login and print its password once.

    The password is BRIDGEWORK_DEMO_PASSWORD when set, else a random one.
    """
    try:
        user, password = demo_admin()
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Log in as {user.name!r} with password {password!r} (shown once).")


@click.command("secret-key")
@with_appcontext
def secret_key_command() -> None:
    """Write a random SECRET_KEY to instance/config.py unless a strong one is set."""
    from web.auth import weak_secret

    if not weak_secret(current_app.config.get("SECRET_KEY")):
        click.echo("SECRET_KEY is set already; nothing to do.")
        return
    path = Path(current_app.instance_path) / "config.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = f'\n# Signs sessions; written by `flask --app app secret-key`. Keep it secret.\nSECRET_KEY = "{secrets.token_hex(32)}"\n'
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(line)
    click.echo(f"Wrote a random SECRET_KEY to {path}.")
    if os.environ.get("BRIDGEWORK_SECRET_KEY") is not None:
        click.echo("Note: BRIDGEWORK_SECRET_KEY is set and overrides the file.", err=True)


def init_app(app: Flask) -> None:
    """Register ``user`` and ``secret-key`` on the app's command line."""
    app.cli.add_command(user_cli)
    app.cli.add_command(secret_key_command)
