"""The behavior service: every interface in this package, and `python -m nwbstream.behavior` to serve them."""

from __future__ import annotations

from collections.abc import Sequence

from nwbstream.service import discover_interfaces
from nwbstream.service import main as serve

MODALITY = "behavior"


def preload() -> None:
    """The table reader most interfaces import on first use."""
    import pandas  # noqa: F401


def main(argv: Sequence[str] | None = None) -> None:
    serve(MODALITY, discover_interfaces(__package__), argv, preload=preload)
