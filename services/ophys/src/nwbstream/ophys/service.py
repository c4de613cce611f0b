"""The ophys service: every interface in this package, and `python -m nwbstream.ophys` to serve them."""

from __future__ import annotations

from collections.abc import Sequence

from nwbstream.service import discover_interfaces
from nwbstream.service import main as serve

MODALITY = "ophys"


def preload() -> None:
    """The reader every interface imports on first use."""
    import roiextractors  # noqa: F401


def main(argv: Sequence[str] | None = None) -> None:
    serve(MODALITY, discover_interfaces(__package__), argv, preload=preload)
