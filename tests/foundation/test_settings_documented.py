"""Every ONEVOICE_* variable is read in one place (onevoice/config.py), and every one it reads is
in the README's configuration table, the way Datasette's documentation tests keep its settings
documented."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from onevoice import config

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "onevoice"
CONFIG = PACKAGE / "config.py"
NAME = re.compile(r"ONEVOICE_[A-Z0-9_]*[A-Z0-9]")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _reads_environment(tree: ast.AST) -> bool:
    """os.environ, os.getenv, os.environ.get, `from os import environ/getenv`, os.getenvb."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "getenvb"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in ("environ", "environb", "getenv", "getenvb") for a in node.names):
            return True
    return False


def _onevoice_names(tree: ast.AST) -> set[str]:
    """ONEVOICE_* names (or prefixes) in the code's strings, docstrings left out; a string
    that merely mentions one (an error message saying what to set) does not count."""
    skip = _docstrings(tree)
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and re.fullmatch(r"ONEVOICE_[A-Z0-9_]*", node.value)}


def environment_readers() -> dict[str, set[str]]:
    """Modules other than config.py that touch the environment and name an ONEVOICE_ variable."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == CONFIG or "__pycache__" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _onevoice_names(tree)
        if names and _reads_environment(tree):
            found[path.relative_to(ROOT).as_posix()] = names
    return found


def test_only_config_reads_onevoice_variables() -> None:
    offenders = environment_readers()
    assert not offenders, ("read ONEVOICE_* variables through onevoice.config (Settings, notify_env), "
                           f"not os.environ: {offenders}")


def test_the_scan_would_see_an_offender(tmp_path) -> None:
    tree = ast.parse('import os\nlimit = int(os.environ.get("ONEVOICE_SOMETHING", 3))\n')
    assert _reads_environment(tree) and _onevoice_names(tree) == {"ONEVOICE_SOMETHING"}
    quiet = ast.parse('"""ONEVOICE_X is documented here."""\nimport os\nhome = os.environ["HOME"]\n'
                      'HINT = "set ONEVOICE_Y=1 to allow it"\n')
    assert _onevoice_names(quiet) == set()


def config_variables() -> set[str]:
    """Every full ONEVOICE_* name config.py reads (prefixes such as ONEVOICE_SMTP_ left out: their
    names are in NOTIFY_VARIABLES)."""
    names = {n for n in _onevoice_names(ast.parse(CONFIG.read_text(encoding="utf-8"))) if NAME.fullmatch(n)}
    assert set(config.NOTIFY_VARIABLES) <= names
    return names


def readme_configuration_table() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `ONEVOICE_")]
    return {name for row in rows for name in re.findall(r"`(ONEVOICE_[A-Z0-9_]+)`", row.split(" | ")[0])}


def test_every_variable_config_reads_is_in_the_readme_table() -> None:
    documented = readme_configuration_table()
    missing = sorted(config_variables() - documented)
    assert not missing, f"add these to the README's ## Configuration table: {missing}"


def test_the_readme_table_names_only_variables_that_are_read() -> None:
    unknown = sorted(readme_configuration_table() - config_variables())
    assert not unknown, f"the README's configuration table names variables config.py never reads: {unknown}"


def test_config_reads_the_variables_it_lists() -> None:
    env = {name: "" for name in config.NOTIFY_VARIABLES} | {"ONEVOICE_SMTP_EXTRA": "x", "ONEVOICE_HOME": "h"}
    assert set(config.notify_env(env)) == set(config.NOTIFY_VARIABLES) | {"ONEVOICE_SMTP_EXTRA"}
