"""The Enron org metadata as a directory: custodians map to departments."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from ingest.enron import derived_addresses
from ingest.enron import main
from ingest.enron import read_enron_org
from ingest.identity import IdentitySettings
from ingest.identity import pseudonym
from ingest.pipeline import ingest_directory
from ingest.pipeline import ingest_email

from .fakes import MemorySink

ENRON = IdentitySettings(key=b"enron-test", internal_domains=("enron.com",))
#: mailbox owners of enron-mbox-sample and their units (its PROVENANCE.md)
OWNERS = {
    "sanders-r": ("Legal", "ENA Legal"),
    "haedicke-m": ("Legal", "ENA Legal"),
    "allen-p": ("Trading", "ENA Gas West"),
    "grigsby-m": ("Trading", "ENA Gas West"),
    "tholt-j": ("Trading", "ENA Gas West"),
    "kuykendall-t": ("Trading", "ENA Gas West"),
    "lokay-m": ("Other", "ETS"),
    "hyatt-k": ("Other", "ETS"),
    "mccarty-d": ("Other", "ETS"),
    "zipper-a": ("Other", "EWS"),
    "whalley-g": ("Other", "EWS"),
}


@pytest.mark.parametrize(
    ("name", "addresses"),
    [
        ("Phillip K. Allen", ["phillip.allen@enron.com", "k..allen@enron.com"]),
        ("Don Baughman Jr.", ["don.baughman@enron.com"]),
        ("Paul Y\u2019Barbo", ["paul.ybarbo@enron.com"]),
        ("Cher", []),
    ],
)
def test_derived_addresses(name, addresses):
    assert derived_addresses(name) == addresses


def test_small_copy_maps_custodians_to_units(data):
    rows = {r["person_id"]: r for r in read_enron_org(data / "enron-org")}
    assert rows["sanders-r"] == {
        "person_id": "sanders-r",
        "name": "Richard B. Sanders",
        "email": "richard.sanders@enron.com",
        "aliases": "b..sanders@enron.com",  # how the corpus writes him
        "department": "Legal",
        "team": "ENA Legal",
        "title": "VP & Asst Gen Cnsl",
    }
    assert rows["allen-p"]["aliases"] == "philip.allen@enron.com;k..allen@enron.com"  # EDO's guess
    assert rows["whalley-g"]["email"] == "greg.whalley@enron.com"  # owns whalley-g and -l
    # mcconnell-m's sent mail is mostly Mike's; Mark keeps his own address
    assert rows["mcconnell-m"]["name"] == "Mike McConnell"
    assert rows["perry-81"]["email"] == "mark.mcconnell@enron.com"
    # two Larry Campbells: the mailbox owner keeps larry.campbell@, the other has no address
    assert rows["campbell-l"]["name"] == "Larry F. Campbell"
    assert "Larry Campbell" not in {r["name"] for r in rows.values()}
    assert len(rows) == 11


def test_small_copy_resolves_the_sample_mail(tmp_path, data):
    out = tmp_path / "enron-hr.csv"
    assert main([str(data / "enron-org"), str(out)]) == 0
    sink = MemorySink()
    [directory] = ingest_directory([out], sink, ENRON, strict=True)
    assert directory.kept == 11 and not directory.skipped
    ingest_email([data / "enron-sample.mbox", data / "enron-maildir"], sink, ENRON)
    units = Counter(_unit(sink, i.source) for i in sink.interactions.values())
    assert units == {
        ("Legal", "ENA Legal"): 1,  # b..sanders@ -> e..haedicke@
        ("Other", "EWS"): 2,  # john.lavorato@ -> greg.whalley@, e..haedicke@
        ("Trading", "ENA Gas West"): 1,  # phillip.allen@ -> tim.belden@
        ("", ""): 1,  # the one maildir sender outside the directory
    }


def _unit(sink, key):
    person = sink.people_by_key[key]
    return (person.department, person.team)


def test_usage(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.slow
def test_full_metadata_maps_every_mailbox_owner(shared, tmp_path):
    rows = read_enron_org(shared / "enron-org-metadata")
    assert len(rows) == 153  # of 156: two Larry Campbells and two John Hodges collide
    by_box = {r["person_id"]: r for r in rows}
    assert {box: (by_box[box]["department"], by_box[box]["team"]) for box in OWNERS} == OWNERS
    out = tmp_path / "enron-hr.csv"
    main([str(shared / "enron-org-metadata"), str(out)])
    with open(out, encoding="utf-8", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 153
    sink = MemorySink()
    ingest_directory([out], sink, ENRON, strict=True)
    files = sorted((shared / "enron-mbox-sample" / "mbox").iterdir())
    ingest_email(files, sink, ENRON)
    senders = Counter(_unit(sink, i.source) for i in sink.interactions.values())
    owners = {pseudonym(by_box[b]["email"], ENRON.key) for b in OWNERS}
    assert owners <= {i.source for i in sink.interactions.values()}
    assert sum(n for unit, n in senders.items() if unit != ("", "")) == SENT_BY_DIRECTORY_PEOPLE


SENT_BY_DIRECTORY_PEOPLE = 3889  # of 8,141 e-mail ties
