"""Every ecephys interface on real files: the NWB file read back equals what spikeinterface returns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import spikeinterface.extractors as se
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import ECEPHYS, SUBJECT, convert
from .nwbcheck import assert_valid_nwb


def blackrock_case(name: str) -> Case:
    path = ECEPHYS / "blackrock" / name
    return Case(
        "BlackrockRecordingInterface",
        {"file_path": str(path)},
        lambda: se.read_blackrock(path),
        "real: Blackrock NSx files (SOURCES.md)",
        {"series": "ElectricalSeries"},
    )


OPENEPHYS_LEGACY = ECEPHYS / "openephys_legacy" / "Record Node 101"
RECORDINGS = {
    "openephys_legacy": Case(
        "OpenEphysLegacyRecordingInterface",
        {"folder_path": str(OPENEPHYS_LEGACY)},
        lambda: se.read_openephys(OPENEPHYS_LEGACY),
        "real: Open Ephys GUI legacy .continuous recording (SOURCES.md)",
        {"series": "ElectricalSeries"},
    ),
    "blackrock_ns3": blackrock_case("test_NEURALCD_raw.ns3"),
    "blackrock_ns3_anonymized": blackrock_case("Test_anonymized.ns3"),
    "blackrock_ns2": blackrock_case("example_2.ns2"),
}


def assert_series_equals_recording(series, recording) -> None:
    expected = recording.get_traces(segment_index=0)
    assert series.data.shape == expected.shape
    assert series.data.dtype == expected.dtype
    np.testing.assert_array_equal(series.data[:], expected)
    assert series.rate == pytest.approx(recording.get_sampling_frequency())
    gains = recording.get_channel_gains()
    offsets = recording.get_channel_offsets()
    volts = series.data[:200].astype(float) * series.conversion
    if series.channel_conversion is not None:
        volts = volts * series.channel_conversion[:]
    volts += series.offset
    np.testing.assert_allclose(volts, (expected[:200] * gains + offsets) * 1e-6, rtol=1e-6)
    np.testing.assert_allclose(
        recording.get_traces(segment_index=0, end_frame=200, return_in_uV=True) * 1e-6, volts, rtol=1e-5
    )


@pytest.mark.parametrize("case", sorted(RECORDINGS))
def test_recording_values(services, tmp_path, case):
    row = RECORDINGS[case]
    interface, source, read, series_name = row.interface, row.source, row.read, row.expect["series"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recording = read()
    path = convert(services, {"rec": (interface, source)}, tmp_path / f"{case}.nwb")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        series = nwbfile.acquisition[series_name]
        assert_series_equals_recording(series, recording)
        names = list(series.electrodes.table["channel_name"][:])
        expected = [str(n).split("\x00")[0].strip() for n in recording.get_property("channel_name")]
        assert names == expected
    # test_NEURALCD_raw.ns3 holds 100 samples of 128 channels: nwbinspector's orientation heuristic (time
    # should be the longest axis) cannot pass on it, whatever the writer does.
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}) if case == "blackrock_ns3" else frozenset())


SPIKEGLX = Case(
    "SpikeGLXRecordingInterface",
    {"stream_id": "imec0.ap and imec0.lf"},
    lambda: se.read_spikeglx,  # the reader itself: the folder is made per test run
    "real SpikeGLX .meta files (IBL fixtures, SOURCES.md) with a generated .bin of matching size",
)


def test_spikeglx_ap_lf_and_probe_geometry(services, spikeglx_folder, tmp_path):
    interfaces = {
        "ap": (SPIKEGLX.interface, {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
        "lf": (SPIKEGLX.interface, {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}),
    }
    with Converter(interfaces, services) as converter:
        metadata = converter.get_metadata()
        # The AP and LF .meta files come from two recordings; the later interface (LF) wins the merge.
        assert metadata["NWBFile"]["session_start_time"] == "2019-08-15T17:37:20"
        metadata["NWBFile"]["session_description"] = "SpikeGLX AP + LF"
        metadata["Subject"] = SUBJECT
        path = converter.run_conversion(nwbfile_path=tmp_path / "sglx.nwb", metadata=metadata, progress=False)
    read_spikeglx = SPIKEGLX.read()
    ap = read_spikeglx(spikeglx_folder, stream_id="imec0.ap")
    lf = read_spikeglx(spikeglx_folder, stream_id="imec0.lf")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        ap_series = nwbfile.acquisition["ElectricalSeriesAPImec0"]
        lf_series = nwbfile.acquisition["ElectricalSeriesLFImec0"]  # NeuroConv 0.10's default place
        assert_series_equals_recording(ap_series, ap)
        assert_series_equals_recording(lf_series, lf)
        assert ap_series.data.shape[1] == 384  # the SY0 sync channel is not part of the series
        electrodes = nwbfile.electrodes.to_dataframe()
        assert len(electrodes) == 384  # AP and LF share their electrodes rows
        np.testing.assert_array_equal(electrodes[["rel_x", "rel_y"]].to_numpy(), ap.get_channel_locations())
        assert list(electrodes["channel_name"][:2]) == ["AP0,LF0", "AP1,LF1"]
        assert list(electrodes["electrode_name"]) == list(ap.get_probe().contact_ids)
        assert set(electrodes["group_name"]) == {"NeuropixelsImec0"}
        device = nwbfile.devices["NeuropixelsImec0"]
        probe = ap.get_probe()
        assert (device.model.manufacturer, device.model.model_number) == (probe.manufacturer, probe.model_name)
        assert device.model.name == "PRB_1_4_0480_1_C" and device.serial_number == probe.serial_number
        assert ap_series.starting_time == pytest.approx(ap.get_start_time())
        assert nwbfile.session_start_time.year == 2019
    assert_valid_nwb(path)


PHY_FIXTURE = "real: phy template folder (SOURCES.md)"
SORTINGS = {
    "phy": Case(
        "PhySortingInterface",
        {"folder_path": str(ECEPHYS / "phy" / "template")},
        lambda: se.read_phy(ECEPHYS / "phy" / "template"),
        PHY_FIXTURE,
    ),
    "kilosort": Case(
        "KiloSortSortingInterface",
        {"folder_path": str(ECEPHYS / "phy" / "template")},
        lambda: se.read_kilosort(ECEPHYS / "phy" / "template"),
        PHY_FIXTURE,
    ),
    "blackrock": Case(
        "BlackrockSortingInterface",
        {"file_path": str(ECEPHYS / "blackrock" / "example_1.nev"), "sampling_frequency": 30000.0},
        lambda: se.read_blackrock_sorting(ECEPHYS / "blackrock" / "example_1.nev", sampling_frequency=30000.0),
        "real: Blackrock .nev (SOURCES.md)",
    ),
}


@pytest.mark.parametrize("case", sorted(SORTINGS))
def test_sorting_values(services, tmp_path, case):
    interface, source, read = SORTINGS[case].interface, SORTINGS[case].source, SORTINGS[case].read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sorting = read()
    path = convert(services, {"sorting": (interface, source)}, tmp_path / f"{case}.nwb")
    with NWBHDF5IO(path, "r") as io:
        units = io.read().units
        assert list(units["unit_name"][:]) == [str(u) for u in sorting.get_unit_ids()]
        fs = sorting.get_sampling_frequency()
        for row, unit_id in enumerate(sorting.get_unit_ids()):
            expected = np.sort(sorting.get_unit_spike_train(unit_id=unit_id, segment_index=0) / fs)
            np.testing.assert_array_equal(units["spike_times"][row], expected)
        for name in ("quality", "original_cluster_id"):
            if name in sorting.get_property_keys():
                assert list(units[name][:]) == list(sorting.get_property(name))
    assert_valid_nwb(path)


def test_recording_and_sorting_in_one_file(services, spikeglx_folder, tmp_path):
    interfaces = {
        "ap": ("SpikeGLXRecordingInterface", {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
        "sorting": ("PhySortingInterface", {"folder_path": str(ECEPHYS / "phy" / "template")}),
    }
    path = convert(
        services,
        interfaces,
        tmp_path / "session.nwb",
        metadata={"NWBFile": {"session_description": "s"}, "Subject": SUBJECT},
    )
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        assert "ElectricalSeriesAPImec0" in nwbfile.acquisition
        assert len(nwbfile.units) == len(se.read_phy(ECEPHYS / "phy" / "template").get_unit_ids())
    assert_valid_nwb(path)
