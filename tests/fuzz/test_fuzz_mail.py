"""Fuzzing the e-mail readers: header blocks, mbox files, single messages and maildirs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness
from tests.fuzz.harness import FUZZ
from tests.fuzz.strategies import INPUTS


@pytest.mark.parametrize("kind", INPUTS["email header block"])
@FUZZ
@given(data=st.data())
def test_header_blocks_parse_or_fail_clearly_and_the_fast_path_agrees(kind, data):
    harness.run("email header block", data.draw(INPUTS["email header block"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["mbox"])
@FUZZ
@given(data=st.data())
def test_mbox_files(kind, data):
    harness.run("mbox", data.draw(INPUTS["mbox"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["eml"])
@FUZZ
@given(data=st.data())
def test_eml_files(kind, data):
    harness.run("eml", data.draw(INPUTS["eml"][kind], label=kind))


@pytest.mark.parametrize("kind", INPUTS["maildir"])
@FUZZ
@given(data=st.data())
def test_maildirs(kind, data):
    harness.run("maildir", data.draw(INPUTS["maildir"][kind], label=kind))
