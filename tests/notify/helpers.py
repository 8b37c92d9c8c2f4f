from __future__ import annotations

from sqlalchemy import select

from onevoice.store.models import Notification


def rows(db) -> list[Notification]:
    with db.reader() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def only(db) -> Notification:
    [n] = rows(db)
    return n
