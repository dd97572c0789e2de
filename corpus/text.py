"""Text rules both sides share: how a string is normalised, and what a year looks like."""

from __future__ import annotations

import re
import unicodedata

# A year of this document's era, not part of a longer number (15 232 800) or a symbol (A/78/6 (Sect. 4)).
YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters, the ideographic space) with whitespace squashed and trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
