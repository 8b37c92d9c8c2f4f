"""The built wheel is complete: it holds every data file of the source tree, and an installation
from the wheel alone (no checkout, no editable install) runs init, screen, demo and report."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "onevoice"
# the project venv's site-packages: the wheel's dependencies, visible to the fresh venv
DEPENDENCIES = Path(sysconfig.get_paths()["purelib"])


def _source_files() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def _run(args: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # build from a copy of the sources: a build/ folder left in the checkout would leak into it
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(PACKAGE, src / "onevoice", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          str(src), "-w", str(out)], cwd=src, env=dict(os.environ), timeout=600)
    (found,) = out.glob("onevoice-*.whl")
    return found


def test_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        inside = {n for n in z.namelist() if n.startswith("onevoice/")}
    missing = sorted(_source_files() - inside)
    assert not missing, f"files of onevoice/ not in the wheel (pyproject package-data): {missing}"
    for data in ("onevoice/crisis/playbooks/crisis.yaml",
                 "onevoice/policy/packs/ipala.yaml",
                 "onevoice/policy/packs/employers/hospital-generic.yaml",
                 "onevoice/monitoring/templates/report.html",
                 "onevoice/monitoring/definitions.yaml",
                 "onevoice/store/migrations/script.py.mako",
                 "onevoice/learned/heads/screening.npz",
                 "onevoice/triage/lexicons/sentiment_weights.json"):
        assert data in inside


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; dependencies come from the project venv through a
    plain path line (its .pth files, the editable onevoice finder among them, are not run)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz-onevoice-dependencies.pth").write_text(f"{DEPENDENCIES}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True, timeout=300)
    return venv


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ONEVOICE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["ONEVOICE_HOME"] = str(home)
    return env


def test_installed_wheel_runs_init_screen_demo_report(installed: Path, tmp_path: Path) -> None:
    run_dir, home = tmp_path / "run", tmp_path / "home"
    run_dir.mkdir()
    env = _env(home)
    python, onevoice = installed / "bin" / "python", installed / "bin" / "onevoice"

    where = _run([str(python), "-c", "import onevoice; print(onevoice.__file__)"], cwd=run_dir, env=env)
    assert Path(where.stdout.strip()).resolve().is_relative_to(installed.resolve()), where.stdout

    init = _run([str(onevoice), "init"], cwd=run_dir, env=env)
    assert "database ready" in init.stdout and "first admin" in init.stdout

    screen = _run([str(onevoice), "screen", "-"], cwd=run_dir, env=env,
                  stdin="We are proud to open the new wing of the hospital today.\n")
    assert "PASS" in screen.stdout

    blocked = subprocess.run([str(onevoice), "screen", "--format", "json", "-"], cwd=run_dir, env=env,
                             input="Call me on +1 202 555 0143 or write to jane.doe@example.com\n",
                             capture_output=True, text=True, timeout=300)
    assert blocked.returncode in (0, 1), blocked.stderr
    assert "2.a" in blocked.stdout, blocked.stdout

    demo = _run([str(onevoice), "demo", "--days", "30"], cwd=run_dir, env=env, timeout=600)
    assert "demo organization ready" in demo.stdout

    out, year = tmp_path / "reports", str(date.today().year)  # the demo fills the last 30 days
    report = _run([str(onevoice), "report", "--period", year, "--out", str(out)], cwd=run_dir, env=env)
    html = out / f"onevoice-report-{year}.html"
    assert str(html) in report.stdout
    assert html.stat().st_size > 1000 and (out / f"onevoice-report-{year}.pdf").exists()
