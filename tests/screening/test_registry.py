"""The detector registry's contract: the registry is a leaf the loader fills; every detector module
is loaded; every registered detector is used by a shipped pack or documented in docs/packs.md, has
a summary, and is bound to its own clause (the one its module is written for)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from onevoice.policy import load_pack, parse_pack
from onevoice.screening.loader import DETECTOR_MODULES, load_detectors
from onevoice.screening.registry import RULE_CLAUSE

ROOT = Path(__file__).resolve().parents[2]
SCREENING = ROOT / "onevoice" / "screening"
PACKS = ROOT / "onevoice" / "policy" / "packs"
DETECTORS = load_detectors()


def _shipped_packs():
    return [parse_pack(p.read_text(encoding="utf-8"), source=p.name) for p in sorted(PACKS.rglob("*.yaml"))]


def test_the_registry_is_a_leaf():
    """registry.py imports no detector module (the loader does): no cycle."""
    tree = ast.parse((SCREENING / "registry.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert imported <= {"model", "normalize"}, imported


def test_every_module_that_registers_a_detector_is_loaded():
    registering = sorted(p.stem for p in SCREENING.glob("*.py") if "@detector(" in p.read_text(encoding="utf-8"))
    assert registering == sorted(DETECTOR_MODULES)


def test_every_detector_is_used_by_a_shipped_pack_or_documented():
    used = {r.detector for pack in _shipped_packs() for r in pack.rules}
    documented = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8")
    lonely = [name for name in DETECTORS if name not in used and f"| `{name}` |" not in documented]
    assert not lonely, f"neither in a shipped pack nor in docs/packs.md's table: {lonely}"
    assert "pattern" in DETECTORS and "personal_info.id_number" not in used  # the check sees both ways


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_has_a_summary(name):
    summary = DETECTORS[name].summary
    assert summary and summary[0].isupper() and summary.endswith("."), summary


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_is_bound_to_its_own_clause(name):
    """A detector's clause is the one its module is written for ("2.e Maintain professional
    boundaries…" opens conduct.py), and a shipped pack uses it for that clause only."""
    registered = DETECTORS[name]
    module = importlib.import_module(registered.factory.__module__)
    if registered.clause == RULE_CLAUSE:
        assert name == "pattern"
        return
    assert (module.__doc__ or "").startswith(registered.clause + " "), (name, registered.clause)
    assert all(r.clause == registered.clause for pack in _shipped_packs() for r in pack.rules if r.detector == name)


def test_the_shipped_packs_load():
    packs = {p.name: p for p in _shipped_packs()}
    assert set(packs) == {"ipala", "hospital-generic"}
    assert load_pack("ipala", employers=("hospital-generic",)).rules[-1].id == "2.g-hospital-internal"
