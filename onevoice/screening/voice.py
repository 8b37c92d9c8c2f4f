"""2.f Individual opinions: a member's personal post must not speak in the organization's voice.

Only personal posts are checked (the pack's rule applies to kind "personal"): on the official
accounts the organization's voice is the point. A "views my own" line does not cancel an
explicit claim to speak for the organization; mentioning membership, or linking the
organization's published position while giving one's own view, is fine.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import Draft, Hit, Organization
from .normalize import ScreenText
from .registry import Detector, detector


def _patterns(names: tuple[str, ...]) -> list[re.Pattern[str]]:
    org = "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"
    the = r"(?:the\s+|l'|l’|la\s+|el\s+|der\s+|die\s+|da\s+|do\s+|dell'|della\s+)?"
    says = (r"(?:has decided|decided|thinks|says|believes|supports|fully supports|opposes|rejects|condemns|demands|"
            r"backs|endorses|will (?:not )?(?:endorse|support|oppose|back)|is (?:against|for)|wants|calls for|urges)")
    return [
        # "As IPALA we believe", "We at IPALA", "Como IPALA exigimos", "Als IPALA sagen wir", "En tant qu'IPALA"
        re.compile(rf"\b(?:as|como|en tant qu[e'’]\s*|als|come|enquanto)\s*{the}{org}\b[\s,]+(?:\w+\s+){{0,2}}?"
                   rf"(?:we|nosotros|nous|wir|noi|nós|\w+(?:mos|ons|iamo))\b[^.!?\n]{{0,40}}", re.I),
        re.compile(rf"\bwe\s+(?:at|in|of)\s+{the}{org}\b[^.!?\n]{{0,50}}", re.I),
        # "speaking for IPALA", "on behalf of (all) IPALA (members)", "Im Namen der IPALA", "en nombre de IPALA"
        re.compile(rf"\b(?:speaking\s+(?:for|on behalf of)|on behalf of|in the name of|im namen|en nombre|au nom|"
                   rf"a nome|em nome)\s+(?:of\s+|de\s+|der\s+|des\s+|da\s+|do\s+|dell[a']\s*)?(?:all\s+)?{the}{org}\b"
                   rf"[^.!?\n:]{{0,40}}", re.I),
        # "IPALA's official view / stance / position (I'm on council)", "Official IPALA statement";
        # the role is looked for near the claim only (to the end of the text, each claim cost a read of it)
        re.compile(rf"\b{org}(?:'s|’s)\s+(?:official\s+)?(?:view|stance|position|statement|line)\b\s*+[(,:]\s*+[^)]{{0,200}}?"
                   rf"(?:official|council|board|chair|president|i'?m|i am)[^)]*\)?", re.I),
        re.compile(rf"\bofficial\s+{org}\s+(?:statement|position|view|stance)\b[^.!?\n]{{0,60}}", re.I),
        # "#IPALA says:", "IPALA has decided:", "IPALA thinks …" (the org as the speaker of the member's claim)
        re.compile(rf"(?:^|[\s(])#?{org}\s+{says}\b[^.!?\n]{{0,80}}", re.I),
        # "as IPALA President I can tell you", "I'm on the board so take it as official"
        re.compile(rf"\bas\s+(?:an?\s+)?{org}\s+(?:president|chair|board member|council member|officer|spokes\w+)\b"
                   rf"[^.!?\n]{{0,80}}", re.I),
        re.compile(r"\b(?:take it as official|so (?:yes )?it'?s official|trust me|you can quote me|quote me as|"
                   r"this is official)\b", re.I),
        re.compile(rf"\bour association\s*\(?{org}\)?[^.!?\n]{{0,60}}", re.I),
    ]


_PUBLISHED = re.compile(r"\b(?:position paper|published|statement|guideline)\b", re.I)
_OWN_VIEW = re.compile(r"\b(?:my own|i think|personally)\b", re.I)
_WE = re.compile(r"\bwe\b", re.I)


def _own_view_beside_published(t: str) -> bool:
    """A published position named, then the author's own view later on the same line, and a
    recommendation: the member links the position and speaks for themselves."""
    if "recommend" not in t.lower():
        return False
    line_end = -1
    for m in _PUBLISHED.finditer(t):
        if m.start() < line_end:  # the first mention on a line already looked to its end
            continue
        line_end = t.find("\n", m.end())
        line_end = len(t) if line_end < 0 else line_end
        if _OWN_VIEW.search(t, m.end(), line_end):
            return True
    return False


@detector("voice.speaks_for_org", clause="2.f")
def speaks_for_org(params: dict[str, Any], org: Organization) -> Detector:
    """A personal post that speaks in the organization's voice or implies its views are the organization's."""
    names = tuple(params.get("names") or org.names or ("IPALA",))
    patterns = _patterns(names)
    org_word = re.compile("|".join(re.escape(n) for n in names), re.I)

    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        t = text.base.text
        if not org_word.search(t):
            return
        found = []
        beside_published = None  # a fact of the whole draft: found once, when first needed
        for p in patterns:
            for m in p.finditer(t):
                if beside_published is None:
                    beside_published = _own_view_beside_published(t)
                if beside_published and not _WE.search(m.group()):
                    continue
                found.append((m.start(), m.end()))
        for start, end in _merge(found):
            a = start + (len(t[start:end]) - len(t[start:end].lstrip(" (")))
            s, e = text.base.to_original(a, end)
            yield Hit(s, e, "On a personal account this presents your view as the organization's.",
                      "Write in your own name (\"I think…\"), or link the organization's published position "
                      "and give your view separately. A disclaimer does not cancel a claim to speak for it.")
    return detect


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
