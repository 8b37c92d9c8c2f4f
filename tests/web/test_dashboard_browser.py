"""The committee's dashboard and reports (4.) in a real Chromium, on a desktop and on a phone:
the KPIs in plain words with their change against the previous period, what each one means, a
top post opened from the list, and a report made from /reports that shows its progress until it
is done, while the page stays usable."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from onevoice.monitoring import kpis

from tests.servers import npm

from .conftest import PASSWORD, sign_in
from .test_accessibility import AXE, axe_violations
from .test_browser import SHOTS, shot

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
# "▲ 12% vs October (better)", "▼ 3 pts vs Q2", "▲ from 0 vs October (worse)", "= no change vs June", "no earlier data"
CHANGE = re.compile(r"(?:[▲▼] (?:<1%|[\d,]+%|<1 pt|\d+ pts?|from 0) vs [\w ]+(?: \((?:better|worse)\))?"
                    r"|= no change vs [\w ]+|no earlier data|was .+ in [\w ]+)")


def open_metrics(page, live, phone: bool) -> None:
    """As the committee does: from the home page, through the navigation (folded on a phone)."""
    sign_in(page, live, "chair@example.org", PASSWORD)
    if phone:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Metrics", exact=True).click()
    page.wait_for_url(re.compile(r"/metrics$"))


SEEN = """e => { const c = e.cloneNode(true); c.querySelectorAll('.sr-only').forEach(s => s.remove());
                 return c.textContent.replace(/\\s+/g, ' ').trim() }"""
HEARD = """e => { const c = e.cloneNode(true); c.querySelectorAll('[aria-hidden=true]').forEach(s => s.remove());
                  return c.textContent.replace(/\\s+/g, ' ').trim() }"""


def read_the_figures(page) -> dict[str, str]:
    """Each KPI's sentence and its change line, as a sighted reader sees them."""
    cards = page.locator("li.kpi")
    return {cards.nth(i).locator(".kpi-sentence").inner_text(): cards.nth(i).locator(".kpi-change").evaluate(SEEN)
            for i in range(cards.count())}


@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_the_committee_reads_the_kpis_with_their_changes(demo_org, new_page, view):
    live, _, _ = demo_org
    page = new_page(**(PHONE if view == "phone" else {"width": 1280, "height": 900}))
    open_metrics(page, live, phone=view == "phone")
    month = kpis.last_complete("month")
    before = kpis.short_label(kpis.previous(month), month)
    assert page.locator("h1").inner_text() == f"Metrics: {month.label}"
    assert f"compared with {before}" in page.locator("main p.hint").first.inner_text()

    figures = read_the_figures(page)
    assert len(figures) == 14
    sentences = list(figures)
    assert any(re.fullmatch(r"Replied to \d+% of comments needing a response", s) for s in sentences), sentences
    assert any(re.fullmatch(r"Median time to acknowledge: [\d.]+ (min|h|days)", s) for s in sentences), sentences
    assert any(re.search(r"\d,\d{3}", s) for s in sentences), "no thousands separator in any figure"
    for sentence, change in figures.items():
        assert CHANGE.fullmatch(change), (sentence, change)
    # the demo's last month has a month of data before it: changes, not "no earlier data"
    assert sum(1 for c in figures.values() if c[0] in "▲▼") >= 5, figures
    # the arrow is hidden from screen readers, which read the direction in words instead
    moved = page.locator(".kpi-change.change-up, .kpi-change.change-down").first
    assert moved.locator(".arrow").get_attribute("aria-hidden") == "true"
    spoken = moved.evaluate(HEARD)
    assert re.fullmatch(r"(up|down) .+ vs .+", spoken) and "▲" not in spoken and "▼" not in spoken, spoken

    # the charts are text and bars: full labels at the page's size, nothing cut off, no sideways scroll
    assert page.locator("section.chart").count() == 4
    labels = page.locator(".bar-label")
    assert labels.count() > 0 and labels.first.inner_text().startswith("Week of ")
    sizes = page.evaluate("""() => [...document.querySelectorAll('.bar-label, .bar-value, .post-text')]
        .map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert min(sizes) >= 14, f"chart text as small as {min(sizes)}px"
    clipped = page.evaluate("""() => [...document.querySelectorAll('.bar-label, .bar-value, .kpi-sentence')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert clipped == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= (PHONE["width"] if view == "phone" else 1280), f"the page scrolls sideways ({width}px)"
    shot(page, "phone-metrics" if view == "phone" else "metrics", full_page=False)
    if view == "phone":  # the first screenful is figures; show a chart as a phone shows it too
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("section.chart").nth(1).screenshot(path=str(SHOTS / "phone-metrics-chart.png"))


def test_the_committee_follows_the_definitions_and_opens_a_top_post(demo_org, new_page):
    live, _, _ = demo_org
    page = new_page()
    open_metrics(page, live, phone=False)
    page.get_by_role("link", name="What each figure means and how it is computed").click()
    page.wait_for_url(re.compile(r"/metrics/definitions$"))
    assert page.locator("h1").inner_text() == "What each figure means"
    answered = page.locator("dt#answered_share")
    assert answered.inner_text() == "Comments answered"
    words = answered.locator("xpath=following-sibling::dd[1]").inner_text()
    assert "percentage points" in words and "From:" in words and "Better when it goes up" in words
    shot(page, "metrics-definitions", full_page=False)
    page.go_back()

    first = page.locator("ol.top-posts > li").first
    excerpt = first.locator(".post-text").inner_text()
    assert excerpt and len(excerpt) <= 90
    assert re.fullmatch(r"[\d,]+ interactions?: .*likes? · .*reposts? · .*repl(y|ies) · .*quotes?",
                        first.locator(".bar-value").inner_text())
    link = first.get_by_role("link", name=re.compile(r"^Draft #\d+$"))
    draft_id = link.inner_text().removeprefix("Draft #")
    link.click()
    page.wait_for_url(re.compile(rf"/drafts/{draft_id}$"))
    assert excerpt.rstrip("…").split()[0] in page.locator("main").inner_text()

    page.goto(f"{live.url}/metrics")
    page.get_by_label("Period (2026-Q3, 2026-07 or 2026)").fill("someday")
    page.get_by_role("button", name="Show").click()
    assert "is not a period" in page.get_by_role("alert").inner_text()


def test_a_report_made_from_the_reports_page_shows_its_progress_until_done(demo_org, new_page):
    live, _, _ = demo_org
    page = new_page()
    page.context.add_init_script(path=str(npm.installed("axe", AXE) / "node_modules" / "axe-core" / "axe.min.js"))
    sign_in(page, live, "chair@example.org", PASSWORD)
    page.get_by_role("link", name="Reports", exact=True).click()
    year = str(datetime.now(timezone.utc).year)
    page.get_by_label("Period (2026-Q3, 2026-07 or 2026)").fill(year)
    page.get_by_role("button", name="Make report").click()
    page.wait_for_url(re.compile(r"flash="))
    status = page.locator("main .flash[role=status]")
    assert f"Report {year} is being made" in status.inner_text()
    row = page.locator(f"tr[data-period='{year}']")
    assert row.get_attribute("data-state") == "running"
    assert row.locator("td.report-state").inner_text().startswith("Being made…")
    shot(page, "reports-being-made", full_page=False)
    violations = axe_violations(page)
    assert violations == [], violations  # the page while a report is being made meets WCAG 2.1 AA too
    # the page is not blocked while the report is made: another page answers at once
    assert page.request.get(f"{live.url}/metrics/definitions").status == 200

    # the page's script brings the row up to date and says so, without a reload
    page.wait_for_selector(f"tr[data-period='{year}'][data-state=done]", timeout=180_000)
    assert status.inner_text() == f"Report {year} is done."
    row = page.locator(f"tr[data-period='{year}']")
    assert row.locator("td.report-state").inner_text() == "Done"
    shot(page, "reports", full_page=False)
    pdf = page.request.get(live.url + row.get_by_role("link", name="pdf", exact=True).get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    row.get_by_role("link", name="html", exact=True).click()
    assert page.locator("svg").count() >= 4 and year in page.title()
    assert "compared with" in page.locator("h2", has_text="Key figures").inner_text()
    summary = page.locator("div.summary").inner_text()
    assert summary.startswith(f"In {year}, the association published") and "There is no earlier data" in summary
