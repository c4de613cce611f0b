"""The services' sync edge finders: a sampled line read in slabs finds the edges a whole read finds (edges on slab
boundaries included), and a word's event list gives one bit's edges."""

from __future__ import annotations

import numpy as np
import pytest
from nwbstream.service.errors import SourceError
from nwbstream.service.sync import check_sync_request, sampled_edge_times, word_edge_times

RATE = 1000.0


def pulse_word(n_samples: int = 5_000, seed: int = 7) -> np.ndarray:
    """A 16-bit word: bit 6 a train of irregular pulses, bit 2 random flips, the others noise-free zero."""
    rng = np.random.default_rng(seed)
    word = np.zeros(n_samples, np.int16)
    for start in np.cumsum(rng.integers(20, 90, 80)):
        word[start : start + 10] |= 1 << 6
    word |= (rng.random(n_samples) < 0.02).astype(np.int16) << 2
    return word


def numpy_edges(line: np.ndarray, edge: str) -> np.ndarray:
    steps = np.diff(line.astype(np.int64))
    frames = np.flatnonzero({"rising": steps > 0, "falling": steps < 0, "both": steps != 0}[edge]) + 1
    return frames / RATE + 2.0


@pytest.mark.parametrize("slab", [1, 7, 10, 64, 100_000])
@pytest.mark.parametrize("edge", ["rising", "falling", "both"])
def test_slabs_find_the_edges_of_a_whole_read(slab, edge):
    word = pulse_word()
    reads = []

    def read(start, stop):
        reads.append(stop - start)
        return word[start:stop]

    times = sampled_edge_times(read, len(word), lambda frames: frames / RATE + 2.0, edge, bit=6, slab=slab)
    np.testing.assert_array_equal(times, numpy_edges((word >> 6) & 1, edge))
    assert max(reads) <= slab


def test_without_a_bit_the_signal_is_cut_halfway():
    t = np.arange(3000) / RATE
    analog = np.round(1000 + 800 * np.sign(np.sin(2 * np.pi * 2 * t + 0.1))).astype(np.int16)  # 200 .. 1800
    times = sampled_edge_times(lambda a, b: analog[a:b], len(analog), lambda f: f / RATE + 2.0, "rising", slab=333)
    np.testing.assert_array_equal(times, numpy_edges(analog >= 1000, "rising"))
    assert len(times) == 6  # a 2 Hz square wave over 3 s, high at the start


@pytest.mark.parametrize(
    ("bit", "edge", "expected"),
    [
        (0, "rising", [1.0, 4.0]),
        (0, "falling", [3.0, 5.0]),
        (1, "both", [2.0, 4.0]),
        (None, "rising", [1.0]),  # any line high: from 1.0 to 5.0
        (None, "falling", [5.0]),
    ],
)
def test_word_events_give_one_bits_edges(bit, edge, expected):
    times = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    words = np.array([0b01, 0b11, 0b10, 0b01, 0b00])  # the word's value from each time on, 0 before
    np.testing.assert_array_equal(word_edge_times(times, words, edge, bit), expected)


@pytest.mark.parametrize(
    ("channels", "channel", "edge", "message"),
    [
        ([], "SY0", "rising", "a.bin: has no sync channels"),
        (["XD0"], "XD1", "rising", r"a.bin: no sync channel 'XD1' \(its sync channels are \['XD0'\]\)"),
        (["XD0"], "XD0", "up", "a.bin: sync edge 'up' is not one of"),
    ],
)
def test_bad_requests(channels, channel, edge, message):
    with pytest.raises(SourceError, match=message):
        check_sync_request("a.bin", channels, channel, edge)
