"""Whether a multi-page TIFF holds every page it points to.

A file cut short (an interrupted copy or acquisition) keeps its first pages readable, so readers open it and fail
only when a conversion reaches the missing frames, with an error naming no file. Walking the pages once at open
finds the cut: a page whose strips end past the file, or an IFD chain tifffile cannot follow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from nwbstream.service import SourceError


class _Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)  # tifffile warns of harmless things; a broken chain is an error
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def check_complete(paths: Iterable[Path]) -> None:
    """Raises SourceError naming the first file whose pages run past its end or whose page chain is broken."""
    import tifffile

    logger = logging.getLogger("tifffile")
    for path in map(Path, paths):
        size = path.stat().st_size
        collected = _Collected()
        logger.addHandler(collected)
        try:
            with tifffile.TiffFile(path) as tiff:
                for index, page in enumerate(tiff.pages):
                    end = max((o + n for o, n in zip(page.dataoffsets, page.databytecounts, strict=True)), default=0)
                    if end > size:
                        raise SourceError(f"{path}: truncated: page {index} ends at byte {end}, the file at {size}")
        finally:
            logger.removeHandler(collected)
        if collected.messages:
            raise SourceError(f"{path}: truncated or damaged TIFF: {collected.messages[0]}")
