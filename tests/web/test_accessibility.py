"""Every page, in a real Chromium, for the people who use it: WCAG 2.1 AA as axe-core measures it
(labels, names, contrast, landmarks), usable with the keyboard alone, and no sideways scrolling on a
phone. The pages are filled with the demo organization, so tables, charts and findings are there.

axe-core is Deque's open-source accessibility engine (MPL-2.0), installed from npm into the test
cache (tests/servers/npm.py) and injected into each page; nothing of it is kept in the repository.
"""
from __future__ import annotations

import pytest

from tests.servers import npm

from .conftest import PASSWORD, sign_in
from .test_browser import shot

pytestmark = pytest.mark.slow
AXE = {"axe-core": "4.14.1"}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
SHOT_ELSEWHERE = {"incidents", "incident"}  # test_browser.py shows them in the middle of the chair's work


def pages(draft_id: int, incident_id: int) -> dict[str, list[tuple[str, str]]]:
    """(screenshot name, path) for each page, by who uses it."""
    return {
        "ana@example.org": [("member-home", "/"), ("member-drafts", "/drafts"), ("new-draft", "/drafts/new"),
                            ("member-draft", f"/drafts/{draft_id}"), ("personal-post-check", "/check"),
                            ("account-two-factor", "/account/two-factor")],
        "chair@example.org": [
            ("review-queue", "/review"), ("draft-findings", f"/drafts/{draft_id}"), ("calendar", "/calendar"),
            ("inbox", "/inbox"), ("incidents", "/incidents"), ("incident", f"/incidents/{incident_id}"),
            ("metrics", "/metrics"), ("metrics-definitions", "/metrics/definitions"), ("reports", "/reports"),
            ("admin-members", "/admin/members"),
            ("admin-channels", "/admin/channels"), ("admin-policy", "/admin/policy"), ("audit-log", "/admin/audit"),
            ("admin-security", "/admin/security")],
    }


@pytest.fixture(scope="module")
def signed_in(demo_org, browser):
    """One signed-in browser context per person and viewport, shared by the module's tests."""
    live, draft_id, incident_id = demo_org
    axe = npm.installed("axe", AXE) / "node_modules" / "axe-core" / "axe.min.js"
    contexts, out = [], {}
    for email in pages(draft_id, incident_id):
        for view, size in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
            ctx = browser.new_context(viewport=size)
            # On every page, through the browser's own channel: the pages' policy runs no inline
            # script, so axe added as a <script> tag would be refused.
            ctx.add_init_script(path=str(axe))
            contexts.append(ctx)
            p = ctx.new_page()
            sign_in(p, live, email, PASSWORD)
            out[email, view] = p
    yield out
    for ctx in contexts:
        ctx.close()


def axe_violations(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now (axe must be loaded in it)."""
    return page.evaluate("""async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
        .violations.map(v => `${v.id} (${v.impact}): ${v.nodes.length}x, e.g. ${v.nodes[0].target.join(' ')}`
                             + ` ${(v.nodes[0].failureSummary || '').split('\\n')[1] || ''}`)""", WCAG_AA)


def every_page(demo_org):
    live, draft_id, incident_id = demo_org
    for email, rows in pages(draft_id, incident_id).items():
        for name, path in rows:
            yield email, name, live.url + path


def test_every_page_meets_wcag_aa_as_axe_measures_it(demo_org, signed_in):
    problems = []
    for email, name, url in every_page(demo_org):
        for view in ("desktop", "phone"):
            page = signed_in[email, view]
            assert page.goto(url).status == 200, url
            problems += [f"{name} [{view}]: {v}" for v in axe_violations(page)]
            if view == "desktop" and name not in SHOT_ELSEWHERE:
                shot(page, name, full_page=False)  # the first screenful: long lists would make huge files
    assert problems == [], "\n".join(problems)


def test_no_page_scrolls_sideways_on_a_phone(demo_org, signed_in):
    wide = []
    for email, name, url in every_page(demo_org):
        page = signed_in[email, "phone"]
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprit = page.evaluate("""w => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > w && getComputedStyle(e).position !== 'absolute')
                .slice(0, 1).map(e => e.tagName + '.' + e.className)[0]""", PHONE["width"])
            wide.append(f"{name}: {width}px ({culprit})")
        if name in ("metrics", "draft-findings", "incident"):
            shot(page, f"phone-{name}", full_page=False)
    assert wide == [], wide


CONTROLS = """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, '
                                                  + '[tabindex="0"]')]
    .filter(el => !el.disabled && el.checkVisibility()).length"""
# checkVisibility, not getClientRects: Chromium hides a closed <details>' content with
# content-visibility, which keeps its boxes, so a rect count would expect its controls to be reached.
# Marks the focused element as visited; a second visit (or focus back on the body) means Tab has gone round.
FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
    const again = e === document.body || e.dataset.tabVisited === '1';
    e.dataset.tabVisited = '1';
    return {again, name: e.tagName + ':' + (e.id || e.name || e.getAttribute('href') || e.textContent.trim().slice(0, 30)),
            ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'} }"""


def test_every_control_is_reached_with_tab_and_shows_where_focus_is(demo_org, signed_in):
    """From the top of each page, Tab goes first to the skip link, then through every control once,
    and each shows a visible focus ring."""
    failures = []
    for email, name, url in every_page(demo_org):
        page = signed_in[email, "desktop"]
        page.goto(url)
        expected = page.evaluate(CONTROLS)
        seen, unringed = [], []
        for _ in range(expected + 5):
            page.keyboard.press("Tab")
            el = page.evaluate(FOCUSED)
            if el["again"]:
                break
            seen.append(el["name"])
            if not el["ring"]:
                unringed.append(el["name"])
        if not seen or seen[0] != "A:#main":
            failures.append(f"{name}: the first Tab goes to {seen[:1]}, not the skip link")
        if len(seen) != expected:
            failures.append(f"{name}: Tab reached {len(seen)} of {expected} controls")
        if unringed:
            failures.append(f"{name}: no visible focus on {unringed[:5]}")
    assert failures == [], "\n".join(failures)


def test_axe_finds_what_it_should(browser):
    """The audit is not vacuous: a page with an unlabeled field and grey-on-grey text fails it."""
    axe = npm.installed("axe", AXE) / "node_modules" / "axe-core" / "axe.min.js"
    page = browser.new_page()
    try:
        page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><input name="q">'
                         '<p style="color:#999;background:#aaa">faint text</p></main></html>')
        page.add_script_tag(path=str(axe))
        ids = page.evaluate("async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
                            ".violations.map(v => v.id)", WCAG_AA)
    finally:
        page.close()
    assert {"label", "color-contrast"} <= set(ids), ids


def test_the_skip_link_moves_focus_to_the_content(demo_org, signed_in):
    live, draft_id, _ = demo_org
    page = signed_in["ana@example.org", "desktop"]
    page.goto(f"{live.url}/drafts/new")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), "focus stayed in the header"
