"""Recording interfaces beyond the first six, on real files: the NWB file read back equals spikeinterface's values."""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import spikeinterface.extractors as se
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import ECEPHYS, convert
from .nwbcheck import assert_valid_nwb
from .test_ecephys_values import assert_series_equals_recording

INTAN = ECEPHYS / "intan"
NEURALYNX = ECEPHYS / "neuralynx"
OPENEPHYS_BINARY = ECEPHYS / "openephys_binary" / "dEMG_Pilot-0012025-10-31_13-23-53_001" / "Record Node 106"
OPENEPHYS_BINARY_STREAM = "Record Node 106#Acquisition_Board-100.Rhythm Data"
SPIKE2 = ECEPHYS / "spike2" / "DemoData.smr"
TDT = ECEPHYS / "tdt" / "Vicon_Runway_Neural-220822-111845"
TDT_GAIN = 0.5  # uV per stored unit; TDT files do not say it


def tdt_case(stream_name: str) -> Case:
    def read():
        recording = se.read_tdt(TDT, stream_name=stream_name)
        recording.set_channel_gains(TDT_GAIN)
        return recording

    return Case(
        "TdtRecordingInterface",
        {"folder_path": str(TDT), "gain": TDT_GAIN, "stream_name": stream_name},
        read,
        "real: TDT Synapse tank, RZ2 (SOURCES.md)",
        {"series": "ElectricalSeries", "groups": {"ElectrodeGroup"}, "device": "DeviceEcephys"},
        reader_name="read_tdt",
    )


RECORDINGS = {
    "intan_rhd": Case(
        "IntanRecordingInterface",
        {"file_path": str(INTAN / "sampledata.rhd")},
        lambda: se.read_intan(INTAN / "sampledata.rhd", stream_id="0"),
        "real: Intan RHD2000 .rhd file (SOURCES.md)",
        {"series": "ElectricalSeries", "groups": {"A"}, "device": "Intan"},
    ),
    "intan_one_file_per_signal_type": Case(
        "IntanRecordingInterface",
        {"file_path": str(INTAN / "one_file_per_signal_type" / "info.rhd")},
        lambda: se.read_intan(INTAN / "one_file_per_signal_type" / "info.rhd", stream_id="0"),
        "real: Intan one-file-per-signal-type folder (info.rhd + amplifier.dat, SOURCES.md)",
        {"series": "ElectricalSeries", "groups": {"A"}, "device": "Intan"},
    ),
    "neuralynx": Case(
        "NeuralynxRecordingInterface",
        {"folder_path": str(NEURALYNX)},
        lambda: se.read_neuralynx(NEURALYNX),
        "real: Neuralynx ATLAS .ncs folder (SOURCES.md)",
        {
            "series": "ElectricalSeries",
            "groups": {"ElectrodeGroup"},
            "device": "AcqSystem1 ATLAS",
            "session_start_time": "2023-11-02T13:39:27",
            "session_id": "c6e1f50d-ff9c-40e4-9b9a-b43f627c74c8",
        },
    ),
    "openephys_binary": Case(
        "OpenEphysBinaryRecordingInterface",
        {"folder_path": str(OPENEPHYS_BINARY), "stream_name": OPENEPHYS_BINARY_STREAM},
        lambda: se.read_openephys(OPENEPHYS_BINARY, stream_name=OPENEPHYS_BINARY_STREAM),
        "real: Open Ephys GUI 0.6 binary recording, Rhythm Data stream (SOURCES.md)",
        {
            "series": "ElectricalSeries",
            "groups": {"ElectrodeGroup"},
            "device": "DeviceEcephys",
            "session_start_time": "2025-10-31T13:23:53",
        },
    ),
    "tdt_wav1": tdt_case("Wav1"),
    "tdt_lfp1": tdt_case("LFP1"),
    "spike2_smr": Case(
        "Spike2RecordingInterface",
        {"file_path": str(SPIKE2)},
        lambda: se.read_spike2(SPIKE2, stream_id="1"),  # the ECG channel, the file's one channel in mV
        "real: CED Spike2 demo data, .smr version 3 (SOURCES.md)",
        {"series": "ElectricalSeries", "groups": {"ElectrodeGroup"}, "device": "DeviceEcephys"},
    ),
}


class ScaledInFloat64:
    """The reader's recording, its traces in uV computed in float64 rather than spikeinterface's float32.

    sampledata.rhd stores uint16 with a -6389.76 uV offset: in float32 the sum near 0 uV keeps only ~1e-3 uV,
    which the helper's rtol cannot tell from a wrong value. The raw values still come from the reader.
    """

    def __init__(self, recording):
        self.recording = recording

    def __getattr__(self, name):
        return getattr(self.recording, name)

    def get_traces(self, *, return_in_uV: bool = False, **where):
        traces = self.recording.get_traces(**where)
        if not return_in_uV:
            return traces
        return traces.astype(float) * self.recording.get_channel_gains() + self.recording.get_channel_offsets()


def read(case: Case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return case.read()


@pytest.mark.parametrize("case", sorted(RECORDINGS))
def test_recording_values(services, tmp_path, case):
    row = RECORDINGS[case]
    recording = read(row)
    path = convert(services, {"rec": (row.interface, row.source)}, tmp_path / f"{case}.nwb")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        series = nwbfile.acquisition[row.expect["series"]]
        assert_series_equals_recording(series, ScaledInFloat64(recording))
        electrodes = series.electrodes.table
        assert list(electrodes["channel_name"][:]) == [str(n) for n in recording.get_property("channel_name")]
        if recording.get_property("group_names") is not None:  # Intan: the groups are the headstage ports
            assert list(electrodes["group_name"][:]) == [str(g) for g in recording.get_property("group_names")]
        assert set(electrodes["group_name"][:]) == row.expect["groups"]
        assert set(nwbfile.devices) == {row.expect["device"]}
        assert series.starting_time == pytest.approx(recording.get_start_time(segment_index=0))
        if "session_id" in row.expect:
            assert nwbfile.session_id == row.expect["session_id"]
    assert_valid_nwb(path)


@pytest.mark.parametrize("case", sorted(RECORDINGS))
def test_session_start_time_from_the_file(services, case):
    row = RECORDINGS[case]
    with Converter({"rec": (row.interface, row.source)}, services) as converter:
        nwbfile = converter.get_metadata()["NWBFile"]
    assert nwbfile.get("session_start_time") == row.expect.get("session_start_time")


@pytest.mark.parametrize("case", sorted(RECORDINGS))
def test_stub_writes_a_prefix(services, tmp_path, case):
    row = RECORDINGS[case]
    recording = read(row)
    path = convert(services, {"rec": (row.interface, row.source)}, tmp_path / f"{case}.nwb", stub_test=True)
    with NWBHDF5IO(path, "r") as io:
        data = io.read().acquisition[row.expect["series"]].data
        expected = recording.get_traces(segment_index=0, end_frame=data.shape[0])
        assert 0 < data.shape[0] <= recording.get_num_samples(segment_index=0)
        np.testing.assert_array_equal(data[:], expected)
    assert_valid_nwb(path)


def truncated_rhd(tmp_path: Path) -> tuple[dict[str, str], Path]:
    good = INTAN / "sampledata.rhd"
    bad = tmp_path / good.name
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return {"file_path": str(bad)}, bad


def truncated_ncs(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """One .ncs of the folder cut inside a record."""
    folder = Path(shutil.copytree(NEURALYNX, tmp_path / "neuralynx"))
    bad = folder / "LAHC2.ncs"
    os.truncate(bad, bad.stat().st_size // 2 + 100)
    return {"folder_path": str(folder)}, folder


def truncated_dat(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """continuous.dat cut inside a sample (the copy keeps the Record Node name, which names the streams)."""
    folder = Path(shutil.copytree(OPENEPHYS_BINARY, tmp_path / OPENEPHYS_BINARY.name))
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    bad = folder / "experiment1" / "recording2" / "continuous" / "Acquisition_Board-100.Rhythm Data" / "continuous.dat"
    os.truncate(bad, 1_000_001)
    return {"folder_path": str(folder), "stream_name": OPENEPHYS_BINARY_STREAM}, folder


def truncated_tev(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The .tev cut short of the stream data its .tsq indexes."""
    tank = Path(shutil.copytree(TDT, tmp_path / TDT.name))
    (bad,) = tank.rglob("*.tev")
    tank.chmod(0o755)
    for path in tank.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.truncate(bad, 1_000_000)
    return {"folder_path": str(tank), "gain": TDT_GAIN}, bad


def truncated_smr(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bad = tmp_path / SPIKE2.name
    bad.write_bytes(SPIKE2.read_bytes()[: SPIKE2.stat().st_size // 2])
    return {"file_path": str(bad)}, bad


TRUNCATED = {
    "intan_rhd": ("IntanRecordingInterface", truncated_rhd),
    "neuralynx": ("NeuralynxRecordingInterface", truncated_ncs),
    "openephys_binary": ("OpenEphysBinaryRecordingInterface", truncated_dat),
    "tdt": ("TdtRecordingInterface", truncated_tev),
    "spike2_smr": ("Spike2RecordingInterface", truncated_smr),
}


@pytest.mark.parametrize("case", sorted(TRUNCATED))
def test_truncated_file_names_it(services, tmp_path, case):
    interface, make = TRUNCATED[case]
    source, named = make(tmp_path)
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=rf"{re.escape(str(named))}: (cannot be read|truncated)"):
        convert(services, {"rec": (interface, source)}, out)
    assert not out.exists()


def test_openephys_binary_needs_a_stream_name_when_it_has_several(services, tmp_path):
    out = tmp_path / "out.nwb"
    source = {"folder_path": str(OPENEPHYS_BINARY)}
    with pytest.raises(Exception, match=r"Record Node 106: several streams, pass stream_name .*Rhythm Data_ADC"):
        convert(services, {"rec": ("OpenEphysBinaryRecordingInterface", source)}, out)
    assert not out.exists()


def test_spike2_keeps_the_channels_in_mv():
    from nwbstream.ecephys.spike2 import Spike2RecordingInterface

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recording = Spike2RecordingInterface(file_path=SPIKE2).recording
    assert list(recording.get_property("channel_name")) == ["ECG"]  # not EEG (Volt) nor AP WAVE (mmHG)
    assert recording.get_sampling_frequency() == 200.0
