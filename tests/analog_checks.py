"""What the analog and digital ecephys cases check beyond the suite: a TimeSeries equals its recording (raw
samples, unit and scaling, rate and start), and each EventsTable holds a line's edges found with numpy on the
reader's raw samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def time_series_check(name: str, container: str = "acquisition") -> Callable[[Any, Any], None]:
    def check(nwbfile: Any, recording: Any) -> None:
        series = getattr(nwbfile, container)[name]
        n = series.data.shape[0]
        assert 0 < n <= recording.get_num_samples()
        np.testing.assert_array_equal(series.data[:], recording.get_traces(end_frame=n))
        assert series.data.dtype == recording.get_dtype()
        assert series.unit == str(recording.get_property("physical_unit")[0])
        assert series.conversion == float(recording.get_property("gain_to_physical_unit")[0])
        assert series.offset == float(recording.get_property("offset_to_physical_unit")[0])
        assert series.rate == recording.get_sampling_frequency()
        assert series.starting_time == recording.get_start_time()
        scaled = recording.get_traces(end_frame=min(n, 1000)).astype(float)
        scaled = scaled * recording.get_property("gain_to_physical_unit") + recording.get_property(
            "offset_to_physical_unit"
        )
        np.testing.assert_allclose(series.data[: len(scaled)] * series.conversion + series.offset, scaled)

    return check


def edges_check(read: Callable[[], Any], lines: dict[str, tuple[str, int | None]]) -> Callable[[Any, Any], None]:
    """`lines`: EventsTable name -> (the recording's channel, the bit of its word, or None for a 0/1 line); every
    line is read as a high period (NeuroConv's default). Events are written whole in a stub too, so the check reads
    the source itself when not given the recording (`read`: the case's reader)."""

    def check(nwbfile: Any, recording: Any) -> None:
        recording = read() if recording is None else recording
        assert set(lines) <= set(nwbfile.events), (sorted(lines), sorted(nwbfile.events))
        for table_name, (channel, bit) in lines.items():
            raw = recording.get_traces(channel_ids=[channel])[:, 0].astype(np.int64)
            line = (raw >> bit) & 1 if bit is not None else raw
            steps = np.diff(line)
            rising, falling = np.flatnonzero(steps > 0) + 1, np.flatnonzero(steps < 0) + 1
            times = recording.get_times()
            table = nwbfile.events[table_name]
            assert len(table) == len(rising), table_name
            if not len(rising):
                continue
            np.testing.assert_allclose(table["timestamp"][:], times[rising])
            closes = np.searchsorted(falling, rising, side="right")
            expected = np.array(
                [
                    times[falling[c]] - times[r] if c < len(falling) else np.nan
                    for r, c in zip(rising, closes, strict=True)
                ]
            )
            np.testing.assert_allclose(table["duration"][:], expected)

    return check
