"""docker-compose.yml and the Dockerfile: the services, pinned images, healthchecks,
the shared instance volume, and secrets only from the environment (.env).

Docker is not needed: the files are read as YAML and checked against the app
(the settings they set exist, the healthcheck's page answers, the worker
command is there).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from app import create_app
from tests.apps import config_for
from web.settings import SETTINGS
from web.store import close_store

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "AUTH")
#: a value taken from .env, refusing to start without it: ${NAME:?message}
REQUIRED = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?[^}]*\}")


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment", {})
    assert isinstance(env, dict), "environment as a mapping"
    return {name: str(value) for name, value in env.items()}


def mounts(service: str) -> dict[str, str]:
    """Target path -> source of each volume of a service."""
    found = {}
    for entry in SERVICES[service].get("volumes", []):
        source, target = entry.split(":")[:2]
        found[target] = source
    return found


def test_the_services_are_the_app_its_worker_and_neo4j():
    assert set(SERVICES) == {"app", "worker", "neo4j"}


def test_neo4j_is_pinned_to_the_526_lts_line():
    image = SERVICES["neo4j"]["image"]
    assert re.fullmatch(r"neo4j:5\.26(\.\d+)?", image), image


def test_the_app_runs_gunicorn_with_two_processes_that_only_queue_tasks():
    [cmd] = re.findall(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    command = json.loads(cmd)
    assert command[0] == "gunicorn" and command[-1] == "app:create_app()"
    assert command[command.index("--workers") + 1] == "2"
    assert "command" not in SERVICES["app"]
    assert environment("app")["BRIDGEWORK_TASK_RUNNER"] == "worker"
    assert SERVICES["app"]["build"]["context"] == "."


def test_the_worker_runs_the_worker_command_from_the_apps_image():
    worker = SERVICES["worker"]
    assert worker["command"] == ["flask", "--app", "app", "worker"]
    assert worker["image"] == SERVICES["app"]["image"]
    assert worker["pull_policy"] == "never" and SERVICES["app"]["pull_policy"] == "build"
    assert environment("worker") == environment("app")
    assert worker["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert SERVICES["app"]["depends_on"]["neo4j"]["condition"] == "service_healthy"
    seconds = {"s": 1, "m": 60, "h": 3600}
    grace = re.fullmatch(r"(\d+)([smh])", worker["stop_grace_period"])
    assert grace and int(grace.group(1)) * seconds[grace.group(2)] >= 60


def test_the_app_and_the_worker_share_the_instance_folder_on_a_named_volume():
    app, worker = mounts("app"), mounts("worker")
    assert app["/app/instance"] == worker["/app/instance"] == "instance"
    assert "instance" in COMPOSE["volumes"]
    assert {"neo4j-data", "neo4j-logs"} <= set(COMPOSE["volumes"])
    assert mounts("neo4j") == {"/data": "neo4j-data", "/logs": "neo4j-logs"}
    env = environment("app")
    for name in ("BRIDGEWORK_ACCOUNTS_PATH", "BRIDGEWORK_DATA_DIR"):
        assert env[name].startswith("/app/instance/"), name
    # the image has the folder, owned by the user the app runs as, so a new volume is too
    assert "mkdir -p /app/instance" in DOCKERFILE and "chown -R bridgework /app" in DOCKERFILE
    assert re.search(r"^USER bridgework$", DOCKERFILE, re.MULTILINE)


def test_the_app_sets_only_settings_that_exist():
    names = {f"BRIDGEWORK_{setting.name}" for setting in SETTINGS}
    assert set(environment("app")) <= names


def test_secrets_come_from_the_environment_and_env_example_names_them():
    required = set()
    for service in SERVICES:
        for name, value in environment(service).items():
            required |= {m.group("name") for m in REQUIRED.finditer(value)}
            if any(word in name for word in SECRET_WORDS):
                rest = REQUIRED.sub("", value)
                assert rest in ("", "neo4j/"), f"{service}: {name} holds a literal secret"
                assert REQUIRED.search(value), f"{service}: {name} has no ${{...:?}} reference"
    assert {"BRIDGEWORK_NEO4J_PASSWORD", "BRIDGEWORK_SECRET_KEY"} <= required
    example = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.splitlines() if re.match(r"^[A-Z0-9_]+=", line)
    )
    assert required <= set(example)
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_published_ports_are_on_the_loopback_address_only():
    for service in SERVICES.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


@pytest.mark.parametrize("service", ["app", "neo4j"])
def test_healthchecks(service):
    check = SERVICES[service]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL")
    assert check["retries"] >= 1 and check["interval"] and check["timeout"]


def test_the_apps_healthcheck_opens_a_page_that_answers_without_a_login(tmp_path):
    test = SERVICES["app"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3]
    compile(code, "healthcheck", "exec")
    [url] = re.findall(r"'(http://127\.0\.0\.1:8000(/[^']*))'", code)
    app = create_app(config_for(tmp_path))
    try:
        response = app.test_client().get(url[1])
        assert response.status_code == 200
        response.close()
        help_text = app.test_cli_runner().invoke(args=["worker", "--help"])
        assert help_text.exit_code == 0 and "SIGTERM" in help_text.output
    finally:
        close_store(app)
