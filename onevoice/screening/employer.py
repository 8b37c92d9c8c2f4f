"""2.g Consistent with employer's policies: personal posts that clearly break an employer's
social media policy, such as sharing the employer's internal information or speaking for the
employer without authority.

Without a member-specific employer pack the generic rule looks for the common signs: the
member's workplace ("our hospital", "my trust", a named hospital) together with an internal
source or a not-yet-public decision. An employer pack (policy/packs/employers/*.yaml) adds the
employer's own names and forbidden topics through the rule's parameters.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import Draft, Hit, Organization
from .normalize import ScreenText
from .pattern import pattern_hits
from .registry import Detector, detector
from .text_patterns import clause_span, words_regex

# A name's words are bounded: "O'O'O'…" is one long word that every apostrophe would start again.
_WORKPLACE = (r"(?:our|my|the)\s+(?:hospital|trust|unit|ward|department|clinic|practice|employer|health board|"
              r"exec(?:utive)? team|board|cmo|ceo|management|unit manager|manager|press office|finance(?: team)?)(?:'s|’s)?"
              r"|\b[A-Z][\w'’.]{1,40}(?:\s+[A-Z][\w'’.]{1,40}){0,3}\s+(?:Hospital|General|Infirmary|Medical Center|Medical Centre|"
              r"Health|Trust|Clinic|Children's Hospital|Children’s Hospital)\b"
              r"|\bSt\.?\s+[A-Z][\w'’]+(?:'s|’s)?"
              r"|\bnuestro hospital|\bmi hospital|\bnotre hôpital|\bmon hôpital|\bunser(?:em)? (?:krankenhaus|klinikum)|"
              r"\bil nostro ospedale|\bo nosso hospital")
_WORKPLACE_RE = re.compile(_WORKPLACE, re.I)
_INTERNAL = re.compile(
    r"(?<!\w)(?:internal (?:e-?mail|memo|briefing|meeting|document|announcement)|closed (?:staff )?(?:briefing|meeting)|"
    r"staff briefing|not public yet|not yet public|hasn'?t been announced|not (?:been )?announced|memo leaked|"
    r"leaked (?:memo|email|document)|press office says no comment|no comment, but|not allowed to post|"
    r"told us (?:in|at) (?:today'?s|a) (?:closed|staff|internal)|do not mention|don'?t tell|can'?t say much, but|"
    r"between us|off the record|confidential(?:ly)?|nicht öffentlich|intern\w*|no es público|confidencial|"
    r"pas encore public|en interne|riservat\w+|interno|interna)\b",
    re.I)
_SPEAKS_FOR = re.compile(
    rf"\bon behalf of\s+(?:{_WORKPLACE})[^.!?\n]{{0,120}}|\b(?:i can confirm|i'?ll say it)\b[^.!?\n]{{0,100}}", re.I)
_DECISION = re.compile(r"\b(?:will (?:lose|cut|close|drop)|is cutting|are cutting|cutting|closing|to close|will be "
                       r"dropping|dropping|makes? (?:parents|patients) pay|new policy|lose \d+ beds|layoffs?|redundanc\w+|"
                       r"down \d+ days|outage)\b", re.I)

_SOURCE_NAMED = re.compile(r"memo|email|briefing|leaked|not allowed", re.I)


def _findings(t: str, workplace: re.Pattern[str], internal: re.Pattern[str]) -> Iterator[tuple[int, int, str]]:
    if not workplace.search(t):
        return
    for m in _SPEAKS_FOR.finditer(t):
        yield m.start(), m.end(), "speaks"
    for m in internal.finditer(t):
        a, b = clause_span(t, m.start(), m.end(), limit=160)
        yield a, b, "internal"


@detector("employer.conflict", clause="2.g", patterns=("employer_names", "forbidden_topics", "internal_markers"))
def employer_conflict(params: dict[str, Any], org: Organization) -> Detector:
    """Employer-internal information, or speaking for the employer without authority."""
    names = params.get("employer_names") or []
    workplace = re.compile(_WORKPLACE + ("|" + words_regex(names).pattern if names else ""), re.I)
    topics = words_regex(params["forbidden_topics"]) if params.get("forbidden_topics") else None
    internal = re.compile(_INTERNAL.pattern + ("|" + words_regex(params["internal_markers"]).pattern
                                               if params.get("internal_markers") else ""), re.I)
    label = params.get("employer_label") or "your employer"

    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        t = text.base.text
        decided = None  # a fact of the whole draft: looked up once, not once per marker
        for a, b, why in _findings(t, workplace, internal):
            if why == "internal":
                if decided is None:
                    decided = bool(_DECISION.search(t))
                if not (decided or _SOURCE_NAMED.search(t, a, b)):
                    continue
            s, e = text.base.to_original(a, b)
            yield Hit(s, e,
                      f"This shares internal information of {label}, or speaks for it, which employers' social "
                      "media policies forbid." if why == "internal" else
                      f"Speaking for {label} needs its authority; personal accounts speak only for yourself.",
                      "Leave internal matters to your employer's own channels; check its social media policy.")
        if topics is not None and workplace.search(t):
            yield from pattern_hits(text.base, (topics,), f"{label} does not allow staff to post about this topic.",
                                    "Leave this topic out of your personal posts.")
    return detect
