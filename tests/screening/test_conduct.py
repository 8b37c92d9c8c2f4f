"""2.e recognizers, each called alone (conduct.py): whole words on the evasion-undone view, with
exact spans, and the near misses that share letters or a shape with them."""
from __future__ import annotations

import pytest

from onevoice.screening import conduct

from .spans import spans


@pytest.mark.parametrize("text, expected", [
    ("This is bullshit", ["bullshit"]),
    ("What a f*ck-up", ["f*ck"]),
    ("b.u.l.l.s.h.i.t", ["b.u.l.l.s.h.i.t"]),
    ("sh1t happens", ["sh1t"]),
    ("Total sh\u200bit show", ["sh\u200bit"]),
    ("class act, no crap", ["crap"]),
    # near misses: the letters inside longer words, and what is not on the list
    ("Scunthorpe assessment cocktail", []),
    ("Go to hell", []),
    ("A classic passage", []),
])
def test_profanity(text, expected):
    assert spans(conduct.profanity, text) == expected


def test_profanity_extra_words_from_the_rule():
    params = {"extra_words": ["gosh ?darn(?:ed)?"]}
    assert spans(conduct.profanity, "Well, goshdarned!", params) == ["goshdarned"]
    assert spans(conduct.profanity, "Well, goshdarned!") == []


@pytest.mark.parametrize("text, expected", [
    ("The reviewers are idiots, frankly.", ["The reviewers are idiots"]),
    ("Quacks sell cures", ["Quacks sell cures"]),
    ("Nice 🤡 move", ["🤡"]),
    # near misses: the word in a compound or a title
    ("An idiot-proof guide to inhalers", []),
    ("The idiot's guide to spirometry", []),
    ("A foolproof plan", []),
])
def test_insults(text, expected):
    assert spans(conduct.insults, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Shut up and read the guideline.", ["Shut up and read the guideline."]),
    ("You're too cute to be a surgeon", ["You're too cute to be a surgeon"]),
    ("I know where you live", ["I know where you live"]),
    ("Educate yourself before posting", ["Educate yourself before posting"]),
    # near misses: the words inside a longer word, or kind
    ("The shut-up-and-listen session", []),
    ("Our educational webinar", []),
    ("We care about your child's care", []),
])
def test_harassment(text, expected):
    assert spans(conduct.harassment, text) == expected
