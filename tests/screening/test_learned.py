"""The learned layer inside the engine: findings from the clause heads, their spans, their bands,
and batching that decides exactly as one draft at a time. Drafts written for these tests."""
from __future__ import annotations

from dataclasses import replace

from onevoice.policy import load_pack
from onevoice.screening import Attachment, Draft, Engine, Severity, default_engine
from onevoice.screening.learned import vectorize

STORY = ("Big thanks to the whole airway team. Yesterday a nine-month-old girl came in blue after "
         "choking on a grape and we had it out of her right main bronchus within half an hour. "
         "Congress registration closes on Friday.")


def _learned_only() -> Engine:
    pack = load_pack()
    return Engine(replace(pack, rules=tuple(replace(r, enabled=False) for r in pack.rules)))


def test_a_learned_finding_points_at_the_sentence_that_carries_it():
    report = _learned_only().screen(Draft(text=STORY))
    f = next(f for f in report.findings if f.clause == "2.d")
    assert f.rule == "2.d-learned" and f.severity in (Severity.BLOCK, Severity.REVIEW)
    assert "grape" in f.text and "registration" not in f.text
    assert STORY[f.start:f.end] == f.text
    assert "score" in f.explanation and f.fix


def test_the_band_follows_the_thresholds():
    engine = _learned_only()
    rule = next(r for r in engine.learned_rules if r.clause == "2.d")
    p = engine.learned.score([Draft(text=STORY)])[0]["2.d"].probability
    sev = next(f.severity for f in engine.screen(Draft(text=STORY)).findings if f.clause == "2.d")
    assert (sev is Severity.BLOCK) == (p >= rule.block) and p >= rule.review


def test_kinds_limit_a_head():
    text = "As IPALA we call on the ministry to fund home ventilation for every child who needs it."
    engine = _learned_only()
    assert "2.f" not in engine.screen(Draft(text=text, kind="official")).labels  # official voice is fine
    assert "2.f" in engine.screen(Draft(text=text, kind="personal")).labels


def test_evidence_in_an_attachment_has_no_span():
    att = Attachment(type="image", credit=None,
                     alt="Photo of a toddler in a hospital cot with a tracheostomy tube, face visible")
    report = _learned_only().screen(Draft(text="What a week 💙", attachments=(att,)))
    f = next(f for f in report.findings if f.clause == "2.d")
    assert (f.start, f.end, f.text) == (0, 0, "") and "toddler" in f.evidence


def test_a_batch_decides_as_one_draft_at_a_time():
    engine = default_engine()
    drafts = [Draft(text=STORY), Draft(text="See you in Porto! 🎉", kind="personal"),
              Draft(text="What a load of b.u.l.l.s.h.i.t from the ministry", kind="reply"), Draft(text="")]
    assert [r.to_dict() for r in engine.screen_many(drafts)] == [engine.screen(d).to_dict() for d in drafts]
    assert engine.screen_many([]) == []


def test_vectors_have_the_layout_the_heads_expect():
    engine = default_engine()
    v = vectorize([Draft(text=STORY), Draft(text="")], engine.learned.encoder)
    head = engine.learned.heads["2.d"]
    assert v[0].dense.shape == (head.W.shape[0],) and len(v[0].spans) == 3
    assert v[1].spans == [] and v[1].dense.shape == v[0].dense.shape


def test_the_report_names_the_model():
    engine = default_engine()
    assert engine.model_version and engine.model_version.startswith("screening@")
