"""Claims on part of a file: a stream or channel subset of a file that other interfaces read other parts of.

Detection resolves overlaps on the files claims name; two interfaces reading different channels of one file (a
.plx's wideband and low-pass streams, the ADC channels of an Open Ephys continuous.dat beside its electrodes) must
not compete, so each names its part as "<file>#<part>".
"""

from __future__ import annotations

from pathlib import PurePosixPath


def part_of(file: PurePosixPath | str, part: str) -> str:
    """The claimed name of `part` of `file`."""
    return f"{file}#{part}"
