"""Sync pulses on one channel of a spikeinterface recording (a sync word, a digital line, an analog TTL), read a
slab at a time as raw stored values, every segment in turn, timed on the clock of the series it is written with."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from nwbstream.service.sync import SyncRequestError, sampled_edge_times


def recording_edge_times(
    recording: Any, channel_id: Any, edge: str, bit: int | None, clock: Any | None = None
) -> np.ndarray:
    """Edge times of `channel_id` of `recording` (bit `bit` of it, or cut at its midpoint), timed by `clock`'s
    samples (a recording of the same frames: the series the channel was saved with; default `recording`)."""
    clock = recording if clock is None else clock
    width = 8 * np.dtype(recording.get_dtype()).itemsize
    if bit is not None and not 0 <= bit < width:
        raise SyncRequestError(f"sync channel {channel_id}: bit {bit} is not one of its {width} bits (0-{width - 1})")
    times = [
        sampled_edge_times(
            partial(_samples, recording, channel_id, segment),
            recording.get_num_samples(segment_index=segment),
            partial(clock.sample_index_to_time, segment_index=segment),
            edge,
            bit,
        )
        for segment in range(recording.get_num_segments())
    ]
    return np.concatenate([np.empty(0), *times])


def _samples(recording: Any, channel_id: Any, segment: int, start: int, stop: int) -> np.ndarray:
    """Stored values, no gain: a word's value is its bit pattern."""
    traces = recording.get_traces(segment_index=segment, start_frame=start, end_frame=stop, channel_ids=[channel_id])
    return traces[:, 0]
