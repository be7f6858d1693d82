"""Fuzzing message-trace CSVs (Exchange Online and Google Workspace exports)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness
from tests.fuzz.harness import FUZZ
from tests.fuzz.strategies import INPUTS


@pytest.mark.parametrize("kind", INPUTS["message trace csv"])
@FUZZ
@given(data=st.data())
def test_message_traces(kind, data):
    harness.run("message trace csv", data.draw(INPUTS["message trace csv"][kind], label=kind))
