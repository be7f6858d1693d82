"""Team, team list and person pages (HTML and JSON) on the demo organisation and a small store."""

from __future__ import annotations

import json
from collections import Counter
from collections import defaultdict
from datetime import UTC
from datetime import datetime

import pytest
from flask import g

from ingest.identity import pseudonym
from ingest.records import Channel
from ingest.records import Interaction
from ingest.records import Person
from web.policy import Viewer
from web.policy import short_key
from web.store import close_store
from web.store import get_store

KEY = "test-key"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The analysed demo organisation (80 people, seed 5), a client and its planted truth."""
    from tests.apps import make_app

    root = tmp_path_factory.mktemp("teams")
    app = make_app(root, PSEUDONYM_KEY=KEY)
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    truth = json.loads((root / "data" / "demo" / "truth.json").read_text())
    yield app, app.test_client(), truth
    close_store(app)


def key(address: str) -> str:
    return pseudonym(address, KEY.encode())


def team_of(entry: dict) -> str:
    return f"{entry['department']}/{entry['team']}"


def pair_weights(app, wanted: set[str] | None = None, **window) -> dict[frozenset, list]:
    """Summed weight and count per unordered pair, straight from the store's ties."""
    found: dict[frozenset, list] = defaultdict(lambda: [0.0, 0])
    with app.app_context():
        for tie in get_store().ties(**window):
            if tie.source == tie.target:
                continue
            if wanted and not wanted & {tie.source, tie.target}:
                continue
            slot = found[frozenset((tie.source, tie.target))]
            slot[0] += tie.weight
            slot[1] += tie.count
    return found


# -- the team list ------------------------------------------------------------------------------


def test_team_list_matches_the_directory(demo):
    _, client, truth = demo
    data = client.get("/api/teams").get_json()
    assert data["ok"] is True
    listed = {t["key"]: t for t in data["teams"]}
    assert set(listed) == {team_of(t) for t in truth["teams"]}
    for planted in truth["teams"]:
        row = listed[team_of(planted)]
        assert row["size"] == planted["headcount"]
        assert row["is_it"] is planted["is_it"]
        assert row["department"] == planted["department"] and row["name"] == planted["team"]
    flagged = {k for k, t in listed.items() if t["flagged"]}
    assert flagged == {team_of(t) for t in truth["isolated_teams"]}


def test_team_list_page_links_every_team(demo):
    _, client, truth = demo
    page = client.get("/teams").get_data(as_text=True)
    for planted in truth["teams"]:
        href = f'href="/teams/{team_of(planted).replace(" ", "%20")}"'
        assert href in page, href
    (isolated,) = truth["isolated_teams"]
    assert page.count("flagged</span>") == 1
    row = page[page.index(f">{isolated['team']}</a>") :].split("</tr>")[0]
    assert "flagged" in row


# -- a team -------------------------------------------------------------------------------------


def test_isolated_team_page_shows_its_members_and_reasons(demo):
    _, client, truth = demo
    (planted,) = truth["isolated_teams"]
    data = client.get(f"/api/teams/{team_of(planted)}").get_json()
    assert data["ok"] and data["team"] == team_of(planted) and data["size"] == planted["headcount"]
    assert {m["key"] for m in data["members"]} == {key(a) for a in planted["members"]}
    assert all(m["label"] and not m["label"].startswith("p_") for m in data["members"])
    scores = data["scores"]
    assert scores["flagged"] is True and scores["reasons"]
    assert scores["ei"] < scores["expected"] and scores["delta"] < 0
    assert scores["p_value"] < 0.05
    page = client.get(f"/teams/{team_of(planted)}").get_data(as_text=True)
    assert "Flagged as isolated" in page
    for reason in scores["reasons"]:
        assert reason.split(" (")[0] in page
    for member in data["members"]:
        assert f'href="/people/{member["key"]}"' in page


def test_team_ties_sum_the_ties_between_members(demo):
    app, client, truth = demo
    team = team_of(truth["teams"][0])
    data = client.get(f"/api/teams/{team}").get_json()
    with app.app_context():
        people = {p.key: p.team_key for p in get_store().people()}
    expected: dict[str, list] = defaultdict(lambda: [0.0, 0, 0])
    for pair, (weight, count) in pair_weights(app).items():
        a, b = (people[k] for k in pair)
        if team in (a, b) and a != b:
            other = b if a == team else a
            expected[other][0] += weight
            expected[other][1] += count
            expected[other][2] += 1
    assert data["ties"], "the team has ties to other teams"
    weights = [t["weight"] for t in data["ties"]]
    assert weights == sorted(weights, reverse=True)
    strongest = max(expected.values(), key=lambda v: v[0])[0]
    assert data["ties"][0]["weight"] == pytest.approx(strongest, abs=1e-3)
    for tie in data["ties"]:
        weight, count, pairs = expected[tie["team"]]
        assert tie["weight"] == pytest.approx(weight, abs=1e-3)
        assert (tie["count"], tie["pairs"]) == (count, pairs)


def test_fragile_unit_relies_on_exactly_one_it_person(demo):
    _, client, truth = demo
    (fragile,) = truth["fragile_units"]
    liaison = key(fragile["liaison"])
    teams = [team_of(t) for t in truth["teams"] if t["department"] == fragile["department"]]
    assert teams
    for team in teams:
        context = client.get(f"/api/teams/{team}").get_json()["liaison"]
        assert context["side"] == "business"
        assert [p["key"] for p in context["it_people"]] == [liaison]
        assert context["it_people"][0]["share"] == 1.0
        assert context["it_people"][0]["team"] == f"IT/{fragile['liaison_team']}"
        assert context["unit"]["paths"] == 1
        assert [p["key"] for p in context["unit"]["liaisons"]] == [liaison]
        page = client.get(f"/teams/{team}").get_data(as_text=True)
        assert "All of this team's IT contact runs through one person." in page
        assert f'href="/people/{liaison}"' in page


def test_other_business_teams_have_several_it_contacts(demo):
    _, client, truth = demo
    (fragile,) = truth["fragile_units"]
    others = [
        team_of(t)
        for t in truth["teams"]
        if not t["is_it"] and t["department"] != fragile["department"]
    ]
    counts = [len(client.get(f"/api/teams/{t}").get_json()["liaison"]["it_people"]) for t in others]
    assert min(counts) >= 2


def test_it_team_page_lists_the_units_it_serves(demo):
    _, client, truth = demo
    (fragile,) = truth["fragile_units"]
    (it_team,) = [team_of(t) for t in truth["teams"] if t["is_it"]]
    data = client.get(f"/api/teams/{it_team}").get_json()
    context = data["liaison"]
    assert data["is_it"] is True and context["side"] == "it"
    business = {d for d in truth["departments"] if d not in truth["it_departments"]}
    units = {u["unit"]: u for u in context["units"]}
    assert set(units) == business
    assert sum(u["share"] for u in units.values()) == pytest.approx(1.0, abs=1e-3)
    assert [c["key"] for c in units[fragile["department"]]["carriers"]] == [key(fragile["liaison"])]
    assert all(
        len(u["carriers"]) >= 2 for name, u in units.items() if name != fragile["department"]
    )
    page = client.get(f"/teams/{it_team}").get_data(as_text=True)
    assert 'id="served-units"' in page and fragile["department"] in page


def test_team_members_carry_roles_and_risk(demo):
    _, client, truth = demo
    (fragile,) = truth["fragile_units"]
    team = f"IT/{fragile['liaison_team']}"
    members = {m["key"]: m for m in client.get(f"/api/teams/{team}").get_json()["members"]}
    liaison = members[key(fragile["liaison"])]
    assert liaison["risk"]["rank"] is not None and liaison["risk"]["relationships"] >= 1
    assert all(m["role"] for m in members.values())
    assert all(0 <= m["constraint"] <= 1.5 and m["betweenness"] >= 0 for m in members.values())


def test_team_introductions_involve_its_members(demo):
    app, client, truth = demo
    with app.app_context():
        from web.results import result

        picks = result("introductions")["introductions"]
    for planted in truth["teams"]:
        data = client.get(f"/api/teams/{team_of(planted)}").get_json()
        members = {m["key"] for m in data["members"]}
        expected = [p for p in picks if members & {p["person"], p["it_person"]}]
        assert [(i["person"]["key"], i["it_person"]["key"]) for i in data["introductions"]] == [
            (p["person"], p["it_person"]) for p in expected
        ]


def test_team_window_and_channel_filter_the_ties(demo):
    app, client, truth = demo
    team = team_of(truth["isolated_teams"][0])
    everything = client.get(f"/api/teams/{team}").get_json()
    tickets = client.get(f"/api/teams/{team}?channel=ticket").get_json()
    assert tickets["window"]["channels"] == ["ticket"]
    total = sum(t["count"] for t in everything["ties"])
    assert 0 < sum(t["count"] for t in tickets["ties"]) < total
    late = client.get(f"/api/teams/{team}?since=2025-07&until=2026-01").get_json()
    assert late["window"]["since"] == "2025-07"
    assert sum(t["count"] for t in late["ties"]) < total
    page = client.get(f"/teams/{team}?channel=email&channel=meeting").get_data(as_text=True)
    assert "email, meeting" in page
    assert "channel=email&amp;channel=meeting" in page


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/teams/Nowhere/Team", 404, "no team"),
        ("/api/teams/Finance/Controlling?since=2025-13", 400, "YYYY-MM"),
        ("/api/teams/Finance/Controlling?channel=fax", 400, "unknown channel"),
        ("/api/people/p_000000000000000000000000", 404, "no person"),
        ("/api/people/p_0?until=2025", 400, "until"),
    ],
)
def test_team_and_person_errors_have_the_error_shape(demo, url, status, message):
    _, client, _ = demo
    response = client.get(url)
    body = response.get_json()
    assert response.status_code == status
    assert body["ok"] is False and body["status"] == status and message in body["error"]


def test_unknown_team_and_person_pages_are_404_pages(demo):
    _, client, _ = demo
    for url in ("/teams/Nowhere/Team", "/people/p_000000000000000000000000"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "404" in response.get_data(as_text=True)


# -- a person -----------------------------------------------------------------------------------


def test_planted_brokers_rank_high_on_betweenness(demo):
    _, client, truth = demo
    for address in truth["brokers"]:
        data = client.get(f"/api/people/{key(address)}").get_json()
        brokerage = data["brokerage"]
        assert brokerage["betweenness_rank"] <= 5, address
        assert brokerage["constraint"] < 0.1
        gf = brokerage["gould_fernandez"]
        assert gf["group"] == data["department"]
        assert sum(r["count"] for r in gf["roles"]) > 500
        assert data["role"]["name"] and data["role"]["description"]
        page = client.get(f"/people/{key(address)}").get_data(as_text=True)
        assert f"(#{brokerage['betweenness_rank']})" in page
        assert data["role"]["name"].capitalize() in page


def test_person_page_names_team_department_and_side(demo):
    _, client, truth = demo
    (planted,) = truth["isolated_teams"]
    lead = key(planted["lead"])
    data = client.get(f"/api/people/{lead}").get_json()
    assert data["key"] == lead and data["team"] == team_of(planted)
    assert data["department"] == planted["department"] and data["is_it"] is False
    page = client.get(f"/people/{lead}").get_data(as_text=True)
    assert data["label"] in page and data["title"] in page
    assert f'href="/teams/{team_of(planted)}"' in page


def test_person_contacts_add_up_the_stored_ties(demo):
    app, client, truth = demo
    me = key(truth["brokers"][0])
    data = client.get(f"/api/people/{me}").get_json()
    pairs = {
        (set(pair) - {me}).pop(): v for pair, v in pair_weights(app, {me}).items() if me in pair
    }
    assert data["contacts_total"] == len(pairs) > len(data["contacts"]) == 15
    strongest = sorted(pairs.values(), key=lambda v: -v[0])[:15]
    assert [c["weight"] for c in data["contacts"]] == pytest.approx(
        [w for w, _ in strongest], abs=1e-3
    )
    for contact in data["contacts"]:
        weight, count = pairs[contact["key"]]
        assert contact["weight"] == pytest.approx(weight, abs=1e-3) and contact["count"] == count
        assert sum(c["count"] for c in contact["channels"].values()) == count
        assert set(contact["channels"]) <= {c.value for c in Channel}
    emails = client.get(f"/api/people/{me}?channel=email").get_json()
    assert all(set(c["channels"]) == {"email"} for c in emails["contacts"])


def test_fragile_liaison_person_shows_the_key_person_risk(demo):
    _, client, truth = demo
    (fragile,) = truth["fragile_units"]
    data = client.get(f"/api/people/{key(fragile['liaison'])}").get_json()
    risk = data["risk"]
    assert risk["rank"] is not None
    assert {"pair": [fragile["department"], "IT"], "before": 1, "after": 0} in risk["it_units"]
    page = client.get(f"/people/{key(fragile['liaison'])}").get_data(as_text=True)
    assert (
        f'{fragile["department"]} ↔ IT: 1 → 0 paths <span class="badge">IT liaison</span>' in page
    )


def test_person_introductions_come_from_the_snapshot(demo):
    app, client, _ = demo
    with app.app_context():
        from web.results import result

        picks = result("introductions")["introductions"]
    involved = Counter(k for p in picks for k in (p["person"], p["it_person"]))
    for person, n in involved.items():
        data = client.get(f"/api/people/{person}").get_json()
        assert len(data["introductions"]) == n
        assert all(
            person in (i["person"]["key"], i["it_person"]["key"]) for i in data["introductions"]
        )
    busiest = involved.most_common(1)[0][0]
    page = client.get(f"/people/{busiest}").get_data(as_text=True)
    assert page.count("<tr><td>") >= involved[busiest]


# -- the privacy policy on a small store -------------------------------------------------------


PEOPLE = [
    Person("p_a", "Ann Ash", "Sales", "Field", "Rep", False),
    Person("p_b", "Ben Birch", "Sales", "Field", "Rep", False),
    Person("p_c", "Cat Cedar", "IT", "Desk", "Analyst", True),
    Person("p_d", "Dov Dale", "IT", "Desk", "Analyst", True),
    Person("p_e", "Eva Elm", "IT", "Desk", "Lead", True),
]


@pytest.fixture
def restricted(app):
    """A small store viewed by someone who may not identify people (min group size 3)."""
    app.config["MIN_GROUP_SIZE"] = 3

    @app.before_request
    def as_viewer() -> None:
        g.viewer = Viewer("analyst", "viewer", identify=False)

    at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    with app.app_context():
        store = get_store()
        store.upsert_people(PEOPLE)
        store.add_interactions(
            [
                Interaction("p_a", "p_c", Channel.EMAIL, at, "m1"),
                Interaction("p_c", "p_a", Channel.EMAIL, at, "m2"),
                Interaction("p_b", "p_d", Channel.TICKET, at, "t1"),
                Interaction("p_c", "p_e", Channel.MEETING, at, "mt1"),
            ]
        )
    return app.test_client()


def test_viewers_see_pseudonyms_and_no_small_group_figures(restricted):
    small = restricted.get("/api/teams/Sales/Field").get_json()
    assert small["visible"] is False
    assert small["scores"] is None and small["ties"] == [] and small["liaison"] is None
    # a hidden team keeps its name only: no size, no members (people follow their team)
    assert small["members"] == [] and small["size"] is None and small["introductions"] == []
    assert restricted.get("/api/people/p_a").status_code == 404
    desk = restricted.get("/api/teams/IT/Desk").get_json()
    assert desk["visible"] is True
    assert desk["ties"] == []  # the only other team is too small to show
    assert desk["liaison"]["units"] == []
    person = restricted.get("/api/people/p_c").get_json()
    assert person["label"] == short_key("p_c") and person["title"] is None
    assert {c["label"] for c in person["contacts"]} == {short_key("p_e")}
    assert person["contacts_total"] == 1
    listed = {t["key"]: t for t in restricted.get("/api/teams").get_json()["teams"]}
    assert listed["Sales/Field"]["visible"] is False and listed["Sales/Field"]["flagged"] is None
    assert listed["Sales/Field"]["size"] is None and listed["IT/Desk"]["size"] == 3
    for url in ("/teams/Sales/Field", "/teams/IT/Desk", "/people/p_c", "/teams"):
        page = restricted.get(url).get_data(as_text=True)
        for person in PEOPLE:
            assert person.name not in page, (url, person.name)
    assert "hidden" in restricted.get("/teams/Sales/Field").get_data(as_text=True)


def test_pages_work_before_any_analysis(client, app):
    with app.app_context():
        get_store().upsert_people(PEOPLE)
    data = client.get("/api/teams/IT/Desk").get_json()
    assert data["scores"] is None and data["introductions"] == []
    assert [m["role"] for m in data["members"]] == [None, None, None]
    person = client.get("/api/people/p_c").get_json()
    assert person["role"] is None and person["brokerage"]["gould_fernandez"] is None
    assert person["risk"]["rank"] is None and person["contacts"] == []
    for url in ("/teams", "/teams/IT/Desk", "/people/p_c"):
        assert client.get(url).status_code == 200
