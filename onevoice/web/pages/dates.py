"""Dates as people read them: "Wed 2 Dec, 16:49 (Europe/Lisbon)", in the viewer's own time zone,
and "in 14 min" / "3 h ago" beside deadlines. The stored times are UTC; only the page converts."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jinja2 import pass_context

DEFAULT_ZONE = "UTC"


def zone_names() -> list[str]:
    """The IANA zones this machine knows, for the time-zone picker."""
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def aware(value: datetime | str) -> datetime:
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def when(value: datetime | str | None, zone_name: str | None, now: datetime | None = None) -> str:
    """"Wed 2 Dec, 16:49 (Europe/Lisbon)"; the year only when it is not this year's."""
    if value in (None, ""):
        return ""
    z = zone(zone_name)
    local = aware(value).astimezone(z)
    this_year = (now or datetime.now(timezone.utc)).astimezone(z).year
    day = f"{local:%a} {local.day} {local:%b}" + ("" if local.year == this_year else f" {local.year}")
    return f"{day}, {local:%H:%M} ({z.key})"


def relative(value: datetime | str | None, now: datetime | None = None) -> str:
    """"in 14 min", "3 h ago", "in 2 days": how far a time is from now, roughly."""
    if value in (None, ""):
        return ""
    seconds = (aware(value) - (now or datetime.now(timezone.utc))).total_seconds()
    n = abs(seconds)
    if n < 60:
        return "now"
    if n < 3600:
        amount = f"{int(n // 60)} min"
    elif n < 48 * 3600:
        amount = f"{int(n // 3600)} h"
    else:
        amount = f"{int(n // 86400)} days"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def viewer_zone(context) -> str:
    who = context.get("who")
    return (getattr(who, "timezone", None) if who else None) or DEFAULT_ZONE


@pass_context
def when_filter(context, value) -> str:
    return when(value, viewer_zone(context))


def install(env) -> None:
    env.filters["when"] = when_filter
    env.filters["relative"] = relative
