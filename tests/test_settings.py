"""Every setting is declared once and documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from web.settings import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_setting_is_documented(setting):
    assert f"| `{setting.name}` |" in README


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("BRIDGEWORK_STORE", "neo4j")
    monkeypatch.setenv("BRIDGEWORK_BROADCAST_CUTOFF", "40")
    monkeypatch.setenv("BRIDGEWORK_IT_UNITS", '["IT", "Digital"]')
    monkeypatch.setenv("BRIDGEWORK_SECRET_KEY", "x" * 32)  # outside TESTING a weak key is refused
    monkeypatch.setenv("BRIDGEWORK_ACCOUNTS_PATH", str(tmp_path / "accounts.sqlite3"))
    app = create_app()
    assert app.config["STORE"] == "neo4j"
    assert app.config["BROADCAST_CUTOFF"] == 40
    assert app.config["IT_UNITS"] == ["IT", "Digital"]


def test_defaults_put_files_in_the_instance_folder(app):
    fresh = create_app({"TESTING": True, "ACCOUNTS_PATH": app.config["ACCOUNTS_PATH"]})
    assert fresh.config["SQLITE_PATH"].startswith(fresh.instance_path)
    assert fresh.config["DATA_DIR"].startswith(fresh.instance_path)
    assert fresh.config["STORE"] == "sqlite"


def test_unknown_store_is_a_clear_error(tmp_path):
    from graph import open_store
    from graph.errors import InvalidInput

    with pytest.raises(InvalidInput, match="sqlite or neo4j"):
        open_store({"STORE": "mongodb"})
    with pytest.raises(InvalidInput, match="NEO4J_URI"):
        open_store({"STORE": "neo4j", "NEO4J_URI": ""})
