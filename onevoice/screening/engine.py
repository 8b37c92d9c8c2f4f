"""The screening engine: runs a policy pack's recognizers and learned clause heads over a draft
and decides.

Two layers find problems:
- the recognizers (the pack's ``rules``) find what has a format: phone numbers, e-mails, ID and
  card numbers, dates of birth, addresses, credentials, masked profanity, uncredited media;
- the learned heads (the pack's ``learned`` section, ``learned.py``) score what is about meaning:
  a patient's story, someone's health, unapproved news, contempt, speaking for the organization.
  A head's probability above the clause's ``block`` threshold blocks, above ``review`` sends the
  draft to the committee with the finding, below it says nothing.

Decision: any finding of severity `block` blocks the draft, any `review` finding sends it to a
human with the findings attached, otherwise it passes. The committee still approves every
official post (1.); screening only makes sure no reviewer has to spot a phone number alone.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Sequence

from .model import Decision, Draft, Finding, Report, Severity, redaction_mark
from .normalize import ScreenText
from .loader import load_detectors
from .registry import Detector

if TYPE_CHECKING:
    from onevoice.policy.pack import PolicyPack

    from .learned import ClauseScore, LearnedScreening

SPAN_SENTENCES = 2          # a learned finding points at its best sentence and at most one more
SECOND_SENTENCE_AT = 0.6    # ... when that one scores at least this on its own
IN_TEXT_AT = 0.25           # below this, the best sentence does not carry the clause: the evidence
                            # is elsewhere (an attachment, an absence), so the finding has no span
ATTACHMENT_MARGIN = 0.3     # ... and so when an attachment is described and the draft scores this
                            # much above its best sentence: the attachment carries the score

_NOT_ALNUM = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def _national_forms(phones: Iterable[str]) -> set[str]:
    """The organization's international numbers as people also write them at home:
    "+44 20 7946 0018" is "020 7946 0018" in London."""
    import phonenumbers

    out = set()
    for phone in phones:
        try:
            n = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            continue
        out.add(phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL))
    return out


@dataclass(frozen=True)
class _BoundRule:
    id: str
    clause: str
    clause_title: str
    severity: Severity
    kinds: frozenset[str]
    allow: frozenset[str]
    redact: bool
    detect: Detector


@dataclass(frozen=True)
class _LearnedRule:
    clause: str
    clause_title: str
    kinds: frozenset[str]
    review: float
    block: float
    fix: str


def default_learned() -> LearnedScreening | None:
    """The shipped screening heads on their encoder, or None when no heads are built."""
    from onevoice.learned.encoder import get_encoder
    from onevoice.learned.heads import load

    from .learned import LearnedScreening

    heads = load("screening")
    return None if heads is None else LearnedScreening(heads, get_encoder(heads.encoder))


class Engine:
    def __init__(self, pack: PolicyPack, learned: LearnedScreening | Literal[False] | None = None) -> None:
        """`learned`: a LearnedScreening; by default the shipped heads when the pack has a
        ``learned`` section. Pass ``False`` for the recognizers alone."""
        registry = load_detectors()
        self.pack = pack
        self.rules: list[_BoundRule] = []
        self.learned: LearnedScreening | None = None
        self.learned_rules: list[_LearnedRule] = []
        for rule in pack.rules:
            if not rule.enabled:
                continue
            registered = registry[rule.detector]
            clause = pack.clause(rule.clause)
            allow = set(rule.allow)
            if rule.clause == "2.a":
                org = pack.organization
                allow |= {*org.public_phones, *org.public_emails, *org.public_addresses,
                          *_national_forms(org.public_phones)}
            self.rules.append(_BoundRule(
                id=rule.id, clause=rule.clause, clause_title=clause.title,
                severity=rule.severity, kinds=frozenset(rule.applies_to),
                allow=frozenset(_key(a) for a in allow if _key(a)),
                redact=rule.redact, detect=registered.factory(rule.params, pack.organization),
            ))
        enabled = [lc for lc in pack.learned if lc.enabled]
        if enabled and learned is not False:
            self.learned = learned if learned is not None else default_learned()
        if self.learned is not None:
            chosen = self.learned.heads.meta.get("thresholds", {})
            for lc in enabled:
                if lc.clause not in self.learned.clauses:
                    continue
                cv = chosen.get(lc.clause, {})
                review = lc.review if lc.review is not None else float(cv.get("review", 0.5))
                block = lc.block if lc.block is not None else float(cv.get("block", 0.9))
                self.learned_rules.append(_LearnedRule(
                    clause=lc.clause, clause_title=pack.clause(lc.clause).title, kinds=frozenset(lc.applies_to),
                    review=review, block=max(block, review), fix=lc.fix))

    @property
    def model_version(self) -> str | None:
        return None if self.learned is None else f"{self.learned.heads.name}@{self.learned.heads.version}"

    def screen(self, draft: Draft) -> Report:
        return self.screen_many([draft])[0]

    def screen_many(self, drafts: Sequence[Draft]) -> list[Report]:
        """Screen drafts together: the encoder reads all their sentences in one batch."""
        scores = self.learned.score(drafts) if self.learned is not None and self.learned_rules and drafts else None
        return [self._screen(d, scores[i] if scores else None) for i, d in enumerate(drafts)]

    def _screen(self, draft: Draft, scores: dict[str, ClauseScore] | None) -> Report:
        text = ScreenText(draft.text)
        findings: list[Finding] = []
        for rule in self.rules:
            if draft.kind not in rule.kinds:
                continue
            for hit in rule.detect(text, draft):
                matched = draft.text[hit.start:hit.end]
                if rule.allow and matched and _key(matched) in rule.allow:
                    continue
                findings.append(Finding(
                    clause=rule.clause, clause_title=rule.clause_title, rule=rule.id,
                    severity=rule.severity, start=hit.start, end=hit.end, text=matched,
                    explanation=hit.explanation, fix=hit.fix, evidence=hit.evidence,
                    redaction=redaction_mark(rule.clause) if rule.redact and hit.end > hit.start else None,
                ))
        if scores:
            findings.extend(self._learned_findings(draft, scores, {f.clause for f in findings}))
        findings = _dedupe(findings)
        return Report(
            decision=_decide(findings),
            findings=tuple(findings),
            redacted=self._redact(draft.text, findings),
            policy=f"{self.pack.name}@{self.pack.version}",
            draft_id=draft.id,
        )

    def _learned_findings(self, draft: Draft, scores: dict[str, ClauseScore], found: set[str]) -> list[Finding]:
        """A finding per clause whose head scores the draft at or above its review threshold.
        Where a recognizer already found the clause, its exact span stands for it."""
        out = []
        for rule in self.learned_rules:
            if draft.kind not in rule.kinds or rule.clause in found:
                continue
            score = scores.get(rule.clause)
            if score is None or score.probability < rule.review:
                continue
            severity = Severity.BLOCK if score.probability >= rule.block else Severity.REVIEW
            band = f"block band, from {rule.block:.2f}" if severity is Severity.BLOCK else \
                f"review band, {rule.review:.2f} to {rule.block:.2f}"
            why = (f"The screening model reads this as a {rule.clause} {rule.clause_title} problem "
                   f"(score {score.probability:.2f}, {band}).")
            spans = [s for s in score.sentences[:SPAN_SENTENCES]
                     if s is score.sentences[0] or s[2] >= SECOND_SENTENCE_AT]
            described = any(a.alt for a in draft.attachments)
            if not spans or spans[0][2] < IN_TEXT_AT or (
                    described and score.probability - spans[0][2] > ATTACHMENT_MARGIN):
                evidence = "; ".join(a.alt for a in draft.attachments if a.alt) or None
                out.append(Finding(clause=rule.clause, clause_title=rule.clause_title, rule=f"{rule.clause}-learned",
                                   severity=severity, start=0, end=0, text="", explanation=why, fix=rule.fix,
                                   evidence=evidence or "the draft as a whole"))
                continue
            for start, end, _ in sorted(spans):
                out.append(Finding(clause=rule.clause, clause_title=rule.clause_title, rule=f"{rule.clause}-learned",
                                   severity=severity, start=start, end=end, text=draft.text[start:end],
                                   explanation=why, fix=rule.fix))
        return out

    def _redact(self, text: str, findings: list[Finding]) -> str:
        redactable = {r.id for r in self.rules if r.redact}
        spans = sorted((f.start, f.end, f.clause) for f in findings if f.rule in redactable and f.end > f.start)
        out, pos = [], 0
        for start, end, clause in spans:
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append(redaction_mark(clause))
            pos = end
        out.append(text[pos:])
        return "".join(out)


def _decide(findings: list[Finding]) -> Decision:
    worst = max((f.severity.rank for f in findings), default=0)
    if worst >= Severity.BLOCK.rank:
        return Decision.BLOCK
    if worst >= Severity.REVIEW.rank:
        return Decision.REVIEW
    return Decision.PASS


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per clause and span: when two rules of a clause flag overlapping text,
    keep the more severe one (then the longer span), so the author reads each problem once."""
    findings.sort(key=lambda f: (f.clause, f.start, -f.severity.rank, -(f.end - f.start)))
    kept: list[Finding] = []
    for f in findings:
        prev = kept[-1] if kept else None
        if prev and prev.clause == f.clause and f.end > f.start and f.start < prev.end and prev.end > prev.start:
            if f.severity.rank > prev.severity.rank:
                kept[-1] = f
            continue
        if prev and prev.clause == f.clause and f.start == f.end == prev.start == prev.end and f.rule == prev.rule:
            continue
        kept.append(f)
    kept.sort(key=lambda f: (f.start, f.clause))
    return kept
