"""Open Ephys binary TTL events of one continuous stream as sync pulses. Each segment's events/<stream>/TTL folder
lists the lines' edges: states.npy (+n: line n went high, -n: low; channel_states.npy before GUI 0.6) and the
sample number of each (sample_numbers.npy; timestamps.npy before 0.6). A sample number over the stream's rate is
the time neo gives the continuous samples too, so the pulses land on the series' clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import SourceError

SLAB_EVENTS = 1 << 20  # events read at a time
LINE_PREFIX = "TTL"  # sync channels are named TTL1, TTL2, ... after the line numbers states.npy holds


@dataclass(frozen=True)
class TtlFiles:
    """One segment's TTL event files of a stream."""

    states: Path
    samples: Path
    rate: float

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """Both arrays mapped, not read; they must hold one entry per event."""
        states, samples = np.load(self.states, mmap_mode="r"), np.load(self.samples, mmap_mode="r")
        if len(states) != len(samples):
            raise SourceError(f"{self.states}: {len(states)} events, but {self.samples.name} holds {len(samples)}")
        return states, samples


def ttl_files(recording: Any) -> list[TtlFiles]:
    """The TTL event files of every segment of `recording` (a spikeinterface Open Ephys binary stream)."""
    reader = recording.neo_reader
    found = []
    for segment in range(recording.get_num_segments()):
        for info in reader._evt_streams[recording.block_index][segment].values():
            states = info.get("states_npy") or info.get("channel_states_npy")
            if info.get("stream_name") == recording.stream_name and states:
                samples = info.get("sample_numbers_npy") or info["timestamps_npy"]
                found.append(TtlFiles(Path(states), Path(samples), float(info["sample_rate"])))
    return found


def ttl_lines(files: list[TtlFiles]) -> list[str]:
    """The lines that have events, as sync channel names."""
    lines: set[int] = set()
    for segment in files:
        states, _ = segment.load()
        for start in range(0, len(states), SLAB_EVENTS):
            lines |= set(np.unique(np.abs(states[start : start + SLAB_EVENTS])).tolist())
    return [f"{LINE_PREFIX}{line}" for line in sorted(lines)]


def ttl_edge_times(files: list[TtlFiles], channel: str, edge: str) -> np.ndarray:
    """Times of one line's edges, segment after segment."""
    line = int(channel.removeprefix(LINE_PREFIX))
    wanted = {"rising": [line], "falling": [-line], "both": [line, -line]}[edge]
    times = [np.empty(0)]
    for segment in files:
        states, samples = segment.load()
        for start in range(0, len(states), SLAB_EVENTS):
            hits = np.flatnonzero(np.isin(states[start : start + SLAB_EVENTS], wanted)) + start
            times.append(np.asarray(samples[hits], dtype=float) / segment.rate)
    return np.concatenate(times)
