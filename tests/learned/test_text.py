from __future__ import annotations

import zlib

from onevoice.learned.text import HASH_BUCKETS, MAX_SENTENCES, ngram_ids, sentences


def test_sentences_keep_offsets_into_the_original():
    text = "Big news! The congress moves to Porto in 2027.\n\n2/3 Registration opens in May. See you there"
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Big news! The congress moves to Porto in 2027.", "2/3 Registration opens in May. See you there"]  # short tail joins


def test_short_pieces_join_the_next_sentence():
    text = "🎉 Wow. What a day for the airway team, thank you all."
    assert [text[s:e] for s, e in sentences(text)] == [text]


def test_sentences_are_bounded():
    text = "This is one more sentence. " * 500
    spans = sentences(text)
    assert len(spans) == MAX_SENTENCES
    assert sentences("") == [] and sentences("   \n ") == []


def test_ngrams_are_stable_hashes_of_words_and_character_grams():
    ids = set(ngram_ids("Sh1t happens"))  # hashed as given: normalization is the caller's
    assert zlib.crc32(b"wsh1t") % HASH_BUCKETS in ids
    assert zlib.crc32(b"bsh1t happens") % HASH_BUCKETS in ids
    assert zlib.crc32(b"c<sh") % HASH_BUCKETS in ids
    assert len(ngram_ids("")) == 0
