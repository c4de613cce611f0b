"""When a source's times may be written as a rate: one rule for every service, NeuroConv's."""

from __future__ import annotations

import numpy as np


def regular_rate(times: np.ndarray, tolerance: float = 1e-6) -> float | None:
    """NeuroConv's test (`calculate_regular_series_rate`): the rate when putting every time on the grid
    `first + i / rate` moves none by more than the smaller of `tolerance` seconds and a tenth of a period; None for
    fewer than two times, or irregular (or NaN) ones, which are then written whole."""
    times = np.asarray(times, dtype=float)
    if times.size < 2:
        return None
    duration = float(times[-1] - times[0])
    if not duration > 0:
        return None
    period = duration / (times.size - 1)
    deviation = np.abs(times[0] + np.arange(times.size) * period - times).max()
    return 1.0 / period if deviation <= min(0.1 * period, tolerance) else None
