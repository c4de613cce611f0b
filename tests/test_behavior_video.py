"""Video and sound through the real behavior service: ImageSeries (linked or embedded frames) and ndx-sound
AcousticWaveformSeries read back with pynwb and compared with OpenCV (frames, frame counts, rates) and scipy
(samples) reading the same files, pandas for the Miniscope timeStamps.csv, the stdlib `wave` for WAV headers."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from pynwb import NWBHDF5IO
from scipy.io import wavfile

from .cases import Case
from .conftest import START, TESTDATA, convert
from .fixtures.behavior import miniscope, sound
from .nwbcheck import assert_valid_nwb

VIDEOS = TESTDATA / "behavior" / "video"
AVI = VIDEOS / "vid.avi"  # h264 in AVI: OpenCV's frame times lag two frames and end in zeros (module docstring)
MP4 = VIDEOS / "m3v1mp4.mp4"
REAL_VIDEO = "real: behavior/video (SOURCES.md)"
WAV_FIXTURE = "generated with scipy.io.wavfile, header checked with wave (tests/fixtures/behavior/sound.py)"
MINISCOPE_FIXTURE = "generated to the DAQ-QT layout with OpenCV and pandas (tests/fixtures/behavior/miniscope.py)"


def opencv_header(path: Path) -> tuple[int, float]:
    """(frame count, fps) as the container header gives them to OpenCV."""
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), float(capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()


def opencv_frames(path: Path, count: int | None = None) -> np.ndarray:
    """The first `count` frames (all when None) decoded in order, RGB."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while count is None or len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return np.stack(frames)


EXTERNAL = Case(
    "ExternalVideoInterface",
    {"file_paths": [str(AVI), str(MP4)]},
    lambda: opencv_header(AVI),
    REAL_VIDEO,
    reader_name="cv2.VideoCapture",
)
INTERNAL = Case(
    "InternalVideoInterface",
    {"file_path": str(AVI)},
    lambda: opencv_frames(AVI),
    REAL_VIDEO,
    reader_name="cv2.VideoCapture",
)
# The cases on generated fixtures: their files are written at run time (the source names the writer).
AUDIO = Case(
    "AudioInterface",
    {"file_paths": ["sound.write_wav(...)"]},
    wavfile.read,
    WAV_FIXTURE,
    reader_name="scipy.io.wavfile",
)
MINISCOPE = Case(
    "MiniscopeBehaviorInterface",
    {"folder_path": "miniscope.write_session(...)"},
    pd.read_csv,
    MINISCOPE_FIXTURE,
    reader_name="pandas.read_csv (timeStamps.csv), cv2.VideoCapture",
)


def read_nwb(path: Path):
    io = NWBHDF5IO(str(path), "r", load_namespaces=True)
    return io, io.read()


# A short video has fewer frames than pixels in a row, which nwbinspector takes for a transposed series.
SHORT_VIDEO = frozenset({"check_data_orientation"})


def write(services, tmp_path, interfaces, name="out.nwb", metadata=START, **options) -> Path:
    path = convert(services, interfaces, tmp_path / name, metadata=metadata, **options)
    assert_valid_nwb(path, waive=SHORT_VIDEO)
    return path


# ------------------------------------------------------------------------------------------------ external video


def test_external_video_links_the_files_with_their_frame_counts(services, tmp_path):
    path = write(services, tmp_path, {"Video": (EXTERNAL.interface, EXTERNAL.source)})
    counts, rates = zip(*(opencv_header(p) for p in (AVI, MP4)), strict=True)
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["Video vid"]
        assert list(series.external_file[:]) == [str(AVI), str(MP4)]  # as given, as NeuroConv writes them
        assert list(series.starting_frame) == [0, counts[0]]
        assert series.format == "external"
        assert series.num_samples == sum(counts) == 256 + 2330
        assert series.rate == rates[0] and series.starting_time == 0.0
        assert series.unit == "Frames" and series.description == "Video recorded by camera."
        assert series.device.name == "Video vid Camera Device"


def test_external_video_in_the_behavior_module_under_its_metadata_name(services, tmp_path):
    metadata = {**START, "Behavior": {"ExternalVideos": {"video_m3v1mp4": {"name": "SideCamera"}}}}
    path = write(
        services,
        tmp_path,
        {"Video": ("ExternalVideoInterface", {"file_paths": [str(MP4)]})},
        metadata=metadata,
        conversion_options={"Video": {"parent_container": "processing/behavior"}},
    )
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.processing["behavior"]["SideCamera"]
        assert list(series.external_file[:]) == [str(MP4)]
        assert series.num_samples == opencv_header(MP4)[0]
        assert nwbfile.processing["behavior"].description == "processed behavioral data"


# ------------------------------------------------------------------------------------------------ internal video


@pytest.fixture(scope="module")
def embedded_avi(services, tmp_path_factory) -> Path:
    return write(services, tmp_path_factory.mktemp("internal"), {"Video": (INTERNAL.interface, INTERNAL.source)})


def test_internal_video_frames_are_opencvs(embedded_avi):
    expected = INTERNAL.read()
    frame_count, fps = opencv_header(AVI)
    io, nwbfile = read_nwb(embedded_avi)
    with io:
        series = nwbfile.acquisition["Video vid"]
        assert series.data.shape == (frame_count, 374, 416, 3) == expected.shape
        assert series.data.dtype == np.uint8
        np.testing.assert_array_equal(series.data[:], expected)
        assert series.rate == fps and series.starting_time == 0.0


def test_internal_video_stub_is_the_first_ten_frames(services, tmp_path):
    source = {"file_path": str(MP4), "video_name": "BehaviorCamera"}
    path = write(services, tmp_path, {"Video": ("InternalVideoInterface", source)}, stub_test=True)
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["BehaviorCamera"]
        np.testing.assert_array_equal(series.data[:], opencv_frames(MP4, 10))
        assert series.device.name == "BehaviorCamera Camera Device"


def test_a_chunk_asked_for_out_of_order_is_sought_to():
    """A resumed transfer asks for a later chunk first, then earlier ones again."""
    from nwbstream.behavior.internal_video import InternalVideoInterface

    interface = InternalVideoInterface.open({"file_path": str(MP4)})
    expected = opencv_frames(MP4, 40)
    try:
        everything = (slice(None), slice(None), slice(None))
        np.testing.assert_array_equal(
            interface.read("Video m3v1mp4", "data", (slice(30, 40), *everything)), expected[30:]
        )
        np.testing.assert_array_equal(
            interface.read("Video m3v1mp4", "data", (slice(0, 10), *everything)), expected[:10]
        )
        rows = (slice(10, 20), slice(0, 100), slice(None), slice(None))
        np.testing.assert_array_equal(interface.read("Video m3v1mp4", "data", rows), expected[10:20, :100])
    finally:
        interface.close()


def test_video_file_times_are_opencvs_presentation_times():
    """VideoFile.timestamps is what NeuroConv's VideoCaptureContext.get_video_timestamps gives (CAP_PROP_POS_MSEC
    after each frame): even on the mp4; on the h264 .avi two frames late, and zero for the last two frames (what the
    decoder flushes), which is why neither tool writes them unless asked and both write rate + start instead."""
    from nwbstream.behavior.video_file import VideoFile

    with VideoFile(MP4) as video:
        times = video.timestamps()
    assert len(times) == opencv_header(MP4)[0]
    np.testing.assert_allclose(times, np.arange(len(times)) * 0.033333, atol=1e-3)
    with VideoFile(AVI) as video:
        times = video.timestamps()
    np.testing.assert_allclose(times[:-2], (np.arange(254) + 2) / 30.0)
    assert list(times[-2:]) == [0.0, 0.0]


# ------------------------------------------------------------------------------------------------ audio


def test_wav_fixture_header_read_by_the_standard_library(tmp_path):
    path = sound.write_wav(tmp_path / "s.wav", n_samples=500, channels=2)
    assert sound.check_header(path) == (2, 2, sound.RATE, 500)
    header = path.read_bytes()[:44]
    assert header[:4] == b"RIFF" and header[8:16] == b"WAVEfmt " and int.from_bytes(header[34:36], "little") == 16


def test_audio_samples_are_scipys(services, tmp_path):
    mono = sound.write_wav(tmp_path / "mono.wav", channels=1, seed=1)
    stereo = sound.write_wav(tmp_path / "stereo.wav", channels=2, seed=2)
    audio = {"Audio": [{"name": "AcousticWaveformSeries", "starting_time": 0.0}]}
    # entries merge by name, as lists of named entries do (NeuroConv appends them: renaming one is not possible)
    audio["Audio"].append({"name": "AcousticWaveformSeries1", "starting_time": 12.5, "description": "Microphone 2."})
    path = write(
        services,
        tmp_path,
        {"Audio": ("AudioInterface", {"file_paths": [str(mono), str(stereo)]})},
        metadata={**START, "Behavior": audio},
    )
    io, nwbfile = read_nwb(path)
    with io:
        for (name, start), file in zip(
            [("AcousticWaveformSeries", 0.0), ("AcousticWaveformSeries1", 12.5)], (mono, stereo), strict=True
        ):
            series = nwbfile.stimulus[name]
            rate, samples = wavfile.read(file)
            np.testing.assert_array_equal(series.data[:], samples)
            assert series.data.dtype == samples.dtype
            assert series.rate == rate and series.starting_time == start
        assert nwbfile.stimulus["AcousticWaveformSeries1"].description == "Microphone 2."


def test_audio_stub_in_acquisition(services, tmp_path):
    file = sound.write_wav(tmp_path / "long.wav", n_samples=5000, channels=1)
    options = {"Audio": {"parent_container": "acquisition"}}
    path = write(
        services,
        tmp_path,
        {"Audio": ("AudioInterface", {"file_paths": [str(file)]})},
        stub_test=True,
        conversion_options=options,
    )
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["AcousticWaveformSeries"]
        np.testing.assert_array_equal(series.data[:], wavfile.read(file)[1][:1000])
        assert series.description == "Acoustic waveform series."


def test_several_audio_files_need_their_starting_times(services, tmp_path):
    from nwbstream.coordinator.errors import ConversionError

    files = [str(sound.write_wav(tmp_path / f"{i}.wav", seed=i)) for i in range(2)]
    with pytest.raises(ConversionError, match="starting_time"):
        convert(services, {"Audio": ("AudioInterface", {"file_paths": files})}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()


# ------------------------------------------------------------------------------------------------ miniscope


def test_miniscope_behavior_camera(services, tmp_path):
    folder = miniscope.write_session(tmp_path / "C6-J588_Disc5")
    metadata = {"NWBFile": {"session_description": "test"}, "Subject": START["Subject"]}  # the start: the folder's
    path = write(
        services,
        tmp_path,
        {"Behavior": ("MiniscopeBehaviorInterface", {"folder_path": str(folder)})},
        metadata=metadata,
    )
    videos = sorted(folder.glob("*/BehavCam_2/*.avi"))
    counts = [opencv_header(v)[0] for v in videos]
    first, second = (
        pd.read_csv(f)["Time Stamp (ms)"].to_numpy() / 1000 for f in sorted(folder.glob("*/*/timeStamps.csv"))
    )
    later_start = 6 * 60 + 28 - (3 * 60 + 28.120)  # 15:06:28.000 - 15:03:28.120
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["BehavCamImageSeries"]
        assert list(series.external_file[:]) == [str(v) for v in videos]
        assert list(series.starting_frame) == list(np.cumsum([0, *counts[:-1]]))
        assert sum(counts) == len(series.timestamps) == 20
        np.testing.assert_allclose(series.timestamps[:10], first - first[0])  # moved to 0: the first time is < 0
        np.testing.assert_allclose(series.timestamps[10:], second - second[0] + later_start)
        assert list(series.dimension[:]) == [miniscope.COLUMNS, miniscope.ROWS] and series.unit == "px"
        camera = series.device
        assert type(camera).__name__ == "Miniscope" and camera.name == "BehavCam2"
        assert list(camera.ROI[:]) == [miniscope.ROWS, miniscope.COLUMNS]
        assert (camera.compression, camera.deviceType, camera.framesPerFile) == ("MJPG", "WebCam-320x240", 5)
        assert nwbfile.session_start_time.replace(tzinfo=None).isoformat() == "2024-03-05T15:03:28.120000"


# ------------------------------------------------------------------------------------------------ bad input


def truncated_video(folder: Path) -> tuple[str, dict]:
    path = folder / "broken.mp4"
    path.write_bytes(MP4.read_bytes()[:2000])
    return "InternalVideoInterface", {"file_path": str(path)}


def text_as_video(folder: Path) -> tuple[str, dict]:
    path = folder / "notes.avi"
    path.write_text("not a video\n")
    return "ExternalVideoInterface", {"file_paths": [str(path)]}


def text_as_wav(folder: Path) -> tuple[str, dict]:
    path = folder / "noise.wav"
    path.write_text("RIFF but not really\n")
    return "AudioInterface", {"file_paths": [str(path)]}


def miniscope_without_times(folder: Path) -> tuple[str, dict]:
    main = miniscope.write_session(folder / "session")
    for times in main.glob("*/*/timeStamps.csv"):
        times.write_text("Frame Number,Buffer Index\n0,0\n")
    return "MiniscopeBehaviorInterface", {"folder_path": str(main)}


@pytest.mark.parametrize("make", [truncated_video, text_as_video, text_as_wav, miniscope_without_times])
def test_a_broken_source_is_refused_naming_the_file(services, tmp_path, make):
    from nwbstream.coordinator.errors import ConversionError

    interface, source = make(tmp_path)
    named = Path(json.dumps(source).split('"')[3]).name  # the file or folder the source names
    with pytest.raises(ConversionError, match=named):
        convert(services, {"Source": (interface, source)}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists() and not list(tmp_path.glob(".*partial*"))


# ------------------------------------------------------------------------------------------------ frame times


def opencv_times(path: Path, count: int | None = None) -> np.ndarray:
    """Each decoded frame's CAP_PROP_POS_MSEC in seconds, as NeuroConv's VideoCaptureContext reads them."""
    capture = cv2.VideoCapture(str(path))
    times = []
    while (count is None or len(times) < count) and capture.read()[0]:
        times.append(capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    capture.release()
    return np.asarray(times)


FRAME_TIMES = {"always_write_timestamps": True}


def test_external_video_frame_times_are_each_files_opencv_times_one_after_another(services, tmp_path):
    path = write(
        services, tmp_path, {"Video": (EXTERNAL.interface, EXTERNAL.source)}, conversion_options={"Video": FRAME_TIMES}
    )
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["Video vid"]
        assert series.rate is None and series.starting_time is None
        # each file's own times from its own 0 s, concatenated (NeuroConv's), the .avi's two trailing zeros included
        np.testing.assert_array_equal(series.timestamps[:], np.concatenate([opencv_times(AVI), opencv_times(MP4)]))
        assert len(series.timestamps) == sum(opencv_header(p)[0] for p in (AVI, MP4))
        assert list(series.starting_frame) == [0, opencv_header(AVI)[0]]


def test_internal_video_frame_times_are_opencvs_odd_ones(services, tmp_path):
    path = write(
        services, tmp_path, {"Video": (INTERNAL.interface, INTERNAL.source)}, conversion_options={"Video": FRAME_TIMES}
    )
    expected = opencv_times(AVI)
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["Video vid"]
        assert series.rate is None
        np.testing.assert_array_equal(series.timestamps[:], expected)
        assert series.data.shape[0] == len(expected) == opencv_header(AVI)[0]
        assert list(series.timestamps[:3]) == [2 / 30, 3 / 30, 4 / 30] and list(series.timestamps[-2:]) == [0.0, 0.0]


def test_internal_video_stub_frame_times_are_the_stub_frames(services, tmp_path):
    path = write(
        services,
        tmp_path,
        {"Video": ("InternalVideoInterface", {"file_path": str(MP4)})},
        stub_test=True,
        conversion_options={"Video": FRAME_TIMES},
    )
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["Video m3v1mp4"]
        np.testing.assert_array_equal(series.timestamps[:], opencv_times(MP4, 10))
        np.testing.assert_array_equal(series.data[:], opencv_frames(MP4, 10))


def test_frame_times_are_decoded_only_when_asked(services, tmp_path):
    """A truncated .avi whose header counts 256 frames, 151 of which decode: linked by rate, it converts (nothing
    decodes it); with its frame times, it is refused naming the file, and nothing is left at the output path."""
    from nwbstream.coordinator.errors import ConversionError

    broken = tmp_path / "cut.avi"
    broken.write_bytes(AVI.read_bytes()[: int(AVI.stat().st_size * 0.6)])
    assert opencv_header(broken)[0] == 256 and len(opencv_times(broken)) == 151
    interfaces = {"Video": ("ExternalVideoInterface", {"file_paths": [str(broken)]})}
    path = write(services, tmp_path, interfaces, name="by_rate.nwb")
    io, nwbfile = read_nwb(path)
    with io:
        series = nwbfile.acquisition["Video cut"]
        assert series.timestamps is None and series.rate == opencv_header(AVI)[1] and series.num_samples == 256
    with pytest.raises(ConversionError, match=r"cut\.avi: 151 frames decode where the series holds 256"):
        convert(services, interfaces, tmp_path / "timed.nwb", conversion_options={"Video": FRAME_TIMES})
    assert not (tmp_path / "timed.nwb").exists() and not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_always_write_timestamps_is_refused_unless_a_boolean(services, tmp_path, value):
    from nwbstream.coordinator.errors import ConversionError

    options = {"Video": {"always_write_timestamps": value}}
    with pytest.raises(ConversionError, match=f"Video: conversion_options always_write_timestamps {value!r}: choose"):
        convert(
            services, {"Video": (INTERNAL.interface, INTERNAL.source)}, tmp_path / "out.nwb", conversion_options=options
        )
    assert not (tmp_path / "out.nwb").exists()


def test_always_write_timestamps_is_refused_for_a_source_without_video_frame_times(services, tmp_path):
    """Miniscope's camera series has its own times, and NeuroConv's other interfaces taking the option write other
    timestamps: refused, rather than ignored."""
    from nwbstream.coordinator.errors import ConversionError

    folder = miniscope.write_session(tmp_path / "session")
    with pytest.raises(ConversionError, match="always_write_timestamps: nwbstream writes it for videos only, and Min"):
        convert(
            services,
            {"Camera": ("MiniscopeBehaviorInterface", {"folder_path": str(folder)})},
            tmp_path / "out.nwb",
            conversion_options={"Camera": FRAME_TIMES},
        )
    assert not (tmp_path / "out.nwb").exists()
