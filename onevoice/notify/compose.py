"""What an escalation says: enough for the chair to act, no more personal data than needed.

The message carries the incident id, its type and severity, the channel, a link to the
incident page and a short excerpt of the comment with e-mail addresses, phone numbers and
@handles masked. The comment's author is left out unless the caller passes `author` (the
committee opens the incident page, behind a login, for the rest).
"""
from __future__ import annotations

import re
from datetime import datetime

from onevoice.screening.normalize import ScreenText
from onevoice.screening.personal_info import EMAIL, PHONE, digits_only, is_phone

SEVERITY = {1: "minor", 2: "serious", 3: "CRISIS"}
EXCERPT = 200
MASK = "[…]"
_HANDLE = re.compile(r"(?<![\w@])@[\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?")  # @name, @name.bsky.social, @user@server
_DATE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")


def mask_personal_data(text: str) -> str:
    """E-mail addresses, phone numbers and @handles replaced by "[…]".

    Uses the screening detectors' patterns on the digit-normalized view (so "oh seven seven..."
    and full-width digits count), and errs towards masking: any run of 9 or more digits that is
    not a date is masked even without a cue word."""
    st = ScreenText(text)
    view = st.digits
    spans = [view.to_original(m.start(), m.end()) for m in EMAIL.finditer(view.text)]
    for m in PHONE.finditer(view.text):
        candidate = m.group()
        if is_phone(candidate, view.text[max(0, m.start() - 80):m.start()]) or (
                len(digits_only(candidate)) >= 9 and not _DATE.match(candidate.strip())):
            spans.append(view.to_original(m.start(), m.end()))
    spans += [(m.start(), m.end()) for m in _HANDLE.finditer(text)]
    out, pos = [], 0
    for s, e in sorted(spans):
        if e <= pos:
            continue
        out.append(text[pos:max(s, pos)])
        if not out or not "".join(out).endswith(MASK):
            out.append(MASK)
        pos = e
    out.append(text[pos:])
    return "".join(out)


def excerpt_of(text: str, limit: int = EXCERPT) -> str:
    """The masked text, cut at a word boundary to at most `limit` characters."""
    text = " ".join(mask_personal_data(text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut or text[:limit]) + "…"


def compose_escalation(*, incident_id: int, category: str, severity: int, channel: str, link: str,
                       excerpt: str, level: str = "chair", deadline: datetime | None = None,
                       author: str | None = None) -> tuple[str, str]:
    """(subject, body) for an incident escalation, from minimal fields."""
    subject = f"[onevoice] {SEVERITY.get(severity, 'serious')} {category} on {channel}: incident #{incident_id}"
    lines = [f"Incident #{incident_id} needs the committee ({level}).",
             f"Type: {category}, severity {severity} of 3. Channel: {channel}.",
             f"Comment (personal details removed): \"{excerpt_of(excerpt)}\""]
    if author:
        lines.append(f"Author: {author}")
    lines.append(f"Open it: {link}")
    if deadline is not None:
        lines.append(f"Please acknowledge by {deadline.strftime('%Y-%m-%d %H:%M')} UTC, or it is escalated further.")
    lines.append("— onevoice, for 3. Crisis management of the social media policy")
    return subject, "\n".join(lines)
