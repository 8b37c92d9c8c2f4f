"""Request bodies of the API (responses are plain dicts of the services' state)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

# A draft's text has no length here: the installation's ONEVOICE_MAX_DRAFT_CHARS decides (check_length,
# 413), and the app's body limit keeps any one request's memory bounded.
MAX_ID = 2**31 - 1  # every id fits a 32-bit integer; larger ones cannot exist, so they are a 422

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttachmentIn(Strict):
    type: Literal["image", "video", "link", "audio", "document", "gif"]
    credit: str | None = Field(None, max_length=500)
    alt: str = Field("", max_length=2_000)
    url: str | None = Field(None, max_length=2_000)


class ScreenIn(Strict):
    id: str | None = Field(None, max_length=200)
    text: str
    kind: Literal["official", "reply", "personal"] = "official"
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    employer: str | None = Field(None, max_length=200, description="employer pack to check 2.g against")


SCOPES_HELP = "read, draft, review, admin; default: every scope your roles allow (never more)"
DAYS_HELP = "how many days the token works (0: until revoked); default ONEVOICE_TOKEN_DAYS (90)"


class LoginIn(Strict):
    email: str = Field(..., max_length=320)
    password: str = Field(..., max_length=1_000)
    code: str | None = Field(None, max_length=40, description="two-factor code (or a recovery code), when the "
                                                              "member has two-factor sign-in")
    scopes: list[str] | None = Field(None, max_length=4, description=SCOPES_HELP)
    days: int | None = Field(None, ge=0, le=3650, description=DAYS_HELP)


class TokenIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    scopes: list[Annotated[str, Field(max_length=20)]] | None = Field(None, max_length=4, description=SCOPES_HELP)
    days: int | None = Field(None, ge=0, le=3650, description=DAYS_HELP)


class MemberIn(Strict):
    email: str = Field(..., max_length=320)
    name: str = Field(..., min_length=1, max_length=200)
    roles: list[str] = Field(default_factory=list, max_length=10)


class RoleIn(Strict):
    role: str = Field(..., max_length=40)
    channel: Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(max_length=300)] | None = None


class ChannelIn(Strict):
    platform: str = Field(..., max_length=40)
    handle: str = Field(..., max_length=300)
    name: str | None = Field(None, max_length=200)
    base_url: str | None = Field(None, max_length=500)
    credentials: dict | None = None
    quorum: int = Field(1, ge=1, le=10)
    timezone: str = Field("UTC", max_length=64)
