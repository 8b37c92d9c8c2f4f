"""`onevoice demo`: a clearly labeled demo organization with a realistic year of activity, so a
newcomer sees populated dashboards and reports.

Everything it makes is recognizably demo data: channels named "DEMO …" with the handles in
DEMO_HANDLES, members @demo.example (made inactive at the end, so real escalations never go to
them), campaigns whose slug starts with "demo-". It is deterministic for a seed.

Drafts go through the real workflow services (create, submit with real screening, committee
review, chair override, scheduling), so their audit trail is real; publication is then recorded
directly (there is no platform behind a demo channel), and the domain timestamps (created,
reviewed, published) are moved back to their place in the simulated year. The audit log is never
backdated: its events say when the demo was generated. Comments are triaged with the real
classifier and stored directly, and incidents are stored directly with their timeline, so no
escalation e-mails are sent for invented complaints.

`onevoice demo` refuses to run twice; `--force` first removes the previous demo data (and only
demo data: if anything outside the demo refers to it, nothing is removed).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from onevoice import audit
from onevoice.crisis.escalation import ack_deadline
from onevoice.errors import Conflict
from onevoice.governance import channels as channel_service, members as member_service
from onevoice.governance.permissions import SYSTEM
from onevoice.policy import acknowledgements, versions as policy_versions
from onevoice.publishing import workflow
from onevoice.store.models import (Campaign, Channel, ChannelMetricSample, Comment, Draft, Incident, IncidentEvent,
                                   LinkClick, Member, OutboxEntry, PostMetricSample, Review, utcnow)
from onevoice.triage import triage

from . import campaigns as campaign_service
from .collect import slot_of

DEMO_DOMAIN = "demo.example"
DEMO_HANDLES = {("mastodon", "demo_ipala"), ("bluesky", "demo-ipala.bsky.social")}
ACTOR = "demo"
SAMPLE_AGES_H = (1, 6, 24, 48, 72, 7 * 24, 14 * 24, 30 * 24)

MEMBERS = [("chair@demo.example", "Dana Demo (chair)", ("chair",)),
           ("reviewer1@demo.example", "Sam Demo (committee)", ("committee",)),
           ("reviewer2@demo.example", "Kim Demo (committee)", ("committee",)),
           ("author1@demo.example", "Alex Demo (author)", ()),
           ("author2@demo.example", "Robin Demo (author)", ())]

TOPICS = [
    ("Join our free airway management webinar on {day}. Registration is open: {link}", 1.3),
    ("New guidance on difficult airway trolleys is out. Read the summary: {link}", 1.1),
    ("Congratulations to the winners of this year's IPALA research grants!", 1.6),
    ("Our annual congress programme is online. See the sessions: {link}", 1.4),
    ("Thank you to all volunteers who staffed the simulation workshop this weekend.", 1.2),
    ("IPALA supports safe staffing levels in every paediatric operating theatre.", 1.0),
    ("Members: the spring newsletter is out, with ten papers worth your time. {link}", 0.8),
    ("Three tips for safer sedation in children, from our education committee. {link}", 1.5),
    ("Meet our new fellows: twelve clinicians from nine countries joined this month.", 0.9),
    ("Our position statement on oxygen supply in low-resource settings: {link}", 1.2),
    ("Applications for the travelling fellowship close on {day}. Details: {link}", 0.9),
    ("Watch the recording of last week's lecture on airway ultrasound: {link}", 1.0),
]
FLAGGED = [  # (text, what the committee does)
    ("Questions about the course? Call our helpline +351 21 555 0199.", "override"),
    ("The council discussed the proposed fee increase at yesterday's closed meeting.", "approve"),
    ("Those idiots at the ministry have no clue about airway training.", "changes"),
    ("A colleague saw an interesting case of a toddler with a peanut in the airway last week.", "reject"),
]
CHANGED_TEXT = "We urge the ministry to fund airway training for every paediatric team. Our letter: {link}"
COMMENTS = {
    "question": ["Will the webinar be recorded?", "Is the congress open to nurses as well?",
                 "Where can I find the slides from the lecture?", "How do I renew my membership?",
                 "Is there a discount for trainees?"],
    "praise": ["Great session, thank you!", "Really useful guidance, sharing with my team.",
               "Excellent lecture, well done IPALA!", "Thanks for making this free."],
    "neutral": ["Interesting.", "Saw this at the meeting.", "Following.", "Tagging my colleagues."],
    "complaint": ["The registration page has been broken for two days, very disappointing service.",
                  "I paid for the course and never received a confirmation. Terrible service.",
                  "Still waiting for a refund after three weeks, unacceptable."],
    "misinformation": ["This guidance is fake, vaccines cause airway damage and you are hiding it."],
    "spam": ["Earn $500 a day from home!!! Click my profile", "Cheap followers, DM me now"],
    "abuse": ["You are all clowns, shut up."],
    "crisis": ["Your member leaked my child's medical records online, I am calling a lawyer."],
}
COMMENT_WEIGHTS = {"question": 22, "praise": 30, "neutral": 25, "complaint": 7, "misinformation": 2, "spam": 8,
                   "abuse": 3, "crisis": 0.6}
ANSWERS = {"question": "Thank you for asking! You will find the details on our website; we have sent you a message.",
           "complaint": "We are sorry about this. Our team has contacted you by private message to put it right.",
           "misinformation": "This is not correct. Our guidance is based on published evidence: see our website.",
           "crisis": "We take this very seriously. The committee chair has contacted you directly."}


@dataclass
class DemoResult:
    members: int = 0
    channels: int = 0
    posts: int = 0
    drafts: int = 0
    comments: int = 0
    incidents: int = 0
    samples: int = 0
    campaigns: int = 0
    clicks: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"demo organization ready: {self.channels} channels, {self.members} members (@{DEMO_DOMAIN}), "
                f"{self.posts} published posts of {self.drafts} drafts, {self.comments} comments, "
                f"{self.incidents} incidents, {self.samples} metric samples, {self.campaigns} campaigns "
                f"with {self.clicks} link clicks", *self.notes]


def demo_channel_filter():
    return or_(*[(Channel.platform == p) & (Channel.handle == h) for p, h in DEMO_HANDLES]) & Channel.name.like("DEMO %")


def exists(session) -> bool:
    return bool(session.scalar(select(Channel.id).where(demo_channel_filter()).limit(1)) or
                session.scalar(select(Member.id).where(Member.email.like(f"%@{DEMO_DOMAIN}")).limit(1)))


def remove(db) -> int:
    """Delete every demo row; refuses (Conflict) if non-demo data refers to demo rows."""
    with db.transaction() as s:
        cids = list(s.scalars(select(Channel.id).where(demo_channel_filter())))
        mids = list(s.scalars(select(Member.id).where(Member.email.like(f"%@{DEMO_DOMAIN}"))))
        foreign = s.scalar(select(Draft.id).where(Draft.author_id.in_(mids or [-1]), Draft.channel_id.not_in(cids or [-1]))
                           .limit(1))
        foreign = foreign or s.scalar(select(Review.id).join(Draft, Draft.id == Review.draft_id)
                                      .where(Review.reviewer_id.in_(mids or [-1]), Draft.channel_id.not_in(cids or [-1]))
                                      .limit(1))
        if foreign:
            raise Conflict("demo members took part in non-demo drafts; not removing anything")
        iids = list(s.scalars(select(Incident.id).where(Incident.channel_id.in_(cids or [-1]))))
        s.execute(update(Comment).where(Comment.channel_id.in_(cids or [-1])).values(incident_id=None))
        s.execute(delete(Comment).where(Comment.channel_id.in_(cids or [-1])))
        s.execute(delete(IncidentEvent).where(IncidentEvent.incident_id.in_(iids or [-1])))
        s.execute(update(Draft).where(Draft.incident_id.in_(iids or [-1])).values(incident_id=None))
        s.execute(delete(Incident).where(Incident.id.in_(iids or [-1])))
        s.execute(delete(PostMetricSample).where(PostMetricSample.channel_id.in_(cids or [-1])))
        s.execute(delete(ChannelMetricSample).where(ChannelMetricSample.channel_id.in_(cids or [-1])))
        dids = list(s.scalars(select(Draft.id).where(Draft.channel_id.in_(cids or [-1]))))
        s.execute(delete(OutboxEntry).where(OutboxEntry.draft_id.in_(dids or [-1])))
        s.execute(delete(Review).where(Review.draft_id.in_(dids or [-1])))
        s.execute(delete(Draft).where(Draft.id.in_(dids or [-1])))
        camp = list(s.scalars(select(Campaign.id).where(Campaign.slug.like("demo-%"))))
        from onevoice.store.models import TrackedLink

        lids = list(s.scalars(select(TrackedLink.id).where(TrackedLink.campaign_id.in_(camp or [-1]))))
        s.execute(delete(LinkClick).where(LinkClick.link_id.in_(lids or [-1])))
        s.execute(delete(TrackedLink).where(TrackedLink.id.in_(lids or [-1])))
        s.execute(delete(Campaign).where(Campaign.id.in_(camp or [-1])))
        for m in s.scalars(select(Member).where(Member.id.in_(mids or [-1]))):
            s.delete(m)
        s.execute(delete(Channel).where(Channel.id.in_(cids or [-1])))
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"non-demo data refers to the demo organization; not removing anything "
                           f"({str(exc.orig).splitlines()[0]})") from None
        audit.record(s, ACTOR, "demo.remove", "demo", "organization", detail={"channels": cids, "members": len(mids),
                                                                             "drafts": len(dids)})
        return len(dids)


def generate(system, seed: int = 2026, force: bool = False, days: int = 365, now: datetime | None = None,
             posts_per_week: float = 3.0) -> DemoResult:
    db = system.db
    with db.reader() as s:
        already = exists(s)
    if already and not force:
        raise Conflict("the demo organization already exists; run `onevoice demo --force` to replace it")
    result = DemoResult()
    if already:
        result.notes.append(f"removed the previous demo data ({remove(db)} drafts)")
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    start = now - timedelta(days=days)
    base_url = system.settings.base_url

    # --- people and channels, through the governance services
    with db.transaction() as s:
        for email, name, roles in MEMBERS:
            member_service.add_member(s, SYSTEM, email, name, roles=roles)
        mastodon = channel_service.add_channel(s, SYSTEM, system.box, "mastodon", "demo_ipala",
                                               name="DEMO IPALA (Mastodon)", base_url="https://mastodon.demo.example",
                                               timezone="Europe/Lisbon")
        bluesky = channel_service.add_channel(s, SYSTEM, system.box, "bluesky", "demo-ipala.bsky.social",
                                              name="DEMO IPALA (Bluesky)", timezone="Europe/Lisbon")
        for author in ("author1@demo.example", "author2@demo.example"):
            for ch in (mastodon, bluesky):
                member_service.grant_role(s, SYSTEM, author, "authorized", ch)
        audit.record(s, ACTOR, "demo.generate", "demo", "organization", detail={"seed": seed, "days": days})
        channel_ids = [mastodon.id, bluesky.id]
        result.members, result.channels = len(MEMBERS), 2
    with db.transaction() as s:
        actors = {e: member_service.actor_for(member_service.get_member(s, e)) for e, _, _ in MEMBERS}
        # 1.: each demo member has read the policy in force and will follow it, as every member must before
        # submitting; they acknowledged it when the demo's year began
        version = policy_versions.active_version(s)
        for actor in actors.values():
            acknowledgements.acknowledge(s, actor, version.id, True, now=start)
    chair, reviewers = actors["chair@demo.example"], [actors["reviewer1@demo.example"], actors["reviewer2@demo.example"]]
    authors = [actors["author1@demo.example"], actors["author2@demo.example"]]
    followers0 = {mastodon.id: 1180, bluesky.id: 260}
    growth = {mastodon.id: 520, bluesky.id: 900}

    def followers_at(cid: int, t: datetime) -> int:
        x = max(0.0, min(1.0, (t - start) / (now - start)))
        return int(followers0[cid] + growth[cid] * (x ** 1.3))

    # --- campaigns with tracked links, through the campaign service
    congress_start = start + timedelta(days=int(days * 0.55))
    campaign_defs = [
        ("demo-airway-week", "DEMO Airway Awareness Week", start + timedelta(days=int(days * 0.25)), 21, "clicks", 600,
         "https://ipala.example/airway-week"),
        ("demo-congress", "DEMO Congress registration", congress_start, 60, "clicks", 1500,
         "https://ipala.example/congress/register"),
    ]
    windows: list[tuple[str, datetime, datetime, str]] = []  # (slug, starts, ends, target)
    with db.transaction() as s:
        for slug, name, begins, length, metric, target, url in campaign_defs:
            campaign_service.create_campaign(s, SYSTEM, slug, name, begins, begins + timedelta(days=length), metric,
                                             target, description="Demo campaign (invented figures).")
            windows.append((slug, begins, begins + timedelta(days=length), url))
            result.campaigns += 1
    links: list[tuple[str, datetime, float]] = []  # (code, published_at, appeal): one tracked link per post

    # --- a year of posts, through the workflow services
    engine = system.screening
    published: list[tuple[int, int, datetime, float]] = []  # (draft id, channel id, published_at, appeal)
    post_times = []
    t = start + timedelta(hours=9)
    while t < now - timedelta(hours=6):
        for cid in channel_ids:
            if rng.random() < posts_per_week / 7:
                post_times.append((t + timedelta(hours=rng.randrange(0, 9), minutes=rng.randrange(60)), cid))
        t += timedelta(days=1)
    for n, (when, cid) in enumerate(post_times):
        author = authors[n % 2]
        reviewer = reviewers[rng.randrange(2)]
        created = when - timedelta(hours=rng.uniform(20, 96))
        window = next((w for w in windows if w[1] <= when < w[2]), None)
        link = f"demo{n:04d}{rng.randrange(16**4):04x}" if window else None
        url = campaign_service.short_url(link, base_url) if link else "https://ipala.example/news"
        if rng.random() < 0.07:
            (text, action), weight = rng.choices(FLAGGED, (1, 3, 2, 1))[0], 0.8
        else:
            template, weight = TOPICS[rng.randrange(len(TOPICS))]
            text, action = template.format(day=(when + timedelta(days=9)).strftime("%A %d %B"), link=url), "approve"
        with db.transaction() as s:
            if link:
                campaign_service.add_link(s, SYSTEM, window[0], window[3], label=f"demo post {n}", code=link)
            d = workflow.create_draft(s, author, cid, text)
            workflow.submit(s, author, d.id, engine)
            reviews_at = [created + timedelta(hours=rng.uniform(1, 18))]
            if action == "override":
                workflow.override_block(s, chair, d.id, "This is IPALA's public helpline number, published on our website.")
                workflow.review(s, reviewer, d.id, "approve")
            elif action == "changes":
                workflow.review(s, reviewer, d.id, "request_changes", "Please keep it professional (2.e).")
                workflow.edit(s, author, d.id, engine, text=CHANGED_TEXT.format(link=url))
                workflow.submit(s, author, d.id, engine)
                _accept_if_blocked(s, chair, d)
                reviews_at.append(reviews_at[0] + timedelta(hours=rng.uniform(4, 30)))
                workflow.review(s, reviewers[0] if reviewer is reviewers[1] else reviewers[1], d.id, "approve")
            elif action == "reject":
                workflow.review(s, reviewer, d.id, "reject", "Patient details must not be discussed (2.d).")
            else:
                _accept_if_blocked(s, chair, d)
                workflow.review(s, reviewer, d.id, "approve")
            for r, at in zip(d.reviews, _spread(reviews_at, len(d.reviews))):
                r.created_at = at
            d.created_at = created
            if d.state == "approved":
                workflow.schedule(s, author, d.id, None)
                d.state, d.scheduled_at, d.published_at = "published", when, when
                d.published_ref = {"id": f"demo:{cid}:{d.id}", "url": None, "cid": None}
                for o in s.scalars(select(OutboxEntry).where(OutboxEntry.draft_id == d.id)):
                    o.status, o.due_at, o.sent_at, o.created_at, o.attempts = "sent", when, when, when, 1
                    o.result = d.published_ref
                audit.record(s, ACTOR, "draft.published", "draft", d.id, None,
                             {"state": "published", "demo": True, "simulated_at": when.isoformat()})
                appeal = weight * rng.lognormvariate(0, 0.6) * (1.4 if link else 1.0)
                published.append((d.id, cid, when, appeal))
                if link and link in text:
                    links.append((link, when, appeal))
            d.updated_at = max([created, *reviews_at, d.published_at or created])
        result.drafts += 1
    result.posts = len(published)

    # --- metric samples: followers daily, posts at fixed ages after publication
    with db.transaction() as s:
        day = start
        while day <= now:
            for cid in channel_ids:
                s.add(ChannelMetricSample(channel_id=cid, slot=slot_of(day), collected_at=day,
                                          followers=followers_at(cid, day) + rng.randrange(-3, 4)))
                result.samples += 1
            day += timedelta(days=1)
        for did, cid, when, appeal in published:
            f = followers_at(cid, when)
            final = {"likes": f * 0.018 * appeal, "reposts": f * 0.006 * appeal, "replies": f * 0.003 * appeal,
                     "quotes": f * 0.0008 * appeal}
            for age in SAMPLE_AGES_H:
                at = when + timedelta(hours=age)
                if at > now:
                    break
                share = 1 - math.exp(-age / 20)
                s.add(PostMetricSample(draft_id=did, channel_id=cid, slot=slot_of(at), collected_at=at,
                                       **{k: int(round(v * share)) for k, v in final.items()}, impressions=None))
                result.samples += 1

    # --- comments (real triage), replies through the workflow, incidents with their timeline
    categories = list(COMMENT_WEIGHTS)
    weights = [COMMENT_WEIGHTS[c] for c in categories]
    comment_no = 0
    for did, cid, when, appeal in published:
        for _ in range(min(8, int(rng.expovariate(1 / (1.6 * appeal))))):
            category = rng.choices(categories, weights)[0]
            text = rng.choice(COMMENTS[category])
            received = when + timedelta(hours=rng.expovariate(1 / 10))
            if received > now:
                continue
            comment_no += 1
            followers = int(rng.lognormvariate(5, 1.3))
            t_ = triage(text, followers)
            with db.transaction() as s:
                c = Comment(channel_id=cid, platform_id=f"demo-comment-{comment_no}", kind="reply",
                            author=f"person{rng.randrange(1, 400)}.{DEMO_DOMAIN}", author_followers=followers, text=text,
                            in_reply_to=f"demo:{cid}:{did}", posted_at=received, received_at=received, source="import",
                            category=t_.category, severity=t_.severity, escalate=t_.escalate, triage=t_.to_dict(),
                            handled=False)
                s.add(c)
                s.flush()
                result.comments += 1
                incident = None
                if t_.escalate and t_.category != "abuse" or (t_.category == "abuse" and rng.random() < 0.5):
                    incident = _incident(s, rng, c, t_, cid, received, now, chair.member_id)
                    result.incidents += 1
                answer = ANSWERS.get(t_.category)
                reply_delay = timedelta(hours=rng.lognormvariate(1.2, 1.0))
                if answer and received + reply_delay < now and rng.random() < 0.85:
                    _reply(s, engine, authors[comment_no % 2], reviewers[comment_no % 2], chair, cid, c, incident, answer,
                           received + reply_delay)
                    result.drafts += 1
                c.handled = incident is None or incident.state == "resolved"

    # --- clicks on the campaign links
    with db.transaction() as s:
        from onevoice.store.models import TrackedLink

        for code, when, appeal in links:
            link_id = s.scalar(select(TrackedLink.id).where(TrackedLink.code == code))
            for _ in range(int(rng.uniform(15, 40) * appeal)):
                at = when + timedelta(hours=rng.expovariate(1 / 20))
                if at < now:
                    s.add(LinkClick(link_id=link_id, at=at, bot=rng.random() < 0.08))
                    result.clicks += 1

    # --- demo members may not sign in or receive real escalations
    with db.transaction() as s:
        for m in s.scalars(select(Member).where(Member.email.like(f"%@{DEMO_DOMAIN}"))):
            m.active = False
    result.notes.append("demo members are inactive: they cannot sign in and never receive escalations")
    result.notes.append("the audit log records when the demo was generated, not the simulated dates, so approval "
                        "turnaround of demo drafts appears in the current period")
    return result


def _spread(times: list[datetime], n: int) -> list[datetime]:
    out = list(times)
    while len(out) < n:
        out.append(out[-1] + timedelta(minutes=7))
    return out[:n]


def _incident(s, rng, c: Comment, t_, cid: int, received: datetime, now: datetime, owner: int) -> Incident:
    severity = max(1, min(3, t_.severity))
    kind = t_.category if t_.category in ("complaint", "abuse", "misinformation", "crisis") else "complaint"
    opened = received + timedelta(minutes=rng.uniform(0.5, 5))
    ack = opened + timedelta(minutes=rng.lognormvariate(3.4 - severity * 0.5, 0.9))
    resolved = ack + timedelta(hours=rng.lognormvariate(2.5 + (severity - 1) * 0.6, 0.9))
    i = Incident(title=f"{kind}: {c.text[:60]}", type=kind, severity=severity, state="open", channel_id=cid,
                 owner_id=None, opened_at=opened, ack_deadline=ack_deadline(severity, opened), escalation_level=0,
                 crisis_mode=False, playbook=None, checklist=[])
    s.add(i)
    s.flush()
    events = [(opened, "open", i.title)]
    if ack <= now:
        i.state, i.acknowledged_at, i.owner_id = "acknowledged", ack, owner
        events.append((ack, "acknowledge", ""))
        if resolved <= now:
            i.state, i.resolved_at, i.resolution = "resolved", resolved, "Answered publicly and followed up in private."
            events.append((resolved, "resolve", i.resolution))
    for at, kind_, text in events:
        s.add(IncidentEvent(incident_id=i.id, at=at, actor="chair@demo.example", kind=kind_, text=text))
    c.incident_id = i.id
    return i


def _accept_if_blocked(s, chair, d) -> None:
    """The learned screening may block a demo text the demo means as fine: the demo chair then
    reads the finding and accepts it, through the same override a real chair uses."""
    if (d.screening or {}).get("decision") == "block":
        workflow.override_block(s, chair, d.id, "Demo organization: the chair read this finding and accepts the post.")


def _reply(s, engine, author, reviewer, chair, cid: int, c: Comment, incident: Incident | None, text: str,
           published_at: datetime) -> None:
    d = workflow.create_draft(s, author, cid, text, kind="reply", reply_to={"id": c.platform_id, "url": None},
                              incident_id=incident.id if incident else None)
    workflow.submit(s, author, d.id, engine)
    _accept_if_blocked(s, chair, d)
    workflow.review(s, reviewer, d.id, "approve")
    workflow.schedule(s, author, d.id, None)
    d.created_at = c.received_at + (published_at - c.received_at) / 3
    d.state, d.scheduled_at, d.published_at = "published", published_at, published_at
    d.published_ref = {"id": f"demo:{cid}:{d.id}", "url": None, "cid": None}
    d.updated_at = published_at
    for r in d.reviews:
        r.created_at = c.received_at + (published_at - c.received_at) * 2 / 3
    for o in s.scalars(select(OutboxEntry).where(OutboxEntry.draft_id == d.id)):
        o.status, o.due_at, o.sent_at, o.created_at, o.attempts, o.result = "sent", published_at, published_at, published_at, 1, d.published_ref
    audit.record(s, ACTOR, "draft.published", "draft", d.id, None,
                 {"state": "published", "demo": True, "simulated_at": published_at.isoformat()})
    if incident is not None:
        s.add(IncidentEvent(incident_id=incident.id, at=published_at, actor=author.label, kind="response_draft",
                            text=f"draft {d.id}"))
