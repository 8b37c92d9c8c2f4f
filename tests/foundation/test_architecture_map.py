"""docs/architecture.md is a true map: it names every package under onevoice/ and every module of
the folders a newcomer reads first (the top level, screening/, monitoring/, web/pages/)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "onevoice"
DOC = ROOT / "docs" / "architecture.md"
# folders whose every module the map must name, by its path under onevoice/ (`screening/engine.py`)
MAPPED_FOLDERS = ("", "screening", "monitoring", "web/pages")


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def packages() -> list[str]:
    """Every package (a folder with __init__.py) under onevoice/, as `folder/sub/`."""
    return sorted(init.parent.relative_to(PACKAGE).as_posix() + "/"
                  for init in PACKAGE.rglob("__init__.py")
                  if init.parent != PACKAGE and "__pycache__" not in init.parts)


def modules() -> list[str]:
    found = []
    for folder in MAPPED_FOLDERS:
        for path in sorted((PACKAGE / folder).glob("*.py")):
            if path.name != "__init__.py":
                found.append(path.relative_to(PACKAGE).as_posix())
    return found


def test_every_package_is_named() -> None:
    doc = _doc()
    missing = [p for p in packages() if f"`{p}`" not in doc]
    assert not missing, f"packages not named in docs/architecture.md: {missing}"


def test_every_module_of_the_mapped_folders_is_named() -> None:
    doc = _doc()
    missing = [m for m in modules() if f"`{m}`" not in doc]
    assert not missing, f"modules not named in docs/architecture.md: {missing}"


def test_the_map_names_nothing_that_is_gone() -> None:
    """A module path in the map's module lists must still exist."""
    doc = _doc()
    named = {line.split("`")[1] for line in doc.splitlines()
             if line.startswith("- `") and line.split("`")[1].endswith(".py")}
    gone = sorted(n for n in named if not (PACKAGE / n).exists())
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"


def test_the_check_sees_the_tree() -> None:
    assert "publishing/connectors/" in packages() and "web/pages/" in packages()
    assert {"screening/engine.py", "monitoring/report.py", "web/pages/render.py", "config.py"} <= set(modules())
