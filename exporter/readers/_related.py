"""The "READ ALSO" label of news copy, in the languages our sources use, shared by the text readers."""

from __future__ import annotations

import re

_LABELS = (
    r"read\s+also",
    r"also\s+read",
    r"see\s+also",
    r"related",
    r"прочитајте\s+и",
    r"pro[cč]itajte\s+i",
    r"lexoni\s+edhe",
    r"lexo\s+edhe",
    r"اقرأ\s+أيضا",
    r"延伸阅读",
    r"lire\s+aussi",
    r"lesen\s+sie\s+auch",
)
_RELATED = re.compile(
    r"^\s*(?:\*\*|__)?\s*(?P<label>" + "|".join(_LABELS) + r")\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def split_related(text: str) -> tuple[str, str] | None:
    """(label, rest) when `text` starts with a READ ALSO label followed by a colon; None otherwise."""
    found = _RELATED.match(text)
    if found is None or not found.group("rest").strip():
        return None
    return found.group("label"), found.group("rest").strip()
