"""The same files through the same ingestors give the same graph in both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.generate import DemoSpec
from demo.generate import generate
from graph.base import Subject
from graph.embedded import EmbeddedStore
from ingest import pipeline
from ingest.identity import IdentitySettings
from web.jobs import JOBS
from web.jobs import run_all

SETTINGS = IdentitySettings(key=b"parity", it_units=("IT",))


def load(store, files) -> None:
    pipeline.ingest_directory([files.directory], store, SETTINGS)
    pipeline.ingest_email([files.mbox], store, SETTINGS)
    pipeline.ingest_meetings([files.calendar], store, SETTINGS)
    pipeline.ingest_tickets([files.tickets], store, SETTINGS)


def snapshot(store) -> dict:
    return {
        "people": list(store.people()),
        "teams": list(store.teams()),
        "ties": [(t.source, t.target, t.channel, t.month, t.count, round(t.weight, 9), t.first_seen, t.last_seen)
                 for t in store.ties(by_month=True)],
        "counts": store.counts(),
    }  # fmt: skip


def approx(value):
    """JSON data with floats to 9 significant digits: the stores sum in different orders."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx(v) for v in value]
    return value


def rounded(scores: dict) -> dict:
    return {k: {n: round(v, 9) for n, v in s.items()} for k, s in scores.items()}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> object:
    return generate(DemoSpec(people=60, seed=11), tmp_path_factory.mktemp("demo"))


@pytest.mark.neo4j
def test_both_stores_hold_the_same_graph_and_scores(files, neo4j_target, tmp_path: Path):
    from graph.neo4j_store import Neo4jStore

    embedded = EmbeddedStore(tmp_path / "parity.sqlite3")
    neo4j = Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password=neo4j_target.password)
    try:
        neo4j.clear()
        for store in (embedded, neo4j):
            load(store, files)
            load(store, files)  # a second load changes nothing
        left, right = snapshot(embedded), snapshot(neo4j)
        assert left["counts"].interactions > 500
        assert left == right
        left_summary, right_summary = run_all(embedded, seed=2), run_all(neo4j, seed=2)
        left_summary.pop("seconds"), right_summary.pop("seconds")
        assert left_summary == right_summary
        for subject in Subject:
            assert rounded(embedded.scores(subject)) == rounded(neo4j.scores(subject))
        for job in JOBS:
            left_result = approx(embedded.snapshot(job).data["result"])
            assert left_result == approx(neo4j.snapshot(job).data["result"]), job
    finally:
        embedded.close()
        neo4j.close()
