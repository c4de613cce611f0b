"""The applied alignment in the file and in `nwbstream metadata`: a DeepLabCut pose and its video (real files), the
video put on the pose's clock by sync pulses given as files; the table processing/misc/ClockAlignment says how,
and the file still passes pynwb.validate and nwbinspector. A bad alignment stops the run before anything is written.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from nwbstream.coordinator.alignment.maps import Piecewise, Shift, Timestamps
from nwbstream.coordinator.alignment.record import add_alignment_table, applied_alignment
from pynwb import NWBHDF5IO, NWBFile
from pynwb.file import Subject

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
        columns = {name: table[name][:] for name in table.colnames}
    assert list(columns) == [
        "interface",
        "interface_name",
        "reference",
        "method",
        "offset",
        "drift",
        "matched_pulses",
        "residual_rms",
        "residual_max",
        "times_from",
        "reference_times_from",
        "tolerance",
    ]
    assert list(columns["interface"]) == ["pose", "video"]
    assert list(columns["interface_name"]) == ["DeepLabCutInterface", "ExternalVideoInterface"]
    assert list(columns["reference"]) == ["pose", "pose"]
    assert list(columns["method"]) == ["reference", "linear"]
    assert np.isnan(columns["offset"][0]) and abs(columns["offset"][1] - OFFSET) < 1e-9
    assert abs(columns["drift"][1] - DRIFT) < 1e-12
    assert list(columns["matched_pulses"]) == [0, 59]
    assert columns["residual_max"][1] < 1e-9
    assert list(columns["times_from"]) == ["", f"file={tmp_path / 'video_pulses.npy'}"]
    assert list(columns["reference_times_from"]) == ["", f"file={tmp_path / 'pose_pulses.txt'}"]
    assert list(columns["tolerance"][1:]) == [0.01]
    assert_valid_nwb(path)


def test_a_bad_alignment_stops_the_run_before_anything_is_written(tmp_path):
    spec = _spec(tmp_path, np.cumsum(np.random.default_rng(5).uniform(0.5, 1.5, 60)))  # not the same pulses
    result = run("convert", str(spec), "--output-folder", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 1
    assert "session exp/0 (session1.nwb): alignment/video: no offset lines up most of 8 consecutive pulses" in (
        result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_every_method_in_one_table(tmp_path):
    """Piecewise segments as ragged columns, a shift, timestamps and an interface left alone, read back as written."""
    block = {
        "reference": "ap",
        "nidq": {
            "pulses": {"times": {"channel": "XD0"}, "reference_times": {"channel": "SY0", "bit": 6}},
            "fit": "piecewise",
        },
        "pose": {"shift": -0.25},
        "video": {"timestamps": {"file_path": "/data/frame_times.npy"}},
    }
    maps = {
        "nidq": Piecewise(own=(1.0, 2.0, 4.0), reference=(2.5, 3.5, 5.5), residuals=(0.001,)),
        "pose": Shift(-0.25),
        "video": Timestamps(times=(0.0, 0.1), source="/data/frame_times.npy"),
    }
    names = {"ap": "A", "nidq": "N", "pose": "P", "video": "V", "trials": "T"}
    nwbfile = NWBFile(
        session_description="aligned",
        identifier="id",
        session_start_time=datetime(2020, 1, 1, tzinfo=UTC),
        subject=Subject(**SUBJECT, description="a mouse"),
    )
    add_alignment_table(nwbfile, applied_alignment(block, maps, names))
    path = tmp_path / "aligned.nwb"
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    with NWBHDF5IO(path, "r") as io:
        table = io.read().processing["misc"]["ClockAlignment"]
        assert list(table["method"][:]) == ["reference", "piecewise", "shift", "timestamps", "own_clock"]
        assert [list(v) for v in table["segment_own_times"][:]] == [[], [1.0, 2.0, 4.0], [], [], []]
        assert [list(v) for v in table["segment_reference_times"][:]] == [[], [2.5, 3.5, 5.5], [], [], []]
        np.testing.assert_array_equal(table["offset"][:], [np.nan, np.nan, -0.25, np.nan, np.nan])
        assert list(table["matched_pulses"][:]) == [0, 3, 0, 0, 0]
        assert list(table["times_from"][:]) == ["", "channel=XD0 edge=rising", "", "file=/data/frame_times.npy", ""]
        assert "drift" not in table.colnames  # no row has one
    assert_valid_nwb(path)
