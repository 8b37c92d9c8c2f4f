"""The sentiment weights are a data file with its metadata; a missing or malformed one fails loudly,
naming the file, and never falls back to VADER alone."""
from __future__ import annotations

import json

import pytest

from onevoice.triage import sentiment
from onevoice.triage.sentiment import SentimentWeightsError, load_weights


def test_the_shipped_weights_carry_their_metadata():
    meta = load_weights()["metadata"]
    assert meta["fitted"] and meta["fit_rows"] == sum(s["fit_rows"] for s in meta["subsets"].values())
    assert all(len(s["sha256"]) == 64 for s in meta["subsets"].values())
    assert meta["tokens_kept"] == len(sentiment.WEIGHTS)


def good() -> dict:
    return {"metadata": {"fitted": "2026-12-03"}, "bias": 0.1, "dense": {"compound": -1.0}, "weights": {"bad": 0.5}}


@pytest.mark.parametrize("content, says", [
    (None, "missing"),
    ("{not json", "not valid JSON"),
    ("[]", "not a JSON object"),
    (json.dumps({k: v for k, v in good().items() if k != "metadata"}), "no metadata"),
    (json.dumps({**good(), "bias": "high"}), "'bias'"),
    (json.dumps({**good(), "weights": {"bad": "very"}}), "'weights'"),
    (json.dumps({**good(), "dense": {}}), "'dense'"),
])
def test_a_missing_or_malformed_file_fails_naming_it(tmp_path, content, says):
    path = tmp_path / "sentiment_weights.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SentimentWeightsError, match=says) as caught:
        load_weights(path)
    assert str(path) in str(caught.value)


def test_a_good_file_loads(tmp_path):
    path = tmp_path / "sentiment_weights.json"
    path.write_text(json.dumps(good()), encoding="utf-8")
    assert load_weights(path)["weights"] == {"bad": 0.5}
