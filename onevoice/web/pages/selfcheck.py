"""A member checks a personal post before posting it (2.f, 2.g and every other clause)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from onevoice.governance.permissions import Action, require
from onevoice.policy import pack_path
from onevoice.screening import Draft, check_length
from onevoice.system import System

from ..api.screening import take_screening_turn
from ..deps import Caller, get_system
from .forms import attempt
from .guard import member
from .render import page

router = APIRouter()


def employer_packs() -> list[str]:
    folder = pack_path("employers/x").parent
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.exists() else []


@router.get("/check")
def form(request: Request, who: Caller = Depends(member)):
    return page(request, "check.html", who=who, text="", employer="", employers=employer_packs(), report=None)


@router.post("/check")
def check(request: Request, text: str = Form(""), employer: str = Form("", max_length=200),
          who: Caller = Depends(member), system: System = Depends(get_system)):
    # A sync route: FastAPI runs it on a worker thread, so screening never holds the event loop.
    require(who.actor, Action.SCREEN_TEXT)
    check_length(text, system.settings.max_draft_chars)
    take_screening_turn(request, who)

    def go():
        engine = system.engine_with_employer(employer) if employer else system.screening
        return engine.screen(Draft(text=text, kind="personal")).to_dict()

    report, error = attempt(go)
    return page(request, "check.html", status=422 if error else 200, who=who, text=text, employer=employer,
                employers=employer_packs(), report=report, error=error)
