"""The screening vocabulary: a draft goes in, a Report with findings comes out.

Offsets in a Finding always point into the ORIGINAL draft text, so that the web page can
highlight exactly what the author wrote, whatever the normalizer did to find it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from onevoice.errors import TooLarge

DraftKind = Literal["official", "reply", "personal"]
DRAFT_KINDS: tuple[str, ...] = ("official", "reply", "personal")


class Severity(str, Enum):
    """How a finding weighs on the decision. Ordered: block > review > advise."""

    BLOCK = "block"
    REVIEW = "review"
    ADVISE = "advise"

    @property
    def rank(self) -> int:
        return {"block": 3, "review": 2, "advise": 1}[self.value]


class Decision(str, Enum):
    BLOCK = "block"
    REVIEW = "review"
    PASS = "pass"


def redaction_mark(clause: str) -> str:
    """What a redacted span becomes: it says which clause took it out, so the author knows what to
    write instead."""
    return f"[{clause} removed]"


def check_length(text: str, limit: int) -> str:
    """`text`, if it has at most `limit` characters (the installation's ONEVOICE_MAX_DRAFT_CHARS).
    Screening time grows with the text, so a longer one is refused whole (413), never cut."""
    if len(text) > limit:
        raise TooLarge(f"the text has {len(text)} characters; the most a draft may have is {limit}")
    return text


@dataclass(frozen=True)
class Organization:
    """What the screening needs to know about the organization that owns the policy."""

    name: str = ""
    aliases: tuple[str, ...] = ()
    public_phones: tuple[str, ...] = ()
    public_emails: tuple[str, ...] = ()
    public_domains: tuple[str, ...] = ()
    public_addresses: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases) if self.name else self.aliases


@dataclass(frozen=True, slots=True)
class Attachment:
    type: str  # image | video | link | audio | document
    credit: str | None = None
    alt: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    kind: DraftKind = "official"
    attachments: tuple[Attachment, ...] = ()
    id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Draft":
        """Build a draft from the batch/API shape; raises ValueError with a readable reason."""
        if not isinstance(data, dict):
            raise ValueError("a draft must be a JSON object")
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError("'text' must be a string")
        kind = data.get("kind", "official")
        if kind not in DRAFT_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(DRAFT_KINDS)}, not {kind!r}")
        raw = data.get("attachments") or []
        if not isinstance(raw, list):
            raise ValueError("'attachments' must be a list")
        attachments = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise ValueError("each attachment needs a 'type' string")
            credit = item.get("credit")
            attachments.append(
                Attachment(
                    type=item["type"],
                    credit=credit if isinstance(credit, str) and credit.strip() else None,
                    alt=str(item.get("alt") or ""),
                    url=item.get("url") if isinstance(item.get("url"), str) else None,
                )
            )
        draft_id = data.get("id")
        return cls(text=text, kind=kind, attachments=tuple(attachments),
                   id=None if draft_id is None else str(draft_id))


@dataclass(frozen=True, slots=True)
class Hit:
    """What a detector reports: a span of the draft (original offsets) and why.

    start == end == 0 with `evidence` set means the evidence is not in the text
    (an uncredited image, a patient photo described only in the attachment).
    """

    start: int
    end: int
    explanation: str
    fix: str
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    clause: str
    clause_title: str
    rule: str
    severity: Severity
    start: int
    end: int
    text: str
    explanation: str
    fix: str
    evidence: str | None = None
    # what stands in the span's place when the rule redacts (its pack rule says `redact: true`):
    # the one-click fix of the draft pages, and the same mark as Report.redacted
    redaction: str | None = None

    @property
    def citation(self) -> str:
        return f"{self.clause} {self.clause_title}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "clause_title": self.clause_title,
            "rule": self.rule,
            "severity": self.severity.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "explanation": self.explanation,
            "fix": self.fix,
            "evidence": self.evidence,
            "redaction": self.redaction,
        }


@dataclass(frozen=True, slots=True)
class Report:
    decision: Decision
    findings: tuple[Finding, ...]
    redacted: str
    policy: str = ""
    draft_id: str | None = None

    @property
    def labels(self) -> list[str]:
        return sorted({f.clause for f in self.findings})

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.draft_id,
            "decision": self.decision.value,
            "policy": self.policy,
            "labels": self.labels,
            "findings": [f.to_dict() for f in self.findings],
            "redacted": self.redacted,
        }

    def to_batch_line(self) -> dict[str, Any]:
        """The compact shape of `onevoice screen --jsonl`."""
        return {
            "id": self.draft_id,
            "decision": self.decision.value,
            "labels": self.labels,
            "findings": [
                {"clause": f.clause, "rule": f.rule, "severity": f.severity.value,
                 "start": f.start, "end": f.end, "text": f.text}
                for f in self.findings
            ],
        }
