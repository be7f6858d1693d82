"""Fixtures for the ingest tests: settings, a recording store, data paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.identity import IdentitySettings
from ingest.pipeline import ingest_directory

from .fakes import MemorySink

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def settings() -> IdentitySettings:
    return IdentitySettings(
        key=b"test-key-not-secret",
        internal_domains=("example.com",),
        it_units=("IT", "Engineering/Platform"),
        broadcast_cutoff=3,
    )


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def loaded(sink: MemorySink, settings: IdentitySettings) -> MemorySink:
    """A store that already holds the people of ``hr.csv``."""
    ingest_directory([DATA / "hr.csv"], sink, settings, strict=True)
    return sink


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real data sets not present at {SHARED}")
    return SHARED
