"""Behavior syllables and annotations through the real behavior service: BORIS bouts and catalogue, keypoint-MoSeq
syllables, centroid and heading, VAME latent vectors, motifs and communities, read back with pynwb and compared with
the sources read here independently (json for BORIS, h5py for results.h5, numpy for VAME's .npy files)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, convert
from .fixtures.behavior import syllables
from .nwbcheck import assert_valid_nwb

FIXTURES = {
    "MoseqKeyPointsInterface": "generated with h5py (keypoint-MoSeq results.h5 layout)",
    "VameInterface": "generated with numpy + pyyaml (VAME 0.13 results layout)",
}
BORIS_OBSERVATION = "observation #2"


def read_boris(observation: str) -> dict:
    return json.loads(syllables.BORIS_PROJECT.read_text())["observations"][observation]


BORIS = Case(
    "BORISInterface",
    {"file_path": str(syllables.BORIS_PROJECT), "observation_name": BORIS_OBSERVATION},
    lambda: read_boris(BORIS_OBSERVATION),
    "real: BORIS's own test project (tests/fixtures/behavior/boris)",
    reader_name="json.loads",
)


def write(services, tmp_path: Path, interfaces: dict, **options) -> Path:
    path = convert(services, interfaces, tmp_path / "out.nwb", **options)
    assert_valid_nwb(path)
    return path


def read_back(path: Path):
    import ndx_ethogram  # noqa: F401 - registers the extensions' types for reading
    import ndx_vame  # noqa: F401

    io = NWBHDF5IO(path, "r", load_namespaces=True)
    return io, io.read()


def expected_runs(labels: np.ndarray, times: np.ndarray, period: float) -> tuple[list, list, list]:
    """(starts, stops, labels) of the runs of equal labels, walked frame by frame."""
    starts, stops, names = [], [], []
    for index, label in enumerate(labels):
        if index == 0 or label != labels[index - 1]:
            starts.append(times[index])
            names.append(str(int(label)))
            stops.append(None)
        stops[-1] = times[index] + period
    return starts, stops, names


# ------------------------------------------------------------------------------------------------------------ BORIS


def boris_state_bouts(observation: dict, behaviors: dict) -> list[tuple[float, float, str, str]]:
    """(start, stop, code, subject) of every closed state bout: a state code's rows alternate start, stop per
    subject (BORIS's documented pairing)."""
    state = {b["code"] for b in behaviors.values() if b["type"] == "State event"}
    open_rows: dict = {}
    bouts = []
    for time, subject, code, _, _ in observation["events"]:
        subject = "" if subject == "No focal subject" else subject
        if code not in state:
            continue
        if (subject, code) in open_rows:
            bouts.append((open_rows.pop((subject, code)), time, code, subject))
        else:
            open_rows[(subject, code)] = time
    return sorted(bouts, key=lambda bout: bout[0])


def test_boris_bouts_catalogue_and_events(services, tmp_path):
    path = write(services, tmp_path, {"boris": (BORIS.interface, BORIS.source)})
    document = json.loads(syllables.BORIS_PROJECT.read_text())
    observation = BORIS.read()
    io, nwbfile = read_back(path)
    with io:
        behavior = nwbfile.processing["behavior"]
        bouts = behavior["Observation2Bouts"].to_dataframe().sort_values("start_time")
        expected = boris_state_bouts(observation, document["behaviors_conf"])
        assert len(bouts) == len(expected) > 0
        np.testing.assert_allclose(bouts["start_time"], [b[0] for b in expected])
        np.testing.assert_allclose(bouts["stop_time"], [b[1] for b in expected])
        assert list(bouts["label"]) == [b[2] for b in expected]
        assert list(bouts["subject"]) == [b[3] for b in expected]
        assert behavior["Observation2Bouts"].labeling_method == "manual"
        assert behavior["Observation2Bouts"].description.startswith("State behavior bouts scored in BORIS")
        meanings = behavior["Observation2Bouts"].get_meanings_for_column("label").to_dataframe()
        state = [b for b in document["behaviors_conf"].values() if b["type"] == "State event"]
        assert dict(zip(meanings["value"], meanings["meaning"], strict=True)) == {
            b["code"]: b["description"] for b in state
        }

        catalogue = behavior["Ethogram"].to_dataframe()
        declared = list(document["behaviors_conf"].values())
        assert list(catalogue["behavior"]) == [b["code"] for b in declared]
        assert list(catalogue["definition"]) == [b["description"] for b in declared]
        assert list(catalogue["behavior_type"]) == [b["type"].split()[0].lower() for b in declared]
        assert [list(m) for m in catalogue["modifiers"]] == [
            [slot["name"] for slot in b["modifiers"].values()] for b in declared
        ]

        events = nwbfile.events["Observation2"].to_dataframe()
        # every row is one occurrence: point rows, and state bouts by their opening row
        assert len(events) == sum(1 for e in observation["events"] if e[2] != "s") + len(expected)
        points = events[events["event_type"] == "p"]
        np.testing.assert_allclose(points["timestamp"], [e[0] for e in observation["events"] if e[2] == "p"])
        assert points["duration"].isna().all()
        states = events[events["event_type"] == "s"].sort_values("timestamp")
        np.testing.assert_allclose(states["duration"], [b[1] - b[0] for b in expected])
        table = nwbfile.events["Observation2"]
        # NeuroConv's order: event_type right after timestamp, the duration column with the first row
        assert table.colnames == ("timestamp", "event_type", "subject", "comment", "duration")
        assert meanings_of(table, "event_type") == {b["code"]: b["description"] for b in declared if b["description"]}
        subjects = meanings_of(table, "subject")
        assert subjects.pop("").startswith("The event was scored against no subject.")
        assert subjects == {s["name"]: s["description"] for s in document["subjects_conf"].values()}


def meanings_of(table, column: str) -> dict[str, str]:
    found = table.get_meanings_for_column(column).to_dataframe()
    return dict(zip(found["value"], found["meaning"], strict=True))


def boris_answers(recorded: str) -> list[list[str]]:
    """The values ticked in each slot of a row's modifier field: slots split on "|", several values on ","."""
    return [[] if field in ("", "None") else field.split(",") for field in recorded.split("|")] if recorded else []


def test_boris_modifiers_reach_the_events_and_bouts(services, tmp_path):
    """On BORIS's project with one slot described by its author (the test project describes none) and one bout
    closed with other answers (two at once) than it opened with."""
    document = json.loads(syllables.BORIS_PROJECT.read_text())
    described = next(b for b in document["behaviors_conf"].values() if b["code"] == "r")
    described["modifiers"]["0"]["description"] = "how strongly"
    document["observations"]["modifiers"]["events"][-1][3] = "m2,m3"
    project = tmp_path / "described.boris"
    project.write_text(json.dumps(document))
    path = write(
        services, tmp_path, {"boris": (BORIS.interface, {"file_path": str(project), "observation_name": "modifiers"})}
    )
    io, nwbfile = read_back(path)
    with io:
        table = nwbfile.processing["behavior"]["ModifiersBouts"]
        bouts = table.to_dataframe()
        rows = [e for e in document["observations"]["modifiers"]["events"] if e[2] == "r"]
        # r opens at rows 0 and 2 (closing at 1 and 3): its answer is the opening row's, "None" meaning unanswered
        assert list(bouts["start_time"]) == [rows[0][0], rows[2][0]]
        assert [list(cell) for cell in bouts["modifier_r_modif_1"]] == [["m1"], []]
        assert [list(cell) for cell in bouts["stop_modifier_r_modif_1"]] == [["m1"], ["m2", "m3"]]
        assert table["modifier_r_modif_1"].target.description.startswith("how strongly.")

        events = nwbfile.events["Modifiers"]
        assert events.colnames == (
            "timestamp",
            "event_type",
            "subject",
            "comment",
            "modifier_q_modif_1",
            "modifier_r_modif_1",
            "stop_modifier_r_modif_1",
            "duration",
        )
        recorded = document["observations"]["modifiers"]["events"]
        q_rows = [e for e in recorded if e[2] == "q"]
        by_time = {row["timestamp"]: row for _, row in events.to_dataframe().iterrows()}
        for time, _, _, answers, _ in q_rows:
            assert [list(by_time[time]["modifier_q_modif_1"])] == boris_answers(answers)
            assert list(by_time[time]["modifier_r_modif_1"]) == []
        for opening, closing in ((rows[0], rows[1]), (rows[2], rows[3])):
            row = by_time[opening[0]]
            assert [list(row["modifier_r_modif_1"])] == (boris_answers(opening[3]) or [[]])
            assert [list(row["stop_modifier_r_modif_1"])] == (boris_answers(closing[3]) or [[]])
            assert row["duration"] == pytest.approx(closing[0] - opening[0])
        # a slot's vocabulary is declared, but BORIS describes no value: no MeaningsTable for the modifier columns
        assert events.get_meanings_for_column("modifier_r_modif_1") is None
        catalogue = nwbfile.processing["behavior"]["Ethogram"].to_dataframe()
        declared = document["behaviors_conf"].values()
        menus = [[slot["values"] for slot in b["modifiers"].values()] for b in declared]
        assert [[list(menu) for menu in row] for row in catalogue["modifier_values"]] == menus
        notes = [[slot.get("description", "") for slot in b["modifiers"].values()] for b in declared]
        assert [list(row) for row in catalogue["modifier_descriptions"]] == notes


def test_two_observations_share_one_catalogue(services, tmp_path):
    second = {**BORIS.source, "observation_name": "live"}
    path = write(services, tmp_path, {"first": (BORIS.interface, BORIS.source), "second": (BORIS.interface, second)})
    io, nwbfile = read_back(path)
    with io:
        behavior = nwbfile.processing["behavior"]
        catalogues = [name for name, table in behavior.data_interfaces.items() if type(table).__name__ == "Ethogram"]
        assert catalogues == ["Ethogram"]
        assert behavior["Observation2Bouts"].ethogram is behavior["Ethogram"]
        assert behavior["LiveBouts"].ethogram is behavior["Ethogram"]
        live = read_boris("live")
        document = json.loads(syllables.BORIS_PROJECT.read_text())
        expected = boris_state_bouts(live, document["behaviors_conf"])
        np.testing.assert_allclose(sorted(behavior["LiveBouts"]["start_time"][:]), [b[0] for b in expected])


def test_boris_observation_without_bouts_writes_the_catalogue_only(services, tmp_path):
    source = {**BORIS.source, "observation_name": "offset positif"}  # point events only
    path = write(services, tmp_path, {"boris": (BORIS.interface, source)})
    observation = read_boris("offset positif")
    io, nwbfile = read_back(path)
    with io:
        assert set(nwbfile.processing["behavior"].data_interfaces) == {"Ethogram"}
        assert nwbfile.processing["behavior"].description == "Behavioral annotations."
        events = nwbfile.events["OffsetPositif"].to_dataframe()
        np.testing.assert_allclose(events["timestamp"], [e[0] for e in observation["events"]])
        # the scheme's state behaviors give the table its duration column, though none was scored here
        assert events["duration"].isna().all()


def test_boris_unknown_observation_names_the_file(services, tmp_path):
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=r"test\.boris.*no observation 'nope'"):
        convert(services, {"boris": (BORIS.interface, {**BORIS.source, "observation_name": "nope"})}, out)
    assert not out.exists()


def test_boris_not_json_names_the_file(services, tmp_path):
    bad = tmp_path / "broken.boris"
    bad.write_text('{"behaviors_conf": {')
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=r"broken\.boris.*not a BORIS project"):
        convert(services, {"boris": (BORIS.interface, {"file_path": str(bad), "observation_name": "x"})}, out)
    assert not out.exists()


# ---------------------------------------------------------------------------------------------------- keypoint-MoSeq


@pytest.fixture(scope="module")
def moseq_file(tmp_path_factory) -> Path:
    return syllables.write_moseq(tmp_path_factory.mktemp("moseq"))


def moseq_case(path: Path) -> Case:
    return Case(
        "MoseqKeyPointsInterface",
        {"file_path": str(path), "sampling_frequency_hz": syllables.MOSEQ_RATE},
        lambda: {name: h5py.File(path, "r")["mouse1DLC_resnet50"][name][:] for name in ("syllable", "centroid")},
        FIXTURES["MoseqKeyPointsInterface"],
        reader_name="h5py.File",
    )


@pytest.mark.parametrize("stub", [False, True])
def test_moseq_syllables_centroid_heading(services, tmp_path, moseq_file, stub):
    case = moseq_case(moseq_file)
    path = write(services, tmp_path, {"moseq": (case.interface, case.source)}, stub_test=stub)
    with h5py.File(moseq_file, "r") as source:
        group = source["mouse1DLC_resnet50"]
        frames = 100 if stub else group["syllable"].shape[0]
        labels, centroid = group["syllable"][:frames], group["centroid"][:frames]
        heading, latent = group["heading"][:frames], group["latent_state"][:frames]
    io, nwbfile = read_back(path)
    with io:
        behavior = nwbfile.processing["behavior"]
        series = behavior["Position"]["MoseqKeyPointsCentroid"]
        np.testing.assert_array_equal(series.data[:], centroid)
        assert series.rate == syllables.MOSEQ_RATE
        np.testing.assert_array_equal(behavior["CompassDirection"]["MoseqKeyPointsHeading"].data[:], heading)
        assert behavior["CompassDirection"]["MoseqKeyPointsHeading"].unit == "radians"
        np.testing.assert_array_equal(behavior["MoseqKeyPointsLatentState"].data[:], latent)

        bouts = behavior["MoseqKeyPointsEthogramBouts"]
        starts, stops, names = expected_runs(labels, np.arange(frames) / syllables.MOSEQ_RATE, 1 / syllables.MOSEQ_RATE)
        np.testing.assert_allclose(bouts["start_time"][:], starts)
        np.testing.assert_allclose(bouts["stop_time"][:], stops)
        assert list(bouts["label"][:]) == names
        assert bouts.description.startswith("keypoint-MoSeq syllables for recording 'mouse1DLC_resnet50'")
        assert bouts.source is behavior["MoseqKeyPointsLatentState"]
        catalogue = behavior["MoseqKeyPointsEthogram"]
        assert list(catalogue["native_code"][:]) == sorted({int(v) for v in labels})
        assert catalogue.exclusive


def test_moseq_needs_recording_name_for_two_recordings(services, tmp_path):
    path = syllables.write_moseq(tmp_path, recordings=("a", "b"))
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=r"results\.h5.*2 recordings"):
        convert(
            services,
            {"moseq": ("MoseqKeyPointsInterface", {"file_path": str(path), "sampling_frequency_hz": 30.0})},
            out,
        )
    assert not out.exists()


def test_moseq_truncated_file_names_it(services, tmp_path, moseq_file):
    bad = tmp_path / "results.h5"
    bad.write_bytes(moseq_file.read_bytes()[:2000])
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=r"results\.h5: cannot be read as keypoint-MoSeq.*truncated"):
        convert(
            services,
            {"moseq": ("MoseqKeyPointsInterface", {"file_path": str(bad), "sampling_frequency_hz": 30.0})},
            out,
        )
    assert not out.exists()


# -------------------------------------------------------------------------------------------------------------- VAME


@pytest.fixture(scope="module")
def vame_config(tmp_path_factory) -> Path:
    return syllables.write_vame(tmp_path_factory.mktemp("vame"))


def vame_outputs(config: Path) -> dict[str, np.ndarray]:
    folder = config.parent / "results" / syllables.VAME_SESSION / "VAME"
    n = syllables.VAME_CLUSTERS
    found = {"latent": np.load(folder / "latent_vectors.npy")}
    for algorithm in syllables.VAME_ALGORITHMS:
        found[f"motif_{algorithm}"] = np.load(folder / f"{algorithm}-{n}" / f"{n}_{algorithm}_label_session1.npy")
        found[f"community_{algorithm}"] = np.load(
            folder / f"{algorithm}-{n}" / "community" / "cohort_community_label_session1.npy"
        )
    return found


@pytest.mark.parametrize("stub", [False, True])
def test_vame_series_and_motif_bouts(services, tmp_path, vame_config, stub):
    source = {"file_path": str(vame_config), "session_name": syllables.VAME_SESSION, "sampling_frequency_hz": 25.0}
    case = Case("VameInterface", source, lambda: vame_outputs(vame_config), FIXTURES["VameInterface"])
    path = write(services, tmp_path, {"vame": (case.interface, case.source)}, stub_test=stub)
    expected = case.read()
    frames = 100 if stub else syllables.VAME_FRAMES
    config = yaml.safe_load(vame_config.read_text())
    start = config["time_window"] // 2 / syllables.VAME_RATE
    io, nwbfile = read_back(path)
    with io:
        behavior = nwbfile.processing["behavior"]
        project = behavior["VAMEProject"]
        assert json.loads(project.vame_config) == config
        assert project.time_window_samples == config["time_window"]
        np.testing.assert_array_equal(project.latent_space_series.data[:], expected["latent"][:frames])
        assert project.latent_space_series.starting_time == start
        for algorithm in syllables.VAME_ALGORITHMS:
            motif = project.motif_series[f"MotifSeries{algorithm.capitalize()}"]
            community = project.community_series[f"CommunitySeries{algorithm.capitalize()}"]
            labels = expected[f"motif_{algorithm}"][:frames]
            np.testing.assert_array_equal(motif.data[:], labels)
            np.testing.assert_array_equal(community.data[:], expected[f"community_{algorithm}"][:frames])
            assert motif.latent_space_series is project.latent_space_series
            assert community.motif_series is motif

            bouts = behavior[f"VAMEProjectEthogramBouts{algorithm.capitalize()}"]
            times = start + np.arange(frames) / syllables.VAME_RATE
            starts, stops, names = expected_runs(labels, times, 1 / syllables.VAME_RATE)
            np.testing.assert_allclose(bouts["start_time"][:], starts)
            np.testing.assert_allclose(bouts["stop_time"][:], stops)
            assert list(bouts["label"][:]) == names
            assert bouts.source is motif
            catalogue = behavior[f"VAMEProjectEthogram{algorithm.capitalize()}"]
            assert list(catalogue["native_code"][:]) == list(range(syllables.VAME_CLUSTERS))
            communities = expected[f"community_{algorithm}"][:frames]
            modal = {int(m): str(np.bincount(communities[labels == m]).argmax()) for m in np.unique(labels)}
            assert list(catalogue["category"][:]) == [modal.get(m, "") for m in range(syllables.VAME_CLUSTERS)]


def test_vame_pose_link_to_an_unknown_entry_is_refused(services, tmp_path, vame_config):
    source = {"file_path": str(vame_config), "session_name": syllables.VAME_SESSION, "sampling_frequency_hz": 25.0}
    metadata = {
        **START,
        "Behavior": {"Vame": {"VameProjects": {"VAMEProject": {"pose_estimation_metadata_key": "dlc"}}}},
    }
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=r"pose_estimation_metadata_key: 'dlc' is not an entry of Pose/PoseEstimations"):
        convert(services, {"vame": ("VameInterface", source)}, out, metadata=metadata)
    assert not out.exists()


def test_vame_bad_npy_names_it(services, tmp_path, vame_config):
    bad = tmp_path / "motifs.npy"
    bad.write_bytes(b"not numpy")
    out = tmp_path / "out.nwb"
    source = {
        "file_path": str(vame_config),
        "motif_labels_file_paths": {"kmeans": str(bad)},
        "sampling_frequency_hz": 25.0,
    }
    with pytest.raises(Exception, match=r"motifs\.npy.*not a readable \.npy"):
        convert(services, {"vame": ("VameInterface", source)}, out)
    assert not out.exists()


def test_vame_project_and_bouts_link_the_pose_estimation_the_entry_names():
    """The pose family writes PoseEstimation in processing/behavior; the VAMEProject and the bouts find it by the
    name its registry entry gives."""
    from datetime import UTC, datetime

    from ndx_pose import PoseEstimation, PoseEstimationSeries
    from nwbstream.coordinator.writers import Contribution, WriteContext, writer_for
    from nwbstream.v1 import modality_pb2 as pb
    from pynwb import NWBFile

    nwbfile = NWBFile("test", "id", datetime(2020, 1, 1, tzinfo=UTC))
    nose = PoseEstimationSeries(name="nose", data=np.zeros((3, 2)), reference_frame="top left", rate=30.0)
    pose = PoseEstimation(name="PoseEstimationDLC", pose_estimation_series=[nose])
    nwbfile.create_processing_module("behavior", "behavior").add(pose)
    metadata = {
        "Pose": {"PoseEstimations": {"dlc": {"name": "PoseEstimationDLC"}}},
        "Behavior": {"Vame": {"VameProjects": {"VAMEProject": {"pose_estimation_metadata_key": "dlc"}}}},
    }
    project = pb.NwbObject(
        kind=pb.NWB_KIND_VAME_PROJECT,
        name="VAMEProject",
        metadata_key="Behavior/Vame/VameProjects/VAMEProject",
        attributes_json=json.dumps({"vame_config": "{}", "time_window_samples": 30, "vame_version": "0.13.0"}),
    )
    ctx = WriteContext(nwbfile, metadata)
    written = writer_for(project).add(ctx, Contribution("vame", project, {}))
    assert written.container.pose_estimation is pose
    assert nwbfile.processing["behavior"]["VAMEProject"] is written.container

    times = {"start_time": np.array([0.0]), "stop_time": np.array([1.0])}
    bouts = pb.NwbObject(
        kind=pb.NWB_KIND_ETHOGRAM,
        name="Bouts",
        metadata_key="Behavior/Ethograms/VAMEProject_kmeans",
        tables=[
            pb.Table(
                name="bouts",
                columns=[
                    pb.Column(name="start_time", dataset="start_time"),
                    pb.Column(name="stop_time", dataset="stop_time"),
                    pb.Column(name="label", values_json='["3"]', dtype="str"),
                ],
            ),
            pb.Table(
                name="catalogue",
                columns=[
                    pb.Column(name="behavior", values_json='["3"]', dtype="str"),
                    pb.Column(name="definition", values_json='["motif"]', dtype="str"),
                ],
            ),
        ],
        attributes_json=json.dumps(
            {"labeling_method": "automated", "links_entry": "Behavior/Vame/VameProjects/VAMEProject"}
        ),
    )
    ethogram = writer_for(bouts).add(ctx, Contribution("vame", bouts, times)).container
    assert ethogram.source_pose is pose
    assert list(ethogram["label"].data) == ["3"] and list(ethogram.ethogram["behavior"].data) == ["3"]


def test_syllables_link_the_pose_estimation_of_the_same_session(services, tmp_path, vame_config, moseq_file):
    """DeepLabCut and its video, then keypoint-MoSeq and VAME naming its PoseEstimation and the video by their
    registry keys, in one file."""
    from .fixtures.behavior.pose import DEEPLABCUT, DLC_H5

    dlc = {
        "file_path": str(DLC_H5),
        "config_file_path": str(DEEPLABCUT / "config.yaml"),
        "sampling_frequency": 30.0,
        "metadata_key": "dlc",
    }
    vame = {"file_path": str(vame_config), "session_name": syllables.VAME_SESSION, "sampling_frequency_hz": 25.0}
    moseq = {"file_path": str(moseq_file), "sampling_frequency_hz": syllables.MOSEQ_RATE}
    metadata = {
        **START,
        "Behavior": {
            "Vame": {"VameProjects": {"VAMEProject": {"pose_estimation_metadata_key": "dlc"}}},
            "MoseqKeyPoints": {
                "Recordings": {"keypoint_moseq": {"pose_estimation_metadata_key": "dlc", "video_metadata_key": "cam"}}
            },
        },
    }
    interfaces = {
        "pose": ("DeepLabCutInterface", dlc),
        "video": ("ExternalVideoInterface", {"file_paths": [str(DEEPLABCUT / "m3v1mp4.mp4")], "metadata_key": "cam"}),
        "moseq": ("MoseqKeyPointsInterface", moseq),
        "vame": ("VameInterface", vame),
    }
    path = write(services, tmp_path, interfaces, metadata=metadata, stub_test=True)
    io, nwbfile = read_back(path)
    with io:
        behavior = nwbfile.processing["behavior"]
        pose = behavior["PoseEstimationDeepLabCut"]
        assert behavior["VAMEProject"].pose_estimation is pose
        assert behavior["VAMEProjectEthogramBoutsKmeans"].source_pose is pose
        assert behavior["MoseqKeyPointsEthogramBouts"].source_pose is pose
        video = behavior["MoseqKeyPointsEthogramBouts"].source_video
        assert video is not None and list(video.external_file[:]) == [str(DEEPLABCUT / "m3v1mp4.mp4")]
        assert behavior["VAMEProjectEthogramBoutsKmeans"].source_video is None
