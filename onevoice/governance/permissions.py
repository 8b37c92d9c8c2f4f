"""The permission table: who may do what. The one place these rules live.

Roles, in the policy's words:
- member: any IPALA member with an account (self-check of personal posts, own drafts)
- authorized: an authorized member of one official channel (1.: only they post or reply on it)
- committee: a member of the Communications & Technical Standing Committee (approves all use, 1.)
- vice_chair: the committee's vice-chair (escalations go to them when the chair does not answer)
- chair: the committee chair (crisis contact, 3.; the only one who may override a block finding)
- admin: runs the installation (members, channels, policy pack); not a content role

Each action also needs a scope, which API tokens carry (read, draft, review, admin): a request
made with a token may do what both the member's roles and the token's scopes allow. A token never
gets a scope its member's roles do not use (`allowed_scopes`). Sessions and the CLI carry no scopes.

Services call `require(actor, action, channel_id=...)` before changing anything; adapters (web,
CLI, API) never decide permissions themselves. docs/permissions.md is generated from this table
(`python -m onevoice.governance.permissions` rewrites its table; a test keeps it in step).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
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


class Scope(str, Enum):
    """What an API token may be used for, from the least to the most."""

    READ = "read"      # read-only: lists, views, screening a text, metrics, the audit log
    DRAFT = "draft"    # writing and submitting drafts, importing comments
    REVIEW = "review"  # the committee's decisions: approve, reject, override, retract, incidents, publish
    ADMIN = "admin"    # running the installation: members, roles, channels, the policy pack


SCOPE_TITLES = {
    Scope.READ: "read: look, never change",
    Scope.DRAFT: "draft: write and submit drafts",
    Scope.REVIEW: "review: approve, reject, override, incidents",
    Scope.ADMIN: "admin: members, roles, channels, policy",
}


def scope_words(scopes) -> str:
    return " ".join(s.value for s in Scope if s in scopes)


def parse_scopes(text: str | list[str] | tuple[str, ...] | None) -> frozenset[Scope]:
    """Scopes from "read draft" or ["read", "draft"] (commas too); a word that is no scope is an error."""
    from onevoice.errors import InvalidInput

    words = (text or "").replace(",", " ").split() if isinstance(text, str) or text is None else \
        [w for item in text for w in str(item).replace(",", " ").split()]
    out = set()
    for word in words:
        try:
            out.add(Scope(word.strip().lower()))
        except ValueError:
            raise InvalidInput(f"{word!r} is not a scope (one of {', '.join(s.value for s in Scope)})") from None
    return frozenset(out)


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
    TWO_FACTOR_OWN = "two_factor.manage_own"
    TWO_FACTOR_REQUIRE = "two_factor.require"


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    scope: Scope
    channel_scoped: bool = False
    why: str = ""


def _p(*roles: Role, scope: Scope, channel_scoped: bool = False, why: str = "") -> Permission:
    return Permission(frozenset(roles), scope, channel_scoped, why)


M, AU, C, VC, CH, AD = Role.MEMBER, Role.AUTHORIZED, Role.COMMITTEE, Role.VICE_CHAIR, Role.CHAIR, Role.ADMIN
R, D, RV, A = Scope.READ, Scope.DRAFT, Scope.REVIEW, Scope.ADMIN

PERMISSIONS: dict[Action, Permission] = {
    Action.SCREEN_TEXT: _p(M, scope=R, why="2.: every member may check a text, official or personal"),
    Action.DRAFT_CREATE: _p(M, scope=D, why="anyone may write a draft; only authorized members may submit it"),
    Action.DRAFT_SUBMIT: _p(AU, scope=D, channel_scoped=True, why="1.: only authorized members use a channel"),
    Action.DRAFT_VIEW_ALL: _p(C, AD, scope=R, why="1.: the committee sees everything it approves"),
    Action.DRAFT_REVIEW: _p(C, scope=RV, why="1.: all social media use is approved by the committee"),
    Action.DRAFT_OVERRIDE_BLOCK: _p(CH, scope=RV, why="a block finding is set aside only by the chair, with a reason"),
    Action.DRAFT_RETRACT: _p(C, scope=RV, why="the committee may take a published post down"),
    Action.PUBLISH_RUN: _p(C, AD, scope=RV, why="publishing runs only approved, scheduled posts"),
    Action.COMMENT_VIEW: _p(C, AU, scope=R, why="3.: the committee and channel members watch the responses"),
    Action.COMMENT_IMPORT: _p(C, AD, scope=D),
    Action.INCIDENT_MANAGE: _p(C, scope=RV, why="3.: the committee handles complaints and crises"),
    Action.INCIDENT_FAST_TRACK: _p(CH, scope=RV, why="3.: the chair may send a pre-approved response at once"),
    Action.PLAYBOOK_EDIT: _p(C, scope=RV, why="3.: the committee develops the procedures"),
    Action.METRICS_VIEW: _p(C, AD, scope=R, why="4.: the committee monitors and evaluates"),
    Action.REPORT_RUN: _p(C, AD, scope=R, why="4."),
    Action.MEMBER_LIST: _p(C, AD, scope=R),
    Action.MEMBER_ADD: _p(AD, scope=A),
    Action.MEMBER_PASSWORD_RESET: _p(AD, scope=A, why="a member who forgot their password gets a new one-time password"),
    Action.MEMBER_DEACTIVATE: _p(AD, scope=A, why="someone who leaves IPALA loses every access at once; the last admin stays"),
    Action.ROLE_GRANT: _p(AD, scope=A),
    Action.ROLE_REVOKE: _p(AD, scope=A),
    Action.CHANNEL_LIST: _p(M, scope=R),
    Action.CHANNEL_MANAGE: _p(AD, scope=A),
    Action.POLICY_VIEW: _p(M, scope=R),
    Action.POLICY_EDIT: _p(AD, CH, scope=A, why="the committee chair owns the policy pack's wording with the admin"),
    Action.POLICY_ACKNOWLEDGE: _p(M, scope=D, why="1.: a member reads and accepts the active policy before submitting"),
    Action.AUTHORIZATION_RENEW: _p(AD, scope=A, why="1.: an authorization on a channel ends unless renewed (a new end date)"),
    Action.AUDIT_VIEW: _p(AD, CH, scope=R),
    Action.TOKEN_MANAGE_OWN: _p(M, scope=R),
    Action.PASSWORD_CHANGE_OWN: _p(M, scope=R, why="with the current password; a one-time password must be changed first"),
    Action.TWO_FACTOR_OWN: _p(M, scope=R, why="a member turns two-factor sign-in on or off for their own account"),
    Action.TWO_FACTOR_REQUIRE: _p(AD, scope=A, why="the admin may require two-factor sign-in of the committee, chair and admin"),
}

# A member signed in with a one-time password may do only this until they have changed it: the
# password was handed over by someone else, so it is not theirs alone yet.
BEFORE_PASSWORD_CHANGE = frozenset({Action.PASSWORD_CHANGE_OWN})
# A member whose role requires two-factor sign-in and who has not set it up yet may only set it up
# (signed in with a password alone, a session is not enough for their role yet).
BEFORE_TWO_FACTOR = frozenset({Action.TWO_FACTOR_OWN})
# The roles the admin can require two-factor sign-in for (the chair and vice-chair sit on the committee).
TWO_FACTOR_ROLES = frozenset({Role.COMMITTEE, Role.CHAIR, Role.ADMIN})


class PermissionDenied(Exception):
    def __init__(self, action: Action, reason: str, words: str | None = None, scope: Scope | None = None) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason  # for API clients and logs: names the action
        self.words = words or reason  # for people on a page: no permission codes
        self.missing_scope = scope  # set when the API token lacks the scope the action needs


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
    must_enrol_two_factor: bool = False  # their role requires two-factor sign-in, not set up yet (BEFORE_TWO_FACTOR)
    scopes: frozenset[Scope] | None = None  # an API token's scopes; None: not a token (all a role allows)

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


def role_allowed_scopes(actor: Actor) -> frozenset[Scope]:
    """The scopes of every action the actor's roles allow: the most a token of theirs may carry."""
    if actor.is_system:
        return frozenset(Scope)
    bare = replace(actor, scopes=None, must_change_password=False, must_enrol_two_factor=False)
    return frozenset(p.scope for a, p in PERMISSIONS.items()
                     if allowed(bare, a, next(iter(actor.channels), None) if p.channel_scoped else None))


def with_token_scopes(actor: Actor, scopes: frozenset[Scope]) -> Actor:
    return replace(actor, scopes=frozenset(scopes))


def allowed(actor: Actor, action: Action, channel_id: int | None = None) -> bool:
    perm = PERMISSIONS[action]
    if actor.is_system:
        return True
    if actor.must_change_password and action not in BEFORE_PASSWORD_CHANGE:
        return False
    if actor.must_enrol_two_factor and action not in BEFORE_TWO_FACTOR:
        return False
    if actor.scopes is not None and perm.scope not in actor.scopes:
        return False
    if perm.channel_scoped:
        return Role.AUTHORIZED in perm.roles and channel_id is not None and channel_id in actor.channels
    return bool(perm.roles & actor.roles)


def require(actor: Actor, action: Action, channel_id: int | None = None) -> None:
    if not allowed(actor, action, channel_id):
        if actor.must_change_password and action not in BEFORE_PASSWORD_CHANGE:
            raise PermissionDenied(action, "change your one-time password first")
        if actor.must_enrol_two_factor and action not in BEFORE_TWO_FACTOR:
            raise PermissionDenied(action, "set up two-factor sign-in first (your role requires it)",
                                   "Your role requires two-factor sign-in: set it up on your account page first.")
        perm = PERMISSIONS[action]
        if actor.scopes is not None and perm.scope not in actor.scopes and allowed(replace(actor, scopes=None), action,
                                                                                  channel_id):
            raise PermissionDenied(action, f"{action.value} needs the token scope '{perm.scope.value}', "
                                           f"which this API token does not have (it has: "
                                           f"{scope_words(actor.scopes) or 'none'})",
                                   f"This API token lacks the scope '{perm.scope.value}'.", scope=perm.scope)
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
    lines = ["| action | who may | token scope | why |", "|---|---|---|---|"]
    for action, perm in PERMISSIONS.items():
        who = ", ".join(ROLE_TITLES[r] for r in sorted(perm.roles, key=list(Role).index))
        if perm.channel_scoped:
            who += " (of that channel)"
        lines.append(f"| `{action.value}` | {who} | `{perm.scope.value}` | {perm.why} |")
    return "\n".join(lines) + "\n"


def write_docs(path: str = "docs/permissions.md") -> None:
    """Rewrite the table in docs/permissions.md (the text around it is written by hand)."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text()
    start = text.index("| action |")
    end = text.find("\n\n", start)
    doc.write_text(text[:start] + permission_table_markdown() + (text[end + 1:] if end != -1 else ""))


if __name__ == "__main__":
    write_docs()
