"""Streams that share one file (an EDF file's sampling rates, an Intan file's signal types) are separate sources.

Detection resolves overlaps on the files claims name, so the file itself is claimed by its first (electrode) stream
and every other stream claims "file#stream": their claims do not overlap, and the file still counts as recognised.
"""

from __future__ import annotations

from pathlib import PurePosixPath


def stream_claim(file: PurePosixPath, stream: str, primary: bool) -> str:
    """What a stream of `file` claims: the file for its primary stream, "file#stream" for the others."""
    return str(file) if primary else f"{file}#{stream}"
