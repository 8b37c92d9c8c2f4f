"""A real Mastodon-client-API server for the tests: snac2, from Debian's archive, on loopback.

Provenance: adapted from the project's shared server recipe (/work/shared/recipes/servers/snac2/run.sh and
exercise.py). snac2 (https://codeberg.org/grunfink/snac2, MIT licence) is a small ActivityPub server in C that
implements the Mastodon client API, including the OAuth authorization-code flow with its own sign-in form.

Install: the .deb is downloaded with apt-get from the Debian archive this machine's apt already uses, with a
private apt state (the machine's apt configuration and dpkg database are not touched), and unpacked into a
cache folder outside the repository: ~/.cache/onevoice-test/snac2/snac2-<version>/ (or under
$ONEVOICE_TEST_CACHE), the same place and convention as the npm packages (tests/servers/npm.py). It is
downloaded only when that folder has no `.installed`; a file lock keeps parallel test workers from racing.
  2.96 (VERSION)  from Debian sid; its binary needs sid's glibc, so sid's libc6 is unpacked beside it and
                  snac is run through that glibc's own loader (the system's libc is untouched).
  2.75 (FALLBACK) from bookworm-backports, a plain bookworm binary. Used when 2.96 cannot be installed (sid has
                  moved on, say), or chosen with ONEVOICE_SNAC_VERSION=2.75. It has no
                  DELETE /api/v1/statuses/:id and ignores `types[]` on notifications.

Each test session gets a fresh data folder and a free port; the server binds 127.0.0.1 only, speaks plain
HTTP, calls itself localhost:PORT and never federates (no test follows a remote account). It runs in its
own process group, killed as a whole at the end, and gets SIGTERM by itself if the test process dies.

What snac does differently from Mastodon, which a client (and these helpers) must allow for:
- it closes each HTTP connection after one response without saying so ("Connection: close" is not sent): a
  pooled client then races the close and sees connection resets. The reset request never reached snac, so
  retrying read errors is safe for every method (`session()`).
- no password grant: a token is had by snac's own sign-in step, POST /oauth/x-snac-login (what its sign-in
  form posts), which gives the code for the normal `authorization_code` grant (`token()`).
- `Idempotency-Key` is ignored: the same key posts twice.
- replies and mentions go through snac's own queue: they appear 0.3-9 s later (poll with a deadline:
  `eventually`).
- followers_count is 0 unless the account shows its contact metrics (`show_contact_metrics` in its
  user.json): every account made here does, so that followers() reads a real count.
- GET /api/v1/notifications returns one notification when no `limit` is given, and pages with
  min_id/max_id only (no since_id); 2.75 also ignores `types[]`.
"""
from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers import free_port, poll_until, sweep_workdirs, terminate
from tests.servers.npm import ROOT

VERSION = os.environ.get("ONEVOICE_SNAC_VERSION", "2.96")
FALLBACK = "2.75"
# version -> (the suite it comes from, what apt-get downloads; "snac2=" is completed with the exact Debian version)
SOURCES = {"2.96": ("sid", ["snac2", "libc6/sid"]), "2.75": ("bookworm-backports", ["snac2"])}
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Debian architecture -> (multiarch folder, the dynamic loader's name), for running snac through sid's glibc
ARCHES = {"amd64": ("x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
          "arm64": ("aarch64-linux-gnu", "ld-linux-aarch64.so.1")}
START_TIMEOUT = float(os.environ.get("ONEVOICE_SNAC_START_TIMEOUT", "30"))
INSTALL_TIMEOUT = 600
OOB = "urn:ietf:wg:oauth:2.0:oob"  # the redirect URI of an app with no web page: the code is shown, not sent


# -- install ---------------------------------------------------------------------------------------------

def cache_folder(version: str) -> Path:
    return ROOT / "snac2" / f"snac2-{version}"


def _debian_archive() -> str:
    """The Debian archive this machine's apt already uses (deb822 .sources or a one-line sources.list)."""
    if os.environ.get("DEBIAN_URI"):
        return os.environ["DEBIAN_URI"]
    texts = [p.read_text() for p in sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))]
    for text in texts:
        for uri in re.findall(r"^URIs:\s*(.+)$", text, re.M):
            for u in uri.split():
                if re.search(r"/debian/?$", u):
                    return u.rstrip("/")
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        m = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s", legacy.read_text(), re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def _run(cmd: list[str], **kwargs) -> str:
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, **kwargs)
    if run.returncode:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed ({run.returncode}):\n{(run.stderr or run.stdout)[-3000:]}")
    return run.stdout


def _install(version: str, folder: Path) -> None:
    """Download and unpack snac2 `version` (and sid's glibc for 2.96) into `folder`, with a private apt state."""
    suite, packages = SOURCES[version]
    work = folder / "apt"
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("etc", "prefs", "lists/partial", "cache/archives/partial", "deb"):
        (work / sub).mkdir(parents=True)
    (work / "etc" / "extra.sources").write_text(
        f"Types: deb\nURIs: {_debian_archive()}\nSuites: {suite}\nComponents: main\nSigned-By: {KEYRING}\n")
    apt = ["-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={work / 'etc'}",
           "-o", f"Dir::State::Lists={work / 'lists'}", "-o", f"Dir::Cache={work / 'cache'}",
           "-o", "Dir::Etc::Preferences=/dev/null", "-o", f"Dir::Etc::PreferencesParts={work / 'prefs'}",
           # as root apt drops to the _apt user to download, who may not write into our cache folder
           *(["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else [])]
    _run(["apt-get", *apt, "-qq", "update"])
    # the exact Debian version of this upstream version (2.96-1, 2.75-2~bpo12+1): a moved-on suite is refused
    madison = _run(["apt-cache", *apt, "madison", "snac2"])
    debian_versions = [v.strip() for _, v, *_ in (line.split("|") for line in madison.splitlines() if "|" in line)]
    exact = next((v for v in debian_versions if v.split("-")[0] == version), None)
    if exact is None:
        raise RuntimeError(f"snac2 {version} is not in {suite} (it has {', '.join(debian_versions) or 'none'})")
    specs = [f"snac2={exact}" if p == "snac2" else p for p in packages]
    _run(["apt-get", *apt, "-qq", "download", *specs], cwd=work / "deb")
    debs = sorted((work / "deb").glob("*.deb"))
    for deb in debs:
        target = "pkg" if deb.name.startswith("snac2_") else "sidlibc"
        shutil.rmtree(folder / target, ignore_errors=True)
        _run(["dpkg-deb", "-x", str(deb), str(folder / target)])
    (folder / ".installed").write_text(" ".join(d.name for d in debs) + "\n")
    shutil.rmtree(work, ignore_errors=True)  # the apt lists (sid's are large) and the .debs are not needed again


def installed(version: str = VERSION) -> Path:
    """The folder holding snac2 `version` unpacked (pkg/, and sidlibc/ for 2.96); installs it the first time."""
    if version not in SOURCES:
        raise ValueError(f"snac2 version must be one of {', '.join(SOURCES)}, not {version!r}")
    folder = cache_folder(version)
    done = folder / ".installed"
    if done.exists():
        return folder
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        (pytest.fail if os.environ.get("CI") else pytest.skip)("snac2 is installed with apt-get and dpkg-deb (Debian)")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _install(version, folder)
    return folder


def command(version: str, folder: Path) -> list[str]:
    """How to run the unpacked snac binary."""
    binary = str(folder / "pkg" / "usr" / "bin" / "snac")
    if not (folder / "sidlibc").exists():
        return [binary]
    arch = _run(["dpkg", "--print-architecture"]).strip()
    if arch not in ARCHES:
        raise RuntimeError(f"running snac2 {version} through sid's glibc is only set up for {', '.join(ARCHES)}")
    multiarch, loader = ARCHES[arch]
    lib = folder / "sidlibc" / "usr" / "lib" / multiarch
    # sid's loader with sid's libc first, then the system's libraries (libcurl, libssl: bookworm's are fine)
    return [str(lib / loader), "--library-path", f"{lib}:/usr/lib/{multiarch}:/lib/{multiarch}", binary]


def install() -> tuple[str, list[str], float]:
    """(the version installed, its command, seconds taken): VERSION, else FALLBACK when VERSION cannot be had."""
    t0 = time.monotonic()
    try:
        folder, version = installed(VERSION), VERSION
    except RuntimeError as exc:
        if VERSION == FALLBACK or os.environ.get("ONEVOICE_SNAC_VERSION"):
            raise
        import warnings

        warnings.warn(f"snac2 {VERSION} could not be installed, using {FALLBACK}: {exc}", stacklevel=2)
        folder, version = installed(FALLBACK), FALLBACK
    return version, command(version, folder), time.monotonic() - t0


# -- a client that copes with snac's connections -------------------------------------------------------

def session() -> requests.Session:
    """A requests session for snac. snac answers HTTP/1.1 without "Connection: close" but closes each connection
    after one response; requests reuses the pooled connection, races the close and gets ECONNRESET on 10-40% of
    requests. The reset request was never read by snac, so retrying it is safe for every method."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=Retry(total=3, connect=3, read=3, status=0, other=0,
                                                     allowed_methods=None, backoff_factor=0)))
    return s


def eventually(fn: Callable[[], Any], what: str, timeout: float = 20.0, interval: float = 0.2) -> Any:
    """`poll_until` for this server: snac delivers replies and mentions through its queue, seconds later."""
    return poll_until(fn, what, "snac", timeout, interval)


# -- the server ------------------------------------------------------------------------------------------

@dataclass
class SnacServer:
    url: str                     # http://127.0.0.1:PORT: what a channel's base_url holds
    host: str                    # localhost:PORT: the name snac gives itself (acct, actor URLs, its own forms)
    version: str
    data: Path
    cmd: list[str]
    process: subprocess.Popen
    install_seconds: float
    startup_seconds: float
    workdir: Path
    passwords: dict[str, str] = field(default_factory=dict)
    apps: dict[str, dict] = field(default_factory=dict)  # token -> the app it was given to (revoking needs it)
    http: requests.Session = field(default_factory=session)
    _serial: count = field(default_factory=lambda: count(1))
    _readers: dict[str, str] = field(default_factory=dict)

    def snac(self, *args: str, stdin: str | None = None) -> str:
        """Run a snac command on this server's data folder (adduser, resetpwd, ...)."""
        run = subprocess.run([*self.cmd, args[0], str(self.data), *args[1:]], input=stdin, capture_output=True,
                             text=True, timeout=30)
        if run.returncode:
            raise RuntimeError(f"snac {args[0]} failed ({run.returncode}): {run.stderr or run.stdout}")
        return run.stdout + run.stderr

    def create_account(self, name: str) -> str:
        """A new local account; returns its password (also kept in `passwords`)."""
        out = self.snac("adduser", name)
        m = re.search(r"User password is (\S+)", out)
        if not m:
            raise RuntimeError(f"snac adduser {name} printed no password: {out}")
        self.passwords[name] = m.group(1)
        # snac reports followers_count 0 unless the account shows its contact metrics (mastoapi.c)
        self.set_user_config(name, show_contact_metrics=True)
        return m.group(1)

    def new_account(self, prefix: str = "org") -> str:
        """A fresh account with a name no other test has (snac runs while it is made): for tests that
        count what an account has or was told (its statuses, its mentions) on a server shared by the
        session."""
        name = f"{prefix}{next(self._serial)}"
        self.create_account(name)
        return name

    def set_user_config(self, name: str, **values: Any) -> None:
        """Change an account's user.json (snac reads it on every request); written whole, then renamed."""
        path = self.data / "user" / name / "user.json"
        config = json.loads(path.read_text())
        config.update(values)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=4))
        tmp.replace(path)

    def reader_token(self, name: str) -> str:
        """A token for the account, made once and kept, for the tests' own reading of the server."""
        if name not in self._readers:
            self._readers[name] = self.token(name)
        return self._readers[name]

    def statuses(self, name: str, limit: int = 200) -> list[dict]:
        """The account's statuses as the server lists them (GET /api/v1/accounts/:id/statuses), newest
        first: what a test counts "on the server"."""
        auth = {"Authorization": f"Bearer {self.reader_token(name)}"}
        me = self.http.get(f"{self.url}/api/v1/accounts/verify_credentials", headers=auth, timeout=10)
        me.raise_for_status()
        r = self.http.get(f"{self.url}/api/v1/accounts/{me.json()['id']}/statuses", params={"limit": limit},
                          headers=auth, timeout=10)
        r.raise_for_status()
        return r.json()

    def count(self, name: str, text: str) -> int:
        """How many statuses of the account have this source text, on the server."""
        return sum(1 for st in self.statuses(name) if st.get("text") == text)

    def reset_password(self, name: str) -> str:
        """A new password for the account (`snac resetpwd`); returns it."""
        out = self.snac("resetpwd", name)
        m = re.search(r"New password for user \S+ is (\S+)", out) or re.search(r"password is (\S+)", out)
        if not m:
            raise RuntimeError(f"snac resetpwd {name} printed no password: {out}")
        self.passwords[name] = m.group(1)
        return m.group(1)

    def register_app(self, redirect_uri: str = OOB, scopes: str = "read write") -> dict:
        r = self.http.post(f"{self.url}/api/v1/apps", timeout=10, data={
            "client_name": "onevoice-tests", "redirect_uris": redirect_uri, "scopes": scopes})
        r.raise_for_status()
        return r.json()

    def sign_in_code(self, app: dict, name: str, redirect_uri: str = OOB, state: str = "") -> str:
        """What snac's sign-in form does: POST /oauth/x-snac-login. With the out-of-band redirect URI the
        answer is the code itself; with a web redirect URI it is a redirect there with ?code=."""
        r = self.http.post(f"{self.url}/oauth/x-snac-login", allow_redirects=False, timeout=10, data={
            "login": name, "passwd": self.passwords[name], "redir": redirect_uri, "cid": app["client_id"],
            "state": state})
        if r.is_redirect:
            from urllib.parse import parse_qs, urlsplit

            return parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        r.raise_for_status()
        if "<" in r.text:  # a wrong password gets the form again ("LOGIN INCORRECT"), with 200
            raise RuntimeError(f"snac refused the sign-in of {name}: {re.sub(r'<[^>]+>', ' ', r.text)[:300]}")
        return r.text.strip()

    def token(self, name: str, scopes: str = "read write") -> str:
        """An OAuth access token for the account: app registration, snac's sign-in step, code exchange."""
        app = self.register_app(OOB, scopes)
        code = self.sign_in_code(app, name)
        r = self.http.post(f"{self.url}/oauth/token", timeout=10, data={
            "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
            "client_secret": app["client_secret"], "redirect_uri": OOB, "scope": scopes})
        r.raise_for_status()
        token = r.json()["access_token"]
        self.apps[token] = app
        return token

    def revoke(self, token: str, app: dict | None = None) -> None:
        """Revoke a token on the server: POST /oauth/revoke (RFC 7009), which snac, like Mastodon, only
        accepts with the client id and secret of the app the token was given to (`token()` keeps them)."""
        app = app or self.apps[token]
        r = self.http.post(f"{self.url}/oauth/revoke", timeout=10, data={
            "token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]})
        r.raise_for_status()

    def verify(self, token: str) -> requests.Response:
        return self.http.get(f"{self.url}/api/v1/accounts/verify_credentials",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def log(self) -> str:
        try:
            return (self.workdir / "snac.log").read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        terminate(self.process)
        self.http.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


try:  # looked up here, not in the forked child: dlopen after fork in a process with threads can deadlock
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, so a killed session leaves no server
    behind (PR_SET_PDEATHSIG survives exec; the loader and snac are not setuid)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def start(accounts: tuple[str, ...] = ("alice", "bob"), timeout: float = START_TIMEOUT) -> SnacServer:
    """Install (once) and start a snac2 server with a fresh data folder; call .stop() when done."""
    version, cmd, install_seconds = install()
    sweep_workdirs("onevoice-snac")
    workdir = Path(tempfile.mkdtemp(prefix=f"onevoice-snac-{os.getpid()}-"))
    port = free_port()
    host, url, data = f"localhost:{port}", f"http://127.0.0.1:{port}", workdir / "data"
    t0 = time.monotonic()
    # `snac init` asks: network address, port, host name, URL prefix, admin e-mail
    run = subprocess.run([*cmd, "init", str(data)], input=f"127.0.0.1\n{port}\n{host}\n\n\n", capture_output=True,
                         text=True, timeout=30)
    if run.returncode or not (data / "server.json").exists():
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"snac init failed ({run.returncode}): {run.stderr or run.stdout}")
    config = json.loads((data / "server.json").read_text())
    # num_threads: snac delivers even local replies and mentions by POSTing them to its own inbox, from
    # the same pool of threads that answers HTTP. With the default (4 on 2 cores) a few deliveries
    # at once hold every thread while they wait for the inbox, which then no thread answers: they
    # time out after 6 s and are retried minutes later (a reply took over 20 s to appear).
    config.update(protocol="http", address="127.0.0.1", port=port, dbglevel=1, num_threads=16)
    (data / "server.json").write_text(json.dumps(config, indent=4))
    with open(workdir / "snac.log", "w") as log:
        proc = subprocess.Popen([*cmd, "httpd", str(data)], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
    server = SnacServer(url=url, host=host, version=version, data=data, cmd=cmd, process=proc,
                        install_seconds=install_seconds, startup_seconds=0.0, workdir=workdir)
    try:
        for name in accounts:
            server.create_account(name)
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"snac exited ({proc.returncode}):\n{server.log()}")
            try:
                if server.http.get(f"{url}/api/v1/instance", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"snac did not answer within {timeout:.0f} s:\n{server.log()}")
            time.sleep(0.05)
    except BaseException:
        server.stop()
        raise
    server.startup_seconds = time.monotonic() - t0
    return server

