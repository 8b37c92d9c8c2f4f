"""An encoder wrapper that remembers vectors between training runs.

Encoding the corpus and the public sets is most of a training run's time, and the texts rarely
change, so vectors are kept per text digest in ``~/.cache/onevoice-train/ENCODER.npz``.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from onevoice.learned.encoder import Encoder

CHUNK = 256


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "onevoice-train"


class CachingEncoder:
    def __init__(self, inner: Encoder, progress=None) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.path = cache_dir() / f"{inner.name}.npz"
        self.vectors: dict[bytes, np.ndarray] = {}
        self.progress = progress
        self._dirty = False
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as z:
                keys, vecs = z["keys"], z["vectors"]
                self.vectors = {bytes(k): v for k, v in zip(keys, vecs)}

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode(), digest_size=16).digest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = list({k: t for k, t in zip(keys, texts) if k not in self.vectors}.items())
        for i in range(0, len(missing), CHUNK):
            part = missing[i:i + CHUNK]
            vecs = self.inner.encode([t for _, t in part])
            for (k, _), v in zip(part, vecs):
                self.vectors[k] = v.astype(np.float16)
            self._dirty = True
            if self.progress:
                self.progress(len(part), len(missing))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors.keys()), dtype="S16")
        vecs = np.stack(list(self.vectors.values()))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vecs)
        tmp.replace(self.path)
        self._dirty = False
