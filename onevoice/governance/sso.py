"""Single sign-on with OpenID Connect: the authorization-code flow with PKCE (S256), against the
provider named by ONEVOICE_OIDC_ISSUER (its endpoints from discovery, /.well-known/openid-configuration).

Authlib's OAuth2 client builds the authorization request (state, nonce, S256 code challenge) and
exchanges the code (client_secret_basic, with the code verifier); joserfc, the JOSE library of the
Authlib project (Authlib's own `authlib.jose` is deprecated in its favour), checks the id_token: its
signature against the provider's JWKS (fetched again once for a key id it does not know), `iss`,
`aud` (and `azp` when there are several audiences), `exp` and `iat` with CLOCK_SKEW of leeway, and
the nonce of this sign-in.

What a sign-in in progress needs (state, nonce, code verifier, where to go next) travels in a cookie
sealed with the installation's key (Fernet: encrypted, authenticated, PENDING_SECONDS at most), so
starting a sign-in writes nothing. The callback must bring the same state as the cookie (another
site cannot sign a visitor in to an account of its choosing), and each state and id_token is
accepted once: a SHA-256 of both is kept in `sso_uses` in the same transaction as the session.

SSO never creates a member nor grants a role. The first SSO sign-in links the member whose e-mail the
provider says is verified (`email_verified` true) to the provider's (issuer, sub), and later sign-ins
match by that pair. Every sign-in and every refusal past the state check is audited.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import authlib.deprecate  # noqa: F401 - first, so that its warning filter does not override ours below
import httpx
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.config import Settings
from onevoice.errors import Unauthenticated
from onevoice.store.db import Database
from onevoice.store.models import Member, SsoUse

from . import auth

with warnings.catch_warnings():
    # Authlib 1.8+ warns that it would rather drive httpx2 than httpx (our HTTP client); the client works with both
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

CALLBACK_PATH = "/login/sso/callback"
SCOPES = "openid email profile"
CLOCK_SKEW = 60  # seconds of leeway on exp and iat
PENDING_SECONDS = 600  # from "Sign in with …" to the callback
TIMEOUT = 10.0
METADATA_SECONDS = 3600
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
ANONYMOUS = "single sign-on"


class SsoRefused(Unauthenticated):
    """A single sign-on that is refused; `detail` says why, in words for the person signing in."""

    title = "Single sign-on refused"

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason  # a short code for the audit log


EXPIRED_SIGN_IN = ("This sign-in has expired or was started in another browser. "
                   "Go back to the sign-in page and choose single sign-on again.")
USED = "This sign-in was already used. Go back to the sign-in page and sign in again."
NO_MEMBER = ("No member of onevoice has the e-mail {email}. onevoice does not create accounts by itself: "
             "ask an administrator to add you, then sign in again.")


@dataclass(frozen=True)
class Pending:
    """A sign-in in progress, as sealed in the browser's cookie."""

    state: str
    nonce: str
    verifier: str
    next: str

    def sealed(self, box) -> str:
        return box.seal({"state": self.state, "nonce": self.nonce, "verifier": self.verifier,
                         "next": self.next}).decode()

    @classmethod
    def opened(cls, box, sealed: str | None) -> "Pending | None":
        data = box.open_recent(sealed, PENDING_SECONDS)
        try:
            return cls(data["state"], data["nonce"], data["verifier"], data["next"]) if data else None
        except (KeyError, TypeError):
            return None


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


class OidcClient:
    """onevoice as the relying party of one OpenID provider. Discovery and the JWKS are fetched
    when first needed and kept (the JWKS fetched again for an unknown key id)."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.issuer = settings.oidc_issuer  # as the provider writes it (some end it with a slash)
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.allowed_domain = settings.oidc_allowed_domain
        self.redirect_uri = settings.base_url.rstrip("/") + CALLBACK_PATH
        self.name = settings.oidc_name or urlsplit(self.issuer).hostname or self.issuer
        self._transport = transport
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict] | None = None
        self._jwks: KeySet | None = None

    def _http(self) -> httpx.Client:
        return httpx.Client(timeout=TIMEOUT, transport=self._transport)

    def _get_json(self, url: str) -> dict:
        try:
            with self._http() as http:
                response = http.get(url, headers={"accept": "application/json"})
                response.raise_for_status()
                data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefused(f"The sign-in provider could not be reached ({type(exc).__name__}); "
                             "try again in a moment, or ask an administrator.", "provider_unreachable") from None
        if not isinstance(data, dict):
            raise SsoRefused("The sign-in provider answered with something onevoice cannot read.", "provider_error")
        return data

    def metadata(self) -> dict:
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata[0] < METADATA_SECONDS:
                return self._metadata[1]
        data = self._get_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
        if str(data.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
            raise SsoRefused("The sign-in provider names another issuer than the one onevoice is set up for; "
                             "ask an administrator to check ONEVOICE_OIDC_ISSUER.", "issuer_mismatch")
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not data.get(needed):
                raise SsoRefused(f"The sign-in provider's discovery document has no {needed}.", "provider_error")
        with self._lock:
            self._metadata = (time.monotonic(), data)
        return data

    def keys(self, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            try:
                self._jwks = KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))
            except (JoseError, ValueError, TypeError):
                raise SsoRefused("The sign-in provider's keys cannot be read.", "provider_error") from None
        return self._jwks

    def _oauth(self) -> OAuth2Client:
        return OAuth2Client(client_id=self.client_id, client_secret=self.client_secret, scope=SCOPES,
                            redirect_uri=self.redirect_uri, code_challenge_method="S256",
                            token_endpoint_auth_method="client_secret_basic", timeout=TIMEOUT,
                            transport=self._transport)

    def begin(self, next_path: str) -> tuple[str, Pending]:
        """The provider's authorization URL to send the browser to, and what to seal in its cookie."""
        pending = Pending(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64),
                          next=next_path)
        with self._oauth() as client:
            url, _ = client.create_authorization_url(self.metadata()["authorization_endpoint"], state=pending.state,
                                                     nonce=pending.nonce, code_verifier=pending.verifier)
        return url, pending

    def exchange(self, code: str, pending: Pending) -> dict:
        """The token response for this code (the provider checks the code verifier and our secret)."""
        try:
            with self._oauth() as client:
                token = client.fetch_token(self.metadata()["token_endpoint"], grant_type="authorization_code",
                                           code=code, code_verifier=pending.verifier)
        except httpx.HTTPError as exc:
            raise SsoRefused(f"The sign-in provider could not be reached ({type(exc).__name__}); try again.",
                             "provider_unreachable") from None
        except Exception as exc:  # noqa: BLE001 - Authlib's OAuthError and friends: the provider said no
            words = getattr(exc, "description", None) or getattr(exc, "error", None) or "it refused the code"
            raise SsoRefused(f"The sign-in provider did not complete the sign-in ({words}). "
                             "Go back to the sign-in page and try again.", "code_refused") from None
        if not token.get("id_token"):
            raise SsoRefused("The sign-in provider sent no id_token.", "provider_error")
        return dict(token)

    def validate(self, id_token: str, nonce: str, now: int | None = None) -> dict:
        """The id_token's claims once its signature, issuer, audience, times and nonce are right."""
        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=list(ALGORITHMS))
            except InvalidKeyIdError:  # the provider may have rotated its keys
                token = jwt.decode(id_token, self.keys(refresh=True), algorithms=list(ALGORITHMS))
        except JoseError:
            raise SsoRefused("The sign-in provider's answer is not signed with its key; nobody was signed in.",
                             "bad_signature") from None
        except ValueError:
            raise SsoRefused("The sign-in provider's answer cannot be read; nobody was signed in.",
                             "bad_token") from None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(now=now, leeway=CLOCK_SKEW,
                                         iss={"essential": True, "value": self.metadata()["issuer"]},
                                         sub={"essential": True}, exp={"essential": True}, iat={"essential": True})
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise SsoRefused("The sign-in provider's answer has expired (or the clocks differ too much); "
                             "go back to the sign-in page and sign in again.", "expired") from None
        except JoseError as exc:
            claim = getattr(exc, "claim", "") or str(exc)
            raise SsoRefused(f"The sign-in provider's answer is not valid for onevoice ({claim}); "
                             "nobody was signed in.", "bad_claims") from None
        audiences = [claims["aud"]] if isinstance(claims.get("aud"), str) else list(claims.get("aud") or [])
        if self.client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != self.client_id):
            raise SsoRefused("The sign-in provider's answer was meant for another application, not onevoice; "
                             "nobody was signed in.", "wrong_audience")
        if not secrets.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise SsoRefused("The sign-in provider's answer does not belong to this sign-in (its nonce differs); "
                             "go back to the sign-in page and sign in again.", "wrong_nonce")
        return claims

    def userinfo(self, access_token: str) -> dict:
        """The provider's userinfo, for providers that keep the e-mail out of the id_token."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint or not access_token:
            return {}
        try:
            with self._http() as http:
                response = http.get(endpoint, headers={"authorization": f"Bearer {access_token}"})
                response.raise_for_status()
                data = response.json()
        except (httpx.HTTPError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def identity(self, code: str, pending: Pending) -> tuple[dict, str]:
        """The checked claims of the person signing in and their id_token (exchanged once)."""
        token = self.exchange(code, pending)
        claims = self.validate(token["id_token"], pending.nonce)
        if "email" not in claims:
            extra = self.userinfo(token.get("access_token", ""))
            if extra.get("sub") == claims["sub"]:
                claims.update({k: extra[k] for k in ("email", "email_verified", "name") if k in extra})
        return claims, token["id_token"]


def _verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _used(session: Session, *digests: str) -> bool:
    return session.scalar(select(SsoUse.id).where(SsoUse.digest.in_(digests))) is not None


def link_or_match(session: Session, client: OidcClient, claims: dict) -> Member:
    """The member this provider account signs in as: the one linked to (issuer, sub), or the first
    time, the member with the provider's verified e-mail, then linked. Never a new member."""
    sub = str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    if client.allowed_domain and email.rpartition("@")[2] != client.allowed_domain:
        raise SsoRefused(f"Only e-mails of {client.allowed_domain} may sign in to onevoice; the provider says "
                         f"yours is {email or 'unknown'}.", "other_domain")
    member = session.scalar(select(Member).where(Member.sso_issuer == client.issuer, Member.sso_subject == sub))
    if member is None:
        if not email:
            raise SsoRefused("The sign-in provider did not tell onevoice your e-mail, so no member could be "
                             "found for you.", "no_email")
        if not _verified(claims):
            raise SsoRefused(f"The sign-in provider has not verified your e-mail {email}, so onevoice cannot tell "
                             "it is yours. Verify it with the provider, then sign in again.", "unverified_email")
        member = session.scalar(select(Member).where(Member.email == email))
        if member is None:
            raise SsoRefused(NO_MEMBER.format(email=email), "no_member")
        if member.sso_subject is not None:
            raise SsoRefused(f"The member {email} already signs in with another account of a sign-in provider; "
                             "ask an administrator.", "linked_elsewhere")
        if not member.active:
            raise SsoRefused("This account is disabled.", "disabled")
        member.sso_issuer, member.sso_subject = client.issuer, sub
        audit.record(session, member.email, "member.sso_linked", "member", member.id, None,
                     {"issuer": client.issuer, "sub": sub})
    if not member.active:
        raise SsoRefused("This account is disabled.", "disabled")
    return member


def _refuse(db: Database, state: str | None, refusal: SsoRefused, detail: dict | None = None) -> SsoRefused:
    """Record a refusal (and that its state is spent); return it for the caller to raise."""
    try:
        with db.transaction() as s:
            if state is not None and not _used(s, _digest("state", state)):
                s.add(SsoUse(digest=_digest("state", state), kind="state"))
            audit.record(s, ANONYMOUS, "member.sso_refused", "sso", refusal.reason,
                         detail={"reason": refusal.reason, **(detail or {})})
    except IntegrityError:
        pass  # the same state, refused at the same moment in another request
    return refusal


def sign_in(db: Database, client: OidcClient, pending: Pending | None, state: str, code: str, error: str = "",
            error_description: str = "", session_hours: int = 12) -> tuple[Member, str]:
    """The callback: check it belongs to this browser's sign-in, exchange the code, check the
    id_token, find (or link) the member and start a session, in one transaction. Raises SsoRefused."""
    if pending is None or not state or not secrets.compare_digest(state.encode(), pending.state.encode()):
        raise SsoRefused(EXPIRED_SIGN_IN, "state_mismatch")
    with db.reader() as s:
        spent = _used(s, _digest("state", state))
    if spent:
        raise _refuse(db, None, SsoRefused(USED, "state_reused"))
    if error:
        words = error_description or error
        raise _refuse(db, state, SsoRefused(f"The sign-in provider did not sign you in ({words[:200]}).",
                                            "provider_error"), {"error": error[:100]})
    if not code:
        raise _refuse(db, state, SsoRefused("The sign-in provider sent no code.", "provider_error"))
    try:
        claims, id_token = client.identity(code, pending)
    except SsoRefused as refusal:
        raise _refuse(db, state, refusal) from None
    try:
        with db.transaction() as s:
            if _used(s, _digest("state", state), _digest("id_token", id_token)):
                raise SsoRefused(USED, "token_reused")
            s.add_all([SsoUse(digest=_digest("state", state), kind="state"),
                       SsoUse(digest=_digest("id_token", id_token), kind="id_token")])
            member = link_or_match(s, client, claims)
            audit.record(s, member.email, "member.sso_sign_in", "member", member.id,
                         detail={"issuer": client.issuer, "sub": str(claims["sub"])})
            secret, _ = auth.start_session(s, member, session_hours)
    except SsoRefused as refusal:
        raise _refuse(db, state, refusal, {"sub": str(claims.get("sub", ""))[:255]}) from None
    except IntegrityError:
        raise SsoRefused(USED, "token_reused") from None
    return member, secret
