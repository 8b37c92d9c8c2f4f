"""A draft as its post will look: the text with its line breaks (the stylesheet keeps them), its
links as links, and each finding's span marked. screen.js draws the same while the author types
(without the marks, which come with the next check), with the link pattern this page gives it."""
from __future__ import annotations

from markupsafe import Markup, escape

from onevoice.publishing.limits import URL
from onevoice.urls import http_url


def _linked(text: str) -> Markup:
    out, pos = [], 0
    for m in URL.finditer(text):
        href = http_url(m.group(0))
        if href is None:
            continue
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<a href="{h}" rel="noopener noreferrer nofollow" target="_blank">{t}</a>').format(
            h=href, t=m.group(0)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def post_preview(text: str, findings: list[dict] | None = None) -> Markup:
    """The text with links, and each finding's span marked (overlapping spans merge into the
    first). A mark's aria-describedby names its finding in the list beside it."""
    numbered = [(n, f) for n, f in enumerate(findings or [], 1) if f.get("end", 0) > f.get("start", 0)]
    spans = sorted(numbered, key=lambda nf: (nf[1]["start"], -nf[1]["end"]))
    out, pos = [], 0
    for n, f in spans:
        if f["start"] < pos:
            continue
        out.append(_linked(text[pos:f["start"]]))
        label = f"{f['clause']} {f.get('clause_title', '')}: {f.get('explanation', '')}"
        out.append(Markup('<mark class="sev-{sev}" title="{label}" aria-describedby="finding-{n}">{t}</mark>').format(
            sev=f["severity"], label=label, n=n, t=text[f["start"]:f["end"]]))
        pos = f["end"]
    out.append(_linked(text[pos:]))
    return Markup("").join(out)
