"""Normalization undoes evasion and always maps back to the author's own characters."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from onevoice.screening.normalize import ScreenText


def test_views_undo_evasion():
    t = ScreenText("f*ck this sh1t, f.u.c.k and a total @$$h0le")
    assert t.words.text == "f*ck this shit, fuck and a total asshole"
    assert ScreenText("call five five five, zero one four three").digits.text == "call 5550143"
    assert ScreenText("write to photos [at] ipala [dot] org").digits.text == "write to photos@ipala.org"
    assert ScreenText("wh\u200bat the f\u200bu\u200bck").words.text == "what the fuck"
    assert ScreenText("Сiao").base.text == "Ciao"  # Cyrillic С folded to Latin


def test_offsets_point_at_the_original():
    original = "call f\u200bi\u200bve five five 0143 or sh1t"
    t = ScreenText(original)
    i = t.digits.text.index("5550143")
    s, e = t.digits.to_original(i, i + 7)
    assert original[s:e] == "f\u200bi\u200bve five five 0143"
    j = t.words.text.index("shit")
    assert original[slice(*t.words.to_original(j, j + 4))] == "sh1t"


def test_ascii_text_maps_one_to_one():
    t = ScreenText("plain ascii words")
    assert t.base.starts is None and t.base.to_original(2, 5) == (2, 5)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_every_view_maps_to_a_valid_span(text):
    t = ScreenText(text)
    for view in (t.base, t.words, t.digits):
        for i in range(len(view.text)):
            s, e = view.to_original(i, i + 1)
            assert 0 <= s <= e <= len(text)
