"""The KPI definitions of 4. as data (definitions.yaml, read through importlib.resources so it
works from a wheel as from a checkout), and the one way each kind of figure is written: counts
with thousands separators, shares as percentages, durations in minutes, hours or days. The
dashboard, the definitions page and the report (HTML and PDF) all write figures through here."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from onevoice import safe_yaml

FORMATS = ("count", "percent", "duration")
CHANGES = ("relative", "points")
DIRECTIONS = ("up", "down", "neither")


@dataclass(frozen=True)
class Definition:
    key: str
    group: str
    label: str
    sentence: str
    format: str
    change: str
    good: str
    definition: str
    data: str
    one: str | None = None
    zero: str | None = None
    missing: str | None = None

    def say(self, value) -> str:
        """The figure as the committee reads it: "Replied to 82% of comments needing a response"."""
        if value is None:
            return self.missing or f"{self.label}: no figure for this period"
        if self.one and value == 1:
            return self.one
        if self.zero and value == 0:
            return self.zero
        return self.sentence.format(value=self.write(value))

    def write(self, value) -> str:
        return write(self.format, value)

    @property
    def better_when(self) -> str:
        return {"up": "Better when it goes up.", "down": "Better when it goes down.",
                "neither": "Neither direction is better in itself."}[self.good]


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    kpis: tuple[Definition, ...]


@dataclass(frozen=True)
class Definitions:
    groups: tuple[Group, ...]
    summary: dict[str, str]  # the written summary's sentence templates

    @property
    def kpis(self) -> tuple[Definition, ...]:
        return tuple(k for g in self.groups for k in g.kpis)

    def __getitem__(self, key: str) -> Definition:
        for k in self.kpis:
            if k.key == key:
                return k
        raise KeyError(key)


@lru_cache(maxsize=1)
def load() -> Definitions:
    text = (resources.files("onevoice.monitoring") / "definitions.yaml").read_text(encoding="utf-8")
    return parse(text)


def parse(text: str) -> Definitions:
    """The definitions file, checked: a mistake in it is a clear error at the first use, not a
    figure quietly missing from the dashboard."""
    data = safe_yaml.load(text)
    groups = {g["key"]: (g["title"], []) for g in data["groups"]}
    seen = set()
    for raw in data["kpis"]:
        k = Definition(**raw)
        checks = {f"format {k.format!r}": k.format in FORMATS, f"change {k.change!r}": k.change in CHANGES,
                  f"good {k.good!r}": k.good in DIRECTIONS, f"group {k.group!r}": k.group in groups,
                  "a second definition": k.key not in seen, "a sentence without {value}": "{value}" in k.sentence}
        problems = [what for what, fine in checks.items() if not fine]
        if problems:
            raise ValueError(f"KPI definition {k.key!r}: {', '.join(problems)}")
        seen.add(k.key)
        groups[k.group][1].append(k)
    return Definitions(tuple(Group(key, title, tuple(kpis)) for key, (title, kpis) in groups.items()),
                       dict(data.get("summary") or {}))


# ---------------------------------------------------------------------------- writing figures


def count(value) -> str:
    """12400 -> "12,400"."""
    return "n/a" if value is None else f"{round(value):,}"


def percent(share, digits: int = 0) -> str:
    """0.82 -> "82%"."""
    return "n/a" if share is None else f"{share * 100:,.{digits}f}%"


def duration(hours) -> str:
    """0.57 -> "34 min", 5.2 -> "5.2 h", 75 -> "3.1 days": the unit a person would use."""
    if hours is None:
        return "n/a"
    if hours < 1:
        minutes = round(hours * 60)
        return "under 1 min" if minutes < 1 else f"{minutes} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:,.1f} days"


def write(fmt: str, value) -> str:
    return {"count": count, "percent": percent, "duration": duration}[fmt](value)


def number(value) -> str:
    """A table cell: whole numbers with separators, other numbers as they are."""
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return count(value)


def plural(n: int, one: str, many: str | None = None) -> str:
    """plural(3, "post") -> "3 posts"; plural(1, "post") -> "1 post"."""
    return f"{count(n)} {one if n == 1 else (many or one + 's')}"
