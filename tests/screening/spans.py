"""Calling one detector's factory directly, as the per-detector tests do: the spans of the text it
finds, with no pack, engine or learned head in between."""
from __future__ import annotations

from typing import Any

from onevoice.screening.model import Attachment, Draft, DraftKind, Organization
from onevoice.screening.normalize import ScreenText
from onevoice.screening.registry import Factory

ORG = Organization(name="IPALA", public_domains=("ipala.org",))


def spans(factory: Factory, text: str, params: dict[str, Any] | None = None, kind: DraftKind = "official",
          attachments: tuple[Attachment, ...] = (), org: Organization = ORG) -> list[str]:
    """What the detector built from `params` finds in `text`: the original text of each hit, each
    distinct span once and in the order found (the engine merges a clause's repeated spans)."""
    detect = factory(params or {}, org)
    found = [text[h.start:h.end] for h in detect(ScreenText(text), Draft(text, kind, attachments))]
    return list(dict.fromkeys(found))
