"""Pose estimation through the real behavior service: the written ndx-pose PoseEstimation read back with pynwb and
compared, per frame and body part, with the field's readers on the same files (pandas for DeepLabCut and Lightning
Pose, sleap-io for SLEAP, PyAV for the video frame times NeuroConv's SLEAP interface uses)."""

from __future__ import annotations

import copy
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest
import sleap_io
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, TESTDATA, convert
from .fixtures.behavior.pose import (
    DEEPLABCUT,
    DLC_H5,
    write_deeplabcut_csv,
    write_deeplabcut_multi_animal_h5,
    write_sleap_single_untracked,
)
from .nwbcheck import assert_valid_nwb

SLEAP = TESTDATA / "behavior" / "sleap"
LIGHTNING = TESTDATA / "behavior" / "lightningpose"
LP_CSV = LIGHTNING / "predictions" / "3f859b5c-e73a-4044-b49e-34bb81e96715.left.rng=0.csv"
LP_VIDEO = LIGHTNING / "videos" / "test_vid.mp4"
TOP_LEFT = "(0,0) is the top-left pixel of the video frame, with x increasing to the right and y increasing downward."


def dlc_table(table: pd.DataFrame) -> dict:
    """Per bodypart (x, y) and likelihood, from a DeepLabCut table as pandas reads it."""
    parts = table.columns.get_level_values("bodyparts").unique()
    scorer = table.columns.get_level_values("scorer")[0]
    return {
        p: (table[scorer][p][["x", "y"]].to_numpy(), table[scorer][p]["likelihood"].to_numpy(), table.index)
        for p in parts
    }


def sleap_track(path: Path, track: str | None) -> dict:
    """Per node (x, y), score and frame index of one track, human instances first, as sleap-io loads them."""
    labels = sleap_io.load_slp(str(path))
    rows, frames = [], []
    for frame in sorted(labels.labeled_frames, key=lambda f: f.frame_idx):
        chosen = [i for i in [*frame.user_instances, *frame.predicted_instances] if (i.track and i.track.name) == track]
        if chosen:
            instance = chosen[0]
            if isinstance(instance, sleap_io.PredictedInstance):
                rows.append(instance.numpy(scores=True))
            else:
                # a human point has no score: NeuroConv writes 1.0, NaN where the annotator marked it not visible
                positions = instance.numpy()
                rows.append(np.column_stack([positions, np.where(np.isnan(positions[:, 0]), np.nan, 1.0)]))
            frames.append(frame.frame_idx)
    points = np.stack(rows)
    nodes = [n.name for n in labels.skeletons[0].nodes]
    return {n: (points[:, i, :2], points[:, i, 2], np.asarray(frames)) for i, n in enumerate(nodes)}


def lightning_table(path: Path) -> dict:
    table = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    scorer = table.columns.get_level_values(0)[0]
    parts = table[scorer].columns.get_level_values(0).unique()
    return {
        p: (table[scorer][p][["x", "y"]].to_numpy(), table[scorer][p]["likelihood"].to_numpy(), table.index)
        for p in parts
    }


def pyav_times(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.asarray([frame.time for frame in container.decode(container.streams.video[0])])


def series_times(series, count: int) -> np.ndarray:
    if series.timestamps is not None:
        return series.timestamps[:]
    return series.starting_time + np.arange(count) / series.rate


CASES = {
    "dlc_h5": Case(
        "DeepLabCutInterface",
        {"file_path": str(DLC_H5), "config_file_path": str(DEEPLABCUT / "config.yaml"), "sampling_frequency": 30.0},
        lambda: dlc_table(pd.read_hdf(DLC_H5)),
        "real: DLC resnet50 predictions .h5 (2330 frames, 4 bodyparts) + project config.yaml",
        expect={
            "name": "PoseEstimationDeepLabCut",
            "series": lambda part: f"PoseEstimationSeries{part.capitalize()}",
            "times": lambda frames: np.asarray(frames) / 30.0,
        },
        reader_name="pandas.read_hdf",
    ),
    "sleap_video": Case(
        "SLEAPInterface",
        {
            "file_path": str(SLEAP / "demo-flies13-preds.slp"),
            "video_file_path": str(SLEAP / "demo-flies13-preds.mp4"),
            "track_name": "track_0",
        },
        lambda: sleap_track(SLEAP / "demo-flies13-preds.slp", "track_0"),
        "real: SLEAP predictions of 2 tracked flies (1350 frames, 13 nodes) with their .mp4",
        expect={
            "name": "PoseEstimationTrack0",
            "series": lambda node: f"PoseEstimationSeries{node.title().replace('_', '')}",
            "times": lambda frames: pyav_times(SLEAP / "demo-flies13-preds.mp4")[frames],
        },
        reader_name="sleap_io.load_slp",
    ),
    "sleap_provenance": Case(
        "SLEAPInterface",
        {
            "file_path": str(SLEAP / "predictions_1.2.7_provenance_and_tracking.slp"),
            "frames_per_second": 25.0,
            "track_name": "track_1",
        },
        lambda: sleap_track(SLEAP / "predictions_1.2.7_provenance_and_tracking.slp", "track_1"),
        "real: SLEAP 1.2.7 predictions with provenance (101 frames, 2 tracks)",
        expect={
            "name": "PoseEstimationTrack1",
            "series": lambda node: f"PoseEstimationSeries{node.title().replace('_', '')}",
            "times": lambda frames: np.asarray(frames) / 25.0,
        },
        reader_name="sleap_io.load_slp",
    ),
    "lightning_pose": Case(
        "LightningPoseDataInterface",
        {"file_path": str(LP_CSV), "original_video_file_path": str(LP_VIDEO)},
        lambda: lightning_table(LP_CSV),
        "real: Lightning Pose predictions CSV (IBL paw, 1000 frames) + the example test video (250 fps)",
        expect={
            "name": "PoseEstimation",
            "series": lambda part: f"PoseEstimationSeries{part.replace(' ', '')}",
            # the video's frames are regular, so NeuroConv's rate stands for them (the CSV has 6 rows more)
            "times": lambda frames: np.arange(len(frames)) / 250.0,
        },
        reader_name="pandas.read_csv",
    ),
}


def read_back(path: Path):
    import ndx_pose  # noqa: F401 - registers the extension's types for reading

    io = NWBHDF5IO(str(path), "r")
    return io, io.read()


def write(services, tmp_path, interface, source, metadata=START, waive=frozenset(), **options) -> Path:
    path = convert(services, {"pose": (interface, source)}, tmp_path / "out.nwb", metadata=metadata, **options)
    assert_valid_nwb(path, waive)
    return path


# The DeepLabCut case also names its camera, as a NeuroConv user does: a top-level Devices entry the container
# refers to by key.
WITH_CAMERA = copy.deepcopy(START) | {
    "Devices": {"camera": {"name": "Camera", "description": "overhead camera"}},
    "Pose": {"PoseEstimations": {"deep_lab_cut_metadata_key": {"device_metadata_key": "camera"}}},
}


@pytest.fixture(scope="module")
def written(services, tmp_path_factory) -> dict[str, Path]:
    """Each case converted once, whole."""
    return {
        key: write(
            services, tmp_path_factory.mktemp(key), c.interface, c.source, WITH_CAMERA if key == "dlc_h5" else START
        )
        for key, c in CASES.items()
    }


@pytest.mark.parametrize("key", sorted(CASES))
def test_keypoints_equal_the_readers(written, key):
    case = CASES[key]
    expected = case.read()
    io, nwbfile = read_back(written[key])
    with io:
        pose = nwbfile.processing["behavior"][case.expect["name"]]
        assert sorted(pose.pose_estimation_series) == sorted(case.expect["series"](k) for k in expected)
        frames = next(iter(expected.values()))[2]  # one track: every keypoint on the same frames
        times = case.expect["times"](frames)
        for keypoint, (positions, confidence, _) in expected.items():
            series = pose.pose_estimation_series[case.expect["series"](keypoint)]
            np.testing.assert_array_equal(series.data[:], positions)
            np.testing.assert_array_equal(series.confidence[:], confidence)
            assert series.reference_frame == TOP_LEFT
            np.testing.assert_allclose(series_times(series, len(frames)), times, rtol=0, atol=1e-9)


def test_deeplabcut_metadata_as_neuroconv_gives_it(written):
    io, nwbfile = read_back(written["dlc_h5"])
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"]
        assert pose.source_software == "DeepLabCut"
        assert pose.scorer == "DLC_resnet50_openfieldAug20shuffle1_30000"
        assert pose.skeleton.name == "SkeletonPoseEstimationDeepLabCut_Ind1"
        assert list(pose.skeleton.nodes[:]) == ["snout", "leftear", "rightear", "tailbase"]
        assert pose.skeleton.edges is None  # config.yaml's skeleton is empty
        assert pose.original_videos is None and pose.dimensions is None  # m3v1mp4 is not among the config's videos
        assert "Skeletons" in nwbfile.processing["behavior"].data_interfaces
        assert [d.name for d in pose.devices] == ["Camera"]
        assert nwbfile.devices["Camera"].description == "overhead camera"


def test_sleap_skeleton_edges_and_provenance(written):
    labels = sleap_io.load_slp(str(SLEAP / "predictions_1.2.7_provenance_and_tracking.slp"))
    skeleton = labels.skeletons[0]
    edges = [[skeleton.index(e.source), skeleton.index(e.destination)] for e in skeleton.edges]
    io, nwbfile = read_back(written["sleap_provenance"])
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimationTrack1"]
        np.testing.assert_array_equal(pose.skeleton.edges[:], edges)
        assert list(pose.skeleton.nodes[:]) == [n.name for n in skeleton.nodes]
        assert pose.source_software == "SLEAP" and pose.source_software_version == "1.2.7"
        assert pose.scorer == "TopDownPredictor"
        assert pose.skeleton.subject is None  # track_1 is not the file's subject
        assert pose.original_videos[:] == ["/home/heberto/Downloads/20190128_113421.mp4"]


def test_lightning_pose_dimensions_and_videos(written):
    io, nwbfile = read_back(written["lightning_pose"])
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimation"]
        np.testing.assert_array_equal(pose.dimensions[:], [[406, 396]])
        assert pose.original_videos[:] == [str(LP_VIDEO)]
        assert pose.scorer == "heatmap_mhcrnn_tracker" and pose.source_software == "LightningPose"
        assert pose.skeleton.name == "SkeletonPoseEstimation" and pose.skeleton.edges is None


def test_lightning_pose_without_its_video_takes_the_rate_from_metadata(services, tmp_path):
    metadata = copy.deepcopy(START) | {"Pose": {"PoseEstimations": {"lightning_pose": {"rate": 60.0}}}}
    path = write(services, tmp_path, "LightningPoseDataInterface", {"file_path": str(LP_CSV)}, metadata)
    expected = lightning_table(LP_CSV)
    io, nwbfile = read_back(path)
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimation"]
        series = pose.pose_estimation_series["PoseEstimationSeriespaw_r"]
        np.testing.assert_array_equal(series.data[:], expected["paw_r"][0])
        assert series.rate == 60.0 and pose.dimensions is None and pose.original_videos is None


def test_no_frame_times_is_a_clear_error_and_writes_nothing(services, tmp_path):
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match="no frame times.*Pose/PoseEstimations/lightning_pose/rate"):
        convert(services, {"pose": ("LightningPoseDataInterface", {"file_path": str(LP_CSV)})}, out)
    assert not list(tmp_path.iterdir())


def test_deeplabcut_csv_as_deeplabcut_writes_it(services, tmp_path):
    csv = write_deeplabcut_csv(tmp_path)
    expected = dlc_table(pd.read_csv(csv, header=[0, 1, 2], index_col=0))
    path = write(services, tmp_path, "DeepLabCutInterface", {"file_path": str(csv), "sampling_frequency": 30.0})
    io, nwbfile = read_back(path)
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"]
        for part, (positions, confidence, _) in expected.items():
            series = pose.pose_estimation_series[f"PoseEstimationSeries{part.capitalize()}"]
            np.testing.assert_array_equal(series.data[:], positions)
            np.testing.assert_array_equal(series.confidence[:], confidence)


def test_stub_writes_the_first_frames(services, tmp_path):
    case = CASES["sleap_video"]
    expected = case.read()
    path = write(services, tmp_path, case.interface, case.source, stub_test=True)
    io, nwbfile = read_back(path)
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimationTrack0"]
        series = pose.pose_estimation_series["PoseEstimationSeriesThorax"]
        np.testing.assert_array_equal(series.data[:], expected["thorax"][0][:10])
        assert series.data.shape == (10, 2)


def truncated(folder: Path) -> Path:
    path = folder / DLC_H5.name
    path.write_bytes(DLC_H5.read_bytes()[: DLC_H5.stat().st_size // 2])
    return path


def not_a_table(folder: Path) -> Path:
    path = folder / "notesDLC_resnet50.csv"
    path.write_text("this is not a DeepLabCut file\n")
    return path


def labeled_frames(folder: Path) -> Path:
    """DeepLabCut's training labels (x and y, no likelihood): not predictions."""
    return DEEPLABCUT / "labeled-data" / "m4s1" / "CollectedData_Pranav.h5"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (truncated, "cannot be read as a DeepLabCut table: truncated file"),
        (not_a_table, "cannot be read as a DeepLabCut table"),
        (labeled_frames, "no likelihood columns"),
    ],
)
def test_bad_file_is_named_and_nothing_is_written(services, tmp_path, make, problem):
    source = make(tmp_path)
    out = tmp_path / "out" / "out.nwb"
    out.parent.mkdir()
    with pytest.raises(Exception, match=f"{source.name}: {problem}"):
        convert(services, {"pose": ("DeepLabCutInterface", {"file_path": str(source), "sampling_frequency": 30})}, out)
    assert not list(out.parent.iterdir())


def test_deeplabcut_multi_animal_writes_the_named_individual(services, tmp_path):
    h5 = write_deeplabcut_multi_animal_h5(tmp_path)
    mouse2 = pd.read_hdf(h5).xs("mouse2", level="individuals", axis=1).droplevel("scorer", axis=1)
    source = {"file_path": str(h5), "subject_name": "mouse2", "sampling_frequency": 30.0}
    path = write(services, tmp_path, "DeepLabCutInterface", source)
    io, nwbfile = read_back(path)
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"]
        assert pose.scorer == "DLC_resnet50_openfieldAug20shuffle1_30000"
        assert pose.skeleton.name == "SkeletonPoseEstimationDeepLabCut_Mouse2"
        assert pose.skeleton.subject is None  # mouse2 is not the file's subject (mouse01)
        for part in ("snout", "tailbase"):
            series = pose.pose_estimation_series[f"PoseEstimationSeries{part.capitalize()}"]
            np.testing.assert_array_equal(series.data[:], mouse2[part][["x", "y"]])


def test_sleap_untracked_human_labels(services, tmp_path):
    """One animal, never tracked, labeled by hand: its own subject, confidence 1.0, one frame (so a timestamp)."""
    slp = write_sleap_single_untracked(tmp_path)
    labels = sleap_io.load_slp(str(slp))
    points = labels.labeled_frames[0].instances[0].numpy()
    source = {"file_path": str(slp), "frames_per_second": 30.0}
    # one frame of (x, y): nwbinspector takes the 2 coordinates for the longer, so the time, axis
    path = write(services, tmp_path, "SLEAPInterface", source, waive=frozenset({"check_data_orientation"}))
    io, nwbfile = read_back(path)
    with io:
        pose = nwbfile.processing["behavior"]["PoseEstimation"]
        for index, node in enumerate(("A", "B")):
            series = pose.pose_estimation_series[f"PoseEstimationSeries{node}"]
            np.testing.assert_array_equal(series.data[:], points[[index]])
            np.testing.assert_array_equal(series.confidence[:], [1.0])
            np.testing.assert_array_equal(series.timestamps[:], [0.0])
        np.testing.assert_array_equal(pose.skeleton.edges[:], [[0, 1]])
        assert pose.skeleton.subject.subject_id == START["Subject"]["subject_id"]  # no track: the file's subject


@pytest.mark.parametrize(
    ("interface", "source", "problem"),
    [
        ("DeepLabCutInterface", {"subject_name": "mouse3"}, "no individual 'mouse3'"),
        (
            "SLEAPInterface",
            {"file_path": str(SLEAP / "demo-flies13-preds.slp"), "frames_per_second": 25.0},
            "track_name",
        ),
        (
            "SLEAPInterface",
            {"file_path": str(SLEAP / "minimal_instance.pkg.slp"), "frames_per_second": 25.0},
            "a track",
        ),
    ],
)
def test_an_ambiguous_individual_is_a_clear_error(services, tmp_path, interface, source, problem):
    """Which individual to write must be said: a missing one, several tracks, untracked instances of several."""
    if interface == "DeepLabCutInterface":
        source = {"file_path": str(write_deeplabcut_multi_animal_h5(tmp_path)), "sampling_frequency": 30.0} | source
    out = tmp_path / "out" / "out.nwb"
    out.parent.mkdir()
    with pytest.raises(Exception, match=f"{Path(source['file_path']).name}.*{problem}"):
        convert(services, {"pose": (interface, source)}, out)
    assert not list(out.parent.iterdir())


# NeuroConv 0.10.2's DeepLabCutInterface(...).get_metadata() for CASES["dlc_h5"], provenance (identifier,
# source_script) left out.
NEUROCONV_DLC_METADATA = {
    "NWBFile": {"experimenter": ["Pranav"], "session_description": "openfield"},
    "Pose": {
        "PoseEstimations": {
            "deep_lab_cut_metadata_key": {
                "PoseEstimationSeries": {
                    part: {"name": f"PoseEstimationSeries{part.capitalize()}", "reference_frame": TOP_LEFT}
                    for part in ("snout", "leftear", "rightear", "tailbase")
                },
                "dimensions": None,
                "name": "PoseEstimationDeepLabCut",
                "original_videos": None,
                "scorer": "DLC_resnet50_openfieldAug20shuffle1_30000",
                "skeleton_metadata_key": "deep_lab_cut_metadata_key",
                "source_software": "DeepLabCut",
            }
        },
        "Skeletons": {
            "deep_lab_cut_metadata_key": {
                "edges": [],
                "name": "SkeletonPoseEstimationDeepLabCut_Ind1",
                "nodes": ["snout", "leftear", "rightear", "tailbase"],
                "subject": "ind1",
            }
        },
    },
}


def test_metadata_is_neuroconvs(services):
    case = CASES["dlc_h5"]
    with Converter({"pose": (case.interface, case.source)}, services) as converter:
        assert converter.get_metadata() == NEUROCONV_DLC_METADATA


def test_source_video_links_the_image_series_a_video_interface_wrote():
    """`source_video_metadata_key` names a `Behavior/ExternalVideos` entry: the pose links that ImageSeries (the
    writer on its own here, with the ImageSeries a video interface would have written first)."""
    from nwbstream.coordinator.errors import ConversionError
    from nwbstream.coordinator.writers import Contribution, WriteContext, make_nwbfile, writer_for
    from nwbstream.v1 import modality_pb2 as pb
    from pynwb.image import ImageSeries

    metadata = copy.deepcopy(START) | {
        "Behavior": {"ExternalVideos": {"original": {"name": "VideoCamera"}}},
        "Pose": {"PoseEstimations": {"key": {"source_video_metadata_key": "original"}}},
    }
    obj = pb.NwbObject(
        kind=pb.NWB_KIND_POSE_ESTIMATION,
        name="PoseEstimation",
        metadata_key="Pose/PoseEstimations/key",
        timing=pb.Timing(rate=30.0),
        attributes_json='{"keypoints": ["nose"]}',
    )
    data = {"nose/data": np.zeros((3, 2)), "nose/confidence": np.ones(3)}
    ctx = WriteContext(make_nwbfile(metadata), metadata)
    with pytest.raises(ConversionError, match="'VideoCamera' is not in the file"):
        writer_for(obj).add(ctx, Contribution("source", obj, data))
    video = ImageSeries(
        name="VideoCamera", external_file=["video.mp4"], starting_frame=[0], format="external", timestamps=[0.0, 0.1]
    )
    ctx.nwbfile.add_acquisition(video)
    written = writer_for(obj).add(ctx, Contribution("source", obj, data))
    assert written.container.source_video is video
