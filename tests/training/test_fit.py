"""The fitting helpers of `onevoice model train` (no head is trained here: CI loads the
committed ones)."""
from __future__ import annotations

import numpy as np

from onevoice.training import fit, validate


def test_thresholds_maximize_f1_and_block_only_where_precise():
    rng = np.random.default_rng(1)
    y = rng.random(400) < 0.3
    p = np.clip(np.where(y, 0.75, 0.25) + rng.normal(0, 0.15, 400), 0, 1)
    review, block = fit.thresholds(p, y, block_precision=0.9)
    assert 0.35 <= review <= 0.65 and block >= review
    assert y[p >= block].mean() >= 0.9
    assert fit.prf(p >= review, y)["f1"] >= max(fit.prf(p >= t, y)["f1"] for t in (0.2, 0.8))


def test_folds_are_stable_and_balanced():
    ids = [f"x-{i}" for i in range(1000)]
    folds = [fit.fold_of(i) for i in ids]
    assert folds == [fit.fold_of(i) for i in ids]
    assert min(np.bincount(folds)) > 150


def test_auc_and_platt():
    y = np.array([False, False, True, True])
    assert fit.auc(np.array([0.1, 0.2, 0.3, 0.4]), y) == 1.0
    assert fit.auc(np.array([0.4, 0.3, 0.2, 0.1]), y) == 0.0
    a, c = fit.platt(np.array([-2.0, -1.0, 1.0, 2.0, -1.5, 1.5]), np.array([0, 0, 1, 1, 0, 1]))
    assert a > 0


def test_the_gate_refuses_a_worse_head_set():
    assert validate.gate({"screening": 0.80, "triage": 0.90}, {"screening": 0.85, "triage": 0.90})
    assert not validate.gate({"screening": 0.84, "triage": 0.91}, {"screening": 0.85, "triage": 0.90})
    assert not validate.gate({"screening": 0.5}, None)



def test_metadata_names_the_encoder_the_corpus_and_the_figures():
    class Named:
        name = "use-m3"

    items = [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]
    meta = fit.metadata(Named(), items, thresholds={"escalate": 0.5})
    assert meta["encoder"] == "use-m3" and meta["corpus_items"] == 2
    assert meta["version"].isdigit() and len(meta["version"]) == 14
    assert meta["thresholds"] == {"escalate": 0.5} and meta["corpus_digest"]
