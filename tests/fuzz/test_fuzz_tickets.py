"""Fuzzing ticket exports (CSV, JSON, gzip), column mappings and user maps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness
from tests.fuzz.harness import FUZZ
from tests.fuzz.strategies import INPUTS


@pytest.mark.parametrize("kind", INPUTS["tickets csv"])
@FUZZ
@given(data=st.data())
def test_ticket_csvs(kind, data):
    harness.run("tickets csv", data.draw(INPUTS["tickets csv"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["tickets json"])
@FUZZ
@given(data=st.data())
def test_ticket_json(kind, data):
    harness.run("tickets json", data.draw(INPUTS["tickets json"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["tickets csv.gz"])
@FUZZ
@given(data=st.data())
def test_gzipped_ticket_csvs(kind, data):
    harness.run("tickets csv.gz", data.draw(INPUTS["tickets csv.gz"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["column mapping json"])
@FUZZ
@given(data=st.data())
def test_column_mappings(kind, data):
    harness.run("column mapping json", data.draw(INPUTS["column mapping json"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["user map csv"])
@FUZZ
@given(data=st.data())
def test_user_maps(kind, data):
    harness.run("user map csv", data.draw(INPUTS["user map csv"][kind], label=kind))
