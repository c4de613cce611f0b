"""OpenEphysRecordingInterface, NeuroConv's dispatching entry, on both Open Ephys formats' real folders: the NWB file
read back equals spikeinterface's values, as the format's own interface writes them."""

from __future__ import annotations

import re

import numpy as np
import pytest
import spikeinterface.extractors as se
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import ECEPHYS, convert
from .nwbcheck import assert_valid_nwb
from .test_ecephys_recordings_more import (
    OPENEPHYS_BINARY,
    OPENEPHYS_BINARY_STREAM,
    ScaledInFloat64,
    read,
    truncated_dat,
)
from .test_ecephys_values import assert_series_equals_recording

OPENEPHYS_LEGACY = ECEPHYS / "openephys_legacy" / "Record Node 101"

DISPATCHED = {
    "openephys_legacy": Case(
        "OpenEphysRecordingInterface",
        {"folder_path": str(OPENEPHYS_LEGACY)},
        lambda: se.read_openephys(OPENEPHYS_LEGACY),
        "real: Open Ephys GUI legacy .continuous recording (SOURCES.md)",
        {"format": "OpenEphysLegacyRecordingInterface"},
    ),
    "openephys_binary": Case(
        "OpenEphysRecordingInterface",
        {"folder_path": str(OPENEPHYS_BINARY), "stream_name": OPENEPHYS_BINARY_STREAM},
        lambda: se.read_openephys(OPENEPHYS_BINARY, stream_name=OPENEPHYS_BINARY_STREAM),
        "real: Open Ephys GUI 0.6 binary recording, Rhythm Data stream (SOURCES.md)",
        {"format": "OpenEphysBinaryRecordingInterface"},
    ),
}


def write(services, row: Case, path, **options):
    return convert(services, {"rec": (row.interface, row.source)}, path, **options)


def format_metadata(services, row: Case) -> dict:
    """The metadata the format's own interface gives for the same source."""
    with Converter({"rec": (row.expect["format"], row.source)}, services) as converter:
        return converter.get_metadata()


@pytest.mark.parametrize("case", sorted(DISPATCHED))
def test_dispatched_values(services, tmp_path, case):
    row = DISPATCHED[case]
    recording = read(row)
    path = write(services, row, tmp_path / f"{case}.nwb")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        series = nwbfile.acquisition["ElectricalSeries"]
        assert_series_equals_recording(series, ScaledInFloat64(recording))
        electrodes = series.electrodes.table
        assert list(electrodes["channel_name"][:]) == [str(n) for n in recording.get_property("channel_name")]
        assert series.starting_time == pytest.approx(recording.get_start_time(segment_index=0))
    assert_valid_nwb(path)


@pytest.mark.parametrize("case", sorted(DISPATCHED))
def test_dispatched_metadata_is_the_formats(services, case):
    row = DISPATCHED[case]
    with Converter({"rec": (row.interface, row.source)}, services) as converter:
        metadata = converter.get_metadata()
    expected = format_metadata(services, row)
    assert metadata["NWBFile"].get("session_start_time") == expected["NWBFile"].get("session_start_time")
    assert metadata["NWBFile"].get("session_start_time") is not None
    assert metadata["Ecephys"] == expected["Ecephys"]


@pytest.mark.parametrize("case", sorted(DISPATCHED))
def test_dispatched_stub_writes_a_prefix(services, tmp_path, case):
    row = DISPATCHED[case]
    recording = read(row)
    path = write(services, row, tmp_path / f"{case}.nwb", stub_test=True)
    with NWBHDF5IO(path, "r") as io:
        data = io.read().acquisition["ElectricalSeries"].data
        expected = recording.get_traces(segment_index=0, end_frame=data.shape[0])
        assert 0 < data.shape[0] < recording.get_num_samples(segment_index=0)
        np.testing.assert_array_equal(data[:], expected)
    assert_valid_nwb(path)


def test_dispatched_truncated_file_names_it(services, tmp_path):
    source, named = truncated_dat(tmp_path)
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=rf"{re.escape(str(named))}: (cannot be read|truncated)"):
        convert(services, {"rec": ("OpenEphysRecordingInterface", source)}, out)
    assert not out.exists()


def test_a_folder_of_neither_format_is_named(services, tmp_path):
    folder = tmp_path / "not_open_ephys"
    folder.mkdir()
    (folder / "notes.txt").write_text("no recording here")
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=rf"{re.escape(str(folder))}: no .continuous .*nor .dat"):
        convert(services, {"rec": ("OpenEphysRecordingInterface", {"folder_path": str(folder)})}, out)
    assert not out.exists()
