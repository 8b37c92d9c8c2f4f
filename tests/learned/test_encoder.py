"""The shipped sentence encoder loads from site-packages alone and means what it says.

Sentences written for this test. A sentence and its translation must land closer together than
two sentences about different things in one language: the heads rely on that to read all six
languages the members write in.
"""
from __future__ import annotations

import numpy as np
import pytest

from onevoice.learned.encoder import DEFAULT_ENCODER, ENCODERS, get_encoder

SAME = [
    ("The little girl was discharged home on oxygen yesterday.",
     "La niña fue dada de alta a casa con oxígeno ayer."),
    ("Registration for the spring course closes on Friday.",
     "Die Anmeldung für den Frühjahrskurs endet am Freitag."),
    ("Thank you all for a wonderful congress in Porto!",
     "Obrigado a todos por um congresso maravilhoso no Porto!"),
]
OTHER = "Our treasurer presented the audited accounts to the members."


@pytest.fixture(scope="module")
def encoder():
    return get_encoder(DEFAULT_ENCODER)


def test_vectors_are_normalized_and_stable(encoder):
    texts = [a for a, _ in SAME]
    v = encoder.encode(texts)
    assert v.shape == (3, encoder.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    again = encoder.encode(texts[::-1])[::-1]
    assert np.allclose(v, again, atol=1e-5)  # a text's vector does not depend on its batch


@pytest.mark.parametrize("english,translation", SAME)
def test_a_sentence_and_its_translation_land_close(encoder, english, translation):
    e, t, o = encoder.encode([english, translation, OTHER])
    assert float(e @ t) > 0.6
    assert float(e @ t) > float(e @ o) + 0.2


def test_empty_input_and_blank_texts(encoder):
    assert encoder.encode([]).shape == (0, encoder.dim)
    assert encoder.encode(["", "   "]).shape == (2, encoder.dim)


def test_unknown_encoder_is_refused():
    with pytest.raises(ValueError, match="unknown encoder"):
        get_encoder("nope")
    assert DEFAULT_ENCODER in ENCODERS
