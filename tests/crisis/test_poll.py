"""Polling a channel's mentions and replies from the platform (the local Mastodon-API server)."""
from __future__ import annotations

from sqlalchemy import func, select

from onevoice.crisis import intake
from onevoice.publishing import outbox
from onevoice.publishing.connectors import ConnectorConfig, PostRef, PublishRequest
from onevoice.publishing.connectors.mastodon import MastodonConnector
from onevoice.store.models import Channel, Comment, InboundCursor
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.servers.mastodon_api import LocalMastodon


def test_poll_mentions_and_replies_once_each(sqlite_system):
    system = sqlite_system
    with LocalMastodon() as server:
        org, alice = server.api.add_account("ipala", 900), server.api.add_account("alice", 40)
        c = cast(system, "mastodon", base_url=server.url, credentials={"access_token": org.token})
        approved_and_scheduled(system, c, "Our new family leaflet is out")
        [sent] = outbox.publish_due(system.db, system.connector_for)
        fan = MastodonConnector(ConnectorConfig("mastodon", "alice", server.url, {"access_token": alice.token},
                                                allow_private_urls=True))
        fan.publish(PublishRequest(text="@ipala your last post shows a child's X-ray with the name visible!",
                                   idempotency_key="m1"))
        with system.db.reader() as s:
            ref = s.scalar(select(Channel)).id
        post_id = sent.detail.rsplit("/", 1)[-1]
        fan.publish(PublishRequest(text="Thanks, very useful", idempotency_key="r1", reply_to=PostRef(id=post_id)))
        with system.db.reader() as s:
            channel = s.get(Channel, ref)
        first = intake.poll(system.db, channel, system.connector_for(channel), system.settings)
        again = intake.poll(system.db, channel, system.connector_for(channel), system.settings)
        assert first.new >= 2 and first.escalated >= 1 and again.new == 0
        with system.db.reader() as s:
            assert s.scalar(select(func.count(Comment.id))) == first.new
            assert s.get(InboundCursor, channel.id).since_id is not None
            crisis = s.scalar(select(Comment).where(Comment.category == "crisis"))
            assert crisis.severity == 3 and crisis.incident_id is not None and crisis.source == "poll"
