"""npm packages the tests need (the Bluesky network, axe-core), installed once per version set into a
cache folder outside the repository: ~/.cache/onevoice-test/<group>/<name-version_...>/, or under
$ONEVOICE_TEST_CACHE. `npm install` runs only when that folder is missing; a lock keeps parallel
test workers from racing on the first install."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("ONEVOICE_TEST_CACHE") or Path.home() / ".cache" / "onevoice-test")


def cache_folder(group: str, packages: dict[str, str]) -> Path:
    return ROOT / group / "_".join(f"{name.split('/')[-1]}-{version}" for name, version in packages.items())


def installed(group: str, packages: dict[str, str], timeout: float = 1200) -> Path:
    """The folder holding node_modules/ with exactly these package versions."""
    folder = cache_folder(group, packages)
    done = folder / ".installed"
    if done.exists():
        return folder
    if not shutil.which("npm") or not shutil.which("node"):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"node and npm are needed for {', '.join(packages)}")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return folder
        (folder / "package.json").write_text(json.dumps({"name": f"onevoice-test-{group}", "private": True}))
        specs = [f"{name}@{version}" for name, version in packages.items()]
        # native modules (better-sqlite3) compile with node-gyp; nodedir=/usr uses Debian's Node headers
        env = {**os.environ, "npm_config_nodedir": os.environ.get("npm_config_nodedir", "/usr")}
        run = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--save-exact", *specs], cwd=folder,
                             env=env, capture_output=True, text=True, timeout=timeout)
        if run.returncode:
            raise RuntimeError(f"npm install of {specs} failed:\n{run.stderr[-3000:]}")
        done.write_text(" ".join(specs) + "\n")
    return folder
