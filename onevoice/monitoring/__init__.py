"""4. Monitoring and evaluation: metric collection over time (collect), the KPIs (kpis, defined
in docs/kpis.md), campaigns with tracked links (campaigns), evaluation reports in HTML, PDF and
CSV with charts (report, charts) and a labeled demo organization (demo)."""
from .collect import collect
from .kpis import Period, last_complete, parse_period, summarize

__all__ = ["Period", "collect", "last_complete", "parse_period", "summarize"]
