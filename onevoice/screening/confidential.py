"""2.b Share approved information: nothing internal, unannounced, unapproved or secret.

Three kinds of evidence: markers that say the material is not approved for publication
("internal", "draft minutes", "embargoed until", "not yet announced", "keep this quiet");
disclosures of internal process (closed-meeting votes, review scores and reviewers, unpaid-member
lists, legal settlements); and credentials or secrets (passwords, host keys, API tokens). The
word "confidential" or "password" alone discloses nothing ("our confidential helpline", "never
share your password"), and published, approved or certified material passes.
"""
from __future__ import annotations

import re

from .model import Hit
from .registry import detector
from .employer import _WORKPLACE_RE
from .text_patterns import clause_span, sentence_bounds

_MARKERS = re.compile(
    r"\b(?:internal(?:\s+only)?|for internal use|not for (?:circulation|distribution|publication)|do not (?:share|forward|"
    r"circulate)|don'?t share (?:this|it)|keep (?:this|it) (?:quiet|between us|to yourselves)|between us|"
    r"off the record|under embargo|embargoed(?: until)?|draft minutes|(?:draft|provisional) (?:budget|report|results|"
    r"recommendations|guideline|statement|programme|list)|budget draft|draft v\d+|not (?:yet )?(?:announced|approved|"
    r"ratified|certified|public|published|official|final)|(?:hasn'?t|has not|haven'?t|have not) (?:been )?(?:announced|"
    r"approved|told|ratified|certified|published)|still to be approved|yet to be (?:approved|announced|ratified)|"
    r"unofficial for now|before it'?s (?:official|announced|public)|closed (?:meeting|session|door)|behind closed doors|"
    r"insider tip|sneak (?:peek|preview)|you heard it here first|leaked|confidential:|strictly confidential|"
    r"raw data|vertraulich|nicht öffentlich|nur intern|confidencial|no difundir|uso interno|confidentiel|"
    r"ne pas diffuser|usage interne|riservato|uso interno|non divulgare|sigiloso|não divulgar)\b"
    r"|🤫|🤐", re.I)
_SAFE = re.compile(r"\b(?:embargo has (?:been )?lifted|now (?:published|available|public|out)|approved (?:minutes|summary|"
                   r"by (?:the )?council)|certified results|confidential (?:advice|helpline|support|line|service)|"
                   r"published today|is out\b)", re.I)
_NEGATED = re.compile(r"\b(?:not|yet to be|still to be|isn'?t|hasn'?t been)\s+(?:yet\s+)?$", re.I)
_PROCESS = re.compile(
    r"\b(?:council|board|committee|executive|jury|panel|awards committee)\s+(?:has\s+|have\s+)?(?:already\s+)?"
    r"(?:agreed|decided|picked|chosen|voted|is investigating|are investigating|investigating)\b[^.!?\n]{0,120}"
    r"|\b(?:current )?(?:vote )?count\s+\d+\s+(?:for|to)\s*/?\s*\d+"
    r"|\breviewer\s*\d*\s+(?:was|is)\s+[A-Z][^.!?\n]{0,40}|\bscored\s+\d+(?:\.\d+)?\s*/\s*\d+"
    r"|\b(?:still\s+)?(?:unpaid|not (?:yet )?paid|overdue|in arrears)\b[^\n]{0,40}?:\s*(?:(?:dr|prof|mr|mrs|ms)\.?\s+[\w'’\-]+,?\s*){3,}"
    r"|\b(?:lawyers?|solicitors?|legal team)\s+(?:say|says|think|advise)\b[^.!?\n]{0,120}"
    r"|\b(?:settle|settlement)\b[^.!?\n]{0,60}(?:\$|€|£)\s?\d+"
    r"|\b(?:is|are)\s+stepping down\b[^.!?\n]{0,80}"
    r"|\b(?:going to|about to|will)\s+(?:scrap|cancel|close|cut|move|relocate)\b[^.!?\n]{0,100}",
    re.I)

_SECRET = re.compile(
    r"\b(?:password|passwd|pwd|pass|passcode|pin|host key|admin login|login|user(?:name)?|contraseña|mot de passe|"
    r"passwort|kennwort|senha)\s*(?:is\s*)?[:=]?\s*(?=\S*[\d#!$%&*@])[^\s,;]{4,}(?:\s*/\s*(?:pass(?:word)?:?\s*)?[^\s,;]{4,})?"
    r"|\bAKIA[0-9A-Z]{16}\b|\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}|\b(?:sk|pk|ghp|gho|xox[bap])[-_][A-Za-z0-9_\-]{16,}"
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*/\s*\S{6,}",
    re.I)
_SECRET_SAFE = re.compile(r"\b(?:no|never|your|without|forgot|reset|change|strong)\s+(?:\w+\s+){0,3}(?:password|passcode|pin)\b",
                          re.I)
_ATTACHMENT_INTERNAL = re.compile(r"(?:\b|_)(?:internal|draft|confidential|raw|not for)(?:\b|_)|_v\d", re.I)


def _safe(sentence: str) -> bool:
    """Published, approved or lifted, and not negated ("not yet approved by Council" is not safe)."""
    return any(not _NEGATED.search(sentence[:m.start()]) for m in _SAFE.finditer(sentence))


@detector("confidential.unapproved", clause="2.b")
def unapproved(params: dict, org) -> callable:
    """Internal, draft, embargoed or unannounced material, and internal deliberations."""
    org_decides = None
    if org.names:
        names = "|".join(re.escape(n) for n in org.names)
        org_decides = re.compile(rf"\b(?:{names})\s+(?:has decided|decided|will announce)\b[^.!?\n]{{0,80}}", re.I)

    org_word = re.compile("|".join(re.escape(n) for n in org.names) or r"(?!x)x", re.I)

    def detect(text, draft):
        t = text.base.text
        # a member's employer's internal matters are 2.g, not the organization's information
        employer_matter = draft.kind == "personal" and bool(_WORKPLACE_RE.search(t))
        for pattern in (_MARKERS, _PROCESS):
            for m in pattern.finditer(t):
                s0, e0 = sentence_bounds(t, m.start())
                if _safe(t[s0:e0]) or (employer_matter and not org_word.search(t[s0:e0])):
                    continue
                a, b = clause_span(t, m.start(), m.end(), limit=120) if pattern is _MARKERS else (m.start(), m.end())
                s, e = text.base.to_original(a, b)
                yield Hit(s, e, "This is not approved for publication (internal, draft, embargoed or unannounced).",
                          "Wait for the organization's announcement and share that, or leave it out.")
        if org_decides is not None and draft.kind == "personal":
            for m in org_decides.finditer(t):
                s, e = text.base.to_original(m.start(), m.end())
                yield Hit(s, e, "An organizational decision announced by a member, not by the organization.",
                          "Share the organization's own announcement once it is published.")
        for a in draft.attachments:
            if employer_matter and not org_word.search(a.alt or ""):
                continue
            if a.alt and _ATTACHMENT_INTERNAL.search(a.alt) and not _safe(a.alt):
                yield Hit(0, 0, "The attachment is an internal or draft document.",
                          "Attach only published material.", evidence=f"{a.type}: {a.alt[:120]}")
    return detect


@detector("confidential.secrets", clause="2.b")
def secrets(params: dict, org) -> callable:
    """Passwords, logins, host keys, access tokens and other secrets."""
    def detect(text, draft):
        t = text.base.text
        for m in _SECRET.finditer(t):
            if _SECRET_SAFE.search(t[max(0, m.start() - 30):m.end()]):
                continue
            s, e = text.base.to_original(m.start(), m.end())
            yield Hit(s, e, "This discloses a password, login or access key.",
                      "Remove it now, and change the secret: once posted, it is public.")
    return detect
