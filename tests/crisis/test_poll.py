"""Polling a channel's mentions and replies from a real Mastodon-API server (snac2, tests/servers/snac.py)."""
from __future__ import annotations

from sqlalchemy import func, select

from onevoice.crisis import intake
from onevoice.publishing import outbox
from onevoice.publishing.connectors import ConnectorConfig, PostRef, PublishRequest
from onevoice.publishing.connectors.mastodon import MastodonConnector
from onevoice.store.models import Channel, Comment, Draft, InboundCursor
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.servers.snac import eventually


def test_poll_mentions_and_replies_once_each(sqlite_system, snac):
    system = sqlite_system
    name = snac.new_account("org")  # its own account: the mentions read back are this test's only
    c = cast(system, "mastodon", base_url=snac.url, handle=name, credentials={"access_token": snac.token(name)})
    approved_and_scheduled(system, c, "Our new family leaflet is out")
    [sent] = outbox.publish_due(system.db, system.connector_for)
    assert sent.status == "sent"
    fan = MastodonConnector(ConnectorConfig("mastodon", "alice", snac.url, {"access_token": snac.reader_token("alice")},
                                            allow_private_urls=True))
    mention = fan.publish(PublishRequest(text=f"@{name} your last post shows a child's X-ray with the name visible!",
                                         idempotency_key="m1"))
    with system.db.reader() as s:
        channel = s.scalar(select(Channel).where(Channel.id == c.channel_id))
        post = PostRef(**s.scalar(select(Draft).where(Draft.channel_id == c.channel_id)).published_ref)
    reply = fan.publish(PublishRequest(text="Thanks, very useful", idempotency_key="r1", reply_to=post))
    own = MastodonConnector(ConnectorConfig("mastodon", name, snac.url, {"access_token": snac.reader_token(name)},
                                            allow_private_urls=True))
    # snac delivers through its queue, seconds later: poll once both have arrived
    eventually(lambda: {mention.id} <= {m.id for m in own.fetch_mentions()}, "the mention")
    eventually(lambda: [r.id for r in own.fetch_replies(post)] == [reply.id], "the reply")

    first = intake.poll(system.db, channel, system.connector_for(channel), system.settings)
    again = intake.poll(system.db, channel, system.connector_for(channel), system.settings)
    assert first.new == 2 and first.escalated >= 1 and again.new == 0
    with system.db.reader() as s:
        assert s.scalar(select(func.count(Comment.id))) == 2
        cursor = s.get(InboundCursor, channel.id).since_id
        assert cursor is not None and own.fetch_mentions(cursor) == []  # the cursor is the newest notification
        crisis = s.scalar(select(Comment).where(Comment.category == "crisis"))
        assert crisis.severity == 3 and crisis.incident_id is not None and crisis.source == "poll"
        assert crisis.text.endswith("your last post shows a child's X-ray with the name visible!")
