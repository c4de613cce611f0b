"""The icephys service: every interface in this package, and `python -m nwbstream.icephys` to serve them."""

from __future__ import annotations

from collections.abc import Sequence

from nwbstream.service import discover_interfaces
from nwbstream.service import main as serve

MODALITY = "icephys"


def preload() -> None:
    """The reader every interface imports on first use (under the lock its first use takes too)."""
    from .abf_file import axon_raw_io

    axon_raw_io()


def main(argv: Sequence[str] | None = None) -> None:
    serve(MODALITY, discover_interfaces(__package__), argv, preload=preload)
