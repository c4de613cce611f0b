"""Raw interleaved binaries (NeuroScope, CellExplorer): a size that is not a whole number of frames is a cut file,
and one of no frames is no recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import SourceError


def check_whole_frames(path: Path, n_channels: int, dtype: np.dtype | str = "int16") -> None:
    """Samples of every channel in turn, nothing else: the file's size must be a positive multiple of one frame."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    frame = np.dtype(dtype).itemsize * n_channels
    size = path.stat().st_size
    if size == 0:
        raise SourceError(f"{path}: empty: a recording of no samples")
    if size % frame:
        raise SourceError(
            f"{path}: truncated or not this format: {size} bytes is not a whole number of "
            f"{n_channels}-channel {np.dtype(dtype).name} frames"
        )
