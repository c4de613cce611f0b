"""Metadata keys made from names a file reports, the way NeuroConv 0.10.2 makes them."""

from __future__ import annotations

import re


def snake_case(name: str) -> str:
    """'Miniscope_V4_BNO' -> 'miniscope_v4_bno', 'HPCMiniscope' -> 'hpc_miniscope', 'my scope' -> 'my_scope'."""
    name = re.sub(r"[\s-]+", "_", name.strip())
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    name = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"_+", "_", name).lower().strip("_")
