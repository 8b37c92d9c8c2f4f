"""2.e Maintain professional boundaries: profanity, insults, harassment, mocking, flirting,
partisan attacks and threats.

Words are matched whole on the `words` view, where "f*ck", "sh1t", "@$$h0le", "b.u.l.l.s.h.i.t"
and zero-width-split words are already undone, so "Scunthorpe", "assessment" or "cocktail"
never match. Negative words used in a positive sense ("kills the myth", "killer line-up",
"sick presentation", "crushing it") are not on any list here.
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

# Written for this project from general knowledge; EN, ES, FR, DE, PT, IT.
PROFANITY = [
    "fuck", "fucking", "fucked", "fucker", "motherfucker", "wtf", "shit", "shitty", "shitshow", "bullshit", "horseshit",
    "asshole", "arsehole", "ass", "arse", "bastard", "bitch", "bitches", "crap", "damn", "dammit", "goddamn", "dick",
    "dickhead", "piss", "pissed", "prick", "cunt", "twat", "wanker", "bollocks", "douchebag", "jackass", "screw you",
    "mierda", "joder", "coño", "puta", "puto", "cabrón", "cabron", "gilipollas", "hostia", "carajo", "chingada",
    "merde", "putain", "connard", "connasse", "salaud", "bordel", "enculé", "scheiße", "scheisse", "arschloch",
    "verdammt", "fick", "ficken", "kacke", "cazzo", "stronzo", "vaffanculo", "merda", "porca miseria", "porra",
    "caralho", "foda-se", "fodase", "filho da puta",
]
INSULTS = [
    "idiot", "idiots", "idiotic", "moron", "morons", "moronic", "imbecile", "imbeciles", "cretin", "clown", "clowns",
    "fool", "fools", "stupid", "dumb", "dumbass", "brain-dead", "braindead", "loser", "losers", "pathetic", "quack",
    "quacks", "fraud", "frauds", "liar", "liars", "scum", "trash", "garbage people", "incompetent", "clueless",
    "lunatic", "lunatics", "retard", "retarded", "copycats", "hopeless", "vollidiot", "idiota", "idiotas", "imbécil",
    "estúpido", "estupido", "tonto", "imbécile", "crétin", "abruti", "dummkopf", "trottel", "depp", "idioti",
    "cretino", "stupido", "burro", "otário", "imbecil",
]
# Contempt for patients, families, colleagues or the public; flirting; sexualised remarks.
MOCKING = [
    r"shouldn'?t be allowed to (?:breed|have (?:kids|children)|vote)", r"stick to (?:baking|cooking|facebook)",
    r"educate yourself", r"do your (?:own )?research", r"spouting (?:nonsense|rubbish|garbage)", r"absolute unit",
    r"go cry(?: to)?", r"nobody cares", r"who cares", r"get a (?:life|brain)", r"shut up", r"you know who you are",
    r"you know who\b", r"are just hopeless", r"frequent flyer", r"groundbreaking\.? ?🙄", r"read (?:the|a) \w+ before",
    r"didn'?t (?:even )?read past", r"(?:hates|hate) (?:children|kids|sick kids|patients)",
    r"vote them out", r"(?:is|are) a (?:joke|disgrace)", r"sabotag\w+",
    r"(?:too|so) (?:cute|hot|sexy|pretty|beautiful) (?:to be|for)", r"easy on the eyes", r"that (?:dress|outfit|body)",
    r"drinks tonight\??", r"dm me,? (?:babe|gorgeous|sweetie)", r"\bsexy\b", r"\bbabe\b", r"hottie",
    r"i'?ll make (?:you|them) pay", r"watch your back", r"you'?ll regret", r"i know where you live",
]
RUDE_EMOJI = ["🖕", "🤡", "🐍"]
_PROFANITY = words_regex(PROFANITY)
# "f*ck", "sh*t", "sh*tshow", "b*tch": masked letters the words view keeps as '*'
_MASKED = re.compile(r"(?<!\w)(?:f[*#@!_]+(?:c?k|ck)\w*|sh[*#@!_]+t\w*|b[*#@!_]+tch\w*|a[*#@!_$]{1,2}hole|c[*#@!_]+nt|"
                     r"d[*#@!_]+ck\w*|p[*#@!_]+ss\w*)(?!\w)", re.I)
_INSULT = words_regex(INSULTS)
_MOCKING = re.compile(r"(?<!\w)(?:" + "|".join(MOCKING) + ")", re.I)  # a word start first: much faster
_EMOJI = re.compile("|".join(map(re.escape, RUDE_EMOJI)))
# "you are an idiot" is an insult; "idiot-proof" or "the idiot's guide" is not
_INSULT_SAFE_AFTER = re.compile(r"^[-‐](?:proof|check)|^'s guide", re.I)


def _insult_kept(t: str, m: re.Match[str]) -> bool:
    return not _INSULT_SAFE_AFTER.match(t[m.end():m.end() + 8])


def _insult_clause(t: str, m: re.Match[str]) -> tuple[int, int]:
    return clause_span(t, m.start(), m.end(), limit=50)


def _remark_clause(t: str, m: re.Match[str]) -> tuple[int, int]:
    return clause_span(t, m.start(), m.end(), limit=60)


@detector("conduct.profanity", clause="2.e", patterns=("extra_words",))
def profanity(params: dict[str, Any], org: Organization) -> Detector:
    """Profanity, including masked, leetspeak, dotted or zero-width-split words."""
    extra = words_regex(params["extra_words"]) if params.get("extra_words") else None

    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        return pattern_hits(text.words, (_PROFANITY, _MASKED, extra),
                            "Profanity is unprofessional conduct on the organization's channels.",
                            "Remove the word; say what went wrong plainly.")
    return detect


@detector("conduct.insult", clause="2.e")
def insults(params: dict[str, Any], org: Organization) -> Detector:
    """Insults and name-calling aimed at people or groups."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        yield from pattern_hits(text.words, (_INSULT,),
                                "Name-calling harms the reputation of the organization and its members.",
                                "Criticise the argument or the decision, not the people.",
                                keep=_insult_kept, grow=_insult_clause)
        yield from pattern_hits(text.base, (_EMOJI,), "A rude or insulting emoji aimed at someone.", "Remove it.")
    return detect


@detector("conduct.harassment", clause="2.e")
def harassment(params: dict[str, Any], org: Organization) -> Detector:
    """Mocking patients, families, colleagues or the public; flirting; sexual remarks; partisan
    attacks; threats."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        return pattern_hits(text.words, (_MOCKING,),
                            "Mocking, flirting, attacking or threatening people crosses professional boundaries.",
                            "Remove the remark; keep replies factual, kind and about the subject.",
                            grow=_remark_clause)
    return detect
