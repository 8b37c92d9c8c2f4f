"""Classifier heads as data: linear models over an encoder's vectors and hashed n-grams.

A head set is two files in ``heads/``: ``NAME.npz`` (the weights, numpy arrays only, loaded with
``allow_pickle=False``) and ``NAME.json`` (what the arrays mean, the encoder they were fitted on,
the training data's digest, the date, the cross-validated figures and the suggested thresholds).
They are read through importlib.resources, so they work from a wheel as from a checkout.

Every head has the same shape: ``logit = dense @ W + sum of W_hash[ids] / sqrt(n) + b``
per class. A binary head has one class and a Platt calibration ``p = sigmoid(a * logit + c)``
fitted on out-of-fold logits, so its probabilities can be compared with the pack's thresholds.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

HEADS_PACKAGE = "onevoice.learned"
HEADS_DIR = "heads"


@dataclass(frozen=True)
class Head:
    name: str
    classes: tuple[str, ...]          # one entry for a binary head: the positive class
    W: np.ndarray                     # (dense_dim, n_classes) float32
    W_hash: np.ndarray | None         # (buckets, n_classes) float32, or None without n-grams
    b: np.ndarray                     # (n_classes,)
    platt: tuple[float, float] = (1.0, 0.0)

    @property
    def binary(self) -> bool:
        return len(self.classes) == 1

    def logits(self, dense: np.ndarray, ids: list[np.ndarray] | None = None) -> np.ndarray:
        """(n, n_classes) for `dense` of shape (n, dense_dim) and one id array per row."""
        out = dense @ self.W + self.b
        if self.W_hash is not None and ids is not None:
            for i, row in enumerate(ids):
                if len(row):
                    out[i] += self.W_hash[row].sum(axis=0) / math.sqrt(len(row))
        return out

    def proba(self, dense: np.ndarray, ids: list[np.ndarray] | None = None) -> np.ndarray:
        z = self.logits(dense, ids)
        if self.binary:
            a, c = self.platt
            return 1.0 / (1.0 + np.exp(-(a * z[:, 0] + c)))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class HeadSet:
    name: str
    meta: dict
    heads: dict[str, Head]

    @property
    def encoder(self) -> str:
        return self.meta["encoder"]

    @property
    def version(self) -> str:
        return self.meta.get("version", "")

    def __getitem__(self, name: str) -> Head:
        return self.heads[name]

    def get(self, name: str) -> Head | None:
        return self.heads.get(name)


def _from_arrays(meta: dict, arrays) -> dict[str, Head]:
    heads = {}
    for name, spec in meta["heads"].items():
        w_hash = arrays[f"{name}.W_hash"] if f"{name}.W_hash" in arrays else None
        heads[name] = Head(
            name=name, classes=tuple(spec["classes"]),
            W=np.asarray(arrays[f"{name}.W"], dtype=np.float32),
            W_hash=None if w_hash is None else np.asarray(w_hash, dtype=np.float32),
            b=np.asarray(arrays[f"{name}.b"], dtype=np.float32),
            platt=tuple(spec.get("platt", (1.0, 0.0))),
        )
    return heads


def read(path: Path) -> HeadSet:
    """A head set from ``path`` (``.../NAME.npz``; its ``.json`` sits beside it)."""
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    with np.load(path, allow_pickle=False) as arrays:
        return HeadSet(path.stem, meta, _from_arrays(meta, arrays))


@lru_cache(maxsize=None)
def load(name: str) -> HeadSet | None:
    """The shipped head set ``name`` (``screening`` or ``triage``), or None if none is built."""
    folder = resources.files(HEADS_PACKAGE).joinpath(HEADS_DIR)
    npz, js = folder.joinpath(f"{name}.npz"), folder.joinpath(f"{name}.json")
    if not (npz.is_file() and js.is_file()):
        return None
    meta = json.loads(js.read_text(encoding="utf-8"))
    with resources.as_file(npz) as real, np.load(real, allow_pickle=False) as arrays:
        return HeadSet(name, meta, _from_arrays(meta, arrays))


def write(path: Path, meta: dict, heads: dict[str, Head]) -> None:
    """Write a head set (weights as float32; n-gram weights as float16 to keep the files small)."""
    arrays: dict[str, np.ndarray] = {}
    meta = dict(meta)
    meta["heads"] = {}
    for name, h in heads.items():
        arrays[f"{name}.W"] = h.W.astype(np.float32)
        arrays[f"{name}.b"] = h.b.astype(np.float32)
        if h.W_hash is not None:
            arrays[f"{name}.W_hash"] = h.W_hash.astype(np.float16)
        meta["heads"][name] = {"classes": list(h.classes), "platt": list(h.platt)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
