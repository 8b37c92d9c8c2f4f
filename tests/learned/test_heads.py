"""The shipped head sets: data files with their metadata, loaded without pickle."""
from __future__ import annotations

import numpy as np
import pytest

from onevoice.learned import heads as heads_io
from onevoice.learned.heads import Head


@pytest.mark.parametrize("name", ["screening", "triage"])
def test_shipped_heads_load_with_their_metadata(name):
    hs = heads_io.load(name)
    assert hs is not None, f"{name} heads are not built"
    meta = hs.meta
    assert meta["encoder"] == "use-m3"
    assert len(meta["corpus_digest"]) == 16 and meta["trained"] and meta["cv"]
    assert meta["validation"], "the training measures every head set on the validation sets"
    for h in hs.heads.values():
        assert h.W.dtype == np.float32 and h.W.shape[1] == len(h.classes)


def test_screening_heads_cover_every_clause_with_thresholds():
    hs = heads_io.load("screening")
    for clause in ("2.a", "2.b", "2.c", "2.d", "2.e", "2.f", "2.g"):
        assert hs.get(clause) is not None
        t = hs.meta["thresholds"][clause]
        assert 0 < t["review"] <= t["block"] < 1


def test_write_and_read_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    h = Head("x", ("x",), rng.normal(size=(4, 1)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32),
             np.array([0.1], dtype=np.float32), (2.0, -0.5))
    heads_io.write(tmp_path / "t.npz", {"encoder": "use-m3"}, {"x": h})
    back = heads_io.read(tmp_path / "t.npz")["x"]
    dense = rng.normal(size=(3, 4)).astype(np.float32)
    ids = [np.array([1, 2]), np.array([], dtype=np.int64), np.array([15])]
    assert np.allclose(back.proba(dense, ids), h.proba(dense, ids), atol=1e-2)  # n-gram weights are float16
    p = back.proba(dense, ids)
    assert ((0 < p) & (p < 1)).all()
