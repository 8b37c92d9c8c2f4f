"""Sentiment: VADER's lexicon and rules, plus a small learned linear layer on top.

``negative_probability(text)`` combines VADER's compound/neg/pos scores with per-token weights
(unigrams, with "not_" marking the words that follow a negation) in one logistic model. The
weights are data, ``lexicons/sentiment_weights.json``, written by ``bench/triage_build.py`` from
the *fit half* of the vader-icwsm2014 sets (a fixed hash-based 50/50 split per subset); the other
half is only ever used for evaluation. They are read once, through importlib.resources; the file
carries its metadata (the data and its digests, the fit rows, the date). A missing or malformed
file stops the import with an error naming it: there is no fallback to VADER alone.
"""
from __future__ import annotations

import json
import math
import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

WEIGHTS_FILE = resources.files("onevoice.triage") / "lexicons" / "sentiment_weights.json"


class SentimentWeightsError(RuntimeError):
    """The sentiment weights file is missing or not what bench/triage_build.py writes."""


def load_weights(path: Traversable | Path = WEIGHTS_FILE) -> dict:
    """The weights file as written by bench/triage_build.py: a number `bias`, and `dense` and
    `weights` mapping names to numbers. Raises SentimentWeightsError naming the file otherwise."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SentimentWeightsError(f"{path}: the sentiment weights are missing "
                                    "(bench/triage_build.py writes them)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SentimentWeightsError(f"{path}: the sentiment weights are not valid JSON: {exc}") from None
    numbers = (int, float)
    if not isinstance(doc, dict):
        raise SentimentWeightsError(f"{path}: the sentiment weights are not a JSON object")
    if not isinstance(doc.get("metadata"), dict):
        raise SentimentWeightsError(f"{path}: the sentiment weights carry no metadata (what they were fitted on)")
    if not isinstance(doc.get("bias"), numbers):
        raise SentimentWeightsError(f"{path}: the sentiment weights have no number 'bias'")
    for key in ("dense", "weights"):
        table = doc.get(key)
        if not isinstance(table, dict) or not table or not all(isinstance(v, numbers) for v in table.values()):
            raise SentimentWeightsError(f"{path}: the sentiment weights' {key!r} is not a table of numbers")
    return doc


_WEIGHTS = load_weights()
BIAS: float = _WEIGHTS["bias"]
DENSE: dict[str, float] = _WEIGHTS["dense"]
WEIGHTS: dict[str, float] = _WEIGHTS["weights"]

VADER = SentimentIntensityAnalyzer()

TOKEN = re.compile(r"[a-zà-öø-ÿ]+(?:'[a-z]+)?|[!?]|[.,;:]|[\U0001F300-\U0001FAFF\u2600-\u27BF]", re.I)
NEGATORS = frozenset("not no never nothing nobody none nor neither without hardly barely cannot cant "
                     "dont doesnt didnt isnt wasnt arent werent wont wouldnt couldnt shouldnt aint".split())
PUNCT = frozenset(".,;:!?")
NEG_SCOPE = 3


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; words within three of a negation (and before punctuation) get a
    ``not_`` prefix, so "not good" and "good" are different features."""
    out: list[str] = []
    scope = 0
    for tok in TOKEN.findall(text.lower()):
        if tok in PUNCT:
            scope = 0
            if tok in "!?":
                out.append(tok)
            continue
        if tok.endswith("n't"):
            out.append(tok)
            scope = NEG_SCOPE
            continue
        if tok in NEGATORS:
            out.append(tok)
            scope = NEG_SCOPE
            continue
        if scope:
            out.append("not_" + tok)
            scope -= 1
        else:
            out.append(tok)
    return out


def dense_features(vs: dict, text: str, toks: list[str]) -> dict:
    """VADER's scores, whether VADER found no sentiment at all, and the shape of the text (short
    social posts with links and @mentions read differently from review sentences)."""
    c = vs["compound"]
    n = len(toks)
    return {"compound": c, "neg": vs["neg"], "pos": vs["pos"], "vader_neg": float(c <= -0.05),
            "vader_pos": float(c >= 0.05), "no_sentiment": float(-0.05 < c < 0.05),
            "log_length": math.log1p(n), "no_sentiment_long": float(-0.05 < c < 0.05) * math.log1p(n),
            "social": float("http" in text or "@" in text or "#" in text)}


def logit(vs: dict, text: str, toks: list[str]) -> float:
    z = BIAS
    for name, value in dense_features(vs, text, toks).items():
        z += DENSE.get(name, 0.0) * value
    seen = set()
    get = WEIGHTS.get
    for t in toks:
        if t not in seen:
            seen.add(t)
            z += get(t, 0.0)
    return z


def negative_probability(text: str, vs: dict | None = None) -> float:
    """P(a human reader rates the text negative), 0..1."""
    vs = vs if vs is not None else VADER.polarity_scores(text)
    z = logit(vs, text, tokens(text))
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


NEGATIVE_AT = 0.5  # the decision threshold for the negative class
