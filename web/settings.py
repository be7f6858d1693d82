"""Every setting Bridgework reads, declared once.

Settings are layered: these defaults, then ``instance/config.py``, then
environment variables prefixed ``BRIDGEWORK_`` (``BRIDGEWORK_STORE=neo4j``
sets ``STORE``), then a test's own mapping. ``tests/test_settings.py`` checks
that every setting is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name (without the ``BRIDGEWORK_`` prefix), default and help."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", "dev", "Signs sessions; set a long random value in production."),
    Setting(
        "STORE", "sqlite", "Which graph store to use: `sqlite` (embedded, default) or `neo4j`."
    ),
    Setting("SQLITE_PATH", None, "Embedded store file; default `instance/bridgework.sqlite3`."),
    Setting("NEO4J_URI", "", "Bolt URI of Neo4j, e.g. `bolt://127.0.0.1:7687` (STORE=neo4j)."),
    Setting("NEO4J_USER", "neo4j", "Neo4j user name."),
    Setting("NEO4J_PASSWORD", "", "Neo4j password."),
    Setting("NEO4J_DATABASE", "neo4j", "Neo4j database name."),
    Setting(
        "PSEUDONYM_KEY",
        "dev",
        "Secret key of the keyed hash (HMAC-SHA256) that turns addresses into person keys. "
        "Keep it stable: a new key gives everybody new keys.",
    ),
    Setting(
        "INTERNAL_DOMAINS",
        [],
        "Mail domains of the organisation (JSON list); empty means the domains of the directory.",
    ),
    Setting("IT_UNITS", ["IT"], "Departments or `department/team` names that are IT (JSON list)."),
    Setting(
        "BROADCAST_CUTOFF", 25, "Mail or meetings with more recipients are broadcasts, not ties."
    ),
    Setting("DATA_DIR", None, "Where uploads and demo files go; default `instance/data`."),
    Setting(
        "UPLOAD_MAX_BYTES",
        512 * 1024 * 1024,
        "Largest upload request in bytes (all files together); larger ones get 413.",
    ),
    Setting(
        "UPLOAD_ZIP_MAX_BYTES",
        4 * 1024 * 1024 * 1024,
        "Most bytes a zipped maildir upload may unpack to (guards against zip bombs).",
    ),
    Setting("UPLOAD_ZIP_MAX_FILES", 500_000, "Most files a zipped maildir upload may hold."),
    Setting(
        "KEEP_UPLOADS",
        False,
        "Keep uploaded files after their ingest; by default they are deleted when the ingest "
        "ends, since exports may hold message bodies and only metadata is kept.",
    ),
    Setting(
        "ACCOUNTS_PATH",
        None,
        "App database of users and the audit log; default `instance/accounts.sqlite3`.",
    ),
    Setting("SESSION_HOURS", 12, "A login lasts this many hours; then log in again."),
    Setting(
        "SESSION_COOKIE_SECURE",
        None,
        "Send the session cookie over HTTPS only; default on unless DEBUG or TESTING.",
    ),
    Setting(
        "LOGIN_ATTEMPTS",
        5,
        "Failed logins allowed per user name and per client address within "
        "`LOGIN_WINDOW_MINUTES`; more get 429 with `Retry-After`.",
    ),
    Setting("LOGIN_WINDOW_MINUTES", 15, "The window of `LOGIN_ATTEMPTS`, in minutes."),
    Setting(
        "MIN_GROUP_SIZE",
        5,
        "Groups smaller than this are hidden from analysts and viewers (not from admins).",
    ),
    Setting(
        "TASK_RUNNER",
        "thread",
        "Who runs background tasks (ingests, analyses): `thread` (a thread in each web "
        "process) or `worker` (web processes only queue them; `flask --app app worker` runs them).",
    ),
    Setting(
        "OPT_OUT",
        None,
        "Text file of e-mail addresses of people who opted out (one a line, `#` comments; "
        "relative to the instance folder): applied at every ingest, they never enter the store.",
    ),
    Setting(
        "RETENTION_MONTHS",
        None,
        "Whole months of interactions kept before the current month; `flask --app app purge` "
        "deletes older ones. Empty keeps everything.",
    ),
)


def defaults(instance_path: str) -> dict[str, Any]:
    """The default configuration, with paths inside the instance folder."""
    config = {s.name: s.default for s in SETTINGS}
    config["SQLITE_PATH"] = os.path.join(instance_path, "bridgework.sqlite3")
    config["DATA_DIR"] = os.path.join(instance_path, "data")
    config["ACCOUNTS_PATH"] = os.path.join(instance_path, "accounts.sqlite3")
    return config
