"""The OpenAPI file: valid, complete, and true of the running app on demo data.

Every ``/api/`` and ``/export/`` route must be documented (and nothing else),
and every documented answer is checked against its schema: the JSON bodies
with JSON Schema 2020-12 (what OpenAPI 3.1 uses), the downloads by media type.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT202012

from tests.apps import make_app
from web.store import close_store

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "web" / "openapi.yaml").read_text(encoding="utf-8"))
METHODS = {"get", "post", "put", "patch", "delete"}
DOCUMENTED_PREFIXES = ("/api/", "/export/")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("openapi")
    app = make_app(root)
    result = app.test_cli_runner().invoke(args=["demo", "--people", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield app
    close_store(app)


@pytest.fixture(scope="module")
def values(demo) -> dict[str, str]:
    """Real values for every path parameter."""
    client = demo.test_client()
    team = client.get("/api/teams").get_json()["teams"][0]["key"]
    person = client.get(f"/api/map/teams/{team}/people").get_json()["nodes"][0]["id"]
    run = client.get("/api/runs").get_json()["runs"][0]["id"]
    started = client.post("/api/jobs", json={"seed": 1})
    assert started.status_code == 202
    task = started.get_json()["task"]["id"]
    from web.tasks import get_runner

    get_runner(demo).wait(task, 120)
    return {"team": team, "key": person, "run_id": run, "task_id": task}


BASE = "urn:bridgework:openapi"
REGISTRY = Registry().with_resource(
    BASE, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at ``pointer`` in the spec; its ``$ref``s resolve in the spec."""
    return Draft202012Validator({"$ref": f"{BASE}#{pointer}"}, registry=REGISTRY)


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def resolve(pointer: str) -> tuple[str, dict[str, Any]]:
    """The object at a JSON pointer in the spec, following ``$ref``s; and its final pointer."""
    while True:
        node: Any = SPEC
        for part in pointer.removeprefix("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if "$ref" not in node:
            return pointer, node
        pointer = node["$ref"].removeprefix("#")


def deref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` to a response or parameter object."""
    return resolve(node["$ref"].removeprefix("#"))[1] if "$ref" in node else node


def check(response, path: str, method: str) -> None:
    """The response's status is documented and its body fits the documented schema."""
    documented = SPEC["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in documented, f"{method.upper()} {path} answered {status}: {response.data[:300]}"
    where, answer = resolve(f"/paths/{escape(path)}/{method}/responses/{status}")
    content = answer.get("content", {})
    media = response.mimetype
    assert media in content, f"{path} {status} answered {media}, documented {list(content)}"
    if media == "application/json":
        schema = f"{where}/content/{escape(media)}/schema"
        errors = sorted(
            validator(schema).iter_errors(response.get_json()),
            key=lambda e: list(e.path),
        )
        assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
            f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
        )


def openapi_path(rule: str) -> str:
    """A Flask rule in OpenAPI's form: ``<path:team>`` → ``{team}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_file_is_valid_openapi_3_1():
    validate(SPEC)
    assert SPEC["openapi"].startswith("3.1")


def test_every_route_is_documented_and_nothing_else(demo):
    routes = set()
    for rule in demo.url_map.iter_rules():
        if not rule.rule.startswith(DOCUMENTED_PREFIXES):
            continue
        path = openapi_path(rule.rule)
        path = path.replace("{any(gexf, graphml):fmt}", "{fmt}").replace("{name}", "{table}")
        for method in rule.methods & {m.upper() for m in METHODS}:
            routes.add((path, method.lower()))
    documented = {(p, m) for p, ops in SPEC["paths"].items() for m in ops if m in METHODS}
    assert routes - documented == set(), "routes missing from web/openapi.yaml"
    assert documented - routes == set(), "documented paths the app does not serve"


def test_the_app_serves_its_description(demo):
    response = demo.test_client().get("/api/openapi.yaml")
    assert response.mimetype == "application/yaml"
    assert yaml.safe_load(response.data) == SPEC
    check(response, "/api/openapi.yaml", "get")


def example_urls(path: str, values: dict[str, str]) -> list[str]:
    """URLs that exercise a documented GET path with real values."""
    if path == "/export/{table}.csv":
        tables = SPEC["paths"][path]["get"]["parameters"][0]["schema"]["enum"]
        return [f"/export/{t}.csv" for t in tables]
    if path == "/export/graph.{fmt}":
        return [
            f"/export/graph.{f}?level={lv}"
            for f in ("gexf", "graphml")
            for lv in ("teams", "people")
        ]
    url = path
    for name, value in values.items():
        url = url.replace("{" + name + "}", value)
    assert "{" not in url, f"no example value for {path}"
    if path == "/api/search":
        return [url + "?q=" + values["team"][:3]]
    if path == "/api/liaison/cell":
        return []  # built from the matrix below
    return [url]


def takes_window(path: str) -> bool:
    names = {deref(p)["name"] for p in SPEC["paths"][path]["get"].get("parameters", [])}
    return {"since", "until", "channel"} <= names


@pytest.fixture(scope="module")
def analyst(demo):
    """A signed-in analyst without identification: answers with pseudonyms and hidden groups."""
    from flask.testing import FlaskClient

    from tests.security.helpers import PASSWORD
    from tests.security.helpers import login
    from tests.security.helpers import make_user

    make_user(demo, "spec-analyst", "analyst", identify=False)
    client = FlaskClient(demo, demo.response_class, use_cookies=True)
    assert login(client, "spec-analyst", PASSWORD).status_code == 302
    return client


@pytest.mark.parametrize("path", [p for p, ops in SPEC["paths"].items() if "get" in ops])
def test_documented_answers_match_the_app(demo, values, analyst, path):
    client = demo.test_client()
    for url in example_urls(path, values):
        with client.get(url) as response:
            assert response.status_code == 200, f"{url}: {response.data[:300]}"
            check(response, path, "get")
        with analyst.get(url) as restricted:
            if restricted.status_code == 200:
                check(restricted, path, "get")
            else:
                assert restricted.status_code in (403, 404), url
        if takes_window(path):
            joiner = "&" if "?" in url else "?"
            with client.get(f"{url}{joiner}since=2025-03&until=2025-09&channel=email") as windowed:
                assert windowed.status_code == 200, url
                check(windowed, path, "get")
            if url.startswith("/api/"):
                with client.get(f"{url}{joiner}since=2025-13") as bad:
                    assert bad.status_code == 400
                    check(bad, path, "get")


def test_liaison_cells_match_the_spec(demo):
    client = demo.test_client()
    matrix = client.get("/api/liaison").get_json()
    cells = [c for row in matrix["units"] for c in row["cells"] if c["state"] != "hidden"]
    assert cells
    for cell in cells[:10]:
        row = next(r for r in matrix["units"] if cell in r["cells"])
        response = client.get(
            "/api/liaison/cell", query_string={"unit": row["unit"], "it_team": cell["it_team"]}
        )
        check(response, "/api/liaison/cell", "get")
    missing = client.get("/api/liaison/cell", query_string={"unit": "Nowhere", "it_team": "IT/x"})
    assert missing.status_code == 404
    check(missing, "/api/liaison/cell", "get")


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/api/map/teams/{team}/people", "/api/map/teams/No/Team/people"),
        ("/api/teams/{team}", "/api/teams/No/Team"),
        ("/api/people/{key}", "/api/people/p_nobody"),
        ("/api/runs/{run_id}", "/api/runs/nothing"),
        ("/api/tasks/{task_id}", "/api/tasks/nothing"),
        ("/api/isolated/{team}/ego", "/api/isolated/No/Team/ego"),
    ],
)
def test_unknown_things_are_documented_404s(demo, path, url):
    response = demo.test_client().get(url)
    assert response.status_code == 404
    check(response, path, "get")


def test_posts_match_the_spec(demo, values):
    client = demo.test_client()
    started = client.post("/api/jobs", json={"seed": 2, "since": "2025-01", "until": "2025-07"})
    check(started, "/api/jobs", "post")
    assert started.status_code == 202
    bad = client.post("/api/jobs", json={"since": "January"})
    assert bad.status_code == 400
    check(bad, "/api/jobs", "post")
    mbox = (ROOT / "tests" / "data" / "sample.mbox").read_bytes()
    upload = client.post(
        "/api/uploads",
        data={"kind": "email", "file": (io.BytesIO(mbox), "sample.mbox")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202
    check(upload, "/api/uploads", "post")
    unknown = client.post(
        "/api/uploads",
        data={"kind": "fax", "file": (io.BytesIO(mbox), "sample.mbox")},
        content_type="multipart/form-data",
    )
    assert unknown.status_code == 400
    check(unknown, "/api/uploads", "post")
    from web.tasks import get_runner

    runner = get_runner(demo)
    for task in (started.get_json()["task"]["id"], upload.get_json()["task"]["id"]):
        runner.wait(task, 120)
