"""Fixtures for the security tests: apps with accounts turned on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.helpers import secure_app
from web.store import close_store


@pytest.fixture
def app(tmp_path: Path):
    """A fresh app with accounts on a temporary embedded store (overrides the plain one)."""
    application = secure_app(tmp_path)
    yield application
    close_store(application)
