"""Exports on real stores: every download parses, and its rows match what the store holds."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC
from datetime import date
from datetime import datetime

import networkx as nx
import pytest
from flask import g
from PIL import Image

from analysis.maps import team_graph
from graph.base import Subject
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from web import results
from web.params import Window
from web.params import people_graph
from web.policy import Viewer
from web.store import close_store
from web.store import get_store

SVG = "{http://www.w3.org/2000/svg}"
IT_COLOUR, BUSINESS_COLOUR = "#2f6fb3", "#c2672d"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """An analysed demo organisation of 80 people."""
    from tests.apps import make_app

    root = tmp_path_factory.mktemp("exports")
    app = make_app(root)
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield app
    close_store(app)


def fetch(client, url: str, status: int = 200):
    """GET a URL, check the status, return the body and headers (response closed)."""
    response = client.get(url)
    try:
        assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
        return response.get_data(), response.headers
    finally:
        response.close()


def table(client, name: str, query: str = "") -> tuple[list[str], list[dict[str, str]]]:
    """Download a CSV table and parse it."""
    body, headers = fetch(client, f"/export/{name}.csv{query}")
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == f"attachment; filename=bridgework-{name}.csv"
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


# -- the list of downloads -------------------------------------------------------------------


def test_every_listed_download_works(demo):
    client = demo.test_client()
    data = client.get("/api/exports").get_json()
    assert data["ok"] is True and data["window"] == {}
    downloads = data["downloads"]
    assert {d["format"] for d in downloads} == {"csv", "gexf", "graphml", "svg", "png", "html"}
    names = {d["name"] for d in downloads}
    assert {"people", "teams", "team_ties", "person_ties", "liaison", "liaison_matrix", "isolation", "brokers",
            "risk", "introductions", "communities", "compare", "roles", "ingest_runs",
            "tickets"} <= names  # fmt: skip
    page, _ = fetch(client, "/exports")
    html = page.decode()
    for d in downloads:
        assert set(d) == {"name", "format", "url", "description", "windowed"}
        assert d["description"]
        assert f'href="{d["url"]}"' in html.replace("&amp;", "&")
        fetch(client, d["url"])


def test_download_links_keep_the_window(demo):
    client = demo.test_client()
    data = client.get("/api/exports?since=2025-03&channel=email").get_json()
    assert data["window"] == {"since": "2025-03", "channel": ["email"]}
    by_name = {d["name"]: d for d in data["downloads"]}
    assert by_name["person_ties"]["url"] == "/export/person_ties.csv?since=2025-03&channel=email"
    assert by_name["people"]["url"] == "/export/people.csv"
    assert "since=2025-03" in by_name["map-svg"]["url"]
    page, _ = fetch(client, "/exports?since=2025-03&channel=email")
    assert 'value="2025-03"' in page.decode()


def test_bad_window_is_a_400(demo):
    client = demo.test_client()
    fetch(client, "/export/person_ties.csv?since=2025-13", 400)
    fetch(client, "/export/graph.gexf?channel=pigeon", 400)
    body, _ = fetch(client, "/api/exports?until=soon", 400)
    assert b'"ok":false' in body.replace(b" ", b"")


# -- CSV tables --------------------------------------------------------------------------------


def test_people_and_teams_tables_match_the_store(demo):
    client = demo.test_client()
    with demo.app_context():
        store = get_store()
        people = {p.key: p for p in store.people()}
        counts = store.counts()
        person_scores = store.scores(Subject.PERSON)
        team_scores = store.scores(Subject.TEAM)
        roles = results.result("roles")["roles"]
    header, rows = table(client, "people")
    assert header[:5] == ["key", "label", "team", "department", "is_it"]
    assert len(rows) == counts.people == len(people)
    for row in rows:
        person = people[row["key"]]
        assert row["label"] == person.name
        assert row["team"] == person.team_key and row["department"] == person.department
        assert row["is_it"] == ("true" if person.is_it else "false")
        for name, value in person_scores[row["key"]].items():
            assert float(row[name]) == pytest.approx(value, rel=1e-9)
    role_names = {r["cluster"]: r["name"] for r in roles}
    assert {r["role_name"] for r in rows} == set(role_names.values())
    assert all(r["role_name"] == role_names[int(float(r["role"]))] for r in rows)

    header, rows = table(client, "teams")
    assert len(rows) == counts.teams
    flagged = [r["team"] for r in rows if r["reasons"]]
    assert flagged and all(team_scores[t]["flagged"] == 1.0 for t in flagged)
    for row in rows:  # negative numbers stay numbers, not quoted text
        assert float(row["ei_delta"]) == pytest.approx(team_scores[row["team"]]["ei_delta"])
    assert sum(int(r["headcount"]) for r in rows) == counts.people


def test_tie_tables_follow_the_window(demo):
    client = demo.test_client()
    with demo.app_context():
        whole = people_graph(Window())
        later = people_graph(Window(since=date(2025, 7, 1)))
        mail = people_graph(Window(channels=(Channel.EMAIL,)))
        teams = team_graph(whole)
    _, rows = table(client, "person_ties")
    assert len(rows) == whole.ecount()
    assert sum(int(r["count"]) for r in rows) == sum(whole.es["count"])
    assert sum(float(r["weight"]) for r in rows) == pytest.approx(sum(whole.es["weight"]))
    assert {c for r in rows for c in r["channels"].split(";")} == {"email", "meeting", "ticket"}
    _, rows = table(client, "person_ties", "?since=2025-07")
    assert len(rows) == later.ecount() < whole.ecount()
    assert min(r["first_seen"] for r in rows) >= "2025-07"
    _, rows = table(client, "person_ties", "?channel=email")
    assert len(rows) == mail.ecount() and {r["channels"] for r in rows} == {"email"}

    _, rows = table(client, "team_ties")
    between = [r for r in rows if r["team_a"] != r["team_b"]]
    within = [r for r in rows if r["team_a"] == r["team_b"]]
    assert len(between) == teams.ecount()
    assert len(within) == sum(1 for w in teams.vs["internal_weight"] if w > 0)
    assert sum(float(r["weight"]) for r in rows) == pytest.approx(sum(whole.es["weight"]))
    assert sum(int(r["pairs"]) for r in rows) == whole.ecount()


def test_liaison_matrix_table_matches_the_liaison_api(demo):
    client = demo.test_client()
    for query in ("", "?channel=ticket"):
        matrix = client.get(f"/api/liaison{query}").get_json()
        _, rows = table(client, "liaison_matrix", query)
        expected = {
            (unit["unit"], found["it_team"]): found
            for unit in matrix["units"]
            for found in unit["cells"]
            if unit["visible"] and found["state"] != "hidden"
        }
        assert len(rows) == len(expected) > 0
        for row in rows:
            found = expected[(row["unit"], row["it_team"])]
            assert row["state"] == found["state"]
            if found["state"] == "scored":
                assert float(row["score"]) == found["score"]
                assert int(row["interactions"]) == found["interactions"]


def test_analysis_tables_match_the_snapshots(demo):
    client = demo.test_client()
    with demo.app_context():
        store = get_store()
        counts = store.counts()
        runs = store.runs()
        tickets = list(store.ticket_facts())
        liaison = results.result("liaison")["units"]
        isolation = results.result("isolation")["teams"]
        risk = results.result("risk")["ranked"]
        intros = results.result("introductions")["introductions"]
        compared = results.result("compare")
        roles = results.result("roles")["roles"]
        names = {p.key: p.name for p in store.people()}

    _, rows = table(client, "liaison")
    assert [r["unit"] for r in rows] == sorted(liaison, key=lambda u: liaison[u]["score"])
    for row in rows:
        found = liaison[row["unit"]]
        assert float(row["score"]) == pytest.approx(found["score"])
        assert int(row["paths"]) == found["paths"]
        first_key, share = found["liaison"]["liaisons"][0]
        assert row["liaisons"].startswith(f"{names[first_key]} ({share:.0%})")
        assert float(row["components_breadth"]) == pytest.approx(found["components"]["breadth"])

    _, rows = table(client, "isolation")
    assert [r["team"] for r in rows] == [t["team"] for t in isolation]
    assert {r["team"] for r in rows if r["flagged"] == "true"} == {
        t["team"] for t in isolation if t["reasons"]
    }
    _, rows = table(client, "brokers")
    assert len(rows) == counts.people
    betweenness = [float(r["betweenness"]) for r in rows]
    assert betweenness == sorted(betweenness, reverse=True)
    _, rows = table(client, "risk")
    assert [r["key"] for r in rows] == [r["person"] for r in risk]
    assert rows[0]["label"] == names[risk[0]["person"]]
    _, rows = table(client, "introductions")
    assert [(r["person"], r["it_person"]) for r in rows] == [
        (i["person"], i["it_person"]) for i in intros
    ]
    _, rows = table(client, "communities")
    assert sum(int(r["size"]) for r in rows) == counts.people
    _, rows = table(client, "compare")
    assert len(rows) == len(compared["findings"]) + sum(
        1
        for metric, changes in (
            ("E-I index", compared["ei"]),
            ("liaison score", compared["liaison"]),
        )
        for subject in changes
        if (metric, subject) not in {(f["metric"], f["subject"]) for f in compared["findings"]}
    )
    findings = [r for r in rows if r["finding"]]
    assert len(findings) == len(compared["findings"])
    assert all(r["significant"] == "true" for r in findings)
    for row in rows:
        assert float(row["difference"]) == pytest.approx(float(row["after"]) - float(row["before"]))
    _, rows = table(client, "roles")
    assert sum(int(r["size"]) for r in rows) == counts.people == sum(r["size"] for r in roles)
    _, rows = table(client, "ingest_runs")
    assert [r["id"] for r in rows] == [r.id for r in runs]
    _, rows = table(client, "tickets")
    assert len(rows) == len(tickets) > 0
    _, later = table(client, "tickets", "?since=2025-07")
    assert 0 < len(later) < len(tickets) and min(r["opened"] for r in later) >= "2025-07"


def test_unknown_table_is_a_404(demo):
    body, _ = fetch(demo.test_client(), "/export/salaries.csv", 404)
    assert b"no table" in body


# -- a small organisation with awkward names, no analysis yet ---------------------------------


AWKWARD = [
    Person("p_a", '=HYPERLINK("http://evil.example","click")', "Sales", "Field"),
    Person("p_b", "Ben", "Sales", "Field"),
    Person("p_c", "Cat", "IT", "Service Desk", is_it=True),
    Person("p_d", "@Dov", "R&D", "<Core> & Co"),
    Person("p_e", "+Eve", "R&D", "<Core> & Co"),
]


def at(month: int) -> datetime:
    return datetime(2025, month, 3, 9, tzinfo=UTC)


@pytest.fixture
def awkward(app):
    with app.app_context():
        store = get_store()
        store.upsert_people(AWKWARD)
        store.add_interactions(
            [
                Interaction("p_a", "p_b", Channel.EMAIL, at(1), "m1"),
                Interaction("p_a", "p_c", Channel.TICKET, at(2), "INC1"),
                Interaction("p_c", "p_d", Channel.MEETING, at(3), "mt1", 0.5),
                Interaction("p_d", "p_e", Channel.EMAIL, at(4), "m2"),
                Interaction("p_e", "p_b", Channel.EMAIL, at(4), "m3"),
            ]
        )
    return app


def test_csv_cells_cannot_become_formulas(awkward):
    client = awkward.test_client()
    _, rows = table(client, "people")
    labels = {r["key"]: r["label"] for r in rows}
    assert labels["p_a"] == "'" + AWKWARD[0].name
    assert labels["p_d"] == "'@Dov" and labels["p_e"] == "'+Eve" and labels["p_b"] == "Ben"
    _, ties = table(client, "person_ties")
    assert {r["label_a"] for r in ties if r["key_a"] == "p_a"} == {"'" + AWKWARD[0].name}
    assert len(ties) == 5


def test_analysis_tables_404_until_the_analysis_runs(awkward):
    client = awkward.test_client()
    for name in ("liaison", "isolation", "brokers", "risk", "introductions", "communities",
                 "compare", "roles"):  # fmt: skip
        body, _ = fetch(client, f"/export/{name}.csv", 404)
        assert b"run the analysis" in body
    for name in ("people", "teams", "team_ties", "person_ties", "ingest_runs", "tickets"):
        fetch(client, f"/export/{name}.csv")
    page, _ = fetch(client, "/report")
    assert b"No analysis has run yet" in page


def test_svg_map_escapes_names_and_draws_every_team(awkward):
    body, headers = fetch(awkward.test_client(), "/export/map.svg")
    assert headers["Content-Type"].startswith("image/svg+xml")
    assert b"&lt;Core&gt; &amp; Co" in body
    root = ET.fromstring(body)
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == 3
    assert sorted(c.get("fill") for c in circles) == sorted([IT_COLOUR] + [BUSINESS_COLOUR] * 2)
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"<Core> & Co", "Field", "Service Desk", "IT", "business"} <= texts


def test_small_groups_are_left_out_for_viewers_who_may_not_see_them(awkward):
    awkward.config["MIN_GROUP_SIZE"] = 2

    @awkward.before_request
    def as_viewer():
        g.viewer = Viewer("guest", "viewer", identify=False)

    client = awkward.test_client()
    _, rows = table(client, "teams")
    assert [r["team"] for r in rows] == ["R&D/<Core> & Co", "Sales/Field"]
    # people follow their team: the Service Desk's one person is not listed, nor their ties
    hidden = {p.key for p in AWKWARD if p.team == "Service Desk"}
    _, rows = table(client, "people")
    assert {r["label"] for r in rows} == {p.key for p in AWKWARD} - hidden
    _, rows = table(client, "person_ties")
    assert rows and not hidden & ({r["key_a"] for r in rows} | {r["key_b"] for r in rows})
    body, _ = fetch(client, "/export/graph.graphml?level=people")
    assert sorted(nx.read_graphml(io.BytesIO(body))) == sorted({p.key for p in AWKWARD} - hidden)
    _, rows = table(client, "team_ties")
    assert {(r["team_a"], r["team_b"]) for r in rows} == {
        ("R&D/<Core> & Co", "Sales/Field"),
        ("Sales/Field", "Sales/Field"),
        ("R&D/<Core> & Co", "R&D/<Core> & Co"),
    }
    body, _ = fetch(client, "/export/graph.graphml")
    assert sorted(nx.read_graphml(io.BytesIO(body))) == ["R&D/<Core> & Co", "Sales/Field"]
    body, _ = fetch(client, "/export/map.svg")
    assert len(ET.fromstring(body).findall(f".//{SVG}circle")) == 2


# -- graphs and pictures ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_graph_files_read_back_with_networkx(demo, fmt):
    client = demo.test_client()
    read = nx.read_gexf if fmt == "gexf" else nx.read_graphml
    with demo.app_context():
        people = people_graph(Window())
        teams = team_graph(people)
        counts = get_store().counts()
        names = {p.key: p.name for p in get_store().people()}
    body, headers = fetch(client, f"/export/graph.{fmt}")
    assert headers["Content-Disposition"] == f"attachment; filename=bridgework-teams.{fmt}"
    graph = read(io.BytesIO(body))
    assert graph.number_of_nodes() == counts.teams == teams.vcount()
    assert graph.number_of_edges() == teams.ecount()
    node = graph.nodes["IT/Service Desk"]
    assert node["is_it"] is True and node["department"] == "IT" and node["size"] > 0
    assert node["label"] == "Service Desk" and 0 <= node["x"] <= 1
    assert "ei_index" in node
    weights = sum(w for _, _, w in graph.edges(data="weight"))
    assert weights == pytest.approx(sum(teams.es["weight"]))
    if fmt == "gexf":
        assert set(node["viz"]) == {"position", "size", "color"}

    body, _ = fetch(client, f"/export/graph.{fmt}?level=people")
    graph = read(io.BytesIO(body))
    assert graph.number_of_nodes() == counts.people == people.vcount()
    assert graph.number_of_edges() == people.ecount()
    key, attrs = next(iter(graph.nodes(data=True)))
    assert attrs["label"] == names[key] and "betweenness" in attrs

    body, _ = fetch(client, f"/export/graph.{fmt}?channel=ticket")
    assert read(io.BytesIO(body)).number_of_edges() < teams.ecount()
    fetch(client, f"/export/graph.{fmt}?level=departments", 400)


def test_map_pictures_show_every_team(demo):
    client = demo.test_client()
    with demo.app_context():
        teams = list(get_store().teams())
    body, _ = fetch(client, "/export/map.svg")
    root = ET.fromstring(body)
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == len(teams)
    assert sum(c.get("fill") == IT_COLOUR for c in circles) == sum(t.is_it for t in teams)
    titles = {c.find(f"{SVG}title").text.split(" · ")[0] for c in circles}
    assert titles == {t.key for t in teams}
    radii = {c.find(f"{SVG}title").text: float(c.get("r")) for c in circles}
    by_size = sorted(radii, key=lambda t: int(t.split(" · ")[1].split()[0]))
    assert radii[by_size[0]] < radii[by_size[-1]]

    body, headers = fetch(client, "/export/map.png?since=2025-06")
    assert headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (1200, 900)
        colours = {colour for _, colour in image.getcolors(maxcolors=1_000_000)}
    assert (0x2F, 0x6F, 0xB3) in colours and (0xC2, 0x67, 0x2D) in colours


# -- the report ------------------------------------------------------------------------------


def test_report_covers_every_business_unit_and_section(demo):
    client = demo.test_client()
    with demo.app_context():
        units = results.result("liaison")["units"]
        counts = get_store().counts()
        isolated = [t["team"] for t in results.result("isolation")["teams"] if t["reasons"]]
    page, _ = fetch(client, "/report")
    html = page.decode()
    for section in ("summary", "liaison", "isolated", "people", "introductions", "communities",
                    "changes"):  # fmt: skip
        assert f'id="{section}"' in html
    for unit in units:
        assert f"<td>{unit}" in html
    assert isolated and all(team in html for team in isolated)
    assert f'<span class="value">{counts.interactions:,}</span>' in html
    data = client.get("/api/report").get_json()
    assert data["ok"] is True
    assert {u["unit"] for u in data["liaison"]} == set(units)
    assert data["counts"]["people"] == counts.people
    assert data["analysis"]["window"]["months"] == 12
    assert data["single_liaison_units"] == [u for u, f in units.items() if f["paths"] == 1]
    assert len(data["brokers"]) == 10 and data["brokers"][0]["label"]


def test_an_empty_store_still_gives_valid_files(client):
    body, _ = fetch(client, "/export/people.csv")
    assert body.decode().splitlines() == ["key,label,team,department,is_it,role_name"]
    for level in ("teams", "people"):
        for fmt, read in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
            body, _ = fetch(client, f"/export/graph.{fmt}?level={level}")
            assert read(io.BytesIO(body)).number_of_nodes() == 0
    body, _ = fetch(client, "/export/map.svg")
    assert ET.fromstring(body).findall(f".//{SVG}circle") == []
    body, _ = fetch(client, "/export/map.png")
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (1200, 900)
    assert client.get("/api/report").get_json()["analysis"] is None
