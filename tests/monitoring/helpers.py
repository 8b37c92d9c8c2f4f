"""Hand-made monitoring data: a fake connector, channels, members and published posts."""
from __future__ import annotations

from datetime import datetime, timezone

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing.connectors import ConnectorError, PlatformLimits, PostCounts, PostRef
from onevoice.store.models import Draft


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


class FakeConnector:
    """A Connector whose counts and followers the test sets; any of them may raise."""

    platform = "mastodon"
    limits = PlatformLimits(max_chars=500)

    def __init__(self, counts: dict[str, PostCounts] | None = None, followers: int | Exception = 100) -> None:
        self.counts_by_id = counts or {}
        self._followers = followers
        self.calls = 0

    def counts(self, ref: PostRef) -> PostCounts:
        self.calls += 1
        value = self.counts_by_id.get(ref.id)
        if value is None:
            raise ConnectorError(f"post {ref.id} not found", retryable=False, status=404)
        if isinstance(value, Exception):
            raise value
        return value

    def followers(self) -> int:
        if isinstance(self._followers, Exception):
            raise self._followers
        return self._followers

    def publish(self, request):  # pragma: no cover - not used here
        raise NotImplementedError

    def delete(self, ref):  # pragma: no cover
        raise NotImplementedError

    def fetch_replies(self, ref):  # pragma: no cover
        return []

    def fetch_mentions(self, since_id=None):  # pragma: no cover
        return []


def setup(system, handles=("ipala",), credentials=True) -> tuple[int, list[int]]:
    """An author and channels (with credentials, so that they are collected)."""
    with system.db.transaction() as s:
        author, _ = members.add_member(s, SYSTEM, "author@example.org", "Author")
        ids = [channels.add_channel(s, SYSTEM, system.box, "mastodon", h, name=f"IPALA {h}",
                                    base_url="https://mastodon.example",
                                    credentials={"access_token": "t"} if credentials else None).id for h in handles]
        return author.id, ids


def published(system, author_id: int, channel_id: int, when: datetime, ref_id: str, text: str = "A post",
              kind: str = "official", reply_to: dict | None = None, incident_id: int | None = None,
              state: str = "published") -> int:
    with system.db.transaction() as s:
        d = Draft(author_id=author_id, channel_id=channel_id, kind=kind, text=text, attachments=[], state=state,
                  revision=1, published_at=when, published_ref={"id": ref_id, "url": f"https://x/{ref_id}", "cid": None},
                  reply_to=reply_to, incident_id=incident_id, created_at=when, updated_at=when)
        s.add(d)
        s.flush()
        return d.id
