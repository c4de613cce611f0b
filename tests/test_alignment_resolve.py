"""From a declared alignment to clock maps: shifts, timestamps files (checked: readable, increasing, one per
sample), and pulses read through the service client (here a stand-in that serves synthetic trains) or from files,
fitted; every problem an error naming the interface's block. Also what the file and `nwbstream metadata` say."""

from __future__ import annotations

import numpy as np
import pytest
from nwbstream.coordinator.alignment.declaration import with_data_folder
from nwbstream.coordinator.alignment.maps import Linear, Piecewise, Shift, Timestamps
from nwbstream.coordinator.alignment.record import applied_alignment, describe
from nwbstream.coordinator.alignment.resolve import read_times_file, resolve_alignment
from nwbstream.coordinator.client import OpenedSource
from nwbstream.coordinator.errors import ConversionError
from nwbstream.v1 import modality_pb2 as pb

OFFSET, DRIFT = 1.5, 20e-6
RNG = np.random.default_rng(7)
AP_PULSES = np.cumsum(RNG.uniform(0.5, 1.5, 400))  # the reference clock's sync pulses
NIDQ_PULSES = np.delete((AP_PULSES - OFFSET) / (1 + DRIFT), 17)[5:]  # the same, on the NIDQ clock, one lost


class SyncService:
    """Stands in for a ServiceClient: serves each source's pulse trains by channel and records what was asked."""

    def __init__(self, trains: dict[tuple[str, str], np.ndarray]) -> None:
        self.trains = trains
        self.asked: list[tuple[str, str, str, int | None]] = []

    def read_sync_times(self, opened: OpenedSource, channel: str, edge: str = "rising", bit: int | None = None):
        self.asked.append((opened.source_id, channel, edge, bit))
        if (opened.source_id, channel) not in self.trains:
            raise ConversionError(f"{opened.source_id}: no sync channel {channel!r}")
        return self.trains[(opened.source_id, channel)]


def _source(key: str, service: SyncService, samples: int = 100, interface: str = "SpikeGLXRecordingInterface"):
    series = pb.NwbObject(
        name=f"Series{key}",
        timing=pb.Timing(rate=30.0),
        datasets=[pb.DatasetPlan(name="data", dtype="<i2", shape=[samples, 4])],
    )
    return OpenedSource(service, interface, key, {}, {}, [series], pb.OpenSourceRequest(), "")


@pytest.fixture
def sources():
    service = SyncService({("ap", "SY0"): AP_PULSES, ("nidq", "XD0"): NIDQ_PULSES})
    return service, {key: _source(key, service) for key in ("ap", "nidq", "pose", "video")}


PULSES = {"pulses": {"times": {"channel": "XD0"}, "reference_times": {"channel": "SY0", "bit": 6}}}


def test_pulses_through_the_services_give_the_fitted_map(sources):
    service, opened = sources
    maps = resolve_alignment({"reference": "ap", "nidq": PULSES, "pose": {"shift": -0.25}}, opened)
    assert service.asked == [("nidq", "XD0", "rising", None), ("ap", "SY0", "rising", 6)]
    assert maps["pose"] == Shift(-0.25)
    assert isinstance(maps["nidq"], Linear)
    assert abs(maps["nidq"].offset - OFFSET) < 1e-9
    assert abs(maps["nidq"].drift - DRIFT) < 1e-12
    assert len(maps["nidq"].residuals) == len(NIDQ_PULSES)
    assert set(maps) == {"nidq", "pose"}  # video keeps its own clock


def test_piecewise_from_pulse_files_joined_with_the_data_folder(tmp_path, sources):
    _, opened = sources
    np.save(tmp_path / "nidq.npy", NIDQ_PULSES)
    (tmp_path / "ap.csv").write_text("time\n" + "\n".join(map(str, AP_PULSES)) + "\n")
    block = {
        "nidq": {
            "pulses": {"times": {"file_path": "nidq.npy"}, "reference_times": {"file_path": "ap.csv"}},
            "fit": "piecewise",
        }
    }
    (clock_map,) = resolve_alignment(with_data_folder(block, tmp_path), opened).values()
    assert isinstance(clock_map, Piecewise)
    np.testing.assert_allclose(clock_map.own, NIDQ_PULSES)
    np.testing.assert_allclose(clock_map(NIDQ_PULSES), OFFSET + (1 + DRIFT) * NIDQ_PULSES, atol=1e-9)


def test_timestamps_from_each_kind_of_file(tmp_path, sources):
    _, opened = sources
    times = 2.0 + np.arange(100) / 29.97
    np.save(tmp_path / "t.npy", times)
    (tmp_path / "t.txt").write_text("\n".join(map(str, times)))
    (tmp_path / "t.csv").write_text("frame_time\n" + "\n".join(map(str, times)))
    for name in ("t.npy", "t.txt", "t.csv"):
        maps = resolve_alignment({"video": {"timestamps": {"file_path": str(tmp_path / name)}}}, opened)
        assert maps["video"] == Timestamps(tuple(times), source=str(tmp_path / name))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (np.arange(99) / 30, r"alignment/video/timestamps: .*t.npy: 99 times for the 100 samples of Seriesvideo"),
        (
            np.r_[np.arange(50), 49, np.arange(51, 99)] / 30.0,
            r"times must increase; the one at index 50 \(1.633.*\) follows 1.633",
        ),
        (np.full(100, np.nan), "holds times that are not finite numbers"),
        (np.zeros((100, 2)), r"expected one time per row, got an array of shape \(100, 2\)"),
    ],
)
def test_bad_timestamps_are_errors(tmp_path, sources, content, message):
    _, opened = sources
    np.save(tmp_path / "t.npy", content)
    with pytest.raises(ConversionError, match=message):
        resolve_alignment(with_data_folder({"video": {"timestamps": {"file_path": "t.npy"}}}, tmp_path), opened)


def test_unreadable_times_files_are_errors(tmp_path):
    with pytest.raises(ConversionError, match=r"t.json: times are read from .npy, .csv, .txt files, not '.json'"):
        read_times_file(tmp_path / "t.json")
    with pytest.raises(ConversionError, match="t.npy: no such file of times"):
        read_times_file(tmp_path / "t.npy")
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ConversionError, match="t.csv: not a file of times: expected one column"):
        read_times_file(tmp_path / "t.csv")


def test_timestamps_need_one_timed_series(tmp_path, sources):
    _, opened = sources
    opened["video"].objects.append(opened["video"].objects[0])
    np.save(tmp_path / "t.npy", np.arange(100) / 30)
    with pytest.raises(ConversionError, match=r"has 2 timed series \['Seriesvideo', 'Seriesvideo'\]"):
        resolve_alignment(with_data_folder({"video": {"timestamps": {"file_path": "t.npy"}}}, tmp_path), opened)


def test_too_few_matched_pulses_names_the_interface(sources):
    service, opened = sources
    service.trains[("nidq", "XD0")] = NIDQ_PULSES[:2]
    with pytest.raises(ConversionError, match="alignment/nidq: own pulse times: 2 pulses; at least 3 are needed"):
        resolve_alignment({"nidq": PULSES}, opened)


def test_a_channel_the_service_lacks_names_the_block_and_the_interface(sources):
    _, opened = sources
    block = {"nidq": {"pulses": {"times": {"channel": "XD7"}, "reference_times": {"channel": "SY0"}}}}
    with pytest.raises(
        ConversionError, match="alignment/nidq/pulses/times: SpikeGLXRecordingInterface: nidq: no sync channel 'XD7'"
    ):
        resolve_alignment(block, opened)


def test_the_record_has_a_row_per_interface_and_the_summary_a_line(sources):
    _, opened = sources
    block = {"reference": "ap", "nidq": PULSES, "pose": {"shift": -0.25}}
    maps = resolve_alignment(block, opened)
    applied = applied_alignment(block, maps, {key: f"{key.upper()}Interface" for key in opened})
    rows = {row["interface"]: row for row in applied.rows}
    assert [row["interface"] for row in applied.rows] == ["ap", "nidq", "pose", "video"]
    assert {key: row["method"] for key, row in rows.items()} == {
        "ap": "reference",
        "nidq": "linear",
        "pose": "shift",
        "video": "own_clock",
    }
    assert all(row["reference"] == "ap" for row in applied.rows)
    nidq = rows["nidq"]
    assert nidq["offset"] == maps["nidq"].offset and nidq["drift"] == maps["nidq"].drift
    assert nidq["matched_pulses"] == len(NIDQ_PULSES) and nidq["residual_max"] < 1e-9
    assert nidq["times_from"] == "channel=XD0 edge=rising"
    assert nidq["reference_times_from"] == "channel=SY0 edge=rising bit=6"
    assert rows["pose"] == {
        "interface": "pose",
        "interface_name": "POSEInterface",
        "reference": "ap",
        "method": "shift",
        "offset": -0.25,
    }
    lines = describe(applied)
    assert lines[0] == "alignment: the session clock is ap's"
    assert lines[2].startswith(
        "  nidq (NIDQInterface): linear (offset +1.500000 s, drift +20.000 ppm, 394 matched pulses, residuals rms"
    )
    assert lines[3] == "  pose (POSEInterface): shift (offset -0.250000 s)"
    assert applied_alignment({}, {}, {"ap": "X"}) is None and describe(None) == []
