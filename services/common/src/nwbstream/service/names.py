"""Names NeuroConv derives from keys, shared by every service that writes them."""

from __future__ import annotations


def camel_case(name: str) -> str:
    """NeuroConv's to_camel_case: parts split on `_` and `-`; an all-uppercase part kept, others capitalized."""
    return "".join(part if part.isupper() else part.capitalize() for part in name.replace("-", "_").split("_"))
