"""Clock maps: a function from times on a stream's own clock to times on the session (reference) clock.

A map is applied to every time an interface's objects carry: starting times, timestamps, spike and event times.
Only a pure shift keeps a regular series regular; any other map turns its rate into explicit timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ClockMap:
    """t_session = map(t_own). Subclasses say how; `record()` is what the NWB file keeps about it."""

    def __call__(self, times: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def shift(self) -> float | None:
        """The offset when the map is a pure shift (a regular series stays regular), else None."""
        return None

    def record(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Shift(ClockMap):
    offset: float

    def __call__(self, times: np.ndarray) -> np.ndarray:
        return np.asarray(times, dtype=np.float64) + self.offset

    @property
    def shift(self) -> float:
        return self.offset

    def record(self) -> dict[str, Any]:
        return {"method": "shift", "offset": self.offset}


@dataclass(frozen=True)
class Linear(ClockMap):
    """offset + (1 + drift) * t: `drift` is the own clock's rate error (20 ppm is 2e-5)."""

    offset: float
    drift: float
    residuals: tuple[float, ...] = field(default=(), compare=False)  # reference - map(own) at each matched pulse

    def __call__(self, times: np.ndarray) -> np.ndarray:
        return self.offset + (1.0 + self.drift) * np.asarray(times, dtype=np.float64)

    @property
    def shift(self) -> float | None:
        return self.offset if self.drift == 0.0 else None

    def record(self) -> dict[str, Any]:
        return {"method": "linear", "offset": self.offset, "drift": self.drift, **_residual_summary(self.residuals)}


@dataclass(frozen=True)
class Piecewise(ClockMap):
    """Linear between matched pulses (`own` -> `reference`, both increasing), extended by the end segments."""

    own: tuple[float, ...]
    reference: tuple[float, ...]
    residuals: tuple[float, ...] = field(default=(), compare=False)

    def __call__(self, times: np.ndarray) -> np.ndarray:
        own, reference = np.asarray(self.own), np.asarray(self.reference)
        times = np.asarray(times, dtype=np.float64)
        mapped = np.interp(times, own, reference)
        before, after = times < own[0], times > own[-1]
        mapped[before] = reference[0] + (times[before] - own[0]) * _slope(own[:2], reference[:2])
        mapped[after] = reference[-1] + (times[after] - own[-1]) * _slope(own[-2:], reference[-2:])
        return mapped

    def record(self) -> dict[str, Any]:
        return {
            "method": "piecewise",
            "own_times": list(self.own),
            "reference_times": list(self.reference),
            **_residual_summary(self.residuals),
        }


@dataclass(frozen=True)
class Timestamps(ClockMap):
    """Explicit session times, one per sample of the interface's one series (from a file the user gives)."""

    times: tuple[float, ...] = field(repr=False)
    source: str = ""

    def __call__(self, times: np.ndarray) -> np.ndarray:
        raise TypeError(f"timestamps from {self.source} replace a series' times; they do not map other times")

    def record(self) -> dict[str, Any]:
        return {"method": "timestamps", "file_path": self.source, "count": len(self.times)}


def _slope(own: np.ndarray, reference: np.ndarray) -> float:
    return float((reference[-1] - reference[0]) / (own[-1] - own[0])) if len(own) > 1 and own[-1] > own[0] else 1.0


def _residual_summary(residuals: tuple[float, ...]) -> dict[str, Any]:
    values = np.asarray(residuals, dtype=np.float64)
    if values.size == 0:
        return {}
    return {
        "matched_pulses": int(values.size),
        "residual_rms": float(np.sqrt(np.mean(values**2))),
        "residual_max": float(np.abs(values).max()),
    }
