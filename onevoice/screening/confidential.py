"""2.b Share approved information: nothing internal, unannounced, unapproved or secret.

Five kinds of evidence, one detector each:
- markers that say the material is not approved for publication: "internal only", "not for
  circulation", "embargoed until", "draft minutes", "not yet announced", "vertraulich", and
  exclusives ("sneak peek", "you heard it here first") that carry a decision of the organisation;
- internal deliberations: what a council or committee is deciding, legal and disciplinary matters
  (for the committee to check: often, but not always, unannounced);
- review details: scores of a named submission, who reviewed it;
- member and attendee lists, and named lists of members (who has not paid, who voted how);
- credentials: passwords, Wi-Fi and door codes, API keys and tokens by their shape, access links.

The word "confidential" or "password" alone discloses nothing ("our confidential helpline",
"never share your password"), and published, approved, certified or lifted material passes.
The vocabulary lives in lexicons/confidential_markers.txt.
"""
from __future__ import annotations

import re

from .employer import _WORKPLACE_RE
from .model import Hit
from .registry import detector
from .text_patterns import alternation, clause_span, load_lexicon, sentence_bounds

_LEX = load_lexicon("confidential_markers.txt")


def _lexicon(*sections: str) -> re.Pattern:
    words = [w for s in sections for w in _LEX[s]]
    return re.compile(rf"(?<![\w-]){alternation(words)}(?![\w-])", re.I)


_RESTRICTED = _lexicon("restricted", "not_yet", "draft_document")
_TEASE = _lexicon("tease")
_SAFE = _lexicon("safe")
_BODY_DECIDES = re.compile(
    rf"(?<![\w-]){alternation(_LEX['body'])}s?\s+(?:\w+\s+){{0,1}}{alternation(_LEX['decision'])}(?![\w-])"
    rf"|\b(?:they|we)(?:'re|'ll|\s+are|\s+will)\s+(?:going to\s+|about to\s+)?(?:scrap|cancel|close|cut|raise|increase|"
    rf"move|relocate|merge|drop|end|suspend|announce|replace|sack|fire|hike)\b", re.I)
_INTERNAL_AFFAIRS = _lexicon("internal_affairs")
_NEGATED_SAFE = re.compile(r"\b(?:not|yet to be|still to be|isn'?t|hasn'?t been|before|until|pending)\s+(?:yet\s+)?(?:\w+\s+)?$", re.I)
_FIGURES = re.compile(r"(?:[$€£]\s?\d|\d\s?(?:%|k\b|€|\$|£|eur\b|usd\b|million|m\b))", re.I)
_URL = re.compile(r"https?://\S+|\bwww\.\S+", re.I)
_ATTACHMENT_INTERNAL = re.compile(
    r"(?:\b|_)(?:internal|draft|confidential|embargoed|raw|restricted|not for (?:circulation|distribution)|"
    r"member(?:s|ship)?[ _-]?(?:list|directory|export|database)|attendees?[ _-]?list|registrations?[ _-]?(?:list|export)|"
    r"contacts?[ _-]?(?:list|export))(?:\b|_)|_v\d", re.I)

_FIX_WAIT = "Wait for the organization's approved announcement and share that, or leave this out."


def _safe(sentence: str) -> bool:
    """Published, approved or lifted, and not negated ("not yet approved by Council" is not safe)."""
    return any(not _NEGATED_SAFE.search(sentence[:m.start()]) for m in _SAFE.finditer(sentence))


def _sentence_span(t: str, pos: int, end: int) -> tuple[int, int]:
    """The sentence that carries the marker; a short "Keep this quiet 🤐" takes the one before with it."""
    s0, e0 = sentence_bounds(t, pos)
    if e0 - s0 > 240:
        return clause_span(t, pos, end, limit=120)
    if s0 > 0 and (len(t[s0:e0].split()) <= 5 or t[s0] in "(["):
        p0, _ = sentence_bounds(t, max(0, s0 - 2))
        s0 = p0
    while e0 > s0 and t[e0 - 1] in " \t":
        e0 -= 1
    return s0, e0


def _org_pattern(org) -> re.Pattern:
    return re.compile("|".join(re.escape(n) for n in org.names if n) or r"(?!x)x", re.I)


def _employer_matter(t: str, draft, org_word: re.Pattern, sentence: str) -> bool:
    """A member's employer's internal matters are 2.g, not the organization's information."""
    return draft.kind == "personal" and bool(_WORKPLACE_RE.search(t)) and not org_word.search(sentence)


@detector("confidential.unapproved", clause="2.b")
def unapproved(params: dict, org) -> callable:
    """Internal, draft, embargoed or unannounced material: the author says it is not approved."""
    org_word = _org_pattern(org)

    def detect(text, draft):
        t = text.base.text
        done: set[int] = set()
        for m in _RESTRICTED.finditer(t):
            s0, e0 = sentence_bounds(t, m.start())
            sentence = t[s0:e0]
            if s0 in done or _safe(sentence) or _employer_matter(t, draft, org_word, sentence):
                continue
            done.add(s0)
            s, e = text.base.to_original(*_sentence_span(t, m.start(), m.end()))
            yield Hit(s, e, "This is marked as not approved for publication (internal, draft, embargoed or "
                            "not yet announced); 2.b allows only approved information.", _FIX_WAIT)
        # an "exclusive" that carries a decision or figures of the organisation is a leak
        for m in _TEASE.finditer(t):
            s0, e0 = sentence_bounds(t, m.start())
            # "Just left the council meeting — they're going to… You heard it here first 🤫": the
            # exclusive and the news may sit in neighbouring sentences
            w0, _ = sentence_bounds(t, max(0, s0 - 2))
            _, w1 = sentence_bounds(t, min(len(t), e0 + 2))
            window = t[w0:w1]
            if s0 in done or _safe(window) or _employer_matter(t, draft, org_word, window):
                continue
            news = _BODY_DECIDES.search(window) or _INTERNAL_AFFAIRS.search(window)
            if not (news or (_FIGURES.search(t[s0:e0]) and not _URL.search(window))):
                continue
            done.add(s0)
            a, b = _sentence_span(t, m.start(), m.end())
            if news:
                n0, n1 = sentence_bounds(t, w0 + news.start())
                a, b = min(a, n0), max(b, n1)
            s, e = text.base.to_original(a, b)
            yield Hit(s, e, "This shares an organisational decision or figures before they are announced.",
                      _FIX_WAIT)
        for a in draft.attachments:
            alt = a.alt or ""
            if alt and _ATTACHMENT_INTERNAL.search(alt) and not _safe(alt) \
                    and not (draft.kind == "personal" and _WORKPLACE_RE.search(t) and not org_word.search(alt)):
                yield Hit(0, 0, "The attachment is an internal, draft or restricted document.",
                          "Attach only the published version.", evidence=f"{a.type}: {alt[:160]}")
    return detect


@detector("confidential.deliberations", clause="2.b")
def deliberations(params: dict, org) -> callable:
    """Internal deliberations: what a council or committee decides, legal and disciplinary matters."""
    org_word = _org_pattern(org)
    org_decides = re.compile(
        rf"\b(?:{org_word.pattern})\s+(?:has decided|decided|will announce|is going to|has agreed|has chosen)\b", re.I) \
        if org.names else None

    def detect(text, draft):
        t = text.base.text
        patterns = [_BODY_DECIDES, _INTERNAL_AFFAIRS]
        if org_decides is not None and draft.kind == "personal":
            patterns.append(org_decides)
        done: set[int] = set()
        for pattern in patterns:
            for m in pattern.finditer(t):
                s0, e0 = sentence_bounds(t, m.start())
                sentence = t[s0:e0]
                if s0 in done or _safe(sentence) or _employer_matter(t, draft, org_word, sentence):
                    continue
                # a decision with its public link is an announcement
                if pattern is _BODY_DECIDES and (_URL.search(t) or _SAFE.search(t)):
                    continue
                done.add(s0)
                s, e = text.base.to_original(*clause_span(t, m.start(), m.end(), limit=160))
                yield Hit(s, e, "This may disclose internal deliberations (decisions, votes, legal or disciplinary "
                                "matters) that the organization has not announced.",
                          "Check that this has been announced; if not, wait for the official announcement.")
    return detect


_REVIEW = re.compile(
    r"\breviewer\s*(?:#|no\.?\s*)?\d*\s*(?:was|is|were|:|=)\s*(?:(?:dr|prof|mr|mrs|ms)\b\.?\s*)?(?-i:[A-Z])[\w'’-]+"
    r"|\b(?:reviewed|rejected|scored|assessed|marked) by\s+(?:(?:dr|prof|mr|mrs|ms)\b\.?\s*)?(?-i:[A-Z])[\w'’-]+"
    r"|\b(?:abstract|submission|manuscript|paper|poster|application|grant|proposal)\s*(?:#\s*|no\.?\s*)?[\w-]*\s+"
    r"(?:got|received|scored|was scored|has a score of|had scores? of|ranked)\s+(?:\w+\s+){0,3}?\d"
    r"|\b(?:your|his|her|their) (?:abstract|submission|manuscript|paper|poster|application|grant|proposal)\b[^.!?\n]{0,40}?"
    r"\b(?:scored|score of|got|received|ranked)\s+\d"
    r"|\b(?:reviewer|review|referee)s?'?\s+(?:scores?|comments?|ratings?|marks|reports?|feedback)\s+(?:are in|of \d|were|was|:|for (?:abstract|submission|the))"
    r"|\bwho (?:reviewed|scored|rejected) (?:your|the|his|her|their|which)\b"
    r"|\bscored\s+\d+(?:[.,]\d+)?\s*(?:/|out of)\s*\d+\b(?=[^.!?\n]{0,60}\b(?:reviewer|cut-?off|threshold|rejected|accepted))",
    re.I)


@detector("confidential.review_details", clause="2.b")
def review_details(params: dict, org) -> callable:
    """Review details: scores of a named submission, who reviewed what."""
    def detect(text, draft):
        t = text.base.text
        for m in _REVIEW.finditer(t):
            s, e = text.base.to_original(*clause_span(t, m.start(), m.end(), limit=100))
            yield Hit(s, e, "Peer-review scores and reviewers' identities are confidential to the review process.",
                      "Share only the outcome through the official channel; never name reviewers or scores.")
    return detect


_TITLE = r"(?:(?:dr|prof|mr|mrs|ms|mx|dra|pr|sr|sra)\b\.?\s*)?"
_NAME = rf"{_TITLE}(?-i:[A-Z])[\w'’-]+(?:\s+(?-i:[A-Z])[\w'’-]+){{0,2}}"
_NAME_LIST = rf"{_NAME}(?:\s*(?:,|;|\band\b|&)\s*{_NAME}){{2,}}"
_LIST_OF_PEOPLE = re.compile(
    rf"(?<!\w)(?:still\s+)?(?:unpaid|not (?:yet )?(?:paid|renewed)|in arrears|overdue|lapsed|didn'?t (?:pay|renew)|"
    rf"voted (?:against|for|no|yes)|abstained|(?:who |that )?attended|were present|were absent|absent|no-?shows?|"
    rf"attendees|participants|registrants|delegates who)\b[^\n:?]{{0,60}}?[:?—–]\s*{_NAME_LIST}"
    rf"|\b(?:member(?:ship)?|attendee|participant|delegate|registrant|registration|mailing|contact|voter|subscriber)s?"
    rf"\s+(?:list|lists|directory|database|spreadsheet|roster|register|export|details)\b"
    rf"(?=[^.!?\n]{{0,60}}(?:attached|below|👇|📎|here|download|with (?:their |all )?(?:e-?mails?|phones?|phone numbers|"
    rf"addresses|contact details)|:\s*{_NAME}))"
    rf"|\b(?:full|complete|entire|whole)\s+(?:list of\s+)?(?:members?|attendees|participants|delegates|registrants)(?:\s+list)?\b"
    rf"(?=[^.!?\n]{{0,60}}(?:attached|below|👇|📎|here|download|e-?mails?|phones?|addresses))"
    rf"|\b(?:here(?:'s| is) )?(?:the )?list of (?:everyone|all (?:the )?(?:members|attendees|participants|delegates)|"
    rf"(?:members|attendees|participants|delegates|people) who)\b[^.!?\n]{{0,80}}",
    re.I)


@detector("confidential.member_lists", clause="2.b")
def member_lists(params: dict, org) -> callable:
    """Member, attendee and registrant lists, and named lists of members."""
    def detect(text, draft):
        t = text.base.text
        for m in _LIST_OF_PEOPLE.finditer(t):
            s, e = text.base.to_original(*clause_span(t, m.start(), m.end(), limit=160)
                                         if m.end() - m.start() < 40 else (m.start(), m.end()))
            yield Hit(s, e, "Member and attendee lists (and who paid, voted or attended) are not approved for "
                            "publication.", "Share aggregate numbers only (\"62 new members from 19 countries\").")
    return detect


# ---- credentials ------------------------------------------------------------------------------

_SECRET_WORD = (
    r"(?:password|passwd|pwd|passcode|pass code|pass|pin(?: code)?|access code|door code|entry code|gate code|"
    r"security code|login code|verification code|2fa code|wi-?fi (?:password|code|key|pw)|wlan[- ]?(?:passwort|schlüssel)|"
    r"host key|admin (?:login|password)|login|log-?in|user(?:name)?|api[ _-]?key|secret(?: key)?|access token|token|"
    r"contraseña|clave|mot de passe|mdp|code d'accès|passwort|kennwort|zugangscode|senha|chave|codice(?: d'accesso)?)")
_SECRET_VALUE = r"[^\s,;)\]]{4,}"
_SECRET = re.compile(
    rf"\b(?P<kw>{_SECRET_WORD})\s*(?:is\s*|es\s*|est\s*|ist\s*|è\s*|é\s*)?(?P<sep>[:=\-–]?)\s*(?P<value>{_SECRET_VALUE})"
    rf"(?:\s*/\s*(?:{_SECRET_WORD}\s*[:=]?\s*)?(?P<value2>{_SECRET_VALUE}))?",
    re.I)
# words that are secrets only when a value follows a colon ("pass: Airway#25", not "day pass 2026")
_WEAK_SECRET_WORD = re.compile(r"(?i)(?:pass|pin|login|log-?in|user(?:name)?|token|clave|chave|codice)")
# "door code for the lounge: 4471#": the secret named, what it opens, then the value
_SECRET_FOR = re.compile(
    r"\b(?P<kw>password|passcode|pin|access code|door code|entry code|gate code|wi-?fi (?:password|code|key)|host key|"
    r"admin password|api key|contraseña|clave|mot de passe|code d'accès|passwort|zugangscode|senha|codice)"
    r"\s+(?:for|to|of|at|on|del|de|du|für|per|do|da)\b[^:\n.!?]{0,40}?(?:\bis\b|\bes\b|\best\b|\bist\b|:)\s*"
    r"(?P<value>[^\s,;)\]]{4,})", re.I)
# "the staff login for the portal is admin / Croup!2024"
_LOGIN_PAIR = re.compile(r"\b(?:login|log-?in|credentials|access|account)\b[^.!?\n]{0,40}?\b(?:is|are|:)\s*"
                         r"(?P<value>[^\s,;/]{3,})\s*/\s*(?P<value2>[^\s,;]{4,})", re.I)
# a Wi-Fi network named, then its key: "network IPALA-Guest, code Stridor25"
_WIFI = re.compile(r"\b(?:wi-?fi|wlan|network|ssid|red|réseau|netzwerk|rete|rede)\b[^.!?\n]{0,60}?\b(?:code|key|pw|pass|password|"
                   r"clave|mot de passe|schlüssel|passwort|chiave|senha)\s*[:=]?\s*(?P<value>[^\s,;)\]]{4,})", re.I)
_SECRET_HINTS = ("pass", "pwd", "pin", "code", "key", "login", "log-in", "user", "credential", "access", "account",
                 "pw", "contraseña", "clave", "senha", "codice", "kennwort", "schlüssel", "chiave", "código", "secret",
                 "token", "mdp", "chave")
_TOKEN_SHAPES = re.compile(
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"                                   # AWS access key id
    r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"                           # JWT
    r"|\b(?:sk|pk|rk)[-_](?:live|test)?[-_]?[A-Za-z0-9]{16,}"          # Stripe/OpenAI-style keys
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"                                   # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"                                 # Slack tokens
    r"|\bAIza[0-9A-Za-z_-]{30,}"                                       # Google API keys
    r"|\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*"                            # bearer tokens
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|https?://\S+?[?&#](?:token|access_token|auth|key|api_key|apikey|secret|sig|signature|password|pwd|pass|"
    r"invite|code|session|sid)=[\w.%~+/-]{6,}\S*"                     # access links with a token
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*/\s*(?=\S*[\d#!$%&*@?])\S{6,}")  # login e-mail / password
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
    return bool(re.search(r"[\d#!$%&*@?^~]", v)) or bool(re.search(r"[a-z][A-Z]|[A-Z]{2,}[a-z]", v))


@detector("confidential.secrets", clause="2.b")
def secrets(params: dict, org) -> callable:
    """Passwords, logins, Wi-Fi and door codes, API keys, tokens and access links."""
    def detect(text, draft):
        t = text.base.text
        spans: list[tuple[int, int]] = []
        for m in _TOKEN_SHAPES.finditer(t):
            spans.append((m.start(), m.end()))
        lower = t.lower()
        keyworded = any(h in lower for h in _SECRET_HINTS)  # a cheap look before four long patterns
        for pattern in ((_SECRET, _SECRET_FOR, _WIFI, _LOGIN_PAIR) if keyworded else ()):
            for m in pattern.finditer(t):
                values = [v for v in (m.group("value"), m.groupdict().get("value2")) if v]
                if pattern is _LOGIN_PAIR:
                    values = values[1:]
                if not any(_looks_secret(v) for v in values):
                    continue
                if _SECRET_SAFE_BEFORE.search(t[max(0, m.start() - 40):m.start()]) and not m.group("value")[0].isdigit():
                    continue
                if pattern is _SECRET and _WEAK_SECRET_WORD.fullmatch(m.group("kw")) and not m.group("value2") \
                        and not (m.group("sep") in (":", "=") and re.search(r"[A-Za-z]", m.group("value"))
                                 and re.search(r"[\d#!$%&*@]", m.group("value"))):
                    continue
                spans.append((m.start(), m.end()))
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
