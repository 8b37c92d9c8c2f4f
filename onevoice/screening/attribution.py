"""2.c Attribute sources: third-party photos, videos, figures, quotes and texts need their
source, and copyrighted material needs permission.

A credit counts in the attachment's `credit` field or in the text ("📷 by @…", "Photo: …",
"Source: WHO", "via @…", "©", "courtesy of"). The organization's own material is credited to
it. A member's own snapshot (a group photo, a photo they took) needs no credit; material made
by someone else does: infographics, cartoons, stock photos, other people's videos, slides.
"""
from __future__ import annotations

import re

from .model import Hit
from .registry import detector
from .text_patterns import clause_span

_CREDIT_IN_TEXT = re.compile(
    r"(?:📷|📸|🎥|📹|©|\(c\)|℗)\s*(?:by|:)?\s*\S+|\b(?:photo|foto|image|picture|video|vídeo|graphic|illustration|"
    r"credit|crédito|crédit|source|fuente|fonte|quelle)\s*(?:by\b|:|–|—|-)\s*\S+"
    r"|\b(?:via|courtesy of|cortesía de|avec l'aimable|shared with (?:kind )?permission|used with permission|"
    r"reproduced (?:from|with)|adapted from|by @)\s*[:\-–]?\s*\S+",
    re.I)
_THIRD_PARTY = re.compile(
    r"\b(?:from another|someone else'?s?|re-?uploaded|downloaded from|stock(?:-agency| photo| image)?|watermark|"
    r"photographer unknown|unknown (?:photographer|source|author)|artist|cartoon|comic|meme|infographic|chart|graph|"
    r"figure from|animation|slides?|screenshot|screen-?grab|logo removed|signature cropped|cropped|taken from|"
    r"source line|copied|copy of|found on|tiktok|youtube|instagram|pinterest|google images|other (?:hospital|"
    r"organi[sz]ation|society)'?s?|another (?:hospital|organi[sz]ation|society)'?s?|their (?:logo|name)|"
    r"name removed|without (?:the )?(?:creator|author|permission))\b", re.I)
_REMOVED = re.compile(r"\b(?:(?:logo|name|credit|watermark|signature|source(?: line)?|handle)\s+(?:\w+\s+)?"
                      r"(?:removed|cropped|replaced|erased|blurred out|cut off|cropped off)|(?:removed|cropped|replaced)\s+"
                      r"(?:the|their|its)\s+(?:logo|name|credit|watermark|signature)|visible (?:stock-agency )?watermark|"
                      r"without the creator'?s? \w+|re-?uploaded|downloaded from|rebranded|pirated|copy of another)\b",
                      re.I)
_OWN = re.compile(r"\b(?:our own|taken by (?:us|our team|me)|by (?:our|the) (?:team|committee|secretariat))\b", re.I)
_PIRACY = re.compile(
    r"\b(?:paywalled\b[^.!?\n]{0,80}\bfree|full text of\b[^.!?\n]{0,80}|complete (?:chapter|book|article|paper)\b[^.!?\n]{0,60}"
    r"(?:pdf|below|here)|(?:as a|free) pdf\b|found (?:it |this )?on (?:instagram|google|pinterest|facebook|tiktok|twitter|"
    r"the internet|the web|reddit)|st[oa]le this|stolen from|ripped (?:from|off)|(?:soundtrack|music|song)\b[^.!?\n]{0,30}"
    r"\b(?:ripped|without (?:a )?licen[cs]e)|hope nobody minds|(?:doesn'?t|does not|didn'?t) know we'?re sharing|"
    r"without (?:their|his|her|the author'?s?|the owner'?s?) permission|(?:we )?removed (?:their|the) (?:logo|watermark|"
    r"credit|name)|hasn'?t replied to our request|(?:publisher|author) (?:hasn'?t|has not) (?:agreed|replied)|"
    r"screenshotted)\b[^.!?\n]{0,40}", re.I)
_QUOTE = re.compile(r"[\"“«]\s*([^\"”»]{25,400}?[.!?…])\s*[\"”»]")
_QUOTE_ATTRIBUTED_AFTER = re.compile(r"^\s*[,.]?\s*(?:[—–\-~]|by\b|said\b|says\b|wrote\b|according to\b|\()\s*\S+", re.I)
_QUOTE_ATTRIBUTED_BEFORE = re.compile(
    r"(?:\b(?i:as|like)\s+[A-Z][\w.'’\- ]{2,60}\s+(?:put it|said|says|wrote|writes|reminds us)|"
    r"\b[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+)*\s*(?:\([^)]*\))?\s+(?:on|about)\s+[^:]{0,80}|\b(?:says|said|wrote|told us|"
    r"writes|asks|reminds us|puts it))\s*[:,]?\s*$")


@detector("attribution.uncredited_media", clause="2.c")
def uncredited_media(params: dict, org) -> callable:
    """Third-party images, videos or documents without a credit, or with their credit removed."""
    def detect(text, draft):
        credited_in_text = bool(_CREDIT_IN_TEXT.search(text.base.text))
        for a in draft.attachments:
            alt = a.alt or ""
            removed = _REMOVED.search(alt)
            if a.type in ("image", "video", "gif", "audio", "document") or (a.type == "link" and removed):
                third_party = _THIRD_PARTY.search(alt) and not _OWN.search(alt)
                if removed or (third_party and not a.credit and not credited_in_text):
                    yield Hit(0, 0, "Material made by someone else is shared without its source"
                              + (" (its credit was removed)." if removed else "."),
                              "Credit the creator (e.g. \"📷 Name / source\") and share only with permission; "
                              "never remove a logo, watermark or signature.",
                              evidence=f"{a.type}: {alt[:120]}" if alt else a.type)
    return detect


@detector("attribution.copied_material", clause="2.c")
def copied_material(params: dict, org) -> callable:
    """Copyrighted or pirated material: paywalled texts, book chapters, ripped music, lifted images."""
    def detect(text, draft):
        t = text.base.text
        for m in _PIRACY.finditer(t):
            a, b = clause_span(t, m.start(), m.end(), limit=110)
            s, e = text.base.to_original(a, b)
            yield Hit(s, e, "This shares copyrighted material without permission.",
                      "Link to the source instead, or ask the owner for permission and credit them.")
    return detect


@detector("attribution.unattributed_quote", clause="2.c")
def unattributed_quote(params: dict, org) -> callable:
    """A quotation without its author."""
    def detect(text, draft):
        t = text.base.text
        for m in _QUOTE.finditer(t):
            words = m.group(1).split()
            if len(words) < 6:
                continue
            after, before = t[m.end():m.end() + 40], t[max(0, m.start() - 120):m.start()]
            if _QUOTE_ATTRIBUTED_AFTER.match(after) or _QUOTE_ATTRIBUTED_BEFORE.search(before):
                continue
            s, e = text.base.to_original(m.start(), m.end())
            yield Hit(s, e, "A quotation without its author.",
                      "Name who said or wrote it (\"— Name\"), or drop the quotation marks if the words are yours.")
    return detect
