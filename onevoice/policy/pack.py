"""Policy packs: an organization's social media policy as versioned YAML.

A pack names the policy's clauses (id, title, text) and the rules that enforce them (which
detector, for which clause, how severe, for which kinds of draft, with which parameters and
allowlists). Employer packs (2.g) are small packs of their own, loaded beside the main one and
merged into it, so a member's employer policy is checked without editing the organization's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from onevoice import safe_yaml
from onevoice.screening.model import DRAFT_KINDS, Severity
from onevoice.screening.registry import Organization

FORMAT_VERSION = 1


class PolicyPackError(ValueError):
    """A pack that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    text: str = ""
    section: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    detector: str
    clause: str
    severity: Severity
    applies_to: tuple[str, ...] = DRAFT_KINDS
    params: dict = field(default_factory=dict)
    allow: tuple[str, ...] = ()
    redact: bool = False
    enabled: bool = True
    description: str = ""


@dataclass(frozen=True)
class LearnedClause:
    """How the learned head of one clause turns its probability into a finding.

    ``review``/``block`` of None take the thresholds the training chose by cross-validation
    (stored with the heads); a pack sets them to trade recall for fewer reviews."""

    clause: str
    applies_to: tuple[str, ...] = DRAFT_KINDS
    review: float | None = None
    block: float | None = None
    fix: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class PolicyPack:
    name: str
    version: str
    title: str
    clauses: tuple[Clause, ...]
    rules: tuple[Rule, ...]
    organization: Organization
    source: str = ""
    learned: tuple[LearnedClause, ...] = ()

    def clause(self, clause_id: str) -> Clause:
        for c in self.clauses:
            if c.id == clause_id:
                return c
        raise PolicyPackError(f"{self.name}: no clause {clause_id!r}")

    def with_employer(self, employer: "PolicyPack") -> "PolicyPack":
        """This pack plus an employer pack's rules (its clauses must exist here, e.g. 2.g)."""
        for rule in employer.rules:
            self.clause(rule.clause)
        ids = {r.id for r in self.rules}
        clash = [r.id for r in employer.rules if r.id in ids]
        if clash:
            raise PolicyPackError(f"employer pack {employer.name}: rule ids already used: {', '.join(clash)}")
        return PolicyPack(self.name, f"{self.version}+{employer.name}@{employer.version}", self.title,
                          self.clauses, self.rules + employer.rules, self.organization, self.source,
                          self.learned)


def _require(data: dict, key: str, where: str, kind: type = str):
    if key not in data:
        raise PolicyPackError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise PolicyPackError(f"{where}: {key!r} must be {kind.__name__}")
    return value


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyPackError(f"{where}: must be a list of strings")
    return tuple(value)


def parse_pack(text: str, source: str = "<string>") -> PolicyPack:
    """Parse and validate a pack; every error names the place in the pack."""
    from onevoice.screening.registry import load_all

    try:
        data = safe_yaml.load(text)
    except safe_yaml.UnsafeYaml as exc:
        raise PolicyPackError(f"{source}: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyPackError(f"{source}: a pack is a YAML mapping")
    fmt = data.get("format", FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        raise PolicyPackError(f"{source}: pack format {fmt!r} is not supported (expected {FORMAT_VERSION})")
    name = _require(data, "pack", source)
    version = str(_require(data, "version", source, (str, int, float)))
    clauses = []
    for i, raw in enumerate(data.get("clauses") or []):
        where = f"{source}: clauses[{i}]"
        if not isinstance(raw, dict):
            raise PolicyPackError(f"{where}: must be a mapping")
        clauses.append(Clause(id=str(_require(raw, "id", where, (str, int, float))),
                              title=_require(raw, "title", where),
                              text=str(raw.get("text") or "").strip(), section=str(raw.get("section") or "")))
    registry = load_all()
    clause_ids = {c.id for c in clauses}
    rules, seen = [], set()
    for i, raw in enumerate(data.get("rules") or []):
        where = f"{source}: rules[{i}]"
        if not isinstance(raw, dict):
            raise PolicyPackError(f"{where}: must be a mapping")
        rid = _require(raw, "id", where)
        where = f"{source}: rule {rid}"
        if rid in seen:
            raise PolicyPackError(f"{where}: duplicate rule id")
        seen.add(rid)
        det = _require(raw, "detector", where)
        if det not in registry:
            raise PolicyPackError(f"{where}: unknown detector {det!r}")
        clause = str(_require(raw, "clause", where, (str, int, float)))
        if clause_ids and clause not in clause_ids:
            raise PolicyPackError(f"{where}: clause {clause!r} is not defined in this pack")
        try:
            severity = Severity(_require(raw, "severity", where))
        except ValueError:
            raise PolicyPackError(f"{where}: severity must be block, review or advise") from None
        kinds = _strings(raw.get("applies_to", list(DRAFT_KINDS)), f"{where}: applies_to")
        bad = [k for k in kinds if k not in DRAFT_KINDS]
        if bad:
            raise PolicyPackError(f"{where}: applies_to has unknown kinds {bad}")
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            raise PolicyPackError(f"{where}: params must be a mapping")
        rules.append(Rule(id=rid, detector=det, clause=clause, severity=severity, applies_to=kinds,
                          params=params, allow=_strings(raw.get("allow"), f"{where}: allow"),
                          redact=bool(raw.get("redact", False)), enabled=bool(raw.get("enabled", True)),
                          description=str(raw.get("description") or "")))
    org_raw = data.get("organization") or {}
    if not isinstance(org_raw, dict):
        raise PolicyPackError(f"{source}: organization must be a mapping")
    org = Organization(
        name=str(org_raw.get("name") or ""),
        aliases=_strings(org_raw.get("aliases"), f"{source}: organization.aliases"),
        public_phones=_strings(org_raw.get("public_phones"), f"{source}: organization.public_phones"),
        public_emails=_strings(org_raw.get("public_emails"), f"{source}: organization.public_emails"),
        public_domains=_strings(org_raw.get("public_domains"), f"{source}: organization.public_domains"),
        public_addresses=_strings(org_raw.get("public_addresses"), f"{source}: organization.public_addresses"),
        extra={k: v for k, v in org_raw.items() if k not in {
            "name", "aliases", "public_phones", "public_emails", "public_domains", "public_addresses"}},
    )
    learned = _learned(data.get("learned"), clause_ids, source)
    return PolicyPack(name=name, version=version, title=str(data.get("title") or name),
                      clauses=tuple(clauses), rules=tuple(rules), organization=org, source=source,
                      learned=learned)


def _threshold(raw: dict, key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise PolicyPackError(f"{where}: {key!r} must be a probability between 0 and 1")
    return float(value)


def _learned(raw, clause_ids: set[str], source: str) -> tuple[LearnedClause, ...]:
    """The ``learned:`` section: per clause, where its head applies, its thresholds and its fix."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PolicyPackError(f"{source}: learned must be a mapping of clause ids")
    out = []
    for clause, spec in raw.items():
        clause = str(clause)
        where = f"{source}: learned[{clause}]"
        if clause_ids and clause not in clause_ids:
            raise PolicyPackError(f"{where}: clause {clause!r} is not defined in this pack")
        spec = spec or {}
        if not isinstance(spec, dict):
            raise PolicyPackError(f"{where}: must be a mapping")
        kinds = _strings(spec.get("applies_to", list(DRAFT_KINDS)), f"{where}: applies_to")
        bad = [k for k in kinds if k not in DRAFT_KINDS]
        if bad:
            raise PolicyPackError(f"{where}: applies_to has unknown kinds {bad}")
        review, block = _threshold(spec, "review", where), _threshold(spec, "block", where)
        if review is not None and block is not None and block < review:
            raise PolicyPackError(f"{where}: block must not be below review")
        out.append(LearnedClause(clause=clause, applies_to=kinds, review=review, block=block,
                                 fix=str(spec.get("fix") or "").strip(), enabled=bool(spec.get("enabled", True))))
    return tuple(out)


def pack_path(name: str) -> Path:
    return Path(str(resources.files("onevoice.policy") / "packs" / f"{name}.yaml"))


def load_pack(name_or_path: str | Path = "ipala", employers: tuple[str | Path, ...] = ()) -> PolicyPack:
    """Load a built-in pack by name (``ipala``) or a pack file by path, plus employer packs."""
    path = Path(name_or_path)
    if not path.suffix:
        path = pack_path(str(name_or_path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyPackError(f"cannot read policy pack {path}: {exc.strerror}") from None
    pack = parse_pack(text, source=path.name)
    for emp in employers:
        emp_path = Path(emp)
        if not emp_path.suffix:
            emp_path = pack_path(f"employers/{emp}")
        try:
            pack = pack.with_employer(parse_pack(emp_path.read_text(encoding="utf-8"), source=emp_path.name))
        except OSError as exc:
            raise PolicyPackError(f"cannot read employer pack {emp_path}: {exc.strerror}") from None
    return pack
