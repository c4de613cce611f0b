"""Fitting clock maps from synthetic sync pulse trains: a known offset and drift are recovered despite missing
and extra pulses and different starts. Tolerances: offset within 50 µs, drift within 0.05 ppm (the edges carry
up to one 30 kHz sample of jitter over ~10 minutes of pulses)."""

from __future__ import annotations

import numpy as np
import pytest
from nwbstream.coordinator.alignment.fit import fit_clock_map, match_pulses
from nwbstream.coordinator.alignment.maps import Linear, Piecewise
from nwbstream.coordinator.errors import ConversionError

OFFSET, DRIFT = 1.5, 20e-6
JITTER = 1 / 30_000
OFFSET_TOLERANCE, DRIFT_TOLERANCE = 50e-6, 0.05e-6


def _trains(seed: int = 0, count: int = 600, regular: bool = False):
    """(own, reference, truth of own -> reference): irregular pulses 0.5-1.5 s apart on the own clock, seen on
    the reference clock at OFFSET + (1 + DRIFT) * t, each edge jittered by up to one sample."""
    rng = np.random.default_rng(seed)
    intervals = np.full(count, 1.0) if regular else rng.uniform(0.5, 1.5, count)
    own = 3.0 + np.cumsum(intervals)
    reference = OFFSET + (1 + DRIFT) * own
    return own + rng.uniform(0, JITTER, count), reference + rng.uniform(0, JITTER, count)


def _assert_recovered(clock_map: Linear) -> None:
    assert abs(clock_map.offset - OFFSET) < OFFSET_TOLERANCE
    assert abs(clock_map.drift - DRIFT) < DRIFT_TOLERANCE


def test_offset_and_drift_recovered_with_a_dropped_pulse_two_extra_and_different_starts():
    own, reference = _trains()
    own = np.delete(own, 300)[20:]  # one pulse lost on the own clock, which also starts 20 pulses late
    reference = np.sort(np.concatenate([reference[:-30], [100.123, 400.777]]))  # two extra; stops 30 early
    clock_map = fit_clock_map(own, reference, "linear")
    assert isinstance(clock_map, Linear)
    _assert_recovered(clock_map)
    # The pulses seen on both clocks: 600 - 20 late - 30 early - 1 dropped (the dropped one is among those)
    assert len(clock_map.residuals) == 600 - 20 - 30 - 1
    assert max(abs(r) for r in clock_map.residuals) < 2 * JITTER


def test_extra_and_missing_pulses_on_either_side():
    own, reference = _trains(seed=1)
    own = np.sort(np.concatenate([np.delete(own, [5, 6, 7]), [50.01, 51.3]]))
    reference = np.delete(reference, [100, 420])
    matched = match_pulses(own, reference)
    assert matched.own.size == 600 - 3 - 2
    np.testing.assert_allclose(matched.reference, OFFSET + (1 + DRIFT) * matched.own, atol=2 * JITTER)
    _assert_recovered(fit_clock_map(own, reference))


def test_reference_started_long_after_the_own_clock():
    own, reference = _trains(seed=2)
    clock_map = fit_clock_map(own - 1000.0, reference)  # own times 1000 s later: the offset is 1001.5 s
    assert abs(clock_map.offset - (OFFSET + 1000 * (1 + DRIFT))) < OFFSET_TOLERANCE
    assert abs(clock_map.drift - DRIFT) < DRIFT_TOLERANCE


def test_regular_pulses_take_the_smallest_offset():
    """Pulses 1 s apart line up under any whole-second offset: the smallest is taken (streams started
    together), so 1.5 s comes out as -0.5 s, and 0.2 s as 0.2 s."""
    own, reference = _trains(regular=True)
    assert abs(fit_clock_map(own, reference).offset - (OFFSET - 2.0)) < OFFSET_TOLERANCE
    clock_map = fit_clock_map(own, reference - 1.3)
    assert abs(clock_map.offset - (OFFSET - 1.3)) < OFFSET_TOLERANCE
    assert abs(clock_map.drift - DRIFT) < DRIFT_TOLERANCE


def test_piecewise_goes_through_every_matched_pulse():
    own, reference = _trains(seed=3)
    own = np.delete(own, 10)
    clock_map = fit_clock_map(own, reference, "piecewise")
    assert isinstance(clock_map, Piecewise)
    assert len(clock_map.own) == 599
    np.testing.assert_allclose(clock_map(np.asarray(clock_map.own)), clock_map.reference)
    between = (own[50] + own[51]) / 2
    assert abs(clock_map(np.array([between]))[0] - (OFFSET + (1 + DRIFT) * between)) < 2 * JITTER
    assert len(clock_map.residuals) == 597
    assert max(abs(r) for r in clock_map.residuals) < 2 * JITTER


def test_too_few_matched_pulses_is_an_error():
    own, reference = _trains(seed=4)
    unrelated = np.cumsum(np.random.default_rng(9).uniform(0.5, 1.5, 600))
    with pytest.raises(ConversionError, match="no offset lines up most of 8 consecutive pulses"):
        fit_clock_map(own, unrelated)
    # The same pulses, but most of them lost on the own clock: too few pairs to trust
    with pytest.raises(ConversionError, match=r"only \d+ of the \d+ pulses in the span both clocks saw matched"):
        fit_clock_map(np.concatenate([own[:10], unrelated[100:400] + 0.0037]), reference)
    with pytest.raises(ConversionError, match="2 pulses; at least 3 are needed"):
        fit_clock_map(own[:2], reference)


def test_a_tolerance_as_wide_as_the_pulse_spacing_is_an_error():
    own, reference = _trains()
    dense = np.arange(1000) * 0.01  # 100 Hz: the default 10 ms tolerance would reach the next pulse
    with pytest.raises(ConversionError, match=r"tolerance 0.01 s is too wide for reference pulses 0.01 s apart"):
        fit_clock_map(dense, dense)
    _assert_recovered(fit_clock_map(own, reference, tolerance=0.002))


def test_unknown_fit_is_an_error():
    own, reference = _trains()
    with pytest.raises(ConversionError, match="fit 'cubic': choose one of"):
        fit_clock_map(own, reference, "cubic")
