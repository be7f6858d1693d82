"""The ``user`` and ``secret-key`` commands."""

from __future__ import annotations

import os
import stat

import pytest

from tests.security.helpers import login
from web.auth import accounts

PASSWORD = "a long enough password"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def user(app, name):
    with app.app_context():
        return accounts().user(name)


def test_create_with_password_on_stdin(app, runner):
    result = runner.invoke(
        args=["user", "create", "Ann", "--role", "analyst", "--identify", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created Ann" in result.output and PASSWORD not in result.output
    found = user(app, "ann")
    assert (found.role, found.identify, found.disabled) == ("analyst", True, False)
    assert login(app.test_client(), "ann", PASSWORD).status_code == 302


def test_create_asks_twice_with_hidden_input(app, runner):
    result = runner.invoke(
        args=["user", "create", "bob", "--role", "viewer"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden
    assert "Repeat for confirmation" in result.output
    assert user(app, "bob").role == "viewer"


def test_create_refuses_duplicates_bad_roles_and_short_passwords(app, runner):
    args = ["user", "create", "ann", "--role", "viewer", "--password-stdin"]
    assert runner.invoke(args=args, input=PASSWORD).exit_code == 0
    again = runner.invoke(
        args=["user", "create", "ANN", "--role", "admin", "--password-stdin"], input=PASSWORD
    )
    assert again.exit_code == 1 and "exists already" in again.output
    bad_role = runner.invoke(
        args=["user", "create", "x", "--role", "root", "--password-stdin"], input=PASSWORD
    )
    assert bad_role.exit_code == 2
    short = runner.invoke(
        args=["user", "create", "y", "--role", "viewer", "--password-stdin"], input="short"
    )
    assert short.exit_code == 1 and "10 to 1024 characters" in short.output


def test_role_identify_disable_enable_password_and_list(app, runner):
    runner.invoke(
        args=["user", "create", "ann", "--role", "viewer", "--password-stdin"], input=PASSWORD
    )
    assert runner.invoke(args=["user", "role", "ann", "analyst"]).exit_code == 0
    assert user(app, "ann").role == "analyst"
    assert runner.invoke(args=["user", "identify", "ann", "on"]).exit_code == 0
    assert user(app, "ann").identify is True
    listed = runner.invoke(args=["user", "list"]).output
    assert "ann" in listed and "analyst" in listed and "identifies people" in listed
    assert runner.invoke(args=["user", "disable", "ann"]).exit_code == 0
    assert "DISABLED" in runner.invoke(args=["user", "list"]).output
    assert login(app.test_client(), "ann", PASSWORD).status_code == 401
    assert runner.invoke(args=["user", "enable", "ann"]).exit_code == 0
    assert login(app.test_client(), "ann", PASSWORD).status_code == 302
    new = "another long password"
    assert (
        runner.invoke(args=["user", "password", "ann", "--password-stdin"], input=new).exit_code
        == 0
    )
    assert login(app.test_client(), "ann", new).status_code == 302
    missing = runner.invoke(args=["user", "role", "nobody", "admin"])
    assert missing.exit_code == 1 and "no user named" in missing.output
    with app.app_context():
        entries, total = accounts().audit(action="user_admin")
    assert [e.target for e in entries] == [
        "password ann",
        "enable ann",
        "disable ann",
        "identify ann on",
        "role ann role=analyst",
        "create ann role=viewer identify=off",
    ]
    assert {e.user for e in entries} == {"cli"}


def test_list_when_empty(runner):
    assert "No users yet" in runner.invoke(args=["user", "list"]).output


def test_demo_admin_from_environment_then_random(app, runner, monkeypatch):
    monkeypatch.setenv("BRIDGEWORK_DEMO_PASSWORD", "demo password 123")
    result = runner.invoke(args=["user", "demo-admin"])
    assert result.exit_code == 0 and "'demo password 123'" in result.output
    assert user(app, "admin").role == "admin"
    assert login(app.test_client(), "admin", "demo password 123").status_code == 302
    monkeypatch.delenv("BRIDGEWORK_DEMO_PASSWORD")
    runner.invoke(args=["user", "disable", "admin"])
    again = runner.invoke(args=["user", "demo-admin"])
    password = again.output.split("password '", 1)[1].split("'", 1)[0]
    assert len(password) >= 16 and password != "demo password 123"
    assert login(app.test_client(), "admin", password).status_code == 302


def test_secret_key_writes_instance_config(tmp_path, monkeypatch):
    from app import create_app
    from tests.security.helpers import secure_config
    from web import auth

    monkeypatch.delenv("BRIDGEWORK_SECRET_KEY", raising=False)
    app = create_app(secure_config(tmp_path, SECRET_KEY="dev"))
    app.instance_path = str(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["secret-key"])
    assert result.exit_code == 0, result.output
    config = tmp_path / "instance" / "config.py"
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    values: dict = {}
    exec(config.read_text(), values)
    assert len(values["SECRET_KEY"]) == 64 and not auth.weak_secret(values["SECRET_KEY"])
    strong = create_app(secure_config(tmp_path, SECRET_KEY=values["SECRET_KEY"]))
    assert "nothing to do" in strong.test_cli_runner().invoke(args=["secret-key"]).output
