"""4. Monitoring and evaluation: `onevoice report`, `onevoice metrics ...`, `onevoice campaign ...`, `onevoice demo`."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer

from onevoice.errors import InvalidInput

from .base import app, friendly, operator, system

metrics_app = typer.Typer(no_args_is_help=True, help="Metrics over time (4. Monitoring and evaluation).")
campaign_app = typer.Typer(no_args_is_help=True, help="Campaigns with goals and tracked links (impact, 4.).")
app.add_typer(metrics_app, name="metrics")
app.add_typer(campaign_app, name="campaign")


@app.command()
@friendly
def report(period: str = typer.Option(..., help="a quarter (2026-Q3), a month (2026-07) or a year (2026)"),
           out: Optional[Path] = typer.Option(None, help="folder for the files (default: ONEVOICE_HOME/reports)"),
           email: bool = typer.Option(False, help="e-mail the committee a link to the report")):
    """Write the evaluation report of a period: HTML, PDF and CSV files."""
    from onevoice.monitoring import report as report_service
    from onevoice.monitoring.kpis import parse_period

    p = parse_period(period)
    built, sent = report_service.generate(system().db, system().settings, p, out, trigger="cli",
                                          actor=operator().label, email=email)
    for f in built.files:
        typer.echo(str(f))
    if email:
        typer.echo(f"e-mailed to {sent} committee member(s)" if sent else "no committee member to e-mail")


@metrics_app.command("collect")
@friendly
def metrics_collect(days: int = typer.Option(30, min=1, max=3650, help="posts published in the last N days")):
    """Collect one sample of counts and followers now (the hourly job does this on its own)."""
    from onevoice.monitoring.collect import collect

    result = collect(system().db, system().connector_for, days=days)
    for line in result.lines():
        typer.echo(line)
    if result.errors:
        raise typer.Exit(1)


@metrics_app.command("summary")
@friendly
def metrics_summary(period: str = typer.Option(..., help="2026-Q3, 2026-07 or 2026")):
    """The KPIs of a period as JSON, each headline figure against the previous period."""
    from onevoice.monitoring.evaluation import evaluate
    from onevoice.monitoring.kpis import parse_period

    p = parse_period(period)
    with system().db.reader() as s:
        typer.echo(json.dumps(evaluate(s, p).as_dict(), indent=2, ensure_ascii=False))


def _when(value: str, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a date like 2026-09-01") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@campaign_app.command("add")
@friendly
def campaign_add(slug: str, name: str = typer.Option(..., help="the campaign's name"),
                 start: str = typer.Option(..., help="first day, e.g. 2026-09-01 (UTC)"),
                 end: str = typer.Option(..., help="end (exclusive), e.g. 2026-10-01 (UTC)"),
                 goal: str = typer.Option(..., help="METRIC:TARGET, METRIC one of clicks, engagement, posts"),
                 description: str = ""):
    """Add a campaign; its slug is the utm_campaign value."""
    from onevoice.monitoring import campaigns

    metric, _, target = goal.partition(":")
    if not target.isdigit():
        raise InvalidInput("--goal is METRIC:TARGET, e.g. clicks:500")
    with system().db.transaction() as s:
        c = campaigns.create_campaign(s, operator(), slug, name, _when(start, "--start"), _when(end, "--end"),
                                      metric, int(target), description)
        cid = c.id
    typer.echo(f"added campaign {cid}: {slug}")


@campaign_app.command("link")
@friendly
def campaign_link(campaign: str, url: str, label: str = ""):
    """Make a tracked link for a campaign; put the printed short link in a post."""
    from onevoice.monitoring import campaigns

    with system().db.transaction() as s:
        link = campaigns.add_link(s, operator(), campaign, url, label)
        view = campaigns.link_view(link, system().settings.base_url)
    typer.echo(f"{view['short_url']} -> {view['target_url']}")


@app.command()
@friendly
def demo(force: bool = typer.Option(False, help="replace an existing demo organization"),
         seed: int = typer.Option(2026, help="random seed (the same seed gives the same data)"),
         days: int = typer.Option(365, min=7, max=3650, help="how many days back the demo reaches")):
    """Fill a clearly labeled DEMO organization with a year of posts, comments, incidents and metrics."""
    from onevoice.monitoring import demo as demo_service

    result = demo_service.generate(system(), seed=seed, force=force, days=days)
    for line in result.lines():
        typer.echo(line)
