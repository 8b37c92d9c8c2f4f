"""`onevoice model train`: rebuild both head sets, measure them, and replace the shipped ones
only when they do not score worse on the validation sets."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from onevoice.learned import heads as heads_io
from onevoice.learned.encoder import DEFAULT_ENCODER, get_encoder
from onevoice.learned.heads import HeadSet

from . import screening, triage, validate
from .cache import CachingEncoder


class WorseThanShipped(RuntimeError):
    pass


@dataclass
class Result:
    screening: dict
    triage: dict
    validation: dict
    written: bool
    out_dir: Path


def shipped_dir() -> Path:
    return Path(str(resources.files(heads_io.HEADS_PACKAGE).joinpath(heads_io.HEADS_DIR)))


def measure(screening_heads: HeadSet, triage_heads: HeadSet, data_dir: Path, encoder) -> dict:
    """Validation figures of a pair of head sets (with the IPALA pack's recognizers)."""
    from onevoice.policy import load_pack
    from onevoice.screening.engine import Engine
    from onevoice.screening.learned import LearnedScreening
    from onevoice.triage import triage_many
    from onevoice.triage.learned import LearnedTriage

    out: dict = {}
    drafts = validate.drafts_path(data_dir)
    if drafts.exists():
        engine = Engine(load_pack(), learned=LearnedScreening(screening_heads, encoder))
        r = validate.screening(validate._jsonl(drafts), engine)
        out["screening"] = round(r["macro_f1_2a_2f"], 4)
        out["screening_false_blocks"] = round(r["false_block_rate"], 4)
        out["screening_per_clause"] = {c: round(m["f1"], 4) for c, m in r["per_clause"].items()}
    comments = validate.comments_path(data_dir)
    if comments.exists():
        model = LearnedTriage(triage_heads, encoder)
        r = validate.triage(validate._jsonl(comments), lambda t, f: triage_many(t, f, model))
        out["triage"] = round(r["escalate"]["f1"], 4)
        out["triage_category_accuracy"] = round(r["category_accuracy"], 4)
    return out


def train(data_dir: Path, encoder_name: str = DEFAULT_ENCODER, out_dir: Path | None = None,
          force: bool = False, progress=lambda step, total: None) -> Result:
    out_dir = out_dir or shipped_dir()
    steps = iter(range(1, 100))
    total = 14

    def step(message, *_):
        progress(message, min(next(steps), total) / total)

    encoder = CachingEncoder(get_encoder(encoder_name))
    try:
        s = screening.build(data_dir, encoder, step)
        t = triage.build(data_dir, encoder, step)
    finally:
        encoder.save()
    new_s = HeadSet("screening", s.meta, s.heads)
    new_t = HeadSet("triage", t.meta, t.heads)
    step("measuring on the validation sets")
    validation = measure(new_s, new_t, data_dir, encoder.inner)
    old = None
    if (out_dir / "screening.npz").exists() and (out_dir / "triage.npz").exists():
        old_s, old_t = heads_io.read(out_dir / "screening.npz"), heads_io.read(out_dir / "triage.npz")
        old = measure(old_s, old_t, data_dir, get_encoder(old_s.encoder)) if old_s.encoder == encoder_name else None
    worse = validate.gate(validation, old)
    if worse and not force:
        raise WorseThanShipped("the new heads score worse on the validation sets than the shipped ones ("
                               + "; ".join(worse) + "); nothing was replaced (--force replaces them anyway)")
    s.meta["validation"] = {k: v for k, v in validation.items() if not k.startswith("triage")}
    t.meta["validation"] = {k: v for k, v in validation.items() if k.startswith("triage")}
    heads_io.write(out_dir / "screening.npz", s.meta, s.heads)
    heads_io.write(out_dir / "triage.npz", t.meta, t.heads)
    step("done")
    return Result(s.report, t.report, validation, True, out_dir)
