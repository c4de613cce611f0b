"""The spec's alignment block end to end: pulses fitted (resolve), the video's frame times mapped (apply), and the
map recorded (record) — the three parts of issue 9 together."""

from __future__ import annotations

import numpy as np
from pynwb import NWBHDF5IO
from spikeinterface.extractors.extractor_classes import SpikeGLXRecordingExtractor

from .ecephys_cases import spikeglx_aux
from .nwbcheck import assert_valid_nwb
from .test_alignment_apply import series_times
from .test_alignment_record import DRIFT, OFFSET, VIDEO_PULSES, _spec
from .test_alignment_session import convert_aligned_session
from .test_cli import AP_SERIES, run


def test_the_video_lands_on_the_pose_clock(tmp_path):
    spec = _spec(tmp_path, VIDEO_PULSES)
    result = run("convert", str(spec), "--output-folder", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 0, result.stderr
    with NWBHDF5IO(tmp_path / "out" / "session1.nwb", "r", load_namespaces=True) as io:
        nwbfile = io.read()
        video = nwbfile.acquisition["Video m3v1mp4"]
        pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"]
        keypoint = next(iter(pose.pose_estimation_series.values()))
        own = np.arange(2330) / 30.000300003000032
        np.testing.assert_allclose(video.timestamps[:], OFFSET + (1 + DRIFT) * own, rtol=0, atol=1e-9)
        assert keypoint.rate == 30.0 and keypoint.starting_time in (None, 0.0)  # the reference keeps its clock
        assert list(nwbfile.processing["misc"]["ClockAlignment"]["method"][:]) == ["reference", "linear"]


def test_pose_and_video_land_on_the_probe_clock(tmp_path):
    """The issue's real-file session: a SpikeGLX probe (generated .bin with a sync word: SY0 bit 6 rises 0.5, 1.5
    and 2.5 s after the probe's first sample, which its .meta puts 12.44 s into the run), a DeepLabCut pose whose
    LED pulses were seen 0.3 s earlier on a clock 20 ppm slow, and its video shifted by 0.4 s. The probe keeps its
    clock; the pose's frames get the fitted map's times; the video is shifted."""
    spikeglx_aux.make()
    start = SpikeGLXRecordingExtractor(folder_path=spikeglx_aux.FOLDER, stream_id="imec0.ap").get_times()[0]
    probe_pulses = start + np.array([0.5, 1.5, 2.5])
    pose_offset, pose_drift = 0.3, 20e-6
    np.save(tmp_path / "pose_pulses.npy", (probe_pulses - pose_offset) / (1 + pose_drift))
    alignment = {
        "reference": "ap",
        "pose": {
            "pulses": {"times": {"file_path": "pose_pulses.npy"}, "reference_times": {"channel": "SY0", "bit": 6}}
        },
        "video": {"shift": 0.4},
    }
    path = convert_aligned_session(tmp_path, spikeglx_aux.FOLDER, alignment)
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwbfile = io.read()
        probe = nwbfile.acquisition[AP_SERIES]
        assert probe.timestamps is None and probe.starting_time == start  # the reference keeps its clock
        pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"]
        own = np.arange(2330) / 30.0
        for keypoint in pose.pose_estimation_series.values():
            np.testing.assert_allclose(series_times(keypoint), pose_offset + (1 + pose_drift) * own, rtol=0, atol=1e-9)
        video = nwbfile.acquisition["Video m3v1mp4"]
        assert video.starting_time == 0.4 and video.rate == 30.000300003000032
        methods = list(nwbfile.processing["misc"]["ClockAlignment"]["method"][:])
        assert methods == ["reference", "linear", "shift"]
    assert_valid_nwb(path)
