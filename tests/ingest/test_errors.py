"""IngestError carries its location and chains its cause."""

from __future__ import annotations

import pytest

from ingest.errors import IngestError
from ingest.mail import parse_date


def test_str_names_file_record_field_and_value():
    err = IngestError("bad thing", source="a.mbox", record=7, field="Date", value="x" * 300)
    text = str(err)
    assert text.startswith("a.mbox: record 7: field 'Date': bad thing")
    assert len(err.value) == 120
    assert isinstance(err, ValueError)


def test_as_skip_keeps_the_location():
    skip = IngestError("r", source="s", record="1", field="f", value="v").as_skip()
    assert (skip.source, skip.record, skip.field, skip.reason, skip.value) == (
        "s",
        "1",
        "f",
        "r",
        "v",
    )


def test_causes_are_chained():
    with pytest.raises(IngestError) as info:
        parse_date("not a date", source="s", record="3")
    assert isinstance(info.value.__cause__, ValueError)
    assert info.value.field == "Date"
