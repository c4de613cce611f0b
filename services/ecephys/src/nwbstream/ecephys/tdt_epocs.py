"""TDT epoc stores (strobe events of a block's .tsq) as sync pulses: a store is a sync channel ('PtC0'), its onset
records (STRON) the rising edges and its offset records (STROFF, when the store saved them) the falling ones. neo
holds each block's .tsq index in memory; the records are filtered a slab at a time and timed as neo times the
streams (seconds from the tank's first record)."""

from __future__ import annotations

from typing import Any

import numpy as np

EPOC_ON, EPOC_OFF = 0x101, 0x102  # TDT's event types of an epoc's onset and offset records
SLAB_RECORDS = 1 << 20


def _slabs(reader: Any):
    for tsq in reader._tsq:  # one per block: neo's segments
        yield [tsq[start : start + SLAB_RECORDS] for start in range(0, len(tsq), SLAB_RECORDS)]


def epoc_stores(reader: Any) -> list[str]:
    """The stores that recorded epoc onsets."""
    names: set[bytes] = set()
    for slabs in _slabs(reader):
        for slab in slabs:
            names |= set(np.unique(slab["evname"][slab["evtype"] == EPOC_ON]).tolist())
    return sorted(name.decode("ascii", "replace") for name in names)


def epoc_edge_times(reader: Any, store: str, edge: str) -> np.ndarray:
    """Onsets, offsets or both of one store, block after block."""
    kinds = {"rising": [EPOC_ON], "falling": [EPOC_OFF], "both": [EPOC_ON, EPOC_OFF]}[edge]
    name = store.encode("ascii")
    times = [np.empty(0)]
    for slabs in _slabs(reader):
        block = [slab["timestamp"][np.isin(slab["evtype"], kinds) & (slab["evname"] == name)] for slab in slabs]
        times.append(np.sort(np.concatenate([np.empty(0), *block])) - reader._global_t_start)
    return np.concatenate(times)
