"""Lists shown a page at a time (50 rows by default), with links to the pages before and after
that keep the list's filters."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class Paged:
    items: list
    number: int  # 1-based
    size: int
    total: int
    base: str  # the list's path and filters, without the page number

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.size)

    def url(self, number: int) -> str:
        sep = "&" if "?" in self.base else "?"
        return f"{self.base}{sep}page={number}" if number > 1 else self.base

    @property
    def prev_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 1_000_000)) if raw.isdigit() else 1


def base_url(request: Request) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "flash")]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


def paginate(session: Session, query: Select, request: Request, size: int = PAGE_SIZE) -> Paged:
    """One page of `query`'s rows (ORM entities when it selects one), and how many there are."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = min(page_number(request), max(1, -(-total // size)))
    items = list(session.scalars(query.limit(size).offset((number - 1) * size)))
    return Paged(items, number, size, total, base_url(request))


def paginate_list(rows: list, request: Request, size: int = PAGE_SIZE) -> Paged:
    """The same over rows already in memory (a bounded list a service returned)."""
    number = min(page_number(request), max(1, -(-len(rows) // size)))
    return Paged(rows[(number - 1) * size: number * size], number, size, len(rows), base_url(request))
