"""A module's private names (`_name`) stay its own: what two modules share is public, so a reader
sees what the other module promises and a rename of a private helper breaks nothing elsewhere."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "onevoice"


def private_imports(package: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                found += [f"{path.relative_to(package.parent)}: from {'.' * node.level}{node.module or ''} import {a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_module_imports_another_modules_private_names():
    assert private_imports() == []


def test_the_check_sees_a_private_import(tmp_path):
    (tmp_path / "onevoice").mkdir()
    (tmp_path / "onevoice" / "a.py").write_text("from .b import _helper, public\n")
    assert private_imports(tmp_path / "onevoice") == ["onevoice/a.py: from .b import _helper"]
