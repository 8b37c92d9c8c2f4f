"""Category decision for one comment: cues first, learned sentiment last.

Order matters and is deliberate: crisis signals come first (they must never be missed), then
threats of violence, weaker incident hints, spam, misinformation about the organization, abuse,
sarcasm, complaints; what is left is a question, praise or neutral chatter, unless the learned
sentiment model (sentiment.py) reads it as clearly negative, which makes it a complaint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from onevoice.screening.normalize import ScreenText

from . import sentiment
from .lexicons import cues


def _words(fragments: list[str]) -> re.Pattern:
    """One scan for a list of whole-word phrases."""
    return re.compile(r"(?<![\w@])(?:" + "|".join(fragments) + r")(?!\w)", re.I)


def _chars(chars: str) -> re.Pattern:
    return re.compile("[" + re.escape(chars) + "]")


CRISIS = {kind: _words(frags) for kind, frags in cues.CRISIS.items()}
ANY_CRISIS = _words([f for frags in cues.CRISIS.values() for f in frags])  # one scan gates the per-kind ones
CRISIS_WEAK = _words(cues.CRISIS_WEAK)
THREAT = _words(cues.THREAT)
ABUSE = _words(cues.ABUSE)
MILD_ABUSE = _words(cues.MILD_ABUSE)
ABUSE_EMOJI = _chars(cues.ABUSE_EMOJI)
MISINFO = _words(cues.MISINFO)
ASSERTION = _words(cues.ASSERTION)
GENUINE_QUESTION = _words(cues.GENUINE_QUESTION)
SPAM = _words(cues.SPAM)
COMPLAINT = _words(cues.COMPLAINT)
SERIOUS = _words(cues.SERIOUS)
REGRET = _words(cues.REGRET)
ANGRY_EMOJI = _chars(cues.ANGRY_EMOJI)
SARCASM = _words(cues.SARCASM)
POSITIVE_IDIOM = _words(cues.POSITIVE_IDIOM)
PRAISE = _words(cues.PRAISE)
PRAISE_EMOJI = _chars(cues.PRAISE_EMOJI)
GREETING = re.compile(r"^\W*(?:" + "|".join(cues.GREETING) + r")(?!\w)", re.I)
QUESTION_START = re.compile(r"(?:^|[.!?,;:]\s)\W*(?:" + "|".join(cues.QUESTION_START) + r")(?!\w)[^.!?]*\?", re.I)
REPEATED = re.compile(r"(?<!\w)again(?!\w)[^.!?]*(?<!\w)again(?!\w)|(?<!\w)again(?!\w).{0,20}[🙄😤😡]", re.I)
UNANSWERED = re.compile(r"\b\d+\s*(?:e-?mails|dms|messages|calls)\b[^.!?]{0,30}\b(?:no|zero|not a single|nothing)\b", re.I)
LETTERS = re.compile(r"[^\W\d_]")

# Crisis kinds that are a possible incident (2) rather than a crisis (3) by the policy's scale;
# a hedged privacy concern ("felt like a privacy violation") is one too.
MINOR_CRISIS = frozenset({"leaked internal material"})
HEDGE = re.compile(r"\b(?:felt|feels|seems?|looks?) like\b|\b(?:might|may|could) be\b|\bnot sure (?:if|whether)\b", re.I)

NEGATIVE_IS_COMPLAINT = 0.8  # learned P(negative) above which an uncued comment is a complaint


@dataclass
class Decision:
    category: str
    level: int  # 0 none, 1 minor, 2 serious, 3 crisis (before the audience bump)
    scores: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    crisis_kind: str | None = None


def _cite(name: str, m: re.Match) -> str:
    return f"{name}: “{m.group()[:60]}”"


def decide(text: str) -> Decision:
    t = ScreenText(text).words.text  # lower-cased, zero-width removed, leetspeak undone
    vs = sentiment.VADER.polarity_scores(text)
    p_neg = sentiment.negative_probability(t, vs)
    d = Decision("neutral", 0)
    reasons = d.reasons

    idiom = POSITIVE_IDIOM.search(t)
    sarcasm = SARCASM.search(t)
    crisis_hit = None
    if ANY_CRISIS.search(t):
        for kind, rx in CRISIS.items():
            m = rx.search(t)
            if m:
                crisis_hit = (kind, m)
                break
    threat = THREAT.search(t)
    weak = CRISIS_WEAK.search(t)
    abuse = ABUSE.search(t) or ABUSE_EMOJI.search(t)
    mild_abuse = None if abuse else MILD_ABUSE.search(t)
    misinfo = MISINFO.search(t)
    spam = SPAM.search(t)
    serious = SERIOUS.search(t) or REPEATED.search(t) or UNANSWERED.search(t)
    complaint = COMPLAINT.search(t)
    angry = ANGRY_EMOJI.search(t)
    praise = PRAISE.search(t) or PRAISE_EMOJI.search(t)
    is_question = "?" in t and (QUESTION_START.search(t) is not None or GENUINE_QUESTION.search(t) is not None)
    emoji_only = not LETTERS.search(t)

    if idiom:
        p_neg = min(p_neg, 0.2)
    if sarcasm:
        p_neg = max(p_neg, 0.8)
    d.scores = {
        "negative": round(p_neg, 3),
        "complaint": 1.0 if (sarcasm or serious) else 0.7 if (complaint or angry) else round(p_neg * 0.6, 3),
        "abuse": 1.0 if (abuse or threat) else 0.5 if mild_abuse else 0.0,
        "crisis": 1.0 if (crisis_hit or threat) else 0.6 if weak else 0.0,
        "misinformation": 1.0 if misinfo else 0.0,
        "spam": 1.0 if spam else 0.0,
        "question": 1.0 if is_question else 0.0,
        "praise": 1.0 if (idiom or (praise and p_neg < 0.5)) else round(max(0.0, vs["compound"]), 3),
    }

    def out(category: str, level: int, *why: str) -> Decision:
        d.category, d.level = category, level
        reasons.extend(w for w in why if w)
        return d

    if crisis_hit and not (idiom and crisis_hit[0] == "patient harm"):
        kind, m = crisis_hit
        d.crisis_kind = kind
        level = 2 if kind in MINOR_CRISIS or (kind == "privacy breach" and HEDGE.search(t)) else 3
        return out("crisis", level, _cite(kind, m), _cite("threat of violence", threat) if threat else "")
    if threat:
        return out("abuse", 3, _cite("threat of violence", threat))
    if weak and not idiom:
        return out("crisis", 2, _cite("possible incident", weak))
    if spam and not (abuse or complaint):
        return out("spam", 0, _cite("spam", spam))
    if misinfo:
        asserted = ASSERTION.search(t)
        if asserted or not is_question or not GENUINE_QUESTION.search(t):
            return out("misinformation", 2, _cite("claim about the organization", misinfo),
                       _cite("asserted", asserted) if asserted else "")
    if abuse and not idiom:
        return out("abuse", 2, _cite("abuse", abuse))
    if mild_abuse and not idiom and not praise:
        return out("abuse", 1, _cite("dismissive", mild_abuse))
    if sarcasm:
        return out("complaint", 2 if serious else 1, _cite("sarcasm", sarcasm), _cite("serious", serious) if serious else "")
    regret = REGRET.search(t)
    if (complaint or serious or angry) and not idiom:
        # "shame it wasn't recorded, but thanks for the slides": praise with a small regret
        if praise and not serious and (regret or (not complaint and not emoji_only)) and p_neg < 0.5:
            return out("praise", 0, _cite("praise", praise))
        if praise and not emoji_only:  # mixed praise and complaint: a complaint, but a minor one
            return out("complaint", 1, _cite("complaint", complaint or serious or angry), "mixed with praise")
        cue = serious or complaint or angry
        return out("complaint", 2 if serious else 1, _cite("serious complaint" if serious else "complaint", cue))
    if regret and not praise:
        return out("complaint", 1, _cite("complaint", regret))
    if is_question:
        return out("question", 0)
    if idiom:
        return out("praise", 0, _cite("positive idiom", idiom))
    if p_neg >= NEGATIVE_IS_COMPLAINT and vs["compound"] < 0.05 and not praise:
        return out("complaint", 1, f"negative sentiment ({p_neg:.2f})")
    if GREETING.search(t) and not praise:
        return out("neutral", 0)
    if praise or vs["compound"] >= 0.3:
        return out("praise", 0, _cite("praise", praise) if praise else f"positive sentiment ({vs['compound']:+.2f})")
    return out("neutral", 0)
