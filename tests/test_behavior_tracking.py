"""Tracking sources through the real behavior service: FicTrac, Neuralynx NVT, Axona position, Miniscope head
orientation. Each written series read back with pynwb equals the source read here with an independent reader
(pandas for the text files, a numpy record dtype written from the published layouts for the binary ones).

FicTrac .dat, Neuralynx .nvt and Miniscope headOrientation.csv have no real file here: tests/fixtures/behavior/
tracking.py writes them to the published layouts (the FicTrac config.txt is real). Axona's .pos/.set are real.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, TESTDATA, convert
from .fixtures.behavior import tracking
from .nwbcheck import assert_valid_nwb

FICTRAC_CONFIG = TESTDATA / "behavior" / "fictrac" / "config.txt"
AXONA_SET = TESTDATA / "ecephys" / "axona" / "r1838_10-12-14" / "83812141.set"
GENERATED = "{generated}"  # stands for the session's generated-fixtures folder in a case's source

# Neuralynx "Data File Formats" rev. 1.1, video tracker record (written out here, apart from the service's reader).
NVT_LAYOUT = np.dtype(
    [
        ("start", "<u2"),
        ("id", "<u2"),
        ("size", "<u2"),
        ("microseconds", "<u8"),
        ("points", "<u4", 400),
        ("unused", "<i2"),
        ("x", "<i4"),
        ("y", "<i4"),
        ("angle", "<i4"),
        ("targets", "<i4", 50),
    ]
)
# Axona .pos samples: big-endian frame count, then x1, y1, x2, y2, numpix1, numpix2, total, unused (int16).
AXONA_LAYOUT = np.dtype([("frame", ">i4"), *((n, ">i2") for n in ("x1", "y1", "x2", "y2", "n1", "n2", "total", "u"))])


def read_fictrac(source: dict) -> dict:
    """pandas on the .dat: columns 1-indexed as FicTrac's data_header.txt numbers them."""
    table = pd.read_csv(source["file_path"], header=None)
    column = {number: table[number - 1].to_numpy() for number in range(1, 26)}
    times = column[22] / 1000.0
    if times[1] < times[0]:
        times[0] = 0.0
    if times.min() > 10 * 365 * 86400:
        times = times - times[0]
    unit = "meters" if source.get("radius") else "radians"

    def series(numbers, frame="lab"):
        return {"data": np.column_stack([column[n] for n in numbers]), "unit": unit, "reference_frame": frame}

    return {
        "holder": ("processing", "behavior", "FicTrac"),
        "times": times,
        "series": {
            "SpatialSeriesRotationDeltaCameraFrame": series((2, 3, 4), "camera"),
            "SpatialSeriesRotationDeltaError": series((5,)),
            "SpatialSeriesRotationDeltaLabFrame": series((6, 7, 8)),
            "SpatialSeriesRotationCameraFrame": series((9, 10, 11), "camera"),
            "SpatialSeriesRotationLabFrame": series((12, 13, 14)),
            "SpatialSeriesPosition": series((15, 16)),
            "SpatialSeriesAnimalHeading": series((17,)),
            "SpatialSeriesMovementDirection": series((18,)),
            "SpatialSeriesMovementSpeed": series((19,)),
            "SpatialSeriesIntegratedMotion": series((20, 21)),
        },
    }


def read_nvt(source: dict) -> dict:
    records = np.fromfile(source["file_path"], dtype=NVT_LAYOUT, offset=16384)
    position = np.column_stack([records["x"], records["y"]]).astype(float)
    position[position <= 0] = np.nan
    times = (records["microseconds"] - records["microseconds"][0]) / 1e6
    return {
        "holder": ("acquisition", "NvtPosition"),
        "times": times,
        "series": {"NvtSpatialSeries": {"data": position, "unit": "pixels", "reference_frame": "unknown"}},
        "angle": records["angle"],
    }


def read_axona(source: dict) -> dict:
    raw = Path(source["file_path"]).with_suffix(".pos").read_bytes()
    start = raw.index(b"data_start") + len(b"data_start")
    samples = np.frombuffer(raw[start : raw.rindex(b"\r\ndata_end\r\n")], dtype=AXONA_LAYOUT)
    duration = next(line.split()[1] for line in AXONA_SET.read_text("cp1252").splitlines() if line.startswith("dur"))
    ms = np.linspace(0, float(duration) * 1000, len(samples)).astype(int)
    names = {"X": "x1", "Y": "y1", "x": "x2", "y": "y2", "PX": "n1", "px": "n2", "px_total": "total", "unused": "u"}
    frame = "start of raw acquisition (.bin file)"
    series = {n: {"data": samples[f], "unit": "pixels", "reference_frame": frame} for n, f in names.items()}
    series["unused"]["unit"] = "n.a."
    series["time(ms)"] = {"data": ms, "unit": "n.a.", "reference_frame": frame}
    return {"holder": ("processing", "behavior", "Position"), "times": ms / 1000.0, "series": series}


def read_head_orientation(source: dict) -> dict:
    table = pd.read_csv(source["file_path"])
    data = table[["qw", "qx", "qy", "qz"]].to_numpy()
    name = source.get("metadata_key", "TimeSeriesMiniscopeHeadOrientation")
    return {
        "holder": ("processing", "behavior"),
        "times": table["Time Stamp (ms)"].to_numpy() / 1000.0,
        "series": {name: {"data": data, "unit": "n.a."}},
    }


CASES = {
    "fictrac": Case(
        "FicTracDataInterface",
        {"file_path": f"{GENERATED}/fictrac.dat", "configuration_file_path": str(FICTRAC_CONFIG)},
        read_fictrac,
        "generated .dat (FicTrac data_header.txt layout, tests/fixtures/behavior/tracking.py) + real config.txt",
        reader_name="pandas.read_csv",
    ),
    "fictrac_epoch_radius": Case(
        "FicTracDataInterface",
        {"file_path": f"{GENERATED}/epoch/fictrac.dat", "radius": 0.0045},
        read_fictrac,
        "generated .dat (FicTrac data_header.txt layout, tests/fixtures/behavior/tracking.py) + real config.txt",
        reader_name="pandas.read_csv",
    ),
    "nvt": Case(
        "NeuralynxNvtInterface",
        {"file_path": f"{GENERATED}/VT1.nvt"},
        read_nvt,
        "generated .nvt (Neuralynx Data File Formats video record, packed with struct; Cheetah 6 and 5 headers)",
        reader_name="numpy record dtype (Neuralynx video record)",
    ),
    "nvt_cheetah5": Case(
        "NeuralynxNvtInterface",
        {"file_path": f"{GENERATED}/cheetah5/VT1.nvt"},
        read_nvt,
        "generated .nvt (Neuralynx Data File Formats video record, packed with struct; Cheetah 6 and 5 headers)",
        reader_name="numpy record dtype (Neuralynx video record)",
    ),
    "axona": Case(
        "AxonaPositionDataInterface",
        {"file_path": str(AXONA_SET)},
        read_axona,
        "real: Axona r1838 .pos + .set (SOURCES.md)",
        reader_name="numpy record dtype (Axona .pos sample)",
    ),
    "head_orientation": Case(
        "MiniscopeHeadOrientationInterface",
        {"file_path": f"{GENERATED}/session/Miniscope/headOrientation.csv"},
        read_head_orientation,
        "generated headOrientation.csv + metaData.json (Miniscope DAQ layout, tests/fixtures/behavior/tracking.py)",
        reader_name="pandas.read_csv",
    ),
    "head_orientation_regular": Case(
        "MiniscopeHeadOrientationInterface",
        {"file_path": f"{GENERATED}/regular/Miniscope/headOrientation.csv", "metadata_key": "HeadOrientation"},
        read_head_orientation,
        "generated headOrientation.csv + metaData.json (Miniscope DAQ layout, tests/fixtures/behavior/tracking.py)",
        reader_name="pandas.read_csv",
    ),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tracking")
    tracking.write_fictrac_dat(folder / "fictrac.dat")
    (folder / "epoch").mkdir()
    tracking.write_fictrac_dat(folder / "epoch" / "fictrac.dat", epoch_start_ms=1_700_000_000_000.0)
    tracking.write_nvt(folder / "VT1.nvt")
    (folder / "cheetah5").mkdir()
    tracking.write_nvt(folder / "cheetah5" / "VT1.nvt", header=tracking.CHEETAH5_HEADER)
    tracking.write_miniscope_head_orientation(folder / "session")
    tracking.write_miniscope_head_orientation(folder / "regular", regular=True)
    return folder


def resolved(case: Case, folder: Path) -> dict:
    return {k: v.replace(GENERATED, str(folder)) if isinstance(v, str) else v for k, v in case.source.items()}


def holder_of(nwbfile, place: tuple[str, ...]):
    if place[0] == "acquisition":
        return nwbfile.acquisition[place[1]]
    module = nwbfile.processing[place[1]]
    return module if len(place) == 2 else module[place[2]]


def check_series(written, expected: dict, times: np.ndarray) -> None:
    np.testing.assert_array_equal(written.data[:], expected["data"])
    assert written.unit == expected["unit"]
    if "reference_frame" in expected:
        assert written.reference_frame == expected["reference_frame"]
    if written.timestamps is not None:
        np.testing.assert_array_equal(written.timestamps[:], times)
    else:
        assert written.starting_time == times[0]
        np.testing.assert_allclose(written.starting_time + np.arange(len(times)) / written.rate, times, atol=1e-6)


# ------------------------------------------------------------------------------------------------ the fixtures


def test_fixtures_read_back_with_independent_readers(generated):
    """The generators wrote what they meant: pandas and the record dtypes read their values back."""
    values = tracking.write_fictrac_dat(generated / "again.dat")
    np.testing.assert_array_equal(pd.read_csv(generated / "again.dat", header=None).to_numpy(), values)
    written = tracking.write_nvt(generated / "again.nvt")
    records = np.fromfile(generated / "again.nvt", dtype=NVT_LAYOUT, offset=16384)
    assert (records["start"] == 0x800).all() and NVT_LAYOUT.itemsize == 1828
    np.testing.assert_array_equal(records["microseconds"], written["TimeStamp"])
    np.testing.assert_array_equal(records["x"], written["Xloc"])
    np.testing.assert_array_equal(records["angle"], written["Angle"])
    quaternions = pd.read_csv(generated / "session" / "Miniscope" / "headOrientation.csv")
    assert list(quaternions.columns) == ["Time Stamp (ms)", "qw", "qx", "qy", "qz"]
    np.testing.assert_allclose(np.linalg.norm(quaternions[["qw", "qx", "qy", "qz"]], axis=1), 1, atol=1e-5)


# ------------------------------------------------------------------------------------------------ values


@pytest.mark.parametrize("name", sorted(CASES))
def test_series_equal_the_source(services, generated, tmp_path, name):
    case = CASES[name]
    source = resolved(case, generated)
    expected = case.read(source)
    path = convert(services, {"tracking": (case.interface, source)}, tmp_path / "out.nwb")
    assert_valid_nwb(path)
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwbfile = io.read()
        holder = holder_of(nwbfile, expected["holder"])
        if hasattr(holder, "spatial_series"):  # a Position holds these series and no others
            assert set(holder.spatial_series) == set(expected["series"])
        for series_name, series in expected["series"].items():
            check_series(holder[series_name], series, expected["times"])
        if "angle" in expected:
            angle = nwbfile.acquisition["NvtCompassDirection"]["NvtAngleSpatialSeries"]
            np.testing.assert_array_equal(angle.data[:], expected["angle"])
            assert angle.unit == "degrees" and angle.reference_frame == "unknown"
            np.testing.assert_array_equal(angle.timestamps[:], expected["times"])
    if "angle" in expected:  # the heading shares the position's timestamps (an HDF5 link, as NeuroConv writes it)
        with h5py.File(path) as file:
            timestamps = file["acquisition/NvtCompassDirection/NvtAngleSpatialSeries"].get("timestamps", getlink=True)
            assert isinstance(timestamps, h5py.SoftLink)


def test_fictrac_fields_follow_neuroconv(services, generated, tmp_path):
    """Radius as every series' conversion in meters; the config as JSON comments; irregular epoch times made
    relative, and the session starting at the first of them."""
    radius = resolved(CASES["fictrac_epoch_radius"], generated)
    configured = resolved(CASES["fictrac"], generated)
    metadata = {**START, "NWBFile": {"session_description": "test"}}  # the epoch time stands in
    path = convert(services, {"a": ("FicTracDataInterface", radius)}, tmp_path / "radius.nwb", metadata=metadata)
    first_ms = pd.read_csv(radius["file_path"], header=None)[21][0]
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        position = nwbfile.processing["behavior"]["FicTrac"]["SpatialSeriesPosition"]
        assert position.conversion == 0.0045 and position.unit == "meters"
        assert nwbfile.session_start_time.timestamp() == pytest.approx(first_ms / 1000.0, abs=1e-3)
    path = convert(services, {"a": ("FicTracDataInterface", configured)}, tmp_path / "config.nwb")
    with NWBHDF5IO(path, "r") as io:
        series = io.read().processing["behavior"]["FicTrac"]["SpatialSeriesAnimalHeading"]
        comments = json.loads(series.comments)
        assert comments["version"] == "v2.1.2" and comments["roi_ignr"][0] == [
            96,
            156,
            113,
            147,
            106,
            128,
            82,
            130,
            81,
            150,
        ]
        assert comments["src_fn"] == "sample.mp4" and comments["do_display"] is True
        assert series.conversion == 1.0 and series.unit == "radians"


def test_nvt_metadata_renames_the_series(services, generated, tmp_path):
    """NeuroConv's Behavior.<file name> entry: position_name / angle_name and their reference frames."""
    source = resolved(CASES["nvt"], generated)
    metadata = {
        **START,
        "Behavior": {
            "VT1.nvt": {
                "position_name": "HeadPosition",
                "position_reference_frame": "top left of the camera image",
                "angle_name": "HeadAngle",
                "angle_reference_frame": "camera x axis",
            }
        },
    }
    path = convert(services, {"nvt": ("NeuralynxNvtInterface", source)}, tmp_path / "renamed.nwb", metadata=metadata)
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        assert nwbfile.acquisition["NvtPosition"]["HeadPosition"].reference_frame == "top left of the camera image"
        assert nwbfile.acquisition["NvtCompassDirection"]["HeadAngle"].reference_frame == "camera x axis"


def test_head_orientation_entry_names_the_series(services, generated, tmp_path):
    """NeuroConv's TimeSeries.<metadata_key> entry gives the series its name, description and comments."""
    source = resolved(CASES["head_orientation_regular"], generated)
    entry = {"name": "IMUQuaternions", "description": "BNO055 on the scope", "comments": "calibrated"}
    metadata = {**START, "TimeSeries": {"HeadOrientation": entry}}
    path = convert(
        services,
        {"imu": (CASES["head_orientation_regular"].interface, source)},
        tmp_path / "imu.nwb",
        metadata=metadata,
    )
    with NWBHDF5IO(path, "r") as io:
        series = io.read().processing["behavior"]["IMUQuaternions"]
        assert (series.description, series.comments, series.unit) == (entry["description"], "calibrated", "n.a.")
        assert series.rate == pytest.approx(20.0)


def test_nvt_without_heading_has_no_compass_direction(services, tmp_path):
    """As NeuroConv: the angle is written unless every record's angle is 0."""
    tracking.write_nvt(tmp_path / "VT1.nvt", num_records=20, angles=False)
    path = convert(
        services, {"nvt": ("NeuralynxNvtInterface", {"file_path": str(tmp_path / "VT1.nvt")})}, tmp_path / "o.nwb"
    )
    with NWBHDF5IO(path, "r") as io:
        assert set(io.read().acquisition) == {"NvtPosition"}


def test_session_start_times_come_from_the_sources(services, generated, tmp_path):
    """NVT: -TimeCreated, or the older '## Time Opened' line; Miniscope: the session metaData.json."""
    metadata = {"NWBFile": {"session_description": "test"}, "Subject": START["Subject"]}
    for name, expected in (
        ("nvt", "2021-07-14T10:37:08"),
        ("nvt_cheetah5", "2015-03-09T11:10:49"),
        ("head_orientation", "2024-03-05T14:02:31.250000"),
    ):
        case = CASES[name]
        path = convert(
            services, {"s": (case.interface, resolved(case, generated))}, tmp_path / f"{name}.nwb", metadata=metadata
        )
        with NWBHDF5IO(path, "r") as io:
            assert io.read().session_start_time.replace(tzinfo=None).isoformat() == expected


def test_stub_writes_the_first_samples(services, generated, tmp_path):
    sources = {name: (CASES[name].interface, resolved(CASES[name], generated)) for name in ("nvt", "axona")}
    path = convert(services, sources, tmp_path / "stub.nwb", stub_test=True)
    assert_valid_nwb(path)
    nvt, axona = (CASES[name].read(sources[name][1]) for name in ("nvt", "axona"))
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        position = nwbfile.acquisition["NvtPosition"]["NvtSpatialSeries"]
        np.testing.assert_array_equal(position.data[:], nvt["series"]["NvtSpatialSeries"]["data"][:100])
        np.testing.assert_array_equal(position.timestamps[:], nvt["times"][:100])
        x = nwbfile.processing["behavior"]["Position"]["X"]
        np.testing.assert_array_equal(x.data[:], axona["series"]["X"]["data"][:100])
        assert len(x.timestamps) == 100


# ------------------------------------------------------------------------------------------------ bad input


def damaged(folder: Path) -> dict[str, tuple[str, dict]]:
    """One damaged file per format: a truncated .nvt record, a .dat of text (and a good one whose config is
    missing), an IMU csv without quaternions, a .pos cut mid-sample."""
    nvt = folder / "cut.nvt"
    nvt.write_bytes((folder / "VT1.nvt").read_bytes()[:-100])
    dat = folder / "notes.dat"
    dat.write_text("this is, not, fictrac\n")
    csv = folder / "imu" / "headOrientation.csv"
    csv.parent.mkdir()
    csv.write_text("Time Stamp (ms),roll,pitch\n0,1,2\n")
    good_dat = folder / "good.dat"
    tracking.write_fictrac_dat(good_dat, num_frames=5)
    axona = folder / "axona"
    axona.mkdir()
    (axona / "cut.set").write_bytes(AXONA_SET.read_bytes())
    pos = AXONA_SET.with_suffix(".pos").read_bytes()
    (axona / "cut.pos").write_bytes(pos[: pos.index(b"data_start") + 10 + 20 * 7 + 3])
    return {
        "cut.nvt": ("NeuralynxNvtInterface", {"file_path": str(nvt)}),
        "notes.dat": ("FicTracDataInterface", {"file_path": str(dat)}),
        "gone.txt": (
            "FicTracDataInterface",
            {"file_path": str(good_dat), "configuration_file_path": str(folder / "gone.txt")},
        ),
        "headOrientation.csv": ("MiniscopeHeadOrientationInterface", {"file_path": str(csv)}),
        "cut.pos": ("AxonaPositionDataInterface", {"file_path": str(axona / "cut.set")}),
    }


def test_bad_files_fail_naming_the_file_and_write_nothing(services, generated, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "VT1.nvt").write_bytes((generated / "VT1.nvt").read_bytes())
    for file_name, (interface, source) in damaged(folder).items():
        output = tmp_path / f"{interface}.nwb"
        with pytest.raises(Exception, match=file_name) as raised:
            convert(services, {"bad": (interface, source)}, output)
        assert "Traceback" not in str(raised.value)
        assert not output.exists(), interface
