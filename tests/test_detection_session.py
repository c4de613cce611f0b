"""A session folder from detection to NWB: `nwbstream detect`, `convert FOLDER`, a drafted spec filled and converted
(equal to a hand-written spec's output), what an empty, unknown or unreadable folder reports, and the conversion
service's Detect."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from nwbstream.coordinator.detection import detect_folder
from nwbstream.coordinator.draft_spec import draft_session
from nwbstream.coordinator.errors import ConversionError
from pynwb import NWBHDF5IO

from .conftest import START, SUBJECT, TESTDATA
from .conversion_server import CLI

# The SpikeGLX fixture's streams as detection drafts them: key -> (interface, stream_id).
STREAMS = {
    "imec0_ap": ("SpikeGLXRecordingInterface", "imec0.ap"),
    "imec0_ap_sync": ("SpikeGLXSyncChannelInterface", "imec0.ap-SYNC"),
    "imec0_lf": ("SpikeGLXRecordingInterface", "imec0.lf"),
}


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=600)


def _read(path: Path) -> dict:
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        return {
            "start": nwbfile.session_start_time,
            "subject": {k: getattr(nwbfile.subject, k) for k in SUBJECT},
            "series": {name: series.data[:] for name, series in sorted(nwbfile.acquisition.items())},
            "rates": {name: series.rate for name, series in sorted(nwbfile.acquisition.items())},
            "electrodes": nwbfile.electrodes.to_dataframe().drop(columns="group").to_dict("list"),
        }


def _same(a: dict, b: dict) -> None:
    assert a["start"] == b["start"] and a["subject"] == b["subject"] and a["rates"] == b["rates"]
    assert a["series"].keys() == b["series"].keys() and len(a["series"]) == len(STREAMS)
    for name in a["series"]:
        np.testing.assert_array_equal(a["series"][name], b["series"][name])
    assert a["electrodes"] == b["electrodes"]


def test_a_drafted_spec_once_filled_converts_as_a_hand_written_one(spikeglx_folder, tmp_path):
    out = tmp_path / "out"
    stopped = run("convert", spikeglx_folder, "--output-folder", out, "--no-progress")
    assert stopped.returncode == 3, stopped.stderr
    drafted = out / f"{spikeglx_folder.name}.yml"
    assert "fill its TODOs (Subject.subject_id, Subject.species, Subject.sex, Subject.age)" in stopped.stderr
    assert [p.name for p in out.iterdir()] == [drafted.name]  # no NWB file while a required field is missing
    text = drafted.read_text()
    assert text.count("# TODO: required (Subject)") == 4 and "session_start_time:" in text  # the .meta's time

    spec = yaml.safe_load(text)
    assert spec["data_interfaces"] == {key: interface for key, (interface, _) in STREAMS.items()}
    session = spec["experiments"]["experiment"]["sessions"][0]
    assert session["source_data"] == {key: {"folder_path": ".", "stream_id": s} for key, (_, s) in STREAMS.items()}
    session["metadata"]["Subject"] = SUBJECT  # what a person fills in
    filled = tmp_path / "filled.yml"
    filled.write_text(yaml.safe_dump(spec))
    converted = run("convert", filled, "--data-folder", spikeglx_folder, "--output-folder", out, "--no-progress")
    assert converted.returncode == 0, converted.stderr

    hand_written = {
        "data_interfaces": {f"stream{i}": interface for i, (interface, _) in enumerate(STREAMS.values())},
        "experiments": {
            "lab": {
                "sessions": [
                    {
                        "nwbfile_name": "by_hand",
                        "source_data": {
                            f"stream{i}": {"folder_path": str(spikeglx_folder), "stream_id": stream_id}
                            for i, (_, stream_id) in enumerate(STREAMS.values())
                        },
                        "metadata": {"Subject": SUBJECT},
                    }
                ]
            }
        },
    }
    (tmp_path / "by_hand.yml").write_text(yaml.safe_dump(hand_written))
    by_hand = run("convert", tmp_path / "by_hand.yml", "--output-folder", out, "--no-progress")
    assert by_hand.returncode == 0, by_hand.stderr
    (tmp_path / "subject.yml").write_text(yaml.safe_dump({"Subject": SUBJECT}))
    direct = run(
        "convert",
        spikeglx_folder,
        "--output-folder",
        tmp_path / "direct",
        "--metadata",
        tmp_path / "subject.yml",
        "--no-progress",
    )
    assert direct.returncode == 0, direct.stderr

    expected = _read(out / "by_hand.nwb")
    _same(_read(out / f"{spikeglx_folder.name}.nwb"), expected)
    _same(_read(tmp_path / "direct" / f"{spikeglx_folder.name}.nwb"), expected)


def test_a_folder_mixing_modalities_is_one_multi_interface_session(services, tmp_path):
    """An Intan recording (amplifier and auxiliary streams), a SLEAP pose file and a video, from the real test files:
    sources of two services in one drafted session, which converts once its TODOs are filled."""
    session = tmp_path / "mixed"
    session.mkdir()
    real = {
        "sampledata.rhd": TESTDATA / "ecephys" / "intan" / "sampledata.rhd",
        "tracked.slp": TESTDATA / "behavior" / "sleap" / "predictions_1.2.7_provenance_and_tracking.slp",
        "vid.avi": TESTDATA / "behavior" / "video" / "vid.avi",
    }
    for name, path in real.items():
        (session / name).symlink_to(path)
    given = {"NWBFile": {"session_start_time": START["NWBFile"]["session_start_time"]}, "Subject": SUBJECT}
    draft = draft_session(session, services, given)  # an .rhd does not say when it started: given, with the Subject
    kept = {(s.modality, s.interface): s.source_data for s in draft.contents.sources}
    assert kept == {
        ("behavior", "ExternalVideoInterface"): {"file_paths": ["vid.avi"]},
        ("behavior", "SLEAPInterface"): {"file_path": "tracked.slp"},
        ("ecephys", "IntanRecordingInterface"): {"file_path": "sampledata.rhd"},
        ("ecephys", "IntanAnalogInterface"): {
            "file_path": "sampledata.rhd",
            "stream_name": "RHD2000 auxiliary input channel",
        },
    }
    # No file states the pose's frame rate; the file tracks two animals, of which a person picks one
    assert draft.contents.unrecognised == []
    assert draft.missing == ["source_data.sleap.track_name", "source_data.sleap.frames_per_second"]
    text = draft.spec_text()
    assert "track_name:  # TODO: required (sleap); the individual to write: one of 'track_0', 'track_1'" in text
    filled = yaml.safe_load(text)
    filled["experiments"]["experiment"]["sessions"][0]["source_data"]["sleap"].update(
        track_name="track_1", frames_per_second=30.0
    )
    spec = tmp_path / "mixed.yml"
    spec.write_text(yaml.safe_dump(filled))
    done = run("convert", spec, "--data-folder", session, "--output-folder", tmp_path / "out", "--no-progress")
    assert done.returncode == 0, done.stderr
    with NWBHDF5IO(str(tmp_path / "out" / "mixed.nwb"), "r") as io:
        nwbfile = io.read()
        assert nwbfile.acquisition["ElectricalSeries"].data.shape[0] > 0
        assert nwbfile.acquisition["ElectricalSeries"].data.shape[1] == nwbfile.electrodes["id"].data.shape[0]
        assert [
            Path(p).name
            for p in nwbfile.acquisition[next(k for k in nwbfile.acquisition if "Video" in k)].external_file[:]
        ] == ["vid.avi"]
        assert "PoseEstimation" in {type(o).__name__ for o in nwbfile.processing["behavior"].data_interfaces.values()}


def test_detect_prints_each_source_and_writes_the_spec(spikeglx_folder, tmp_path):
    done = run("detect", spikeglx_folder, "--write", tmp_path / "draft.yml")
    assert done.returncode == 0, done.stderr
    assert "imec0_ap: SpikeGLXRecordingInterface [ecephys] confidence 0.95" in done.stdout
    assert '    source_data: {"folder_path": ".", "stream_id": "imec0.lf"}' in done.stdout
    assert (
        "missing (no file supplies them): Subject.subject_id, Subject.species, Subject.sex, Subject.age" in done.stdout
    )
    assert yaml.safe_load((tmp_path / "draft.yml").read_text())["data_interfaces"]["imec0_lf"] == (
        "SpikeGLXRecordingInterface"
    )


def test_an_empty_folder_is_reported_and_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run("detect", tmp_path / "empty")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"nwbstream: error: {tmp_path / 'empty'}: no interface recognised anything here (0 files); "
        "`nwbstream interfaces` lists what each reads"
    )


def test_unknown_and_unreadable_files_are_named(services, tmp_path):
    (tmp_path / "notes.xyz").write_text("a lab's notes")
    (tmp_path / "dangling.rhd").symlink_to(tmp_path / "gone.rhd")
    os.mkfifo(tmp_path / "stream.abf")  # a reader opening it would wait for ever
    contents = detect_folder(tmp_path, services)
    assert contents.sources == [] and contents.unrecognised == ["notes.xyz"]
    assert contents.notes == [
        "dangling.rhd: cannot be opened (No such file or directory)",
        "stream.abf: not a regular file (a FIFO, socket or device)",
    ]
    with pytest.raises(ConversionError) as refused:
        draft_session(tmp_path, services)
    assert str(refused.value) == (
        f"{tmp_path}: no interface recognised anything here (1 files: notes.xyz); "
        "dangling.rhd: cannot be opened (No such file or directory); "
        "stream.abf: not a regular file (a FIFO, socket or device); `nwbstream interfaces` lists what each reads"
    )


def test_a_missing_folder_is_named(services, tmp_path):
    with pytest.raises(ConversionError, match=f"^{tmp_path / 'nowhere'}: no such folder$"):
        detect_folder(tmp_path / "nowhere", services)


def test_a_real_folder_of_three_sources_converts_from_its_draft(services, tmp_path):
    """The Axona trial: its tetrode recording and LFP (ecephys service) and positions (behavior service); the
    tetrode's electrode rows carry a tetrode column the LFP's lack (filled with NaN, not text)."""
    folder = TESTDATA / "ecephys" / "axona"
    draft = draft_session(folder, services, {"Subject": SUBJECT})
    assert draft.missing == []  # the .set says when the trial started
    (tmp_path / "axona.yml").write_text(draft.spec_text())
    done = run("convert", tmp_path / "axona.yml", "--data-folder", folder, "--output-folder", tmp_path, "--stub")
    assert done.returncode == 0, done.stderr
    with NWBHDF5IO(str(tmp_path / "axona.nwb"), "r") as io:
        nwbfile = io.read()
        electrodes = nwbfile.electrodes.to_dataframe()
        assert "Position" in nwbfile.processing["behavior"].data_interfaces
        assert "LFP" in nwbfile.processing["ecephys"].data_interfaces and len(nwbfile.acquisition) == 1
        assert electrodes["tetrode_id"].dtype.kind == "f" and electrodes["tetrode_id"].isna().any()


def test_a_start_time_without_a_zone_is_flagged_in_the_draft(services):
    draft = draft_session(TESTDATA / "ecephys" / "axona", services)
    assert draft.metadata["NWBFile"]["session_start_time"] == "2010-12-14T10:44:07"  # the .set's, no zone
    assert "session_start_time: '2010-12-14T10:44:07'  # TODO: the file states no time zone" in draft.spec_text()
