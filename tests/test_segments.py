"""A recording of several segments is one series per segment, each on its own start time; a sorting's spike times
are every segment's, on the session clock (a real two-segment file runs through tests/test_ecephys_suite.py)."""

from __future__ import annotations

import numpy as np
import spikeinterface.core as si
from nwbstream.ecephys.blackrock import BlackrockRecordingInterface
from nwbstream.ecephys.phy import PhySortingInterface

RATE = 30_000.0
TRACES = [np.arange(400, dtype="int16").reshape(100, 4), -np.arange(200, dtype="int16").reshape(50, 4)]


def without_reader(cls, **attributes):
    """An interface whose reader is replaced by an in-memory spikeinterface object of two segments."""
    interface = cls.__new__(cls)
    interface.source_data = {"folder_path": "/data/session_with_two_segments"}
    interface.__dict__.update(attributes)
    return interface


def two_segment_recording() -> si.NumpyRecording:
    return si.NumpyRecording(TRACES, sampling_frequency=RATE, t_starts=[10.0, 25.0])


def test_each_segment_is_a_series_with_its_own_start():
    interface = without_reader(
        BlackrockRecordingInterface, recording=two_segment_recording(), es_key="ElectricalSeries"
    )
    specs = interface.describe()
    assert [s.name for s in specs] == ["ElectricalSeries0", "ElectricalSeries1"]
    assert [s.timing.starting_time for s in specs] == [10.0, 25.0]
    assert [s.attributes["segment"] for s in specs] == [[0, 2], [1, 2]]
    assert [s.datasets[0].shape for s in specs] == [(100, 4), (50, 4)]
    rows = interface.read("ElectricalSeries1", "data", (slice(10, 20), slice(0, 4)))
    np.testing.assert_array_equal(rows, TRACES[1][10:20])


def test_spike_times_of_every_segment_on_the_session_clock():
    sorting = si.NumpySorting.from_samples_and_labels(
        [np.array([30, 90]), np.array([40])], [np.array([0, 1]), np.array([0])], sampling_frequency=RATE
    )
    sorting.register_recording(two_segment_recording())
    interface = without_reader(PhySortingInterface, sorting=sorting)
    (spec,) = interface.describe()
    times = interface.read("units", "spike_times", slice(0, spec.datasets[0].shape[0]))
    # unit 0: frame 30 of segment 0 (starts at 10 s) then frame 40 of segment 1 (starts at 25 s); unit 1: frame 90
    np.testing.assert_allclose(times, [10.0 + 30 / RATE, 25.0 + 40 / RATE, 10.0 + 90 / RATE])
    units = {c.name: c for c in spec.tables[0].columns}
    assert list(units["spike_times"].index) == [2, 3]
