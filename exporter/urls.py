"""Which link and image URLs any output may carry: one rule, read the way a browser reads a URL."""

from __future__ import annotations

import re

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
"""URL schemes kept in links and images; relative URLs are kept too."""


def safe_url(url: str) -> str | None:
    """`url` when its scheme is on the allowlist (or it is relative); None for `javascript:`, `data:`, `file:` …

    Browsers ignore tabs, newlines and leading control characters inside a scheme (`java\\tscript:`), so
    they are removed before the check, exactly as a browser would read the URL.
    """
    compact = "".join(ch for ch in url if ord(ch) > 0x20)
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", compact)
    if match is None:
        return url.strip() if ":" not in compact.split("/", 1)[0] else None
    return url.strip() if match.group(1).lower() in SAFE_SCHEMES else None
