"""The learned layer of the screening: one calibrated head per clause over the draft's meaning.

The recognizers find what has a format (a phone number, an e-mail, a card number, a masked
swear word). Whether a draft tells a patient's story, speaks for the organization or mocks a
parent has no format, so a multilingual sentence encoder reads the draft and a small linear
head per clause scores it. The heads are data (``onevoice/learned/heads/screening.*``), fitted by
``onevoice model train`` on the corpus written for this project.

What a head sees of a draft (``vectorize``; the training uses the same function):

- the whole text's vector, the element-wise maximum over its sentences' vectors (a long post
  with one bad sentence still shows it) and the attachments' alt text and credit;
- the draft's kind and whether its images or videos carry a credit;
- hashed word and character n-grams of the normalized text (masked and misspelt words).

Each clause also has a sentence head, which picks the sentence(s) a finding points at.
Pure: the encoder and the heads are loaded once; screening does no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from onevoice.learned.encoder import Encoder
from onevoice.learned.heads import HeadSet
from onevoice.learned.text import encoder_input, ngram_ids, sentences

from .model import DRAFT_KINDS, Draft
from .normalize import ScreenText

MEDIA = frozenset({"image", "video"})


@dataclass
class DraftVectors:
    dense: np.ndarray                      # (DENSE_DIM,)
    ids: np.ndarray                        # hashed n-grams of the whole draft
    spans: list[tuple[int, int]]           # the sentences, offsets into the original text
    sent_dense: np.ndarray                 # (n_sentences, SENTENCE_DIM)
    sent_ids: list[np.ndarray]


def attachment_text(draft: Draft) -> str:
    parts = []
    for a in draft.attachments:
        credit = f"credit: {a.credit}" if a.credit else "no credit"
        parts.append(f"{a.type}: {a.alt.strip() or '(no description)'} ({credit})")
    return " | ".join(parts)


def _kind(draft: Draft) -> np.ndarray:
    v = np.zeros(len(DRAFT_KINDS), dtype=np.float32)
    v[DRAFT_KINDS.index(draft.kind)] = 1.0
    return v


def _attachment_flags(draft: Draft) -> np.ndarray:
    media = [a for a in draft.attachments if a.type in MEDIA]
    links = [a for a in draft.attachments if a.type not in MEDIA]
    return np.array([bool(media), any(not a.credit for a in media), bool(links),
                     any(not a.credit for a in links)], dtype=np.float32)


def dense_dim(encoder_dim: int) -> int:
    return 3 * encoder_dim + len(DRAFT_KINDS) + 4


def sentence_dim(encoder_dim: int) -> int:
    return encoder_dim + len(DRAFT_KINDS)


def vectorize(drafts: Sequence[Draft], encoder: Encoder) -> list[DraftVectors]:
    """The vectors of many drafts, with one encoder call for all their texts."""
    texts: list[str] = []
    plans = []
    for d in drafts:
        base = ScreenText(d.text).base.text if d.text else ""
        spans = sentences(d.text)
        alt = attachment_text(d)
        first = len(texts)
        texts.append(encoder_input(base) or ".")
        texts.extend(encoder_input(d.text[s:e]) for s, e in spans)
        if alt:
            texts.append(encoder_input(alt))
        plans.append((first, spans, bool(alt)))
    vecs = encoder.encode(texts)
    out = []
    zero = np.zeros(encoder.dim, dtype=np.float32)
    for d, (first, spans, has_alt) in zip(drafts, plans):
        doc = vecs[first]
        sent = vecs[first + 1:first + 1 + len(spans)]
        alt_vec = vecs[first + 1 + len(spans)] if has_alt else zero
        kind = _kind(d)
        dense = np.concatenate([doc, sent.max(axis=0) if len(spans) else doc, alt_vec, kind, _attachment_flags(d)])
        sent_dense = np.hstack([sent, np.tile(kind, (len(spans), 1))]) if len(spans) else np.zeros(
            (0, encoder.dim + len(kind)), dtype=np.float32)
        out.append(DraftVectors(
            dense=dense.astype(np.float32),
            ids=ngram_ids(ScreenText(d.text).words.text),
            spans=spans, sent_dense=sent_dense.astype(np.float32),
            sent_ids=[ngram_ids(ScreenText(d.text[s:e]).words.text) for s, e in spans],
        ))
    return out


@dataclass(frozen=True)
class ClauseScore:
    clause: str
    probability: float
    sentences: tuple[tuple[int, int, float], ...]  # (start, end, sentence probability), best first


class LearnedScreening:
    """Scores drafts with a head set: one probability per clause, and the sentences behind it."""

    def __init__(self, heads: HeadSet, encoder: Encoder) -> None:
        if heads.encoder != encoder.name:
            raise ValueError(f"heads {heads.name} were fitted on {heads.encoder}, not {encoder.name}")
        self.heads = heads
        self.encoder = encoder
        self.clauses = tuple(heads.meta["clauses"])

    def score(self, drafts: Sequence[Draft]) -> list[dict[str, ClauseScore]]:
        vectors = vectorize(drafts, self.encoder)
        if not vectors:
            return []
        dense = np.stack([v.dense for v in vectors])
        ids = [v.ids for v in vectors]
        results: list[dict[str, ClauseScore]] = [{} for _ in vectors]
        for clause in self.clauses:
            doc = self.heads[f"{clause}"].proba(dense, ids)
            sent_head = self.heads.get(f"{clause}/sentence")
            for i, v in enumerate(vectors):
                ranked: tuple[tuple[int, int, float], ...] = ()
                if sent_head is not None and len(v.spans):
                    p = sent_head.proba(v.sent_dense, v.sent_ids)
                    order = np.argsort(-p)
                    ranked = tuple((v.spans[j][0], v.spans[j][1], float(p[j])) for j in order)
                results[i][clause] = ClauseScore(clause, float(doc[i]), ranked)
        return results
