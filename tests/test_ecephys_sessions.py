"""Sessions of several ecephys interfaces in one file: what they share (electrodes, devices, metadata) is written
once. Each interface alone is tests/test_ecephys_suite.py's."""

from __future__ import annotations

import spikeinterface.extractors as se
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .conftest import ECEPHYS, SUBJECT, convert
from .nwbcheck import assert_valid_nwb


def test_ap_and_lf_of_one_probe_share_their_electrodes(services, spikeglx_folder, tmp_path):
    interfaces = {
        "ap": ("SpikeGLXRecordingInterface", {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
        "lf": ("SpikeGLXRecordingInterface", {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}),
    }
    with Converter(interfaces, services) as converter:
        metadata = converter.get_metadata()
        # The AP and LF .meta files come from two recordings; the later interface (LF) wins the merge.
        assert metadata["NWBFile"]["session_start_time"] == "2019-08-15T17:37:20"
        metadata["NWBFile"]["session_description"] = "SpikeGLX AP + LF"
        metadata["Subject"] = SUBJECT
        path = converter.run_conversion(nwbfile_path=tmp_path / "sglx.nwb", metadata=metadata, progress=False)
    ap = se.read_spikeglx(spikeglx_folder, stream_id="imec0.ap")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        ap_series = nwbfile.acquisition["ElectricalSeriesAPImec0"]
        lf_series = nwbfile.acquisition["ElectricalSeriesLFImec0"]  # NeuroConv 0.10's default place
        electrodes = nwbfile.electrodes.to_dataframe()
        assert len(electrodes) == 384  # AP and LF share their electrodes rows
        assert list(ap_series.electrodes.data[:]) == list(lf_series.electrodes.data[:]) == list(range(384))
        assert list(electrodes["channel_name"][:2]) == ["AP0,LF0", "AP1,LF1"]
        assert list(electrodes["electrode_name"]) == list(ap.get_probe().contact_ids)
        assert set(nwbfile.devices) == {"NeuropixelsImec0"}
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
