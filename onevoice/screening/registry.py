"""Detectors register here by name; a policy pack's rules refer to them by that name.

A detector is built once per rule from the rule's parameters and the organization's facts
(its own public contacts, its names), then called for every draft. It must be pure: text in,
hits out, no I/O, so that screening stays fast and testable alone.

This module is a leaf: detector modules import it to register, and nothing here imports them.
The engine's loader (``loader.py``) imports the detector modules by name, which fills ``REGISTRY``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Final, Iterable, Protocol

from .model import Draft, Hit, Organization
from .normalize import ScreenText

# The clause of a detector that serves whichever clause its rule names (the `pattern` detector);
# every other detector serves the one clause it registers, and a pack may bind it to no other.
RULE_CLAUSE: Final = "*"


class Detector(Protocol):
    def __call__(self, text: ScreenText, draft: Draft) -> Iterable[Hit]: ...


Factory = Callable[[dict[str, Any], Organization], Detector]
# why a rule's parameters cannot be used (a text for the pack's error), or None
ParamsCheck = Callable[[dict[str, Any]], str | None]


@dataclass(frozen=True)
class Registered:
    name: str
    clause: str
    factory: Factory
    summary: str
    patterns: tuple[str, ...] = ()  # parameters that are lists of regex fragments (a pack checks them)
    check: ParamsCheck | None = None  # the detector's own check of its parameters (a pack runs it)

    def serves(self, clause: str) -> bool:
        """Whether a rule of `clause` may use this detector."""
        return self.clause in (RULE_CLAUSE, clause)


REGISTRY: dict[str, Registered] = {}


def detector(name: str, clause: str, patterns: tuple[str, ...] = (),
             check: ParamsCheck | None = None) -> Callable[[Factory], Factory]:
    """Register `factory(params, organization) -> detector` under `name` for `clause` (or
    `RULE_CLAUSE`: the clause of each rule that uses it); `patterns` names the parameters whose
    entries are regex fragments, which a policy pack must keep safe; `check` says what else is
    wrong with a rule's parameters, when the pack is loaded rather than when a draft is screened."""

    def register(factory: Factory) -> Factory:
        if name in REGISTRY:
            raise RuntimeError(f"detector {name!r} registered twice")
        summary = " ".join((factory.__doc__ or "").strip().split("\n\n")[0].split())  # its first paragraph
        REGISTRY[name] = Registered(name, clause, factory, summary, patterns, check)
        return factory

    return register
