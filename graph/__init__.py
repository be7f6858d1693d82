"""The graph store: one interface (:class:`graph.base.Store`), two implementations.

``open_store`` picks the implementation from settings: the embedded SQLite
store by default, Neo4j when ``STORE`` is ``"neo4j"``. Only this package
talks to a database, and only :mod:`graph.neo4j_store` imports ``neo4j``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.base import Store
from graph.errors import InvalidInput
from graph.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]


def open_store(config: Mapping[str, Any]) -> Store:
    """Open the store the settings ask for.

    :param config: settings with ``STORE`` and the keys of that backend
        (``SQLITE_PATH``; or ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``,
        ``NEO4J_DATABASE``).
    :raise InvalidInput: for an unknown backend or a missing URI.
    """
    kind = str(config.get("STORE", "sqlite")).lower()
    if kind == "sqlite":
        from graph.embedded import EmbeddedStore

        return EmbeddedStore(config["SQLITE_PATH"])
    if kind == "neo4j":
        if not config.get("NEO4J_URI"):
            raise InvalidInput("is required when STORE is neo4j", field="NEO4J_URI")
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            config["NEO4J_URI"],
            user=config.get("NEO4J_USER", "neo4j"),
            password=config.get("NEO4J_PASSWORD", ""),
            database=config.get("NEO4J_DATABASE", "neo4j"),
        )
    raise InvalidInput("must be sqlite or neo4j", field="STORE", value=kind)
