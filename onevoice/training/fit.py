"""Logistic-regression heads: design matrices, cross-validation, calibration, thresholds.

Folds are assigned by a stable hash of each example's id, so a figure is reproducible and an
example is never in the training and the test part of one fold.
"""
from __future__ import annotations

import datetime
import math
import zlib
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from onevoice.learned.heads import Head
from onevoice.learned.text import HASH_BUCKETS

from . import corpus

FOLDS = 5


def fold_of(example_id: str, folds: int = FOLDS) -> int:
    return zlib.crc32(example_id.encode()) % folds


def design(dense: np.ndarray, ids: list[np.ndarray] | None) -> sparse.csr_matrix:
    """[dense | hashed n-grams / sqrt(n)] as one sparse matrix, the layout Head.logits reads."""
    d = sparse.csr_matrix(dense.astype(np.float32))
    if ids is None:
        return d
    rows, cols, vals = [], [], []
    for i, row in enumerate(ids):
        if len(row):
            rows.append(np.full(len(row), i))
            cols.append(row)
            vals.append(np.full(len(row), 1.0 / math.sqrt(len(row)), dtype=np.float32))
    if rows:
        h = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(dense.shape[0], HASH_BUCKETS))
    else:
        h = sparse.csr_matrix((dense.shape[0], HASH_BUCKETS), dtype=np.float32)
    return sparse.hstack([d, h], format="csr")


@dataclass
class Fitted:
    W: np.ndarray
    W_hash: np.ndarray | None
    b: np.ndarray


def fit(X: sparse.csr_matrix, y: np.ndarray, dense_dim: int, C: float, weight: np.ndarray | None = None,
        hashed: bool = True, multiclass: bool = False) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    if multiclass:
        model = LogisticRegression(C=C, max_iter=400, class_weight="balanced")
    else:
        model = LogisticRegression(C=C, solver="liblinear", class_weight="balanced", max_iter=400)
    model.fit(X, y, sample_weight=weight)
    coef = model.coef_.T.astype(np.float32)  # (features, classes or 1)
    return Fitted(W=coef[:dense_dim], W_hash=coef[dense_dim:] if hashed else None,
                  b=model.intercept_.astype(np.float32))


def logits(f: Fitted, X: sparse.csr_matrix) -> np.ndarray:
    W = f.W if f.W_hash is None else np.vstack([f.W, f.W_hash])
    return np.asarray(X @ W) + f.b


def out_of_fold(X, y, ids: list[str], dense_dim: int, C: float, weight=None, hashed=True,
                multiclass=False, evaluate: np.ndarray | None = None, progress=None) -> np.ndarray:
    """Logits of every example from a model that did not see it (rows not in `evaluate`, e.g.
    auxiliary public data, are only ever trained on)."""
    folds = np.array([fold_of(i) for i in ids])
    n_out = len(np.unique(y)) if multiclass else 1
    out = np.zeros((len(y), n_out), dtype=np.float32)
    for k in range(FOLDS):
        test = folds == k
        train = ~test
        f = fit(X[train], y[train], dense_dim, C, None if weight is None else weight[train], hashed, multiclass)
        out[test] = logits(f, X[test])
        if progress:
            progress()
    return out


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """p = sigmoid(a z + c) fitted on out-of-fold logits."""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=100.0).fit(z.reshape(-1, 1), y)
    return float(m.coef_[0, 0]), float(m.intercept_[0])


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def prf(pred: np.ndarray, y: np.ndarray) -> dict:
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    fn = int(np.sum(~pred & y))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn}


def auc(p: np.ndarray, y: np.ndarray) -> float:
    pos, neg = p[y], p[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]))
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def thresholds(p: np.ndarray, y: np.ndarray, block_precision: float = 0.9) -> tuple[float, float]:
    """(review, block): review maximizes F1 of "finding or not"; block is the lowest threshold
    whose findings are right at least `block_precision` of the time (never below review)."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    best, review = -1.0, 0.5
    for t in grid:
        f1 = prf(p >= t, y)["f1"]
        if f1 > best + 1e-9:
            best, review = f1, float(t)
    block = 0.95
    for t in grid:
        if t < review:
            continue
        m = p >= t
        if m.sum() >= 5 and (y[m].mean() >= block_precision):
            block = float(t)
            break
    return review, max(block, review)


def head(name: str, classes, f: Fitted, calib=(1.0, 0.0)) -> Head:
    return Head(name=name, classes=tuple(classes), W=f.W, W_hash=f.W_hash, b=f.b, platt=tuple(calib))


def metadata(encoder, items: list[dict], **figures) -> dict:
    """What every head set records about itself: the encoder, when, the corpus digest and size,
    then its own figures (thresholds, cross-validated results, what else went in)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"encoder": encoder.name, "version": now.strftime("%Y%m%d%H%M%S"),
            "trained": now.isoformat(timespec="seconds"), "corpus_digest": corpus.digest(items),
            "corpus_items": len(items), **figures}
