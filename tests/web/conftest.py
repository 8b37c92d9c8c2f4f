"""A real onevoice server on a free loopback port and a real Chromium driven by Playwright."""
from __future__ import annotations

import shutil
import threading
import time

import pytest
import uvicorn
from sqlalchemy import select

from onevoice.crisis import intake
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.monitoring import demo, kpis, report
from onevoice.publishing import workflow
from onevoice.store.models import Channel, Incident
from onevoice.web.app import create_app
from tests.servers import free_port
from tests.policy_helpers import acknowledge_in

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a long password 1"


class LiveServer:
    def __init__(self, system, port: int | None = None) -> None:
        self.system = system
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(system, scheduler=False), host="127.0.0.1", port=self.port,
                                log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(sqlite_system):
    with LiveServer(sqlite_system) as server:
        yield server


@pytest.fixture(scope="session")
def demo_org(tmp_path_factory):
    """A live server over the demo organization, plus a member and a chair who is also the admin."""
    from tests.conftest import make_system

    home = tmp_path_factory.mktemp("demo-org")
    system = make_system(f"sqlite:///{home / 'onevoice.db'}", home)
    demo.generate(system, days=120)
    with system.db.transaction() as s:
        channel = s.scalar(select(Channel).order_by(Channel.id))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "chair@example.org", "Carla Chair", PASSWORD, ("chair", "admin"))
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", channel)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        channel_id = channel.id
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        draft = workflow.create_draft(s, ana, channel_id, "Met a 6-year-old today with a rare airway case. "
                                                          "Call me on 555-0143 for the details.")
        workflow.submit(s, ana, draft.id, system.screening)
        draft_id = draft.id
    intake.ingest(system.db, channel_id, [{"id": "a11y-1", "text": "Your post showed a child's X-ray with the name "
                                                                   "visible. This is a serious privacy breach.",
                                           "author_followers": 25000}], "import", system.settings)
    report.generate(system.db, system.settings, kpis.last_complete("month"), trigger="test")
    with system.db.reader() as s:
        incident_id = s.scalar(select(Incident.id).order_by(Incident.id.desc()))
    with LiveServer(system) as live:
        yield live, draft_id, incident_id
    system.db.dispose()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which("chromium"):
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(width=1280, height=900):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def open_as(browser):
    """`open_as(live, email, width, height, script=True)`: a page in a context of its own, signed in,
    with axe-core loaded through the browser (the pages' policy runs no inline script); closed after."""
    from tests.servers import npm

    from .test_accessibility import AXE

    axe = npm.installed("axe", AXE) / "node_modules" / "axe-core" / "axe.min.js"
    contexts = []

    def make(live, email, width=1280, height=900, script=True):
        ctx = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=script)
        if script:
            ctx.add_init_script(path=str(axe))
        contexts.append(ctx)
        p = ctx.new_page()
        sign_in(p, live, email, PASSWORD)
        return p

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page, live, email, password):
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")
