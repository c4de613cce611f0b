"""A spikeinterface sorting over spike times in seconds that a neo reader gives, for formats whose spikeinterface
reader is missing or mistimes them: each segment's times counted in samples at the sorting's rate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SpikeSeconds = Callable[[int], np.ndarray]  # unit index -> its spike times in seconds on the session's clock


def sorting_from_seconds(rate: float, unit_ids: Sequence[Any], segments: Sequence[tuple[float, SpikeSeconds]]) -> Any:
    """`segments` holds each segment's start (seconds) and its reader of a unit's times; spikeinterface's
    return_times gives the reader's times back, to the nearest sample. (Classes made here: spikeinterface is
    imported by the interfaces that use it, when they open a source.)"""
    from spikeinterface.core import BaseSorting, BaseSortingSegment

    class Segment(BaseSortingSegment):
        def __init__(self, t_start: float, seconds: SpikeSeconds):
            BaseSortingSegment.__init__(self, t_start=t_start)
            self.seconds = seconds

        def get_unit_spike_train(self, unit_id, start_frame=None, end_frame=None) -> np.ndarray:
            index = list(unit_ids).index(unit_id)
            frames = np.round((self.seconds(index) - self._t_start) * rate).astype("int64")
            lo = 0 if start_frame is None else start_frame
            hi = np.iinfo("int64").max if end_frame is None else end_frame
            return frames[(frames >= lo) & (frames < hi)]

    sorting = BaseSorting(rate, list(unit_ids))
    for t_start, seconds in segments:
        sorting.add_sorting_segment(Segment(t_start, seconds))
    return sorting
