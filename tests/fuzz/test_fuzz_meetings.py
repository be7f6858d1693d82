"""Fuzzing meetings: iCalendar files (recurrences expanded) and the meetings CSV."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness
from tests.fuzz.harness import FUZZ
from tests.fuzz.strategies import INPUTS


@pytest.mark.parametrize("kind", INPUTS["ics"])
@FUZZ
@given(data=st.data())
def test_calendars(kind, data):
    harness.run("ics", data.draw(INPUTS["ics"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["meetings csv"])
@FUZZ
@given(data=st.data())
def test_meeting_csvs(kind, data):
    harness.run("meetings csv", data.draw(INPUTS["meetings csv"][kind], label=kind))
