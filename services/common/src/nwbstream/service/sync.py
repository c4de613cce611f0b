"""Sync pulses for time alignment: the edges of one channel of a source, as seconds on the source's own clock.

Two shapes of source carry them. A sampled line or word (a SpikeGLX sync word, a NIDQ or Intan digital line) is
read a slab at a time and cut into edges (`sampled_edge_times`). An event file (Open Ephys TTL events, Blackrock
and Neuralynx .nev words, TDT epocs) lists the word's value at each change, and edges of one bit are where it
flips (`word_edge_times`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .errors import SourceError
from .event_detection import SLAB_SAMPLES, detect_in_slabs

EDGES = ("rising", "falling", "both")
_DETECTION = {"rising": "rising", "falling": "falling", "both": "value_change"}


class SyncRequestError(ValueError):
    """A request the source's channel cannot answer (a bit it does not have, a bit of a single line); the servicer
    says which source."""


def check_sync_request(label: str, channels: Sequence[str], channel: str, edge: str) -> None:
    """A request names one of the source's sync `channels` and an edge of EDGES; errors name the source `label`."""
    if not channels:
        raise SourceError(f"{label}: has no sync channels (no TTL line, sync word or event line to read pulses from)")
    if channel not in channels:
        raise SourceError(f"{label}: no sync channel {channel!r} (its sync channels are {list(channels)})")
    if edge not in EDGES:
        raise SourceError(f"{label}: sync edge {edge!r} is not one of {list(EDGES)}")


def sampled_edge_times(
    read: Callable[[int, int], np.ndarray],
    n_samples: int,
    time_of: Callable[[np.ndarray], np.ndarray],
    edge: str,
    bit: int | None = None,
    slab: int = SLAB_SAMPLES,
) -> np.ndarray:
    """Times of the `edge`s of a sampled signal, `read(start, stop)` giving samples [start, stop) and `time_of(frames)`
    their times: bit `bit` of a word, or (no bit) the signal cut halfway between its lowest and highest sample."""
    conditioning = {"bits": [bit]} if bit is not None else {"binarize": "midpoint"}
    spec = {"signal_conditioning": conditioning, "detection": _DETECTION[edge]}
    found = detect_in_slabs(lambda _, start, stop: read(start, stop), n_samples, time_of, [("", "", spec)], slab)
    return found[""].timestamps


def word_edge_times(times: np.ndarray, words: np.ndarray, edge: str, bit: int | None = None) -> np.ndarray:
    """Times of the `edge`s of bit `bit` (no bit: any line high) of a word whose value is `words[i]` from `times[i]`
    on, low before the first change."""
    words = np.asarray(words, dtype=np.int64)
    line = (words >> bit) & 1 if bit is not None else (words != 0).astype(np.int64)
    steps = np.diff(np.concatenate([[0], line]))
    wanted = {"rising": steps > 0, "falling": steps < 0, "both": steps != 0}[edge]
    return np.asarray(times, dtype=float)[wanted]
