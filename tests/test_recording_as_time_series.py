"""The recording-as-TimeSeries base (analog channels): one series per segment, named and timed as NeuroConv names
them, read segment by segment, and renamed by its metadata entry with the segment number kept; and the event
detection digital lines go through, the same read slab by slab as whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
import spikeinterface.core as si
from nwbstream.ecephys.edf import EDFAnalogInterface
from nwbstream.service import SourceError
from nwbstream.service.event_detection import detect, detect_in_slabs, event_plan

SOURCE = {"file_path": "/data/two_segments.edf"}


def analog_interface(recording):
    """EDFAnalogInterface with its reader replaced by an in-memory recording."""
    interface = EDFAnalogInterface.__new__(EDFAnalogInterface)
    interface.__dict__.update(
        recording=recording, metadata_key="edf_analog", source_data=SOURCE, file_path=SOURCE["file_path"]
    )
    return interface


def two_segments(units=("uV", "uV")):
    traces = [np.arange(200, dtype="int16").reshape(100, 2), -np.arange(100, dtype="int16").reshape(50, 2)]
    recording = si.NumpyRecording(traces, sampling_frequency=1000.0, channel_ids=["a", "b"], t_starts=[3.0, 10.0])
    recording.set_property("physical_unit", list(units))
    recording.set_property("gain_to_physical_unit", [0.5, 0.5])
    recording.set_property("offset_to_physical_unit", [1.0, 1.0])
    return recording


def test_one_series_per_segment_named_timed_and_read_as_neuroconv():
    interface = analog_interface(two_segments())
    specs = interface.describe()
    assert [s.name for s in specs] == ["TimeSeriesAnalogEDF0", "TimeSeriesAnalogEDF1"]  # in the plan
    assert [s.timing.starting_time for s in specs] == [3.0, 10.0]
    assert [s.dataset("data").shape for s in specs] == [(100, 2), (50, 2)]
    assert specs[0].attributes | {"description": ""} == {
        "unit": "uV",
        "conversion": 0.5,
        "offset": 1.0,
        "description": "",
        "segment": [0, 2],
    }
    second = interface.read("TimeSeriesAnalogEDF1", "data", (slice(10, 20), slice(0, 2)))
    np.testing.assert_array_equal(second, -np.arange(100, dtype="int16").reshape(50, 2)[10:20])
    assert [s.dataset("data").shape[0] for s in interface.describe(stub=True)] == [100, 50]


def test_channels_of_different_units_are_refused_with_the_file():
    with pytest.raises(SourceError, match="different units") as error:
        analog_interface(two_segments(units=("uV", "V"))).describe()
    assert SOURCE["file_path"] in str(error.value)


def test_the_entry_renames_every_segment_keeping_its_number():
    """The coordinator's TimeSeries writer names each segment's series by the entry, adding the segment number."""
    from nwbstream.coordinator.writers import Contribution, WriteContext, writer_for
    from pynwb import NWBFile

    nwbfile = NWBFile("test", "id", datetime(2020, 1, 1, tzinfo=UTC))
    ctx = WriteContext(nwbfile, {"TimeSeries": {"edf_analog": {"name": "Aux", "unit": "mV"}}})
    for spec in analog_interface(two_segments()).describe():
        obj = spec.to_proto()
        data = np.zeros(spec.dataset("data").shape, spec.dataset("data").dtype)
        writer_for(obj).add(ctx, Contribution("edf", obj, {"data": data}))
    assert sorted(nwbfile.acquisition) == ["Aux0", "Aux1"]
    assert nwbfile.acquisition["Aux1"].starting_time == 10.0
    assert nwbfile.acquisition["Aux1"].unit == "mV"  # the entry's word over the recording's
    assert json.loads(obj.attributes_json)["segment"] == [1, 2]


CONFIGURATION = {
    "word": [
        {"signal_conditioning": {"bits": [0]}, "detection": "high_period"},
        {"signal_conditioning": {"bits": [2]}, "detection": "low_period"},
        {"signal_conditioning": {"bits": [2]}, "detection": "value_change", "event_name": "bit2_changes"},
    ],
    "analog": [{"signal_conditioning": {"binarize": "midpoint"}, "detection": "rising"}],
}


def test_events_read_slab_by_slab_equal_the_whole_trace():
    rng = np.random.default_rng(0)
    signals = {
        "word": np.repeat(rng.integers(0, 8, 60), rng.integers(1, 9, 60)).astype("uint16"),
        "analog": np.repeat(rng.normal(size=40), 5),
    }
    n = len(signals["word"])
    signals["analog"] = np.resize(signals["analog"], n)
    times = 2.0 + np.arange(n) / 100.0
    plan = event_plan(CONFIGURATION, list(signals))
    whole = {name: detect(signals[signal], times, spec) for name, signal, spec in plan}
    for slab in (1, 7, n):
        sliced = detect_in_slabs(lambda s, a, b: signals[s][a:b], n, lambda f: times[f], plan, slab=slab)
        assert list(sliced) == list(whole)
        for name, events in whole.items():
            np.testing.assert_array_equal(sliced[name].timestamps, events.timestamps)
            if events.durations is None:
                assert sliced[name].durations is None
            else:
                np.testing.assert_array_equal(sliced[name].durations, events.durations)
    assert len(whole["word_bit0_high_period"].timestamps) > 5
    # edges found by hand on bit 0: rising at every 0 -> 1 step
    bit0 = signals["word"] & 1
    np.testing.assert_array_equal(
        whole["word_bit0_high_period"].timestamps, times[np.flatnonzero(np.diff(bit0) == 1) + 1]
    )
