"""Dependencies flow one way: web → analysis/graph → ingest records."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules of ours or third parties it must never import
FORBIDDEN = {
    "ingest": {"graph", "analysis", "web", "app", "flask", "neo4j", "demo"},
    "graph": {"analysis", "web", "app", "flask", "demo", "igraph", "networkx"},
    "analysis": {"graph", "web", "app", "flask", "neo4j", "demo"},
    "demo": {"graph", "analysis", "web", "app", "flask", "neo4j", "ingest"},
}
ONLY_NEO4J_MODULE = ROOT / "graph" / "neo4j_store.py"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downstream(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in python_files(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_neo4j_store_imports_neo4j():
    importers = [
        str(path.relative_to(ROOT))
        for package in ("app.py", "web", "graph", "analysis", "ingest", "demo")
        for path in ([ROOT / package] if package.endswith(".py") else python_files(package))
        if "neo4j" in imported_modules(path) and path != ONLY_NEO4J_MODULE
    ]
    assert importers == []
