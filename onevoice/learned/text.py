"""Text pieces the heads read: sentences with their offsets, and hashed n-grams.

Sentences keep offsets into the original text, so a finding can point at the sentence that
carries a clause's score. The n-grams are hashed into a fixed number of buckets (no vocabulary
file to keep in step with the heads); crc32 is stable across processes and Python versions,
unlike ``hash()``.
"""
from __future__ import annotations

import re
import zlib

import numpy as np

MAX_SENTENCES = 32       # a draft longer than this is scored on its first 32 sentences and the whole
MAX_SENTENCE_CHARS = 600
MIN_SENTENCE_CHARS = 16  # shorter pieces ("1/4", "🎉") are joined to the next sentence
MAX_ENCODED_CHARS = 4000  # the encoder's time grows with its input: it reads at most this much of any
                          # one text (the whole draft included; the longest corpus draft has 1244)
HASH_BUCKETS = 1 << 16

# Before "1/4"-style numbering, only the spaces at the start of a run are tried (a pattern tried
# from every space of a long run read the run once per space); a split run gives the same sentences.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+|(?<![^\S\n])[^\S\n]+(?=\d{1,2}/\d{1,2}\b)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|[!?]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, whitespace trimmed, short pieces joined."""
    pieces: list[tuple[int, int]] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(text)))
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in pieces:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        if pending is not None:
            start, pending = pending, None
        if end - start < MIN_SENTENCE_CHARS:
            pending = start
            continue
        while end - start > MAX_SENTENCE_CHARS:
            cut = text.rfind(" ", start, start + MAX_SENTENCE_CHARS)
            cut = cut if cut > start else start + MAX_SENTENCE_CHARS
            out.append((start, cut))
            start = cut + 1
        out.append((start, end))
        if len(out) >= MAX_SENTENCES:
            return out[:MAX_SENTENCES]
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], len(text.rstrip()))
        else:
            out.append((pending, len(text.rstrip())))
    return out


def encoder_input(text: str, limit: int = MAX_ENCODED_CHARS) -> str:
    """`text` as the encoder reads it: at most `limit` characters, cut at a space when there is one
    in the second half (a draft's opening carries its meaning; the sentences carry the rest)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit)
    return text[:cut if cut > 0 else limit]


def ngram_ids(text: str) -> np.ndarray:
    """Bucket ids of the word unigrams and bigrams and the character 3- and 4-grams of the words
    (the latter reach misspelt, masked and inflected words), each bucket once."""
    words = [w.lower() for w in _WORD.findall(text)]
    keys: set[bytes] = set()
    prev = ""
    for w in words:
        keys.add(b"w" + w.encode())
        if prev:
            keys.add(b"b" + f"{prev} {w}".encode())
        prev = w
        padded = f"<{w}>"
        if len(padded) <= 24:
            for n in (3, 4):
                for i in range(len(padded) - n + 1):
                    keys.add(b"c" + padded[i:i + n].encode())
    if not keys:
        return np.zeros(0, dtype=np.int64)
    return np.fromiter((zlib.crc32(k) % HASH_BUCKETS for k in keys), dtype=np.int64, count=len(keys))
