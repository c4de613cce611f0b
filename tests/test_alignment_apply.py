"""Clock maps applied by the coordinator: a real session (SpikeGLX AP + DeepLabCut + its video) written with
Shift, Linear and Timestamps maps, each stream's times compared with the map applied to its reader's times
(spikeinterface for the probe, the frame rate DeepLabCut was given, OpenCV's frame times for the video); and
the rules of applying a map, on hand-made objects."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import spikeinterface.extractors as se
from hdmf_zarr.nwb import NWBZarrIO
from nwbstream.coordinator.alignment.apply import TIMESTAMPS, apply_clock_maps, computed_times, mapped_chunks
from nwbstream.coordinator.alignment.maps import Linear, Piecewise, Shift, Timestamps
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.layout import DatasetLayout
from nwbstream.coordinator.pipeline import Transfer
from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBHDF5IO

from .conftest import ECEPHYS, START
from .nwbcheck import assert_valid_nwb
from .test_mixed_session import DLC, DLC_H5, TRIALS, VIDEO

AP = "ElectricalSeriesAPImec0"
POSE_RATE = 30.0
FRAMES = 2330  # frames of the video, and rows of DeepLabCut's table


def session(spikeglx_folder):
    return {
        "ap": ("SpikeGLXRecordingInterface", {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
        "pose": (
            "DeepLabCutInterface",
            {"file_path": str(DLC_H5), "config_file_path": str(DLC / "config.yaml"), "sampling_frequency": POSE_RATE},
        ),
        "video": ("ExternalVideoInterface", {"file_paths": [str(VIDEO)]}),
    }


def convert(services, spikeglx_folder, path, maps, **options):
    with Converter(session(spikeglx_folder), services, clock_maps=maps) as converter:
        return converter.run_conversion(nwbfile_path=path, metadata=START, progress=False, **options)


@pytest.fixture(scope="module")
def probe_times(spikeglx_folder) -> np.ndarray:
    return se.read_spikeglx(spikeglx_folder, stream_id="imec0.ap").get_times()


@pytest.fixture(scope="module")
def frame_times() -> np.ndarray:
    """Each frame's presentation time as OpenCV reports it after the frame (NeuroConv's frame times)."""
    import cv2

    capture = cv2.VideoCapture(str(VIDEO))
    times = []
    while capture.grab():
        times.append(capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    capture.release()
    return np.asarray(times)


def series_times(series) -> np.ndarray:
    if series.timestamps is not None:
        return series.timestamps[:]
    return series.starting_time + np.arange(series.num_samples) / series.rate


def read_streams(path):
    """(probe, each pose keypoint, video) series of a written session, read with pynwb."""
    io = NWBHDF5IO(path, "r", load_namespaces=True)
    nwbfile = io.read()
    pose = nwbfile.processing["behavior"]["PoseEstimationDeepLabCut"].pose_estimation_series.values()
    return io, nwbfile.acquisition[AP], list(pose), nwbfile.acquisition["Video m3v1mp4"]


def test_shift_moves_starting_times_and_frame_times(services, spikeglx_folder, tmp_path, probe_times, frame_times):
    """A shift keeps every regular series regular (rate + moved starting time); the video's frame times, a
    time-valued dataset, are moved value by value as their chunks pass."""
    maps = {"ap": Shift(-2.0), "pose": Shift(1.25), "video": Shift(0.75)}
    options = {"video": {"always_write_timestamps": True}}
    path = convert(services, spikeglx_folder, tmp_path / "shift.nwb", maps, conversion_options=options)
    io, probe, keypoints, video = read_streams(path)
    with io:
        assert probe.timestamps is None and probe.rate == 30_000.0
        assert probe.starting_time == pytest.approx(probe_times[0] - 2.0, abs=1e-12)
        for keypoint in keypoints:
            assert keypoint.rate == POSE_RATE
            assert keypoint.starting_time == 1.25
        np.testing.assert_allclose(video.timestamps[:], frame_times + 0.75, rtol=0, atol=1e-12)
    assert_valid_nwb(path)


def test_linear_maps_give_explicit_times_chunk_by_chunk(services, spikeglx_folder, tmp_path, probe_times, frame_times):
    """A drifting clock turns the probe's and the pose's rates into timestamps the coordinator computes, the
    probe's over five chunks (the last one short); the video's frame times are mapped."""
    maps = {
        "ap": Linear(offset=0.5, drift=-3e-6),
        "pose": Linear(offset=1.5, drift=2e-5),
        "video": Linear(offset=-0.25, drift=2e-5),
    }
    configuration = {"datasets": {f"{AP}/timestamps": {"chunk_shape": [10_000]}}}
    options = {"video": {"always_write_timestamps": True}}
    path = convert(
        services,
        spikeglx_folder,
        tmp_path / "linear.nwb",
        maps,
        backend_configuration=configuration,
        conversion_options=options,
    )
    io, probe, keypoints, video = read_streams(path)
    with io:
        assert probe.rate is None and probe.timestamps.chunks == (10_000,)
        np.testing.assert_allclose(probe.timestamps[:], maps["ap"](probe_times), rtol=0, atol=1e-9)
        expected_pose = maps["pose"](np.arange(FRAMES) / POSE_RATE)
        for keypoint in keypoints:
            np.testing.assert_allclose(series_times(keypoint), expected_pose, rtol=0, atol=1e-12)
        np.testing.assert_allclose(video.timestamps[:], maps["video"](frame_times), rtol=0, atol=1e-12)
        assert probe.data.shape == (len(probe_times), 384)  # the data came through untouched by alignment
    assert_valid_nwb(path)


def test_timestamps_replace_the_series_times(services, spikeglx_folder, tmp_path, probe_times):
    """Given frame times time the video (which had a rate) and the pose (one vector shared by its keypoints);
    a piecewise map puts the probe on the session clock."""
    video_times = np.cumsum(np.full(FRAMES, 1 / 29.97)) + 3.0
    pose_times = video_times + 0.001
    piecewise = Piecewise(own=(0.0, 20.0, 40.0), reference=(1.0, 21.001, 41.0))
    maps = {
        "ap": piecewise,
        "pose": Timestamps(tuple(pose_times), "pose_times.npy"),
        "video": Timestamps(tuple(video_times), "video_times.npy"),
    }
    path = convert(services, spikeglx_folder, tmp_path / "given.nwb", maps)
    io, probe, keypoints, video = read_streams(path)
    with io:
        np.testing.assert_allclose(probe.timestamps[:], piecewise(probe_times), rtol=0, atol=1e-9)
        for keypoint in keypoints:
            np.testing.assert_array_equal(series_times(keypoint), pose_times)
        np.testing.assert_array_equal(video.timestamps[:], video_times)
    assert_valid_nwb(path)


def test_timestamps_of_the_wrong_length_stop_before_writing(services, spikeglx_folder, tmp_path):
    maps = {"video": Timestamps(tuple(np.arange(FRAMES - 1) / 30.0), "video/frame_times.npy")}
    with pytest.raises(ConversionError, match=r"video: video/frame_times.npy has 2329 timestamps, .* 2330 samples"):
        convert(services, spikeglx_folder, tmp_path / "wrong.nwb", maps)
    assert list(tmp_path.iterdir()) == []


def test_stub_uses_the_first_given_times(services, spikeglx_folder, tmp_path):
    """A stub cuts the pose short (the linked video keeps its frames): it takes the first of the given times."""
    pose_times = np.arange(FRAMES) / 30.0 + 7.0
    maps = {"pose": Timestamps(tuple(pose_times), "pose_times.npy")}
    path = convert(services, spikeglx_folder, tmp_path / "stub.nwb", maps, stub_test=True)
    io, _, keypoints, _ = read_streams(path)
    with io:
        count = len(keypoints[0].data)
        assert 0 < count < FRAMES
        for keypoint in keypoints:
            np.testing.assert_array_equal(series_times(keypoint), pose_times[:count])


def test_spike_times_are_mapped_as_their_chunks_pass(services, tmp_path):
    """A sorting's spike times (bulk, time-valued) follow a drifting map spike by spike, over two chunks (the test
    sorting has six spikes)."""
    folder = ECEPHYS / "phy" / "template"
    clock_map = Linear(offset=0.125, drift=4e-5)
    with Converter(
        {"sorting": ("PhySortingInterface", {"folder_path": str(folder)})}, services, clock_maps={"sorting": clock_map}
    ) as c:
        path = c.run_conversion(
            nwbfile_path=tmp_path / "units.nwb",
            metadata=START,
            backend_configuration={"datasets": {"units/spike_times": {"chunk_shape": [4]}}},
            progress=False,
        )
    sorting = se.read_phy(folder)
    with NWBHDF5IO(path, "r") as io:
        units = io.read().units
        assert len(units) == len(sorting.get_unit_ids())
        for row, unit_id in enumerate(sorting.get_unit_ids()):
            expected = clock_map(sorting.get_unit_spike_train(unit_id, return_times=True))
            np.testing.assert_allclose(units["spike_times"][row], expected, rtol=0, atol=1e-12)
    assert_valid_nwb(path)


def test_zarr_store_gets_mapped_frame_times_and_trial_times(services, tmp_path, frame_times):
    """The same in a Zarr store, with a trials table's start and stop times (small, sent inline) mapped at once."""
    interfaces = {
        "video": ("ExternalVideoInterface", {"file_paths": [str(VIDEO)]}),
        "trials": ("CsvTimeIntervalsInterface", {"file_path": str(TRIALS)}),
    }
    maps = {"video": Linear(offset=2.0, drift=-1e-5), "trials": Linear(offset=-0.5, drift=3e-5)}
    with Converter(interfaces, services, clock_maps=maps) as converter:
        path = converter.run_conversion(
            nwbfile_path=tmp_path / "aligned.nwb.zarr",
            metadata=START,
            backend="zarr",
            conversion_options={"video": {"always_write_timestamps": True}},
            progress=False,
        )
    trials = pd.read_csv(TRIALS)
    with NWBZarrIO(str(path), "r") as io:
        nwbfile = io.read()
        np.testing.assert_allclose(
            nwbfile.acquisition["Video m3v1mp4"].timestamps[:], maps["video"](frame_times), rtol=0, atol=1e-12
        )
        written = nwbfile.trials.to_dataframe()
        for column in ("start_time", "stop_time"):
            np.testing.assert_allclose(written[column], maps["trials"](trials[column].to_numpy()), rtol=0, atol=1e-12)
    assert_valid_nwb(path)


# ------------------------------------------------------------------------------- rules, on hand-made objects


def plan(name, values=None, shape=(), time_valued=True):
    """A float64 dataset plan: inline when `values` are given, else bulk of `shape`."""
    if values is not None:
        values = np.asarray(values, dtype="<f8")
        return pb.DatasetPlan(
            name=name, dtype="<f8", shape=list(values.shape), time_valued=time_valued, inline_data=values.tobytes()
        )
    return pb.DatasetPlan(name=name, dtype="<f8", shape=list(shape), time_valued=time_valued)


def inline(obj, name):
    return np.frombuffer(next(p for p in obj.datasets if p.name == name).inline_data, "<f8")


def test_inline_times_move_and_bulk_times_get_a_mapped_reader():
    events = pb.NwbObject(kind=pb.NWB_KIND_EVENTS, name="lick", datasets=[plan("timestamp", [1.0, 2.5])])
    units = pb.NwbObject(kind=pb.NWB_KIND_UNITS, name="units", datasets=[plan("spike_times", shape=(1000,))])
    series = pb.NwbObject(
        kind=pb.NWB_KIND_TIME_SERIES,
        name="analog",
        timing=pb.Timing(rate=100.0, starting_time=2.0, clock="nidq"),
        datasets=[plan("data", shape=(50, 2), time_valued=False)],
    )
    linear = Linear(offset=1.0, drift=1e-3)
    aligned = apply_clock_maps(
        [("events", events), ("sorting", units), ("nidq", series)],
        {"events": Shift(0.5), "sorting": linear, "nidq": linear},
    )
    (_, moved_events), (_, moved_units), (_, timed) = aligned.objects
    np.testing.assert_array_equal(inline(moved_events, "timestamp"), [1.5, 3.0])
    assert moved_units == units  # its times are mapped as they pass
    assert timed.timing == pb.Timing(timestamps_dataset=TIMESTAMPS, clock="nidq")
    added = timed.datasets[-1]
    assert (added.name, added.dtype, list(added.shape), added.time_valued) == (TIMESTAMPS, "<f8", [50], True)
    assert set(aligned.readers) == {("sorting", "units", "spike_times"), ("nidq", "analog", TIMESTAMPS)}
    layout = DatasetLayout("analog/timestamps", np.dtype("<f8"), (50,), (16,), pb.Codec())
    chunks = list(aligned.readers[("nidq", "analog", TIMESTAMPS)](Transfer(None, "analog", TIMESTAMPS, layout, "")))
    assert [(c.index, c.offset, len(c.array)) for c in chunks] == [
        (0, (0,), 16),
        (1, (16,), 16),
        (2, (32,), 16),
        (3, (48,), 2),
    ]
    np.testing.assert_allclose(np.concatenate([c.array for c in chunks]), linear(2.0 + np.arange(50) / 100.0), rtol=0)


def test_a_pure_shift_keeps_the_rate():
    series = pb.NwbObject(
        kind=pb.NWB_KIND_ELECTRICAL_SERIES,
        name="ap",
        timing=pb.Timing(rate=30_000.0, starting_time=1.0),
        datasets=[plan("data", shape=(10, 4), time_valued=False)],
    )
    aligned = apply_clock_maps([("ap", series)], {"ap": Linear(offset=0.25, drift=0.0)})
    assert aligned.objects[0][1].timing == pb.Timing(rate=30_000.0, starting_time=1.25)
    assert aligned.readers == {}


class UncompressedService:
    """A service's ReadChunks for a 1-D float64 dataset, honouring the requested layout (codec none)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.layouts: list[pb.Layout] = []

    def read_chunks(self, source, object_name, dataset_name, layout, start, stop):
        self.layouts.append(layout)
        (size,) = layout.chunk_shape
        for index in range(start, stop):
            chunk = np.zeros(size)
            piece = self.values[index * size : (index + 1) * size]
            chunk[: len(piece)] = piece
            yield pb.Chunk(index=index, offset=[index * size], data=chunk.tobytes(), raw_nbytes=chunk.nbytes)


class Source:
    def __init__(self, service) -> None:
        self.service = service


def test_mapped_chunks_request_raw_chunks_and_map_only_the_values_inside():
    values = np.sort(np.random.default_rng(0).uniform(0, 100, 1000))
    service = UncompressedService(values)
    layout = DatasetLayout(
        "units/spike_times", np.dtype("<f8"), (1000,), (300,), pb.Codec(method=pb.Codec.METHOD_DEFLATE)
    )
    clock_map = Linear(offset=-4.0, drift=2e-5)
    chunks = list(mapped_chunks(clock_map)(Transfer(Source(service), "units", "spike_times", layout, "")))
    assert service.layouts == [pb.Layout(chunk_shape=[300], codec=pb.Codec(method=pb.Codec.METHOD_NONE))]
    assert [len(c.array) for c in chunks] == [300, 300, 300, 100]
    np.testing.assert_array_equal(np.concatenate([c.array for c in chunks]), clock_map(values))


def test_computed_times_hold_one_chunk_at_a_time():
    """Ten million timestamps (80 MB) computed in chunks of 65,536: at most a few chunks' worth is ever held."""
    count, size = 10_000_000, 2**16
    layout = DatasetLayout("ap/timestamps", np.dtype("<f8"), (count,), (size,), pb.Codec())
    clock_map = Linear(offset=0.5, drift=2e-5)
    reader = computed_times(lambda a, b: clock_map(np.arange(a, b) / 30_000.0))
    tracemalloc.start()
    try:
        last = None
        for chunk in reader(Transfer(None, "ap", "timestamps", layout, "")):
            last = chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (
        last.offset == ((count // size) * size,) and last.array[-1] == clock_map(np.array([(count - 1) / 30_000.0]))[0]
    )
    assert peak < 6 * size * 8  # the whole dataset would be 10_000_000 * 8 bytes


def test_what_a_map_cannot_apply_to_is_refused_by_name():
    two = [
        ("video", pb.NwbObject(kind=pb.NWB_KIND_IMAGE_SERIES, name=f"Video {i}", timing=pb.Timing(rate=30.0)))
        for i in range(2)
    ]
    given = Timestamps((0.0, 1.0), "times.npy")
    with pytest.raises(
        ConversionError, match=r"video: timestamps from times.npy time one series, .* has 2 \(Video 0, Video 1\)"
    ):
        apply_clock_maps(two, {"video": given})
    pose = pb.NwbObject(
        kind=pb.NWB_KIND_POSE_ESTIMATION, name="pose", datasets=[plan("a/data", shape=(5, 2), time_valued=False)]
    )
    with pytest.raises(ConversionError, match="pose: pose has no times of its own"):
        apply_clock_maps([("pose", pose)], {"pose": Shift(1.0)})
    medpc = pb.NwbObject(kind=pb.NWB_KIND_NDX_EVENTS, name="MedPC", datasets=[plan("B", [0.5], time_valued=False)])
    with pytest.raises(ConversionError, match="medpc: MedPC cannot be aligned yet: which of its arrays are times"):
        apply_clock_maps([("medpc", medpc)], {"medpc": Shift(1.0)})
    sweeps = pb.NwbObject(kind=pb.NWB_KIND_INTRACELLULAR_RECORDINGS, name="icephys")
    with pytest.raises(ConversionError, match="abf: icephys cannot be aligned yet"):
        apply_clock_maps([("abf", sweeps)], {"abf": Shift(1.0)})
    with pytest.raises(ConversionError, match=r"clock maps for \['nidq'\]: no such interface .* \['abf'\]"):
        apply_clock_maps([("abf", sweeps)], {"nidq": Shift(1.0)})
    external = pb.NwbObject(
        kind=pb.NWB_KIND_IMAGE_SERIES, name="Video", timing=pb.Timing(rate=30.0), attributes_json=json.dumps({})
    )
    with pytest.raises(ConversionError, match="video: Video does not say how many samples it has"):
        apply_clock_maps([("video", external)], {"video": Linear(0.0, 1e-5)})
