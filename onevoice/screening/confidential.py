"""2.b Share approved information: credentials, by their shape.

Passwords, Wi-Fi and door codes, API keys and tokens, access links and login pairs have a
format, so a recognizer finds them with an exact span. Whether a text discloses unannounced
decisions, deliberations, review details or member lists is a matter of meaning: the learned 2.b
head reads it (``learned.py``). The word "password" alone discloses nothing ("never share your
password"), and the near-miss filters below keep it that way.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import Draft, Hit, Organization
from .normalize import ScreenText
from .pattern import find_spans
from .registry import Detector, detector

_SECRET_WORD = (
    r"(?:password|passwd|pwd|passcode|pass code|pass|pin(?: code)?|access code|door code|entry code|gate code|"
    r"security code|login code|verification code|2fa code|wi-?fi (?:password|code|key|pw)|wlan[- ]?(?:passwort|schlüssel)|"
    r"host key|admin (?:login|password)|login|log-?in|user(?:name)?|api[ _-]?key|secret(?: key)?|access token|token|"
    r"contraseña|clave|mot de passe|mdp|code d'accès|passwort|kennwort|zugangscode|senha|chave|codice(?: d'accesso)?)")
_SECRET_VALUE = r"[^\s,;)\]]{4,}"
# Whitespace is taken whole ("*+"): a value never starts with a space, and two "\s*" side by side
# would try every split of a long run of spaces.
_SECRET = re.compile(
    rf"\b(?P<kw>{_SECRET_WORD})\s*+(?:is\s*+|es\s*+|est\s*+|ist\s*+|è\s*+|é\s*+)?(?P<sep>[:=\-–]?)\s*+"
    rf"(?P<value>{_SECRET_VALUE})(?:\s*+/\s*+(?:{_SECRET_WORD}\s*+[:=]?\s*+)?(?P<value2>{_SECRET_VALUE}))?",
    re.I)
# words that are secrets only when a value follows a colon ("pass: Airway#25", not "day pass 2026")
_WEAK_SECRET_WORD = re.compile(r"(?i)(?:pass|pin|login|log-?in|user(?:name)?|token|clave|chave|codice)")
# "door code for the lounge: 4471#": the secret named, what it opens, then the value
_SECRET_FOR = re.compile(
    r"\b(?P<kw>password|passcode|pin|access code|door code|entry code|gate code|wi-?fi (?:password|code|key)|host key|"
    r"admin password|api key|contraseña|clave|mot de passe|code d'accès|passwort|zugangscode|senha|codice)"
    r"\s+(?:for|to|of|at|on|del|de|du|für|per|do|da)\b[^:\n.!?]{0,40}?(?:\bis\b|\bes\b|\best\b|\bist\b|:)\s*+"
    r"(?P<value>[^\s,;)\]]{4,})", re.I)
# "the staff login for the portal is admin / Croup!2024"; a user name is short, and bounding it keeps
# "login:login:login:…" from reading the rest of the run once per "login"
_LOGIN_PAIR = re.compile(r"\b(?:login|log-?in|credentials|access|account)\b[^.!?\n]{0,40}?\b(?:is|are|:)\s*+"
                         r"(?P<value>[^\s,;/]{3,100}+)\s*+/\s*+(?P<value2>[^\s,;]{4,})", re.I)
# a Wi-Fi network named, then its key: "network IPALA-Guest, code Stridor25"
_WIFI = re.compile(r"\b(?:wi-?fi|wlan|network|ssid|red|réseau|netzwerk|rete|rede)\b[^.!?\n]{0,60}?\b(?:code|key|pw|pass|password|"
                   r"clave|mot de passe|schlüssel|passwort|chiave|senha)\s*+[:=]?\s*+(?P<value>[^\s,;)\]]{4,})", re.I)
_SECRET_HINTS = ("pass", "pwd", "pin", "code", "key", "login", "log-in", "user", "credential", "access", "account",
                 "pw", "contraseña", "clave", "senha", "codice", "kennwort", "schlüssel", "chiave", "código", "secret",
                 "token", "mdp", "chave")
# A token starts where its run of characters starts: "eyJ-eyJ-…" or "a-a-…@" would otherwise be
# read to the end of the run once per possible start.
_TOKEN_SHAPES = re.compile(
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"                                   # AWS access key id
    r"|(?<![\w-])eyJ[\w-]{8,}+\.[\w-]{8,}+\.[\w-]{8,}"                 # JWT
    r"|\b(?:sk|pk|rk)[-_](?:live|test)?[-_]?[A-Za-z0-9]{16,}"          # Stripe/OpenAI-style keys
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"                                   # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"                                 # Slack tokens
    r"|\bAIza[0-9A-Za-z_-]{30,}"                                       # Google API keys
    r"|\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*"                            # bearer tokens
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*+/\s*+(?=\S*[\d#!$%&*@?])\S{6,}")  # login e-mail / password
# Access links with a token: the link first, then the token among its parameters (a pattern that
# looked for the parameter from every "http" of a long run read the run once per "http").
_LINK = re.compile(r"https?://\S+")
_LINK_TOKEN = re.compile(r"[?&#](?:token|access_token|auth|key|api_key|apikey|secret|sig|signature|password|pwd|pass|"
                         r"invite|code|session|sid)=[\w.%~+/-]{6,}")
_NOT_A_SECRET = frozenset({
    "safe", "secure", "reset", "manager", "managers", "protected", "required", "needed", "strong", "private",
    "changes", "change", "changed", "here", "below", "details", "required.", "page", "portal", "link", "please",
    "when", "with", "from", "your", "their", "never", "sent", "provided", "available", "shared", "hint",
})
_SECRET_SAFE_BEFORE = re.compile(
    r"\b(?:no|never|your|without|forgot(?:ten)?|reset|change|strong|new|own|a|choose|create|enter|same|unique)\s+"
    r"(?:\w+\s+){0,2}$", re.I)


_NOT_SECRET_SHAPE = re.compile(r"^(?:[€$£]|\d{1,2}[:.h]\d\d$|\d+%$|(?:19|20)\d\d$|\d{1,2}[./-]\d{1,2}|\d+(?:st|nd|rd|th)$)", re.I)


def _looks_secret(value: str | None) -> bool:
    if not value:
        return False
    v = value.strip(".,:;!?\"'’)")
    if len(v) < 4 or v.lower() in _NOT_A_SECRET or v.startswith(("http", "@", "#")) or _NOT_SECRET_SHAPE.search(v):
        return False
    # a secret has a digit or a symbol, or mixes cases inside the word; prose words do not
    return bool(re.search(r"[\d#!$%&*@?^~]", v)) or bool(re.search(r"[a-z][A-Z]|[A-Z]{2}[a-z]", v))


def _link_has_token(t: str, m: re.Match[str]) -> bool:
    return _LINK_TOKEN.search(t, m.start() + m.group().index("://") + 4, m.end()) is not None


def _discloses_secret(t: str, m: re.Match[str]) -> bool:
    """Whether a match of a keyword pattern (_SECRET, _SECRET_FOR, _WIFI, _LOGIN_PAIR) gives a value
    that looks secret, and is not a near miss ("never share your password", "day pass 2026")."""
    values = [v for v in (m.group("value"), m.groupdict().get("value2")) if v]
    if m.re is _LOGIN_PAIR:
        values = values[1:]
    if not any(_looks_secret(v) for v in values):
        return False
    if _SECRET_SAFE_BEFORE.search(t[max(0, m.start() - 40):m.start()]) and not m.group("value")[0].isdigit():
        return False
    if m.re is _SECRET and _WEAK_SECRET_WORD.fullmatch(m.group("kw")) and not m.group("value2") \
            and not (m.group("sep") in (":", "=") and re.search(r"[A-Za-z]", m.group("value"))
                     and re.search(r"[\d#!$%&*@]", m.group("value"))):
        return False
    return True


@detector("confidential.secrets", clause="2.b")
def secrets(params: dict[str, Any], org: Organization) -> Detector:
    """Passwords, logins, Wi-Fi and door codes, API keys, tokens and access links."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        t = text.base.text
        spans = [*find_spans(t, (_TOKEN_SHAPES,)), *find_spans(t, (_LINK,), keep=_link_has_token)]
        lower = t.lower()
        if any(h in lower for h in _SECRET_HINTS):  # a cheap look before four long patterns
            spans += find_spans(t, (_SECRET, _SECRET_FOR, _WIFI, _LOGIN_PAIR), keep=_discloses_secret)
        spans.sort()
        last = -1
        for a, b in spans:
            if a < last:
                continue
            last = b
            while b > a and t[b - 1] in ".,;:!?)":
                b -= 1
            s, e = text.base.to_original(a, b)
            yield Hit(s, e, "This discloses a password, access code, key or token; 2.b rules out sharing "
                            "confidential information.",
                      "Remove it now and change the secret (once posted it is public); share access through "
                      "a private channel instead.")
    return detect
