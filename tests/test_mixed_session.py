"""One NeuroConv spec mixing modalities: a Neuropixels recording (ecephys), DeepLabCut pose and its video
(behavior) and a trials table (general) become one NWB file, converted in embedded mode from the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import spikeinterface.extractors as se
from pynwb import NWBHDF5IO

from .conftest import SUBJECT, TESTDATA
from .nwbcheck import assert_valid_nwb
from .test_cli import AP_SERIES, run, write_spec

DLC = TESTDATA / "behavior" / "deeplabcut"
DLC_H5 = DLC / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
VIDEO = TESTDATA / "behavior" / "video" / "m3v1mp4.mp4"
TRIALS = TESTDATA / "general" / "csv" / "trials.csv"


def test_ecephys_pose_video_and_trials_in_one_file(tmp_path, spikeglx_folder):
    spec = write_spec(
        tmp_path / "spec.yml",
        {
            "session1": {
                "source_data": {
                    "ap": {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"},
                    "pose": {
                        "file_path": str(DLC_H5),
                        "config_file_path": str(DLC / "config.yaml"),
                        "sampling_frequency": 30.0,
                    },
                    "video": {"file_paths": [str(VIDEO)]},
                    "trials": {"file_path": str(TRIALS)},
                },
                "metadata": {
                    "NWBFile": {"session_start_time": "2020-01-01T12:00:00+00:00", "session_description": "mixed"},
                    "Subject": SUBJECT,
                },
            }
        },
        {
            "ap": "SpikeGLXRecordingInterface",
            "pose": "DeepLabCutInterface",
            "video": "ExternalVideoInterface",
            "trials": "CsvTimeIntervalsInterface",
        },
    )
    result = run("convert", str(spec), "--output-folder", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / "session1.nwb"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["session1.nwb"]

    recording = se.read_spikeglx(spikeglx_folder, stream_id="imec0.ap")
    table = pd.read_hdf(DLC_H5)
    scorer = table.columns.get_level_values("scorer")[0]
    trials = pd.read_csv(TRIALS)
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwbfile = io.read()
        series = nwbfile.acquisition[AP_SERIES]
        np.testing.assert_array_equal(series.data[:1000], recording.get_traces(end_frame=1000))
        pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"]
        for part in table.columns.get_level_values("bodyparts").unique():
            keypoint = pose.pose_estimation_series[f"PoseEstimationSeries{part.capitalize()}"]
            np.testing.assert_array_equal(keypoint.data[:], table[scorer][part][["x", "y"]].to_numpy())
            np.testing.assert_array_equal(keypoint.confidence[:], table[scorer][part]["likelihood"].to_numpy())
        video = nwbfile.acquisition["Video m3v1mp4"]
        assert list(video.external_file[:]) == [str(VIDEO)]
        written = nwbfile.trials.to_dataframe()
        for column in trials.columns:
            np.testing.assert_array_equal(written[column].to_numpy(), trials[column].to_numpy())
    assert_valid_nwb(path)
