"""The permission table: who may do what. The one place these rules live.

Roles, in the policy's words:
- member: any IPALA member with an account (self-check of personal posts, own drafts)
- authorized: an authorized member of one official channel (1.: only they post or reply on it)
- committee: a member of the Communications & Technical Standing Committee (approves all use, 1.)
- vice_chair: the committee's vice-chair (escalations go to them when the chair does not answer)
- chair: the committee chair (crisis contact, 3.; the only one who may override a block finding)
- admin: runs the installation (members, channels, policy pack); not a content role

Services call `require(actor, action, channel_id=...)` before changing anything; adapters (web,
CLI, API) never decide permissions themselves. docs/permissions.md is generated from this table.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    MEMBER = "member"
    AUTHORIZED = "authorized"
    COMMITTEE = "committee"
    VICE_CHAIR = "vice_chair"
    CHAIR = "chair"
    ADMIN = "admin"


ROLE_TITLES = {
    Role.MEMBER: "Member",
    Role.AUTHORIZED: "Authorized member of a channel",
    Role.COMMITTEE: "Committee member",
    Role.VICE_CHAIR: "Committee vice-chair",
    Role.CHAIR: "Committee chair",
    Role.ADMIN: "Administrator",
}

# The chair and vice-chair sit on the committee: whatever the committee may do, they may do.
IMPLIED = {Role.CHAIR: {Role.COMMITTEE}, Role.VICE_CHAIR: {Role.COMMITTEE}}


class Action(str, Enum):
    SCREEN_TEXT = "screen.text"
    DRAFT_CREATE = "draft.create"
    DRAFT_SUBMIT = "draft.submit"              # channel-scoped
    DRAFT_VIEW_ALL = "draft.view_all"
    DRAFT_REVIEW = "draft.review"
    DRAFT_OVERRIDE_BLOCK = "draft.override_block"
    DRAFT_RETRACT = "draft.retract"
    PUBLISH_RUN = "publish.run"
    COMMENT_VIEW = "comment.view"
    COMMENT_IMPORT = "comment.import"
    INCIDENT_MANAGE = "incident.manage"
    INCIDENT_FAST_TRACK = "incident.fast_track"
    PLAYBOOK_EDIT = "playbook.edit"
    METRICS_VIEW = "metrics.view"
    REPORT_RUN = "report.run"
    MEMBER_LIST = "member.list"
    MEMBER_ADD = "member.add"
    MEMBER_PASSWORD_RESET = "member.password_reset"
    MEMBER_DEACTIVATE = "member.deactivate"    # and reactivate
    ROLE_GRANT = "role.grant"
    ROLE_REVOKE = "role.revoke"
    CHANNEL_LIST = "channel.list"
    CHANNEL_MANAGE = "channel.manage"
    POLICY_VIEW = "policy.view"
    POLICY_EDIT = "policy.edit"
    POLICY_ACKNOWLEDGE = "policy.acknowledge"
    AUTHORIZATION_RENEW = "authorization.renew"
    AUDIT_VIEW = "audit.view"
    TOKEN_MANAGE_OWN = "token.manage_own"
    PASSWORD_CHANGE_OWN = "password.change_own"


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    channel_scoped: bool = False
    why: str = ""


def _p(*roles: Role, channel_scoped: bool = False, why: str = "") -> Permission:
    return Permission(frozenset(roles), channel_scoped, why)


M, AU, C, VC, CH, AD = Role.MEMBER, Role.AUTHORIZED, Role.COMMITTEE, Role.VICE_CHAIR, Role.CHAIR, Role.ADMIN

PERMISSIONS: dict[Action, Permission] = {
    Action.SCREEN_TEXT: _p(M, why="2.: every member may check a text, official or personal"),
    Action.DRAFT_CREATE: _p(M, why="anyone may write a draft; only authorized members may submit it"),
    Action.DRAFT_SUBMIT: _p(AU, channel_scoped=True, why="1.: only authorized members use a channel"),
    Action.DRAFT_VIEW_ALL: _p(C, AD, why="1.: the committee sees everything it approves"),
    Action.DRAFT_REVIEW: _p(C, why="1.: all social media use is approved by the committee"),
    Action.DRAFT_OVERRIDE_BLOCK: _p(CH, why="a block finding is set aside only by the chair, with a reason"),
    Action.DRAFT_RETRACT: _p(C, why="the committee may take a published post down"),
    Action.PUBLISH_RUN: _p(C, AD, why="publishing runs only approved, scheduled posts"),
    Action.COMMENT_VIEW: _p(C, AU, why="3.: the committee and channel members watch the responses"),
    Action.COMMENT_IMPORT: _p(C, AD),
    Action.INCIDENT_MANAGE: _p(C, why="3.: the committee handles complaints and crises"),
    Action.INCIDENT_FAST_TRACK: _p(CH, why="3.: the chair may send a pre-approved response at once"),
    Action.PLAYBOOK_EDIT: _p(C, why="3.: the committee develops the procedures"),
    Action.METRICS_VIEW: _p(C, AD, why="4.: the committee monitors and evaluates"),
    Action.REPORT_RUN: _p(C, AD, why="4."),
    Action.MEMBER_LIST: _p(C, AD),
    Action.MEMBER_ADD: _p(AD),
    Action.MEMBER_PASSWORD_RESET: _p(AD, why="a member who forgot their password gets a new one-time password"),
    Action.MEMBER_DEACTIVATE: _p(AD, why="someone who leaves IPALA loses every access at once; the last admin stays"),
    Action.ROLE_GRANT: _p(AD),
    Action.ROLE_REVOKE: _p(AD),
    Action.CHANNEL_LIST: _p(M),
    Action.CHANNEL_MANAGE: _p(AD),
    Action.POLICY_VIEW: _p(M),
    Action.POLICY_EDIT: _p(AD, CH, why="the committee chair owns the policy pack's wording with the admin"),
    Action.POLICY_ACKNOWLEDGE: _p(M, why="1.: a member reads and accepts the active policy before submitting"),
    Action.AUTHORIZATION_RENEW: _p(AD, why="1.: an authorization on a channel ends unless renewed (a new end date)"),
    Action.AUDIT_VIEW: _p(AD, CH),
    Action.TOKEN_MANAGE_OWN: _p(M),
    Action.PASSWORD_CHANGE_OWN: _p(M, why="with the current password; a one-time password must be changed first"),
}

# A member signed in with a one-time password may do only this until they have changed it: the
# password was handed over by someone else, so it is not theirs alone yet.
BEFORE_PASSWORD_CHANGE = frozenset({Action.PASSWORD_CHANGE_OWN})


class PermissionDenied(Exception):
    def __init__(self, action: Action, reason: str, words: str | None = None) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason  # for API clients and logs: names the action
        self.words = words or reason  # for people on a page: no permission codes


def _roles_words(perm: Permission) -> str:
    return " or ".join(ROLE_TITLES[r].lower() for r in sorted(perm.roles, key=list(Role).index))


def who_may(action: Action) -> str:
    """The people an action is for, in words: "a committee member or an administrator"."""
    perm = PERMISSIONS[action]
    who = _roles_words(perm)
    return f"{'an' if who[0] in 'aeiou' else 'a'} {who}" + (" of this channel" if perm.channel_scoped else "")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a member id with the roles they hold (channel roles by channel)."""

    member_id: int | None
    label: str  # e-mail, or "system" / "cli" for the installation itself
    roles: frozenset[Role]
    channels: frozenset[int] = frozenset()  # channels the member is authorized on
    must_change_password: bool = False  # signed in with a one-time password (see BEFORE_PASSWORD_CHANGE)

    @property
    def is_system(self) -> bool:
        return self.member_id is None

    def has(self, role: Role) -> bool:
        return role in self.roles


SYSTEM = Actor(member_id=None, label="system", roles=frozenset(Role))


def effective_roles(granted: set[Role]) -> frozenset[Role]:
    roles = set(granted) | {Role.MEMBER}
    for role in list(roles):
        roles |= IMPLIED.get(role, set())
    return frozenset(roles)


def allowed(actor: Actor, action: Action, channel_id: int | None = None) -> bool:
    perm = PERMISSIONS[action]
    if actor.is_system:
        return True
    if actor.must_change_password and action not in BEFORE_PASSWORD_CHANGE:
        return False
    if perm.channel_scoped:
        return Role.AUTHORIZED in perm.roles and channel_id is not None and channel_id in actor.channels
    return bool(perm.roles & actor.roles)


def require(actor: Actor, action: Action, channel_id: int | None = None) -> None:
    if not allowed(actor, action, channel_id):
        if actor.must_change_password and action not in BEFORE_PASSWORD_CHANGE:
            raise PermissionDenied(action, "change your one-time password first")
        perm = PERMISSIONS[action]
        where = " of this channel" if perm.channel_scoped else ""
        # the policy's reason, when the table gives one, tells a person why ("1.: ...")
        because = f" ({perm.why})" if perm.why else ""
        raise PermissionDenied(action, f"{action.value} needs the role {_roles_words(perm)}{where}",
                               f"Only {who_may(action)} may do this{because}. "
                               "If you should, ask an administrator for the role.")


def visible_channels(actor: Actor, action: Action) -> frozenset[int] | None:
    """The channels whose rows a view under `action` may show the actor; None means every channel.

    An authorized member is authorized on a channel, not on all of them (1.): a member whom the
    table lets in only as authorized sees the rows of their own channels. Any other role it names
    (the committee, which approves all use, and above) sees every channel's rows."""
    require(actor, action)
    if actor.is_system or (PERMISSIONS[action].roles - {Role.AUTHORIZED}) & actor.roles:
        return None
    return actor.channels


def permission_table_markdown() -> str:
    """The table as Markdown, for docs/permissions.md (a test keeps the file in step)."""
    lines = ["| action | who may | why |", "|---|---|---|"]
    for action, perm in PERMISSIONS.items():
        who = ", ".join(ROLE_TITLES[r] for r in sorted(perm.roles, key=list(Role).index))
        if perm.channel_scoped:
            who += " (of that channel)"
        lines.append(f"| `{action.value}` | {who} | {perm.why} |")
    return "\n".join(lines) + "\n"
