"""The applied alignment in the file and in `nwbstream metadata`: a DeepLabCut pose and its video (real files), the
video put on the pose's clock by sync pulses given as files; the table processing/misc/ClockAlignment says how,
and the file still passes pynwb.validate and nwbinspector. A bad alignment stops the run before anything is written.
"""

from __future__ import annotations

import json

import numpy as np
from pynwb import NWBHDF5IO

from .conftest import SUBJECT, TESTDATA
from .nwbcheck import assert_valid_nwb
from .test_cli import run, write_spec

DLC = TESTDATA / "behavior" / "deeplabcut"
VIDEO = TESTDATA / "behavior" / "video" / "m3v1mp4.mp4"
OFFSET, DRIFT = 1.5, 20e-6
RNG = np.random.default_rng(3)
POSE_PULSES = np.cumsum(RNG.uniform(0.5, 1.5, 60))  # an LED seen in the pose's frames, on the pose's clock
VIDEO_PULSES = np.delete((POSE_PULSES - OFFSET) / (1 + DRIFT), 30)  # the same pulses on the video's clock, one lost


def _spec(tmp_path, video_pulses):
    np.save(tmp_path / "video_pulses.npy", video_pulses)
    (tmp_path / "pose_pulses.txt").write_text("\n".join(map(str, POSE_PULSES)))
    return write_spec(
        tmp_path / "spec.yml",
        {
            "session1": {
                "source_data": {
                    "pose": {
                        "file_path": str(DLC / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"),
                        "config_file_path": str(DLC / "config.yaml"),
                        "sampling_frequency": 30.0,
                    },
                    "video": {"file_paths": [str(VIDEO)]},
                },
                "alignment": {
                    "video": {
                        "pulses": {
                            "times": {"file_path": "video_pulses.npy"},  # joined with the spec's folder
                            "reference_times": {"file_path": "pose_pulses.txt"},
                        }
                    }
                },
                "metadata": {
                    "NWBFile": {"session_start_time": "2020-01-01T12:00:00+00:00", "session_description": "aligned"},
                    "Subject": SUBJECT,
                },
            }
        },
        {"pose": "DeepLabCutInterface", "video": "ExternalVideoInterface"},
    )


def test_the_file_records_the_alignment_and_metadata_shows_it(tmp_path):
    spec = _spec(tmp_path, VIDEO_PULSES)
    shown = run("metadata", str(spec), timeout=600)
    assert shown.returncode == 0, shown.stderr
    assert "# alignment: the session clock is pose's\n#   pose (DeepLabCutInterface): reference\n" in shown.stdout
    assert "#   video (ExternalVideoInterface): linear (offset +1.500000 s, drift +20.000 ppm, 59 matched" in (
        shown.stdout
    )

    result = run("convert", str(spec), "--output-folder", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / "session1.nwb"
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        table = io.read().processing["misc"]["ClockAlignment"]
        rows = [{name: table[name][i] for name in table.colnames} for i in range(len(table))]
    assert [(r["interface"], r["interface_name"], r["reference"], r["method"]) for r in rows] == [
        ("pose", "DeepLabCutInterface", "pose", "reference"),
        ("video", "ExternalVideoInterface", "pose", "linear"),
    ]
    assert json.loads(rows[0]["parameters"]) == {}
    video = json.loads(rows[1]["parameters"])
    assert abs(video["offset"] - OFFSET) < 1e-9 and abs(video["drift"] - DRIFT) < 1e-12
    assert video["matched_pulses"] == 59 and video["residual_max"] < 1e-9
    assert video["times"] == {"file_path": str(tmp_path / "video_pulses.npy")}
    assert video["reference_times"] == {"file_path": str(tmp_path / "pose_pulses.txt")}
    assert_valid_nwb(path)


def test_a_bad_alignment_stops_the_run_before_anything_is_written(tmp_path):
    spec = _spec(tmp_path, np.cumsum(np.random.default_rng(5).uniform(0.5, 1.5, 60)))  # not the same pulses
    result = run("convert", str(spec), "--output-folder", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 1
    assert "session exp/0 (session1.nwb): alignment/video: no offset lines up most of 8 consecutive pulses" in (
        result.stderr
    )
    assert not (tmp_path / "out").exists()
