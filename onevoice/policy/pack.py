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
from onevoice.screening.model import DRAFT_KINDS, Organization, Severity
from onevoice.screening.text_patterns import pattern_problem

FORMAT_VERSION = 1

# Bounds on what a pack may hold. Committee members edit packs and screening applies every rule to
# every draft, so no field may make screening slow or a pack large; regex fragments are checked
# too (text_patterns.pattern_problem).
MAX_CLAUSES = 100
MAX_RULES = 200
MAX_ID_CHARS = 64        # pack name and version, clause and rule ids, detector and parameter names
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 5_000   # a clause's text, a rule's description, a learned fix, a text parameter
MAX_ENTRIES = 500        # any list: allow, aliases, public contacts, word lists
MAX_ENTRY_CHARS = 200


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


def _require(data: dict, key: str, where: str, kind: type = str, limit: int = MAX_ID_CHARS):
    if key not in data:
        raise PolicyPackError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise PolicyPackError(f"{where}: {key!r} must be {kind.__name__}")
    if isinstance(value, str):
        _text(value, f"{where}: {key!r}", limit)
    return value


def _text(value, where: str, limit: int = MAX_TEXT_CHARS) -> str:
    value = "" if value is None else str(value)
    if len(value) > limit:
        raise PolicyPackError(f"{where}: longer than {limit} characters")
    return value


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyPackError(f"{where}: must be a list of strings")
    if len(value) > MAX_ENTRIES:
        raise PolicyPackError(f"{where}: more than {MAX_ENTRIES} entries")
    for i, v in enumerate(value):
        _text(v, f"{where}[{i}]", MAX_ENTRY_CHARS)
    return tuple(value)


def _entries(raw, where: str, limit: int) -> list:
    if not isinstance(raw or [], list):
        raise PolicyPackError(f"{where}: must be a list")
    if len(raw or []) > limit:
        raise PolicyPackError(f"{where}: more than {limit} entries")
    return raw or []


def _params(raw, patterns: tuple[str, ...], where: str) -> dict:
    """A rule's parameters: texts, numbers and lists of them, bounded; the detector's regex
    fragments (``patterns``) must also be safe to run on any draft."""
    params = raw or {}
    if not isinstance(params, dict):
        raise PolicyPackError(f"{where}: params must be a mapping")
    for key, value in params.items():
        at = f"{where}: params.{key}"
        if not isinstance(key, str) or len(key) > MAX_ID_CHARS:
            raise PolicyPackError(f"{where}: params names are short texts")
        if key in patterns:
            for i, fragment in enumerate(_strings(value, at)):
                problem = pattern_problem(fragment)
                if problem:
                    raise PolicyPackError(f"{at}[{i}] {fragment[:40]!r} {problem}")
        elif isinstance(value, list):
            if not all(isinstance(v, (str, int, float, bool)) for v in value):
                raise PolicyPackError(f"{at}: must be a list of texts or numbers")
            _strings([str(v) for v in value], at)
        elif isinstance(value, str):
            _text(value, at)
        elif value is not None and not isinstance(value, (int, float, bool)):
            raise PolicyPackError(f"{at}: must be a text, a number or a list of them")
    return params


def parse_pack(text: str, source: str = "<string>") -> PolicyPack:
    """Parse and validate a pack; every error names the place in the pack."""
    from onevoice.screening.loader import load_detectors

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
    for i, raw in enumerate(_entries(data.get("clauses"), f"{source}: clauses", MAX_CLAUSES)):
        where = f"{source}: clauses[{i}]"
        if not isinstance(raw, dict):
            raise PolicyPackError(f"{where}: must be a mapping")
        clauses.append(Clause(id=str(_require(raw, "id", where, (str, int, float))),
                              title=_require(raw, "title", where, limit=MAX_TITLE_CHARS),
                              text=_text(raw.get("text") or "", f"{where}: text").strip(),
                              section=_text(raw.get("section") or "", f"{where}: section", MAX_ID_CHARS)))
    registry = load_detectors()
    clause_ids = {c.id for c in clauses}
    rules, seen = [], set()
    for i, raw in enumerate(_entries(data.get("rules"), f"{source}: rules", MAX_RULES)):
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
        if not registry[det].serves(clause):
            raise PolicyPackError(f"{where}: detector {det!r} is for clause {registry[det].clause!r}, "
                                  f"not {clause!r}")
        try:
            severity = Severity(_require(raw, "severity", where))
        except ValueError:
            raise PolicyPackError(f"{where}: severity must be block, review or advise") from None
        kinds = _strings(raw.get("applies_to", list(DRAFT_KINDS)), f"{where}: applies_to")
        bad = [k for k in kinds if k not in DRAFT_KINDS]
        if bad:
            raise PolicyPackError(f"{where}: applies_to has unknown kinds {bad}")
        params = _params(raw.get("params"), registry[det].patterns, where)
        problem = registry[det].check(params) if registry[det].check else None
        if problem:
            raise PolicyPackError(f"{where}: {problem}")
        rules.append(Rule(id=rid, detector=det, clause=clause, severity=severity, applies_to=kinds,
                          params=params, allow=_strings(raw.get("allow"), f"{where}: allow"),
                          redact=bool(raw.get("redact", False)), enabled=bool(raw.get("enabled", True)),
                          description=_text(raw.get("description") or "", f"{where}: description")))
    org_raw = data.get("organization") or {}
    if not isinstance(org_raw, dict):
        raise PolicyPackError(f"{source}: organization must be a mapping")
    org = Organization(
        name=_text(org_raw.get("name") or "", f"{source}: organization.name", MAX_TITLE_CHARS),
        aliases=_strings(org_raw.get("aliases"), f"{source}: organization.aliases"),
        public_phones=_strings(org_raw.get("public_phones"), f"{source}: organization.public_phones"),
        public_emails=_strings(org_raw.get("public_emails"), f"{source}: organization.public_emails"),
        public_domains=_strings(org_raw.get("public_domains"), f"{source}: organization.public_domains"),
        public_addresses=_strings(org_raw.get("public_addresses"), f"{source}: organization.public_addresses"),
        extra={k: v for k, v in org_raw.items() if k not in {
            "name", "aliases", "public_phones", "public_emails", "public_domains", "public_addresses"}},
    )
    learned = _learned(data.get("learned"), clause_ids, source)
    return PolicyPack(name=name, version=version, title=_text(data.get("title") or name, f"{source}: title", MAX_TITLE_CHARS),
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
    if len(raw) > MAX_CLAUSES:
        raise PolicyPackError(f"{source}: learned: more than {MAX_CLAUSES} entries")
    out = []
    for clause, spec in raw.items():
        clause = _text(clause, f"{source}: learned", MAX_ID_CHARS)
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
                                 fix=_text(spec.get("fix") or "", f"{where}: fix").strip(),
                                 enabled=bool(spec.get("enabled", True))))
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
