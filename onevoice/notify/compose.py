"""What an escalation says: enough to act, no more personal data than needed."""
from __future__ import annotations

from datetime import datetime

from onevoice.screening.normalize import ScreenText
from onevoice.screening.personal_info import _EMAIL, _PHONE, _is_phone

SEVERITY = {1: "minor", 2: "serious", 3: "CRISIS"}
EXCERPT = 200


def mask_personal_data(text: str) -> str:
    """E-mail addresses and phone numbers replaced, and @handles dropped: the committee opens
    the incident page for the full comment."""
    st = ScreenText(text)
    view = st.digits
    spans = [view.to_original(m.start(), m.end()) for m in _EMAIL.finditer(view.text)]
    spans += [view.to_original(m.start(), m.end()) for m in _PHONE.finditer(view.text)
              if _is_phone(m.group(), view.text[max(0, m.start() - 80):m.start()])]
    import re

    spans += [(m.start(), m.end()) for m in re.finditer(r"(?<![\w@])@[\w.\-]+", text)]
    out, pos = [], 0
    for s, e in sorted(spans):
        if s < pos:
            continue
        out.append(text[pos:s])
        out.append("[…]")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def compose_escalation(*, incident_id: int, category: str, severity: int, channel: str, link: str,
                       excerpt: str, level: str, deadline: datetime | None) -> tuple[str, str]:
    text = mask_personal_data(excerpt or "")
    if len(text) > EXCERPT:
        text = text[:EXCERPT].rsplit(" ", 1)[0] + "…"
    subject = f"[onevoice] {SEVERITY.get(severity, 'serious')} {category} on {channel}: incident #{incident_id}"
    lines = [f"Incident #{incident_id} needs the committee ({level}).",
             f"Type: {category}, severity {severity} of 3. Channel: {channel}.",
             f"Comment (personal details removed): \"{text}\"",
             f"Open it: {link}"]
    if deadline is not None:
        lines.append(f"Please acknowledge by {deadline.strftime('%Y-%m-%d %H:%M')} UTC, or it is escalated further.")
    lines.append("— onevoice, for 3. Crisis management of the social media policy")
    return subject, "\n".join(lines)
