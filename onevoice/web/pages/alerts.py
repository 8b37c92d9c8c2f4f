"""What every page tells the people who must act on it, above the page's own content: for the
admin (and the chair), escalations that could not be delivered (3.). Filled by the crisis work;
`for_viewer` is called by render.page for every signed-in page."""
from __future__ import annotations


def for_viewer(system, who) -> list[dict]:
    """[{"text": ..., "href": ...}] for this viewer; cheap (one indexed query at most)."""
    return []
