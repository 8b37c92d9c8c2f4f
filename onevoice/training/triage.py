"""The triage head set: escalate, category and severity, from the comments corpus.

The escalation threshold and C come from 5-fold cross-validation on the corpus; the figures in
the metadata are out-of-fold. The offensive real tweets add abuse examples in the members'
languages (escalated, category abuse); they are weighted to a fifth of the corpus so that they
teach what abuse looks like without drowning the complaints.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from onevoice.learned.heads import Head
from onevoice.triage.learned import dense_dim, vectorize

from . import corpus, fit, public
from .screening import Built

C_GRID = (0.3, 1.0, 3.0)
# the category head is a softmax over eight classes with many n-gram features; on the corpus it
# keeps gaining out of fold up to C of about 10 (0.84 at C=1, 0.86 at C=3 and 10)
CATEGORY_C_GRID = (1.0, 3.0, 10.0)
ABUSE_TWEETS = 1500   # offensive training tweets added as abuse (and as many inoffensive as neutral)
ABUSE_SHARE = 0.2


def _public_examples(data_dir: Path | None) -> list[dict]:
    if not data_dir:
        return []
    rows = [t for t in public.offensive(data_dir) if not t["held_out"]]
    rows.sort(key=lambda t: zlib.crc32(t["id"].encode()))
    off = [t for t in rows if t["label"]][:ABUSE_TWEETS]
    return [{"id": t["id"], "text": t["text"], "category": "abuse", "escalate": True, "severity": 2} for t in off]


def build(data_dir: Path | None, encoder, progress=lambda *a: None, c_grid=C_GRID, hashed: bool = True) -> Built:
    items = corpus.load_comments()
    extra = _public_examples(data_dir)
    progress("encoding the comments", 0)
    V = vectorize([x["text"] for x in items], encoder)
    VE = vectorize([x["text"] for x in extra], encoder) if extra else None
    ddim = dense_dim(encoder.dim)
    X = fit.design(V.dense, V.ids if hashed else None)
    XE = fit.design(VE.dense, VE.ids if hashed else None) if VE is not None else None
    ids = [x["id"] for x in items]
    y_esc = np.array([bool(x["escalate"]) for x in items])
    w_extra = ABUSE_SHARE * len(items) / len(extra) if extra else 0.0

    from scipy import sparse

    def with_extra(Xc, yc, extra_y):
        if XE is None:
            return Xc, yc, np.ones(len(yc))
        return (sparse.vstack([Xc, XE], format="csr"), np.concatenate([yc, extra_y]),
                np.concatenate([np.ones(len(yc)), np.full(len(extra_y), w_extra)]))

    def oof(Xc, yc, idc, extra_y, C, multiclass=False):
        folds = np.array([fit.fold_of(i) for i in idc])
        n_out = len(np.unique(yc)) if multiclass else 1
        out = np.zeros((len(yc), n_out), dtype=np.float32)
        for k in range(fit.FOLDS):
            test = folds == k
            Xtr, ytr, wtr = with_extra(Xc[~test], yc[~test], extra_y)
            f = fit.fit(Xtr, ytr, ddim, C, wtr, hashed, multiclass)
            out[test] = fit.logits(f, Xc[test])
        return out

    report: dict = {}
    # escalate
    progress("escalate", 0)
    extra_esc = np.ones(len(extra), dtype=bool)
    best = None
    for C in c_grid:
        z = oof(X, y_esc, ids, extra_esc, C)[:, 0]
        a = fit.auc(z, y_esc)
        if best is None or a > best[0]:
            best = (a, C, z)
    a, C_esc, z = best
    calib = fit.platt(z, y_esc)
    p_esc = fit.sigmoid(calib[0] * z + calib[1])
    t_esc, _ = fit.thresholds(p_esc, y_esc)
    Xf, yf, wf = with_extra(X, y_esc, extra_esc)
    final = fit.fit(Xf, yf, ddim, C_esc, wf, hashed)
    heads: dict[str, Head] = {"escalate": fit.head("escalate", ["escalate"], final, calib)}
    report["escalate"] = {"C": C_esc, "auc": round(a, 4), "threshold": t_esc, **fit.prf(p_esc >= t_esc, y_esc)}

    # category
    progress("category", 0)
    classes = list(corpus.CATEGORIES)
    y_cat = np.array([classes.index(x["category"]) for x in items])
    extra_cat = np.full(len(extra), classes.index("abuse"))
    best_cat = None
    for C in CATEGORY_C_GRID:  # chosen by out-of-fold accuracy on the corpus
        z = oof(X, y_cat, ids, extra_cat, C, multiclass=True)
        acc = float(np.mean(z.argmax(axis=1) == y_cat))
        if best_cat is None or acc > best_cat[0]:
            best_cat = (acc, C, z)
    _, C_cat, z_cat = best_cat
    Xc, yc, wc = with_extra(X, y_cat, extra_cat)
    final = fit.fit(Xc, yc, ddim, C_cat, wc, hashed, multiclass=True)
    heads["category"] = fit.head("category", classes, final)
    pred_cat = _reconcile(z_cat, p_esc >= t_esc, classes)
    report["category"] = {"C": C_cat, "accuracy": round(float(np.mean(pred_cat == y_cat)), 4),
                          "per_category": {c: fit.prf(pred_cat == i, y_cat == i) for i, c in enumerate(classes)}}

    # severity (escalated comments only)
    progress("severity", 0)
    esc_rows = y_esc
    sev_classes = ["1", "2", "3"]
    y_sev = np.array([str(x["severity"]) for x in items])[esc_rows]
    y_sev_i = np.array([sev_classes.index(s) for s in y_sev])
    z_sev = oof(X[esc_rows], y_sev_i, [i for i, r in zip(ids, esc_rows) if r], np.full(len(extra), 1), 1.0, True)
    Xs, ys, ws = with_extra(X[esc_rows], y_sev_i, np.full(len(extra), 1))
    heads["severity"] = fit.head("severity", sev_classes, fit.fit(Xs, ys, ddim, 1.0, ws, hashed, True))
    report["severity"] = {"accuracy_on_escalated": round(float(np.mean(z_sev.argmax(axis=1) == y_sev_i)), 4)}

    langs = np.array([x.get("lang", "en") for x in items])
    report["languages"] = {}
    for lang in corpus.LANGS:
        k = langs == lang
        if k.sum():
            report["languages"][lang] = {
                "items": int(k.sum()), "escalate_f1": fit.prf((p_esc >= t_esc)[k], y_esc[k])["f1"],
                "category_accuracy": round(float(np.mean(pred_cat[k] == y_cat[k])), 4)}

    meta = fit.metadata(encoder, items, public_abuse_tweets=len(extra), hashed_ngrams=hashed,
                        thresholds={"escalate": t_esc}, cv=report)
    return Built(meta, heads, {"escalate": p_esc}, report, items)


def _reconcile(cat_logits: np.ndarray, escalate: np.ndarray, classes: list[str]) -> np.ndarray:
    """The category agrees with the escalation decision: the best escalated category when the
    comment is escalated, the best other one when not (the same rule triage applies)."""
    esc_cols = np.array([c in corpus.ESCALATED for c in classes])
    allowed = np.where(escalate[:, None], esc_cols[None, :], ~esc_cols[None, :])
    return np.argmax(np.where(allowed, cat_logits, -np.inf), axis=1)
