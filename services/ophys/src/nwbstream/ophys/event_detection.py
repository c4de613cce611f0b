"""Events read off sampled digital lines, configured as NeuroConv 0.10's `detection_configuration`.

`{signal: [spec, ...]}`, one spec per event type derived from that signal. A spec has `signal_conditioning`
(exactly one of `{"binarize": <number> | "midpoint"}` or `{"bits": [<one bit>]}`), `detection` (`rising`,
`falling`, `value_change`: point events; `high_period`, `low_period`: an onset and its duration) and an
optional `event_name`. The event type is named by `event_name`, else the signal (one spec), else
`<signal>[_bit<n>]_<detection>` (several). Without a configuration every line is read as a `high_period`
cut at its midpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from nwbstream.service.events import EventType

DETECTIONS = ("rising", "falling", "value_change", "high_period", "low_period")
SPEC_KEYS = {"signal_conditioning", "detection", "event_name"}
DEFAULT_SPEC = {"signal_conditioning": {"binarize": "midpoint"}, "detection": "high_period"}


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


def detect(trace: np.ndarray, times: np.ndarray, spec: Mapping[str, Any]) -> EventType:
    """The events of one spec on one sampled signal whose samples fall at `times`."""
    line = _condition(np.asarray(trace), spec["signal_conditioning"])
    steps = np.diff(line.astype(np.int16))
    rising, falling = np.flatnonzero(steps > 0) + 1, np.flatnonzero(steps < 0) + 1
    detection = spec["detection"]
    if detection in ("rising", "falling", "value_change"):
        onsets = {"rising": rising, "falling": falling, "value_change": np.flatnonzero(steps) + 1}[detection]
        return EventType(np.asarray(times[onsets], dtype=float))
    onsets, closes = (rising, falling) if detection == "high_period" else (falling, rising)
    after = np.searchsorted(closes, onsets, side="right")
    durations = np.full(len(onsets), np.nan)
    closed = after < len(closes)
    durations[closed] = times[closes[after[closed]]] - times[onsets[closed]]
    return EventType(np.asarray(times[onsets], dtype=float), durations)


def _condition(trace: np.ndarray, conditioning: Mapping[str, Any]) -> np.ndarray:
    if "bits" in conditioning:
        return (trace.astype(np.int64) >> int(conditioning["bits"][0])) & 1
    cut = conditioning["binarize"]
    if isinstance(cut, str):
        if np.isnan(trace.astype(float)).any():
            raise ValueError("signal_conditioning 'binarize': 'midpoint' of a signal with NaN; give a number")
        cut = (trace.min().item() + trace.max().item()) / 2
    return (trace >= cut).astype(np.int8)


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
