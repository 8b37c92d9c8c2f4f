"""The learned layer of triage: heads over the comment's meaning, its sentiment and its n-grams.

Three heads (``onevoice/learned/heads/triage.*``), fitted by ``onevoice model train`` on the
comments written for this project:

- ``escalate``: P(the comment must reach the committee chair), calibrated;
- ``category``: the eight categories of the labelling guide (softmax);
- ``severity``: 1, 2 or 3 for an escalated comment (softmax).

What a head sees (``vectorize``; the training uses the same function): the encoder's vector of
the text, VADER's scores and the learned sentiment of ``sentiment.py`` (fitted on real rated
tweets, so it carries what real complainers sound like), a few shape features, and hashed
n-grams of the normalized text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from onevoice.learned.encoder import Encoder
from onevoice.learned.heads import HeadSet
from onevoice.learned.text import encoder_input, ngram_ids
from onevoice.screening.normalize import ScreenText

from . import sentiment

SHAPE_FEATURES = 8


def _shape(text: str, vs: dict, p_neg: float) -> list[float]:
    letters = sum(ch.isalpha() for ch in text)
    return [vs["compound"], vs["neg"], vs["pos"], p_neg, float("?" in text), float(letters == 0),
            math.log1p(len(text)) / 6.0, float(letters > 3 and text.upper() == text)]


def dense_dim(encoder_dim: int) -> int:
    return encoder_dim + SHAPE_FEATURES


@dataclass
class CommentVectors:
    dense: np.ndarray  # (n, dense_dim)
    ids: list[np.ndarray]
    vader: list[dict]
    negative: list[float]


def vectorize(texts: Sequence[str], encoder: Encoder) -> CommentVectors:
    views = [ScreenText(t or "") for t in texts]
    vecs = encoder.encode([encoder_input(v.base.text) or "." for v in views])
    shapes, vaders, negs = [], [], []
    for t, v in zip(texts, views):
        vs = sentiment.VADER.polarity_scores(t or "")
        p = sentiment.negative_probability(v.words.text, vs)
        vaders.append(vs)
        negs.append(p)
        shapes.append(_shape(t or "", vs, p))
    dense = np.hstack([vecs, np.asarray(shapes, dtype=np.float32).reshape(len(texts), SHAPE_FEATURES)])
    return CommentVectors(dense.astype(np.float32), [ngram_ids(v.words.text) for v in views], vaders, negs)


@dataclass(frozen=True)
class Scores:
    escalate: float
    category: dict[str, float]
    severity: dict[int, float]
    negative: float
    compound: float


class LearnedTriage:
    def __init__(self, heads: HeadSet, encoder: Encoder) -> None:
        if heads.encoder != encoder.name:
            raise ValueError(f"heads {heads.name} were fitted on {heads.encoder}, not {encoder.name}")
        self.heads, self.encoder = heads, encoder
        self.threshold = float(heads.meta["thresholds"]["escalate"])

    def score(self, texts: Sequence[str]) -> list[Scores]:
        if not texts:
            return []
        v = vectorize(texts, self.encoder)
        esc = self.heads["escalate"].proba(v.dense, v.ids)
        cat_head, sev_head = self.heads["category"], self.heads["severity"]
        cats = cat_head.proba(v.dense, v.ids)
        sevs = sev_head.proba(v.dense, v.ids)
        return [Scores(float(esc[i]), dict(zip(cat_head.classes, map(float, cats[i]))),
                       {int(k): float(p) for k, p in zip(sev_head.classes, sevs[i])},
                       v.negative[i], v.vader[i]["compound"])
                for i in range(len(texts))]
