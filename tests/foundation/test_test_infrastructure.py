"""The tests' own helpers are defined once: one free_port, one PostgreSQL probe, and the Bluesky
session fixtures in tests/conftest.py only (a test module that imports a fixture shadows it)."""
from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _sources() -> dict[str, str]:
    return {p.relative_to(TESTS).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(TESTS.rglob("*.py")) if "__pycache__" not in p.parts}


def _defining(pattern: str) -> list[str]:
    return [name for name, text in _sources().items() if re.search(pattern, text, re.M)]


def test_one_free_port() -> None:
    assert _defining(r"^\s*def _?free_port\(") == ["servers/__init__.py"]


def test_one_postgres_probe() -> None:
    assert _defining(r"^\s*def (postgres_available|postgres_running)\(") == ["servers/__init__.py"]
    assert _defining(r"create_connection\(\(PG_HOST, PG_PORT\)|create_connection\(\(\"127\.0\.0\.1\", 5432\)") == [
        "servers/__init__.py"]


def test_bluesky_fixtures_are_defined_once_in_the_root_conftest() -> None:
    assert _defining(r"^def bluesky_pds\(") == ["conftest.py"]
    assert _defining(r"^def bluesky_full\(") == ["conftest.py"]
    assert _defining(r"import[^\n]*\bbluesky_(pds|full)\b") == []
