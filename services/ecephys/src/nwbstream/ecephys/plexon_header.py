"""What a .plx file's header says it holds (read from its first bytes only): the spike timestamps counted, and the
names of the slow (continuous) channels, whose prefixes neo makes the streams (WB wideband, FP low-pass)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

from nwbstream.service import FolderListing
from nwbstream.service.detection import HEAD_BYTES

PLX_MAGIC = b"PLEX"  # the first four bytes of every .plx file
GLOBAL_HEADER_BYTES = 7504
COUNTS_AT = 256  # the global header's TSCounts (650 int32) start here
SPIKE_HEADER_BYTES, EVENT_HEADER_BYTES, SLOW_HEADER_BYTES = 1020, 296, 296
SLOW_NAME_BYTES = 32


@dataclass(frozen=True)
class PlxContents:
    spike_timestamps: int
    slow_channels: tuple[str, ...] | None  # None when their headers lie past the bytes detection reads

    def stream_prefixes(self) -> set[str]:
        return {match.group(0) for name in self.slow_channels or () if (match := re.match(r"^\D+", name))}


def plx_contents(listing: FolderListing, file: PurePosixPath) -> PlxContents | None:
    """The header's counts and channel names; None for a file that is not a .plx."""
    head = listing.head(file, HEAD_BYTES)
    if not head.startswith(PLX_MAGIC) or len(head) < GLOBAL_HEADER_BYTES:
        return None
    n_spike, n_event, n_slow = struct.unpack_from("<3i", head, 140)
    spikes = sum(struct.unpack_from("<650i", head, COUNTS_AT))
    start = GLOBAL_HEADER_BYTES + n_spike * SPIKE_HEADER_BYTES + n_event * EVENT_HEADER_BYTES
    if start + n_slow * SLOW_HEADER_BYTES > len(head):
        return PlxContents(spikes, None)
    names = tuple(
        head[at : at + SLOW_NAME_BYTES].split(b"\0")[0].decode("latin-1")
        for at in range(start, start + n_slow * SLOW_HEADER_BYTES, SLOW_HEADER_BYTES)
    )
    return PlxContents(spikes, names)
