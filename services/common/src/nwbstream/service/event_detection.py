"""Events read off sampled digital lines, configured as NeuroConv 0.10's `detection_configuration`.

`{signal: [spec, ...]}`, one spec per event type derived from that signal. A spec has `signal_conditioning`
(exactly one of `{"binarize": <number> | "midpoint"}` or `{"bits": [<one bit>]}`), `detection` (`rising`,
`falling`, `value_change`: point events; `high_period`, `low_period`: an onset and its duration) and an
optional `event_name`. The event type is named by `event_name`, else the signal (one spec), else
`<signal>[_bit<n>]_<detection>` (several). Without a configuration every line is read as a `high_period`
cut at its midpoint.
Shared by every service whose formats sample TTL lines (ophys photometry, ecephys NIDQ/Intan).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .events import EventType

DETECTIONS = ("rising", "falling", "value_change", "high_period", "low_period")
SPEC_KEYS = {"signal_conditioning", "detection", "event_name"}
DEFAULT_SPEC = {"signal_conditioning": {"binarize": "midpoint"}, "detection": "high_period"}
SLAB_SAMPLES = 1 << 20  # samples of one signal read at a time


def event_plan(configuration: Mapping[str, Any] | None, signals: Sequence[str]) -> list[tuple[str, str, dict]]:
    """(event type, signal, spec) for every spec, checked against the file's `signals`."""
    if configuration is None:
        configuration = {signal: [DEFAULT_SPEC] for signal in signals}
    if not configuration:
        raise ValueError("detection_configuration is empty: give None to read every line, or name some")
    plan, seen = [], set()
    for signal, specs in configuration.items():
        if signal not in signals:
            raise ValueError(f"detection_configuration names {signal!r}, not one of the file's lines {list(signals)}")
        if not isinstance(specs, list) or not specs:
            raise ValueError(f"detection_configuration[{signal!r}] must be a non-empty list of specs")
        for spec in specs:
            _check_spec(signal, spec)
            name = spec.get("event_name") or (signal if len(specs) == 1 else _derived_name(signal, spec))
            if name in seen:
                raise ValueError(f"detection_configuration: two event types named {name!r}; set event_name")
            seen.add(name)
            plan.append((name, signal, spec))
    return plan


def plan_metadata(metadata_key: str, plan: Sequence[tuple[str, str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The `Events` metadata of a plan's event types, from the plan alone (no samples read, as NeuroConv seeds it)."""
    return {metadata_key: {"event_types": {name: {"event_name": name} for name, _, _ in plan}}}


def detect(trace: np.ndarray, times: np.ndarray, spec: Mapping[str, Any]) -> EventType:
    """The events of one spec on one sampled signal whose samples fall at `times` (all in memory)."""
    trace = np.asarray(trace)
    found = detect_in_slabs(lambda _, start, stop: trace[start:stop], len(trace), lambda f: times[f], [("", "", spec)])
    return found[""]


def detect_in_slabs(
    read: Callable[[str, int, int], np.ndarray],
    n_samples: int,
    time_of: Callable[[np.ndarray], np.ndarray],
    plan: Sequence[tuple[str, str, Mapping[str, Any]]],
    slab: int = SLAB_SAMPLES,
) -> dict[str, EventType]:
    """Every event type of `plan` (from `event_plan`), reading the signals slab by slab, never whole: `read(signal,
    start, stop)` gives samples [start, stop), `time_of(frames)` their times. Each slab is asked for every signal in
    turn (a reader whose signals share a file can keep the slab it read last), once for all of a signal's specs,
    after a first pass for the range of the signals a spec cuts at their midpoint."""
    slabs = [(start, min(start + slab, n_samples)) for start in range(0, n_samples, slab)]
    by_signal: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for name, signal, spec in plan:
        by_signal.setdefault(signal, []).append((name, spec))
    cut_at_midpoint = [signal for signal, specs in by_signal.items() if any(_cuts_at_midpoint(s) for _, s in specs)]
    midpoints = _midpoints(read, slabs, cut_at_midpoint)
    edges = {name: _Edges(spec["signal_conditioning"], midpoints.get(signal)) for name, signal, spec in plan}
    for start, stop in slabs:
        for signal, specs in by_signal.items():
            samples = np.asarray(read(signal, start, stop))
            for name, _ in specs:
                edges[name].feed(samples, start)
    return {name: edges[name].events(spec["detection"], time_of) for name, _, spec in plan}


class _Edges:
    """Rising and falling edges of one conditioned line, fed slab by slab (the last sample carried over)."""

    def __init__(self, conditioning: Mapping[str, Any], midpoint: float | None):
        self.conditioning = conditioning
        self.midpoint = midpoint
        self.last: np.ndarray = np.empty(0, np.int8)
        self.rising: list[np.ndarray] = []
        self.falling: list[np.ndarray] = []

    def feed(self, samples: np.ndarray, start: int) -> None:
        line = _condition(samples, self.conditioning, self.midpoint)
        steps = np.diff(np.concatenate([self.last, line]).astype(np.int8))
        first = start - len(self.last) + 1  # the frame of steps[0]'s later sample
        self.rising.append(np.flatnonzero(steps > 0) + first)
        self.falling.append(np.flatnonzero(steps < 0) + first)
        self.last = line[-1:]

    def events(self, detection: str, time_of: Callable[[np.ndarray], np.ndarray]) -> EventType:
        rising = np.concatenate([np.empty(0, np.int64), *self.rising])
        falling = np.concatenate([np.empty(0, np.int64), *self.falling])
        if detection in ("rising", "falling", "value_change"):
            onsets = {"rising": rising, "falling": falling, "value_change": np.union1d(rising, falling)}[detection]
            return EventType(_times(time_of, onsets))
        onsets, closes = (rising, falling) if detection == "high_period" else (falling, rising)
        after = np.searchsorted(closes, onsets, side="right")
        durations = np.full(len(onsets), np.nan)
        closed = after < len(closes)
        onset_times = _times(time_of, onsets)
        durations[closed] = _times(time_of, closes[after[closed]]) - onset_times[closed]
        return EventType(onset_times, durations)


def _times(time_of: Callable[[np.ndarray], np.ndarray], frames: np.ndarray) -> np.ndarray:
    return np.asarray(time_of(frames), dtype=float) if len(frames) else np.empty(0)


def _cuts_at_midpoint(spec: Mapping[str, Any]) -> bool:
    return spec["signal_conditioning"].get("binarize") == "midpoint"


def _midpoints(
    read: Callable[[str, int, int], np.ndarray], slabs: list[tuple[int, int]], signals: list[str]
) -> dict[str, float]:
    """Halfway between each signal's lowest and highest sample (exact Python numbers: no overflow)."""
    low, high = dict.fromkeys(signals, np.inf), dict.fromkeys(signals, -np.inf)
    for start, stop in slabs if signals else []:
        for signal in signals:
            samples = np.asarray(read(signal, start, stop))
            if np.isnan(samples.astype(float)).any():
                raise ValueError("signal_conditioning 'binarize': 'midpoint' of a signal with NaN; give a number")
            low[signal], high[signal] = min(low[signal], samples.min().item()), max(high[signal], samples.max().item())
    return {signal: (low[signal] + high[signal]) / 2 for signal in signals}


def _condition(samples: np.ndarray, conditioning: Mapping[str, Any], midpoint: float | None) -> np.ndarray:
    if "bits" in conditioning:
        return ((samples.astype(np.int64) >> int(conditioning["bits"][0])) & 1).astype(np.int8)
    cut = conditioning["binarize"]
    return (samples >= (midpoint if isinstance(cut, str) else cut)).astype(np.int8)


def _check_spec(signal: str, spec: Any) -> None:
    where = f"detection_configuration[{signal!r}]"
    if not isinstance(spec, Mapping) or set(spec) - SPEC_KEYS:
        raise ValueError(f"{where}: a spec holds only {sorted(SPEC_KEYS)}")
    if spec.get("detection") not in DETECTIONS:
        raise ValueError(f"{where}: detection must be one of {list(DETECTIONS)}")
    conditioning = spec.get("signal_conditioning")
    if (
        not isinstance(conditioning, Mapping)
        or len(set(conditioning) & {"bits", "binarize"}) != 1
        or len(conditioning) != 1
    ):
        raise ValueError(f"{where}: signal_conditioning holds exactly one of 'binarize' or 'bits'")
    if "bits" in conditioning and len(list(conditioning["bits"])) != 1:
        raise ValueError(f"{where}: 'bits' names one bit per spec")
    if (
        "binarize" in conditioning
        and isinstance(conditioning["binarize"], str)
        and conditioning["binarize"] != "midpoint"
    ):
        raise ValueError(f"{where}: 'binarize' is a number or 'midpoint'")


def _derived_name(signal: str, spec: Mapping[str, Any]) -> str:
    conditioning = spec["signal_conditioning"]
    if not isinstance(conditioning.get("binarize", "midpoint"), str):
        raise ValueError(f"detection_configuration[{signal!r}]: specs cut at a number need an event_name each")
    bits = [f"bit{list(conditioning['bits'])[0]}"] if "bits" in conditioning else []
    return "_".join([signal, *bits, spec["detection"]])
