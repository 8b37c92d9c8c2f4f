"""The screening engine: runs a policy pack's rules over a draft and decides.

Decision: any finding of severity `block` blocks the draft, any `review` finding sends it to a
human with the findings attached, otherwise it passes. The committee still approves every
official post (1.); screening only makes sure no reviewer has to spot a phone number alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Decision, Draft, Finding, Report, Severity
from .normalize import ScreenText
from .registry import Detector, load_all

_NOT_ALNUM = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


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


class Engine:
    def __init__(self, pack) -> None:
        registry = load_all()
        self.pack = pack
        self.rules: list[_BoundRule] = []
        for rule in pack.rules:
            if not rule.enabled:
                continue
            registered = registry[rule.detector]
            clause = pack.clause(rule.clause)
            allow = set(rule.allow)
            if rule.clause == "2.a":
                org = pack.organization
                allow |= {*org.public_phones, *org.public_emails, *org.public_addresses}
            self.rules.append(_BoundRule(
                id=rule.id, clause=rule.clause, clause_title=clause.title,
                severity=rule.severity, kinds=frozenset(rule.applies_to),
                allow=frozenset(_key(a) for a in allow if _key(a)),
                redact=rule.redact, detect=registered.factory(rule.params, pack.organization),
            ))

    def screen(self, draft: Draft) -> Report:
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
                ))
        findings = _dedupe(findings)
        return Report(
            decision=_decide(findings),
            findings=tuple(findings),
            redacted=self._redact(draft.text, findings),
            policy=f"{self.pack.name}@{self.pack.version}",
            draft_id=draft.id,
        )

    def _redact(self, text: str, findings: list[Finding]) -> str:
        redactable = {r.id for r in self.rules if r.redact}
        spans = sorted((f.start, f.end, f.clause) for f in findings if f.rule in redactable and f.end > f.start)
        out, pos = [], 0
        for start, end, clause in spans:
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append(f"[{clause} removed]")
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
