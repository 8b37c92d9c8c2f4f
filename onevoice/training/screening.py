"""The screening head set: one draft head and one sentence head per clause.

Training data per clause:
- every corpus draft (for 2.f only the personal ones: 2.f never applies to the others, so an
  official "As IPALA we believe" is neither a positive nor a negative for it);
- for 2.e also the training part of the real-tweet offensive sets, as official posts, weighted so
  that together they count about as much as the corpus.

The sentence head of a clause learns from the sentences that hold a labelled span (positive)
and from every sentence of the drafts without that label (negative); the other sentences of a
labelled draft are left out, since the label does not say whether they are part of it.

C, the calibration and the thresholds come from 5-fold cross-validation on the corpus; the
figures written into the metadata are those out-of-fold figures.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from onevoice.learned.heads import Head
from onevoice.screening.learned import dense_dim, sentence_dim, vectorize
from onevoice.screening.model import Draft

from . import corpus, fit, public

CLAUSES = corpus.CLAUSES
PERSONAL_ONLY = frozenset({"2.f"})
C_GRID = (0.3, 1.0, 3.0)
TWEET_SHARE = 1.0          # the public tweets together weigh this many times the corpus
TWEETS_PER_SOURCE = 6000   # training tweets taken per source (all of OLID's training split)
BLOCK_PRECISION = 0.95  # a block on a compliant draft costs the author most: block only where nearly sure


@dataclass
class Built:
    meta: dict
    heads: dict[str, Head]
    oof: dict[str, np.ndarray] = field(default_factory=dict)   # clause -> calibrated OOF probability
    report: dict = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)                # the corpus it was built from


def _sample(items: list[dict], per_source: int) -> list[dict]:
    by: dict[str, list[dict]] = {}
    for t in items:
        by.setdefault(t["source"], []).append(t)
    out = []
    for source, rows in by.items():
        rows.sort(key=lambda t: zlib.crc32(t["id"].encode()))
        out.extend(rows if source == "olid" else rows[:per_source])
    return out


def tweet_drafts(tweets: list[dict]) -> list[Draft]:
    return [Draft(text=t["text"], kind="official", id=t["id"]) for t in tweets]


def build(data_dir: Path, encoder, progress=lambda *a: None, c_grid=C_GRID, hashed: bool = True,
          tweet_share: float = TWEET_SHARE) -> Built:
    items = corpus.load_drafts()
    drafts = [Draft.from_dict(x) for x in items]
    tweets = public.offensive(data_dir) if data_dir else []
    train_tweets = _sample([t for t in tweets if not t["held_out"]], TWEETS_PER_SOURCE)
    held_tweets = _sample([t for t in tweets if t["held_out"]], TWEETS_PER_SOURCE // 4)
    progress("encoding the corpus", 0)
    V = vectorize(drafts, encoder)
    progress("encoding the public tweets", 0)
    VT = vectorize(tweet_drafts(train_tweets), encoder)
    VH = vectorize(tweet_drafts(held_tweets), encoder)
    ddim, sdim = dense_dim(encoder.dim), sentence_dim(encoder.dim)

    X = fit.design(np.stack([v.dense for v in V]), [v.ids for v in V] if hashed else None)
    XT = fit.design(np.stack([v.dense for v in VT]), [v.ids for v in VT] if hashed else None) if VT else None
    XH = fit.design(np.stack([v.dense for v in VH]), [v.ids for v in VH] if hashed else None) if VH else None
    ids = [x["id"] for x in items]
    kinds = np.array([x["kind"] for x in items])
    labels = {c: np.array([c in x["labels"] for x in items]) for c in CLAUSES}

    heads: dict[str, Head] = {}
    report: dict = {"clauses": {}, "public": {}}
    thresholds: dict[str, dict] = {}
    oof_all: dict[str, np.ndarray] = {}
    from scipy import sparse

    for clause in CLAUSES:
        progress(f"clause {clause}", 0)
        rows = kinds == "personal" if clause in PERSONAL_ONLY else np.ones(len(items), dtype=bool)
        Xc, yc, idc = X[rows], labels[clause][rows], [i for i, r in zip(ids, rows) if r]
        weight = np.ones(len(yc))
        use_tweets = clause == "2.e" and XT is not None
        if use_tweets:
            yt = np.array([bool(t["label"]) for t in train_tweets])
            wt = np.full(len(yt), tweet_share * len(yc) / len(yt))
        best = None
        for C in c_grid:
            if use_tweets:
                # tweets are only ever in the training part of a fold
                oof = _oof_with_aux(Xc, yc, idc, weight, XT, yt, wt, ddim, C, hashed)
            else:
                oof = fit.out_of_fold(Xc, yc, idc, ddim, C, weight, hashed)[:, 0]
            a = fit.auc(oof, yc)
            if best is None or a > best[0]:
                best = (a, C, oof)
        a, C, oof = best
        calib = fit.platt(oof, yc)
        p = fit.sigmoid(calib[0] * oof + calib[1])
        review, block = fit.thresholds(p, yc, BLOCK_PRECISION)
        thresholds[clause] = {"review": review, "block": block}
        full = np.zeros(len(items))
        full[rows] = p
        oof_all[clause] = full
        if use_tweets:
            Xf = sparse.vstack([Xc, XT], format="csr")
            yf, wf = np.concatenate([yc, yt]), np.concatenate([weight, wt])
        else:
            Xf, yf, wf = Xc, yc, weight
        final = fit.fit(Xf, yf, ddim, C, wf, hashed)
        heads[clause] = fit.head(clause, [clause], final, calib)
        m = fit.prf(p >= review, yc)
        report["clauses"][clause] = {"C": C, "auc": round(a, 4), **m, "review": review, "block": block,
                                     "positives": int(yc.sum()), "examples": int(len(yc))}
        if use_tweets and XH is not None:
            z = fit.logits(final, XH)[:, 0]
            ph = fit.sigmoid(calib[0] * z + calib[1])
            yh = np.array([bool(t["label"]) for t in held_tweets])
            src = np.array([t["source"] for t in held_tweets])
            for s in sorted(set(src)):
                k = src == s
                report["public"][s] = {**fit.prf(ph[k] >= review, yh[k]), "auc": round(fit.auc(ph[k], yh[k]), 4),
                                       "items": int(k.sum())}
        sentence = _sentence_head(clause, items, V, rows, sdim, hashed)
        if sentence is not None:
            heads[sentence.name] = sentence

    compliant = np.array([not x["labels"] for x in items])
    blocked = np.zeros(len(items), dtype=bool)
    flagged = np.zeros(len(items), dtype=bool)
    for clause in CLAUSES:
        blocked |= oof_all[clause] >= thresholds[clause]["block"]
        flagged |= oof_all[clause] >= thresholds[clause]["review"]
    report["false_block_rate"] = round(float(blocked[compliant].mean()), 4)
    report["compliant_flagged_rate"] = round(float(flagged[compliant].mean()), 4)
    report["macro_f1_2a_2f"] = round(float(np.mean([report["clauses"][c]["f1"] for c in CLAUSES[:6]])), 4)
    langs = np.array([x.get("lang", "en") for x in items])
    report["languages"] = {}
    for lang in corpus.LANGS:
        k = langs == lang
        if k.sum():
            f1s = [fit.prf((oof_all[c] >= thresholds[c]["review"])[k], labels[c][k])["f1"]
                   for c in CLAUSES[:6] if labels[c][k].sum()]
            report["languages"][lang] = {"items": int(k.sum()), "macro_f1_2a_2f": round(float(np.mean(f1s)), 4)}

    report["recognizers"] = recognizer_contributions(items, oof_all, thresholds)

    meta = fit.metadata(encoder, items, public_tweets=len(train_tweets), hashed_ngrams=hashed,
                        clauses=list(CLAUSES), thresholds=thresholds, cv=report)
    return Built(meta, heads, oof_all, report, items)


def _oof_with_aux(Xc, yc, idc, weight, XT, yt, wt, ddim, C, hashed):
    from scipy import sparse

    folds = np.array([fit.fold_of(i) for i in idc])
    out = np.zeros(len(yc))
    for k in range(fit.FOLDS):
        test = folds == k
        Xtr = sparse.vstack([Xc[~test], XT], format="csr")
        ytr = np.concatenate([yc[~test], yt])
        wtr = np.concatenate([weight[~test], wt])
        f = fit.fit(Xtr, ytr, ddim, C, wtr, hashed)
        out[test] = fit.logits(f, Xc[test])[:, 0]
    return out


def _sentence_head(clause, items, V, rows, sdim, hashed) -> Head | None:
    dense, ids, y = [], [], []
    for item, v, use in zip(items, V, rows):
        if not use or not len(v.spans):
            continue
        if clause in item["labels"]:
            marks = []
            for s in item.get("spans") or []:
                if s["clause"] == clause:
                    start = item["text"].find(s["text"])
                    marks.append((start, start + len(s["text"])))
            for j, (s, e) in enumerate(v.spans):
                if any(ms < e and me > s for ms, me in marks):
                    dense.append(v.sent_dense[j]); ids.append(v.sent_ids[j]); y.append(True)
        else:
            for j in range(len(v.spans)):
                dense.append(v.sent_dense[j]); ids.append(v.sent_ids[j]); y.append(False)
    if sum(y) < 5:  # 2.c's evidence is mostly an absence: no sentence to learn from
        return None
    X = fit.design(np.stack(dense), ids if hashed else None)
    f = fit.fit(X, np.array(y), sdim, 1.0, None, hashed)
    return fit.head(f"{clause}/sentence", [clause], f)


def recognizer_contributions(items: list[dict], oof: dict[str, np.ndarray], thresholds: dict) -> dict:
    """What each recognizer of the IPALA pack adds to its clause beyond the learned head, on the
    corpus (out-of-fold head scores): its hits, their precision, and the change in the clause's
    F1 and recall when its hits are added. A recognizer stays in the pack only if it helps here."""
    from onevoice.policy import load_pack
    from onevoice.screening.engine import Engine

    engine = Engine(load_pack(), learned=False)
    reports = engine.screen_many([Draft.from_dict(x) for x in items])
    out = {}
    for rule in engine.rules:
        c = rule.clause
        y = np.array([c in x["labels"] for x in items])
        base = oof[c] >= thresholds[c]["review"]
        hit = np.array([any(f.rule == rule.id for f in r.findings) for r in reports])
        before, after = fit.prf(base, y), fit.prf(base | hit, y)
        out[rule.id] = {"hits": int(hit.sum()), "precision": round(float(y[hit].mean()), 4) if hit.any() else None,
                        "delta_f1": round(after["f1"] - before["f1"], 4),
                        "delta_recall": round(after["recall"] - before["recall"], 4)}
    return out
