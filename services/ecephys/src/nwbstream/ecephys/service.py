"""The ecephys service: its interfaces, and `python -m nwbstream.ecephys` to serve them."""

from __future__ import annotations

from collections.abc import Sequence

from nwbstream.service import discover_interfaces
from nwbstream.service import main as serve

MODALITY = "ecephys"


def preload() -> None:
    """The readers every interface imports on first use (about 1.5 s)."""
    import spikeinterface.extractors  # noqa: F401


def main(argv: Sequence[str] | None = None) -> None:
    serve(MODALITY, discover_interfaces(__package__), argv, preload=preload)
