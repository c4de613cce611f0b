"""Fitting a clock map from sync pulses seen on two clocks: pair the pulses, then fit a line or segments.

Either train may miss pulses or carry extra ones, and the two may start at different times. The pairing
looks, in short windows spread over the stream, for the offset that lines most pulses up (irregular pulse
intervals make it unique; for regular trains the smallest offset wins, as for streams started together),
fits a line through those offsets, and then pairs every pulse with the nearest reference pulse within
`tolerance`, refitting until the pairs settle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import ConversionError
from .maps import ClockMap, Linear, Piecewise

Fit = Literal["linear", "piecewise"]
FITS: tuple[Fit, ...] = ("linear", "piecewise")
DEFAULT_TOLERANCE = 0.01  # seconds: jitter of a pulse edge plus the drift within one window of pulses
MAX_TOLERANCE_SHARE = 0.25  # of the reference pulses' median spacing
MIN_MATCHED_PULSES = 3
MIN_MATCHED_SHARE = 0.5  # of the pulses in the span both trains cover: fewer means different pulses
WINDOW = 8  # pulses of one window; its offset must line up most of them
ANCHORS = 16  # windows spread over the stream
REFITS = 4
CANDIDATES_AT_ONCE = 1 << 16  # offsets scored at once: bounds memory for dense pulse trains


@dataclass(frozen=True)
class Matched:
    """Pulses paired across the two clocks: own[i] was seen at reference[i]; both increasing."""

    own: np.ndarray
    reference: np.ndarray


def fit_clock_map(
    own: np.ndarray, reference: np.ndarray, fit: Fit = "linear", tolerance: float = DEFAULT_TOLERANCE
) -> ClockMap:
    """The map from the own clock to the reference clock that the pulses give, with its residuals."""
    if fit not in FITS:
        raise ConversionError(f"fit {fit!r}: choose one of {list(FITS)}")
    matched = match_pulses(own, reference, tolerance)
    if fit == "linear":
        offset, slope = _line(matched.own, matched.reference)
        residuals = matched.reference - (offset + slope * matched.own)
        return Linear(offset=float(offset), drift=float(slope - 1.0), residuals=tuple(residuals.tolist()))
    if np.any(np.diff(matched.own) <= 0) or np.any(np.diff(matched.reference) <= 0):
        raise ConversionError("piecewise fit: the matched pulses are not increasing on both clocks")
    return Piecewise(
        own=tuple(matched.own.tolist()),
        reference=tuple(matched.reference.tolist()),
        residuals=tuple(_leave_one_out(matched).tolist()),
    )


def match_pulses(own: np.ndarray, reference: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> Matched:
    """Pairs of the same pulses on both clocks. ConversionError when the tolerance could reach a neighbouring pulse,
    or fewer than MIN_MATCHED_PULSES (or than half the pulses both clocks saw) pair up."""
    own, reference = _pulse_train(own, "own"), _pulse_train(reference, "reference")
    if tolerance <= 0:
        raise ConversionError(f"pulse tolerance {tolerance}: must be positive (seconds)")
    spacing = float(np.median(np.diff(reference)))
    if tolerance > MAX_TOLERANCE_SHARE * spacing:
        raise ConversionError(
            f"pulse tolerance {tolerance} s is too wide for reference pulses {spacing:.6g} s apart (median): a pulse "
            f"could pair with its neighbour; give a tolerance below {MAX_TOLERANCE_SHARE * spacing:.3g} s"
        )
    offset, slope = _coarse_line(own, reference, tolerance)
    pairs = _pairs(own, reference, offset, slope, 2 * tolerance)
    for _ in range(REFITS):
        if pairs[0].size < MIN_MATCHED_PULSES:
            break
        offset, slope = _line(own[pairs[0]], reference[pairs[1]])
        refined = _pairs(own, reference, offset, slope, tolerance)
        if np.array_equal(refined[0], pairs[0]) and np.array_equal(refined[1], pairs[1]):
            break
        pairs = refined
    mapped = offset + slope * own
    overlapping = int(np.count_nonzero((mapped >= reference[0] - tolerance) & (mapped <= reference[-1] + tolerance)))
    if pairs[0].size < max(MIN_MATCHED_PULSES, MIN_MATCHED_SHARE * overlapping):
        raise ConversionError(
            f"only {pairs[0].size} of the {overlapping} pulses in the span both clocks saw matched a reference pulse "
            f"within {tolerance} s; at least {MIN_MATCHED_PULSES} and half of them are needed"
        )
    return Matched(own=own[pairs[0]], reference=reference[pairs[1]])


def _pulse_train(times: np.ndarray, which: str) -> np.ndarray:
    train = np.asarray(times, dtype=np.float64)
    if train.ndim != 1:
        raise ConversionError(f"{which} pulse times: expected one time per pulse, got shape {train.shape}")
    if not np.all(np.isfinite(train)):
        raise ConversionError(f"{which} pulse times: not all finite")
    if train.size < MIN_MATCHED_PULSES:
        raise ConversionError(f"{which} pulse times: {train.size} pulses; at least {MIN_MATCHED_PULSES} are needed")
    return np.sort(train)


def _coarse_line(own: np.ndarray, reference: np.ndarray, tolerance: float) -> tuple[float, float]:
    """offset and slope of reference ~ offset + slope * own, from the best offset of windows spread over `own`."""
    starts = np.unique(np.linspace(0, max(own.size - WINDOW, 0), min(ANCHORS, own.size)).astype(int))
    times, offsets = [], []
    for start in starts:
        window = own[start : start + WINDOW]
        found = _window_offset(window, reference, tolerance)
        if found is not None:
            times.append(window[0])
            offsets.append(found)
    if not offsets:
        raise ConversionError(
            f"no offset lines up most of {WINDOW} consecutive pulses with the reference pulses within {tolerance} s: "
            "are they the same pulses?"
        )
    t, o = np.asarray(times), np.asarray(offsets)
    drift = _median_slope(t, o)
    offset = float(np.median(o - drift * t))
    return offset, 1.0 + drift


def _window_offset(window: np.ndarray, reference: np.ndarray, tolerance: float) -> float | None:
    """The offset (reference - own) under which most pulses of the window have a reference pulse within
    `tolerance`; ties go to the smallest offset. None when no offset lines up most of them (and at least
    MIN_MATCHED_PULSES)."""
    # One of the window's first pulses is in the reference train unless the window is mostly extra pulses.
    candidates = np.unique((reference[None, :] - window[: WINDOW // 2, None]).ravel())
    scores = np.concatenate(
        [
            (_distance_to_nearest(window[None, :] + block[:, None], reference) <= tolerance).sum(axis=1)
            for block in np.array_split(candidates, max(1, candidates.size // CANDIDATES_AT_ONCE))
        ]
    )
    best = scores.max()
    if best < max(MIN_MATCHED_PULSES, window.size // 2 + 1):
        return None
    tied = candidates[scores == best]
    return float(tied[np.argmin(np.abs(tied))])


def _distance_to_nearest(times: np.ndarray, sorted_train: np.ndarray) -> np.ndarray:
    after = np.clip(np.searchsorted(sorted_train, times), 1, sorted_train.size - 1)
    return np.minimum(np.abs(times - sorted_train[after - 1]), np.abs(sorted_train[after] - times))


def _median_slope(t: np.ndarray, o: np.ndarray) -> float:
    """Theil-Sen: the median of the slopes between every two windows (robust to a window that found a wrong
    offset); 0 when there is one window."""
    i, j = np.triu_indices(t.size, k=1)
    apart = t[j] > t[i]
    if not apart.any():
        return 0.0
    return float(np.median((o[j] - o[i])[apart] / (t[j] - t[i])[apart]))


def _pairs(
    own: np.ndarray, reference: np.ndarray, offset: float, slope: float, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (own, reference) of pulses whose mapped time is within `tolerance` of a reference pulse; each
    reference pulse is paired at most once (with its nearest own pulse)."""
    mapped = offset + slope * own
    after = np.clip(np.searchsorted(reference, mapped), 1, reference.size - 1)
    before = after - 1
    nearest = np.where(np.abs(mapped - reference[before]) <= np.abs(reference[after] - mapped), before, after)
    distance = np.abs(mapped - reference[nearest])
    close = np.flatnonzero(distance <= tolerance)
    # Keep the closest own pulse of each reference pulse.
    order = close[np.lexsort((distance[close], nearest[close]))]
    _, first = np.unique(nearest[order], return_index=True)
    kept = np.sort(order[first])
    return kept, nearest[kept]


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares offset and slope of y ~ offset + slope * x, centred for precision."""
    x0, y0 = x.mean(), y.mean()
    dx = x - x0
    slope = float((dx * (y - y0)).sum() / (dx**2).sum()) if np.any(dx) else 1.0
    return float(y0 - slope * x0), slope


def _leave_one_out(matched: Matched) -> np.ndarray:
    """For each inner pulse, its reference time minus the time the segment between its neighbours gives:
    how far the piecewise map can be off between pulses. Empty when there are only two pulses."""
    own, reference = matched.own, matched.reference
    if own.size < 3:
        return np.empty(0)
    fraction = (own[1:-1] - own[:-2]) / (own[2:] - own[:-2])
    between = reference[:-2] + fraction * (reference[2:] - reference[:-2])
    return reference[1:-1] - between
