"""Detectors register here by name; a policy pack's rules refer to them by that name.

A detector is built once per rule from the rule's parameters and the organization's facts
(its own public contacts, its names), then called for every draft. It must be pure: text in,
hits out, no I/O, so that screening stays fast and testable alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol

from .model import Draft, Hit
from .normalize import ScreenText


@dataclass(frozen=True)
class Organization:
    """What the screening needs to know about the organization that owns the policy."""

    name: str = ""
    aliases: tuple[str, ...] = ()
    public_phones: tuple[str, ...] = ()
    public_emails: tuple[str, ...] = ()
    public_domains: tuple[str, ...] = ()
    public_addresses: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases) if self.name else self.aliases


class Detector(Protocol):
    def __call__(self, text: ScreenText, draft: Draft) -> Iterable[Hit]: ...


Factory = Callable[[dict, Organization], Detector]


@dataclass(frozen=True)
class Registered:
    name: str
    clause: str
    factory: Factory
    summary: str
    patterns: tuple[str, ...] = ()  # parameters that are lists of regex fragments (a pack checks them)


REGISTRY: dict[str, Registered] = {}


def detector(name: str, clause: str, patterns: tuple[str, ...] = ()) -> Callable[[Factory], Factory]:
    """Register `factory(params, organization) -> detector` under `name` for `clause`; `patterns`
    names the parameters whose entries are regex fragments, which a policy pack must keep safe."""

    def register(factory: Factory) -> Factory:
        if name in REGISTRY:
            raise RuntimeError(f"detector {name!r} registered twice")
        summary = (factory.__doc__ or "").strip().splitlines()[0] if factory.__doc__ else ""
        REGISTRY[name] = Registered(name, clause, factory, summary, patterns)
        return factory

    return register


def load_all() -> dict[str, Registered]:
    """Import every detector module so that its registrations run."""
    from . import (  # noqa: F401  (imported for their registrations)
        conduct, confidential, employer, patient, personal_info, voice,
    )

    return REGISTRY
