"""Set-up shared by the publishing tests: a channel, an author, a committee and a chair."""
from __future__ import annotations

from dataclasses import dataclass

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM, Actor
from onevoice.publishing import workflow
from tests.policy_helpers import acknowledge_in


@dataclass
class Cast:
    channel_id: int
    author: Actor
    outsider: Actor
    reviewer: Actor
    reviewer2: Actor
    chair: Actor


def cast(system, platform="mastodon", base_url=None, credentials=None, quorum=1, handle="ipala") -> Cast:
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, platform, handle, base_url=base_url,
                                  credentials=credentials, quorum=quorum, timezone="Europe/Lisbon")
        for email, roles in [("author@example.org", ()), ("outsider@example.org", ()),
                             ("rev@example.org", ("committee",)), ("rev2@example.org", ("committee",)),
                             ("chair@example.org", ("chair",))]:
            members.add_member(s, SYSTEM, email, email.split("@")[0], roles=roles)
        members.grant_role(s, SYSTEM, "author@example.org", "authorized", ch)
        acknowledge_in(s)  # every member of the cast has read the policy in force (1.)
        cid = ch.id
    with system.db.reader() as s:
        a = {e: members.actor_for(members.get_member(s, e)) for e in
             ("author@example.org", "outsider@example.org", "rev@example.org", "rev2@example.org", "chair@example.org")}
    return Cast(cid, a["author@example.org"], a["outsider@example.org"], a["rev@example.org"],
                a["rev2@example.org"], a["chair@example.org"])


def approved_and_scheduled(system, c, text: str = "Join our airway webinar on 3 May! https://ipala.org/webinars"):
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.author, c.channel_id, text).id
        workflow.submit(s, c.author, d, system.screening)
        workflow.review(s, c.reviewer, d, "approve")
        workflow.schedule(s, c.author, d, None)
    return d
