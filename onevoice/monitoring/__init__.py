"""4. Monitoring and evaluation: metric collection over time (collect), the KPIs (kpis, defined
in words in definitions.yaml and docs/kpis.md), each period against the one before with a written
summary (evaluation), campaigns with tracked links (campaigns), the dashboard's HTML bars (bars),
evaluation reports in HTML, PDF and CSV with charts (report, charts) and a labeled demo
organization (demo)."""
from .collect import collect
from .kpis import Period, last_complete, parse_period, summarize

__all__ = ["Period", "collect", "last_complete", "parse_period", "summarize"]
