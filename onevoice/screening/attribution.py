"""2.c Attribute sources: third-party photos, videos, figures, quotes and texts need their source,
and copyrighted material needs permission.

A credit counts in the attachment's `credit` field or in the text ("📷 by @…", "Photo: …",
"Source: WHO", "via @…", "©", "courtesy of"). The organization's own material is credited to it,
and a member's own snapshot (a group photo at the congress) needs no credit; material made by
someone else does: infographics, cartoons, stock or landscape photos, other people's videos,
slides. A `link` names its source by its address, so it is flagged only when it points to copied
or pirated material. Removing a logo, watermark or signature is copying without permission,
whatever the credit says. The vocabulary lives in lexicons/attribution_cues.txt.
"""
from __future__ import annotations

import re

from .model import Hit
from .registry import detector
from .text_patterns import alternation, clause_span, load_lexicon

_LEX = load_lexicon("attribution_cues.txt")


def _lexicon(section: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){alternation(_LEX[section])}(?![\w-])", re.I)


_CREDIT = re.compile(alternation(_LEX['credit']), re.I)
_OWN = _lexicon("own")
_THIRD_PARTY = _lexicon("third_party")
_REMOVED = _lexicon("removed_credit")
_PIRACY = _lexicon("piracy")
_SPEECH = _lexicon("quote_speech")
_TITLE_CONTEXT = _lexicon("title_context")
_NEGATED = re.compile(r"\b(?:never|don'?t|do not|does not|not|avoid|no|please don'?t|stop)\s+(?:\w+\s+){0,3}$", re.I)
_MEDIA = ("image", "video", "gif", "audio", "document", "photo")


def _org_credit(org) -> re.Pattern:
    names = [re.escape(n) for n in org.names if n]
    return re.compile(rf"\b(?:{'|'.join(names)})\b|\bcommittee\b" if names else r"\bcommittee\b", re.I)


@detector("attribution.uncredited_media", clause="2.c")
def uncredited_media(params: dict, org) -> callable:
    """Someone else's image, video, figure or document shared without its source."""
    def detect(text, draft):
        credited_in_text = None  # looked for once, and only when an attachment needs it
        for a in draft.attachments:
            if a.type not in _MEDIA or a.credit:
                continue
            alt = a.alt or ""
            if credited_in_text is None:
                credited_in_text = bool(_CREDIT.search(text.base.text))
            if credited_in_text or _REMOVED.search(alt):
                continue  # credited, or a removed credit (copied_material reports that one)
            third = _THIRD_PARTY.search(alt)
            if not third or _OWN.search(alt):
                continue
            yield Hit(0, 0, f"The {a.type} looks like someone else's material ({third.group()}) and has no credit; "
                            "2.c asks to attribute the source of every photo, video and figure.",
                      "Credit the creator or source (\"📷 Name / source\", \"Source: WHO\") in the post or the "
                      "attachment's credit, and share it only with permission.",
                      evidence=f"{a.type}: {alt[:160]}" if alt else a.type)
    return detect


@detector("attribution.copied_material", clause="2.c")
def copied_material(params: dict, org) -> callable:
    """Copyrighted material used without permission: pirated texts, removed credits, unlicensed music."""
    def detect(text, draft):
        t = text.base.text
        for pattern in (_PIRACY, _REMOVED):
            for m in pattern.finditer(t):
                if _NEGATED.search(t[max(0, m.start() - 40):m.start()]):
                    continue  # "never share pirated PDFs" is advice, not piracy
                s, e = text.base.to_original(*clause_span(t, m.start(), m.end(), limit=110))
                yield Hit(s, e, "This shares copyrighted material without permission (2.c: avoid plagiarism and "
                                "unauthorized use of copyrighted material).",
                          "Link to the original source instead, or ask the owner for permission and credit them.")
        for a in draft.attachments:
            alt = a.alt or ""
            m = _REMOVED.search(alt) or _PIRACY.search(alt)
            if m:
                yield Hit(0, 0, "The attachment is someone else's material with its credit removed, or used "
                                "without permission.",
                          "Use the original with its logo, watermark or signature intact and its credit, or "
                          "link to the source.", evidence=f"{a.type}: {alt[:160]}")
    return detect


_QUOTE = re.compile(r"[\"“”«„]\s*([^\"“”«»„]{20,400}?[.!?…]\s*)[\"“”»]|[\"“„«]\s*([^\"“”«»„]{20,400}?[.!?…])\s*[\"”“»]")
_AFTER = re.compile(r"^[\s,.]*(?:[—–~―-]|by\b|said\b|says\b|wrote\b|according to\b|\(\s*[A-Z@]|\s*@\w)", re.I)
_NAME_BEFORE = re.compile(r"(?:\b(?:dr|prof|sir|dame|mr|mrs|ms)\b\.?\s*)?(?-i:[A-Z])[\w.'’-]+(?:\s+(?-i:[A-Z])[\w.'’-]+){0,3}\s*"
                          r"(?:\([^)]*\)\s*)?(?:[:,—–-]|\bon\b[^:]{0,80}:)\s*$", re.I)


@detector("attribution.unattributed_quote", clause="2.c")
def unattributed_quote(params: dict, org) -> callable:
    """A quotation without its author."""
    def detect(text, draft):
        t = text.base.text
        for m in _QUOTE.finditer(t):
            body = m.group(1) or m.group(2)
            if len(body.split()) < 6:
                continue
            after, before = t[m.end():m.end() + 60], t[max(0, m.start() - 120):m.start()]
            if _AFTER.match(after) or _SPEECH.search(before[-90:]) or _NAME_BEFORE.search(before) \
                    or _TITLE_CONTEXT.search(before[-50:]) or _CREDIT.search(after):
                continue
            s, e = text.base.to_original(m.start(), m.end())
            yield Hit(s, e, "A quotation without its author; 2.c asks to attribute every source.",
                      "Name who said or wrote it (\"— Name\"), or drop the quotation marks if the words are yours.")
    return detect
