"""A multi-system session aligned by its spec: a SpikeGLX probe (the reference), DeepLabCut pose put on the probe's
clock by sync pulses (files on both clocks: 1.5 s offset, 20 ppm drift, one pulse lost), and the video by a file of
frame times. Every stream in the file is on the probe's clock: the probe as spikeinterface reads it, the pose as the
fitted map of its frame times, the video as the file says."""

from __future__ import annotations

import numpy as np
import spikeinterface.extractors as se
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .conftest import START, SUBJECT, TESTDATA
from .nwbcheck import assert_valid_nwb
from .test_cli import AP_SERIES, run, write_spec
from .test_mixed_session import DLC, DLC_H5, VIDEO

OFFSET, DRIFT = 1.5, 20e-6
FRAMES = 2330


def convert_aligned_session(tmp_path, probe_folder, alignment: dict):
    """The probe (imec0.ap of `probe_folder`), the DeepLabCut pose and its video, converted with `nwbstream convert`
    from a spec carrying `alignment` (file paths in it are relative to `tmp_path`, the spec's folder)."""
    spec = write_spec(
        tmp_path / "spec.yml",
        {
            "session1": {
                "source_data": {
                    "ap": {"folder_path": str(probe_folder), "stream_id": "imec0.ap"},
                    "pose": {
                        "file_path": str(DLC_H5),
                        "config_file_path": str(DLC / "config.yaml"),
                        "sampling_frequency": 30.0,
                    },
                    "video": {"file_paths": [str(VIDEO)]},
                },
                "alignment": alignment,
                "metadata": {
                    "NWBFile": {"session_start_time": "2020-01-01T12:00:00+00:00", "session_description": "aligned"},
                    "Subject": SUBJECT,
                },
            }
        },
        {"ap": "SpikeGLXRecordingInterface", "pose": "DeepLabCutInterface", "video": "ExternalVideoInterface"},
    )
    result = run("convert", str(spec), "--output-folder", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 0, result.stderr
    return tmp_path / "out" / "session1.nwb"


def test_every_stream_lands_on_the_probe_clock(tmp_path, spikeglx_folder):
    rng = np.random.default_rng(5)
    probe_pulses = np.cumsum(rng.uniform(0.5, 1.5, 60))  # an LED's irregular pulses, on the probe's clock
    pose_pulses = np.delete((probe_pulses - OFFSET) / (1 + DRIFT), 7)  # the same pulses on the pose's clock
    np.save(tmp_path / "probe_pulses.npy", probe_pulses)
    np.save(tmp_path / "pose_pulses.npy", pose_pulses)
    frame_times = 12.0 + np.cumsum(rng.uniform(0.03, 0.037, FRAMES))
    np.save(tmp_path / "frame_times.npy", frame_times)
    alignment = {
        "reference": "ap",
        "pose": {
            "pulses": {"times": {"file_path": "pose_pulses.npy"}, "reference_times": {"file_path": "probe_pulses.npy"}}
        },
        "video": {"timestamps": {"file_path": "frame_times.npy"}},
    }
    path = convert_aligned_session(tmp_path, spikeglx_folder, alignment)
    probe_times = se.read_spikeglx(spikeglx_folder, stream_id="imec0.ap").get_times()
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwbfile = io.read()
        probe = nwbfile.acquisition[AP_SERIES]
        assert probe.timestamps is None and probe.starting_time == probe_times[0]
        expected_pose = OFFSET + (1 + DRIFT) * (np.arange(FRAMES) / 30.0)
        for keypoint in nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"].pose_estimation_series.values():
            np.testing.assert_allclose(keypoint.timestamps[:], expected_pose, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(nwbfile.acquisition["Video m3v1mp4"].timestamps[:], frame_times)
        methods = nwbfile.processing["misc"]["ClockAlignment"]["method"][:]
        assert list(methods) == ["reference", "linear", "timestamps"]
    assert_valid_nwb(path)


def test_a_sorting_follows_its_recordings_map(services, tmp_path, spikeglx_folder):
    """The pose is the reference; the probe is shifted by 2 s; the Phy sorting, not named in the block, takes the
    probe's map: its spike times move by the same 2 s, and the file says whose map it followed."""
    phy = TESTDATA / "ecephys" / "phy" / "template"
    interfaces = {
        "pose": (
            "DeepLabCutInterface",
            {"file_path": str(DLC_H5), "config_file_path": str(DLC / "config.yaml"), "sampling_frequency": 30.0},
        ),
        "ap": ("SpikeGLXRecordingInterface", {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
        "sorting": ("PhySortingInterface", {"folder_path": str(phy)}),
    }
    alignment = {"reference": "pose", "ap": {"shift": 2.0}}
    metadata = {**START, "NWBFile": {**START["NWBFile"]}}
    with Converter(interfaces, services, alignment=alignment) as converter:
        path = converter.run_conversion(nwbfile_path=tmp_path / "s.nwb", metadata=metadata, progress=False)
    sorting = se.read_phy(phy)
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwbfile = io.read()
        for row, unit_id in enumerate(sorting.get_unit_ids()):
            own = np.sort(sorting.get_unit_spike_train(unit_id=unit_id, return_times=True))
            np.testing.assert_allclose(nwbfile.units["spike_times"][row], own + 2.0, rtol=0, atol=1e-9)
        table = nwbfile.processing["misc"]["ClockAlignment"]
        assert list(table["method"][:]) == ["reference", "shift", "shift"]
        assert list(table["follows"][:]) == ["", "", "ap"]
    assert_valid_nwb(path)
