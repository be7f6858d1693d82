"""Fuzzing the HR directory CSV."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness
from tests.fuzz.harness import FUZZ
from tests.fuzz.strategies import INPUTS


@pytest.mark.parametrize("kind", INPUTS["directory csv"])
@FUZZ
@given(data=st.data())
def test_directories(kind, data):
    harness.run("directory csv", data.draw(INPUTS["directory csv"][kind], label=kind))
