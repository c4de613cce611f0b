"""Behavior detection beyond one source per folder: a Miniscope camera's movies go to the Miniscope interface, not to
a generic video; a mixed folder gives one source per thing in it; the Med-PC interfaces compete for a file, the
session to read filled in only when the file holds one; a DeepLabCut .h5 and .csv of one video compete; an events
CSV's columns (and unit) come from its header."""

from __future__ import annotations

import os
import re

from .conftest import TESTDATA
from .detecting import detected
from .fixtures.behavior import miniscope, operant, pose, tracking

MEDPC = TESTDATA / "behavior" / "medpc" / "data"
SLEAP = TESTDATA / "behavior" / "sleap" / "demo-flies13-preds.slp"
VIDEO = TESTDATA / "behavior" / "video" / "vid.avi"


def test_a_miniscope_camera_wins_its_movies_and_a_mixed_folder_keeps_every_source(services, tmp_path):
    main = miniscope.write_session(tmp_path / "session")
    for real in (SLEAP, VIDEO):
        os.symlink(real, main / real.name)

    contents = detected(main, services)

    kept = [(s.interface, s.source_data) for s in contents.sources]
    assert kept == [
        ("MiniscopeBehaviorInterface", {"folder_path": "."}),
        ("SLEAPInterface", {"file_path": "demo-flies13-preds.slp"}),
        ("ExternalVideoInterface", {"file_paths": ["vid.avi"]}),
    ]
    camera = contents.sources[0]
    movies = sorted(f for f in camera.files if f.endswith(".avi"))
    assert len(movies) == 2 * miniscope.FILES  # two recordings, their movies all claimed by the camera
    videos = [a for a in camera.alternatives if a.interface == "ExternalVideoInterface"]
    linked = sorted(a.source_data["file_paths"][0] for a in videos)
    assert linked == movies  # every movie was also claimed as a plain video, and lost
    assert contents.sources[1].todo.keys() == {"track_name", "frames_per_second"}
    assert "'track_0', 'track_1'" in contents.sources[1].todo["track_name"]


def test_medpc_array_events_are_preferred_and_a_single_session_is_filled_in(services, tmp_path):
    text = MEDPC.read_text()
    second = [m.start() for m in re.finditer(r"^Start Date:", text, flags=re.MULTILINE)][1]
    (tmp_path / "one_session").write_text(text[:second])
    os.symlink(MEDPC, tmp_path / "several_sessions")

    contents = detected(tmp_path, services)

    one, several = contents.sources
    assert (one.interface, one.source_data) == (
        "MedPCArrayEventsInterface",
        {"file_path": "one_session", "session_header": {"Start Date": "01/23/20", "Subject": "56"}},
    )
    assert one.todo.keys() == {"event_configuration"}
    assert [(a.interface, a.source_data) for a in one.alternatives] == [
        (
            "MedPCInterface",
            {
                "file_path": "one_session",
                "start_variable": "Start Date",
                "session_conditions": {"Start Date": "01/23/20", "Subject": "56"},
            },
        ),
        (
            "MedPCPackedEventsInterface",
            {"file_path": "one_session", "session_header": {"Start Date": "01/23/20", "Subject": "56"}},
        ),
    ]
    assert (several.interface, several.source_data) == ("MedPCArrayEventsInterface", {"file_path": "several_sessions"})
    assert "{'Start Date': '01/23/20', 'Subject': '58'}" in several.todo["session_header"]


def test_an_operant_and_pose_folder_gives_each_source_its_arguments(services, tmp_path):
    operant.write_events_csv(tmp_path)
    operant.write_packed_medpc(tmp_path)
    operant.write_array_medpc(tmp_path)
    tracking.write_fictrac_dat(tmp_path / "fictrac-20240101_120000.dat")
    pose.write_deeplabcut_csv(tmp_path)
    os.symlink(pose.DLC_H5, tmp_path / pose.DLC_H5.name)

    contents = detected(tmp_path, services)

    assert [(s.interface, s.source_data) for s in contents.sources] == [
        (
            "MedPCArrayEventsInterface",
            {"file_path": "array.txt", "session_header": {"Start Date": "03/14/21", "Subject": "A1"}},
        ),
        ("FicTracDataInterface", {"file_path": "fictrac-20240101_120000.dat"}),
        ("DeepLabCutInterface", {"file_path": pose.DLC_H5.with_suffix(".csv").name}),
        (
            "CSVEventsInterface",
            {
                "file_path": "operant_events.csv",
                "timestamps_column": "onset_ms",
                "event_type_column": "event",
                "time_unit": "milliseconds",
            },
        ),
        ("MedPCArrayEventsInterface", {"file_path": "packed.txt"}),
    ]
    deeplabcut = contents.sources[2]
    assert [(a.interface, a.source_data) for a in deeplabcut.alternatives] == [
        ("DeepLabCutInterface", {"file_path": pose.DLC_H5.name})
    ]
    packed = contents.sources[-1]
    assert "{'Start Date': '03/14/21', 'Subject': 'P2'}" in packed.todo["session_header"]
    assert [a.interface for a in packed.alternatives] == ["MedPCInterface", "MedPCPackedEventsInterface"]
