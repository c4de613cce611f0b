"""The general service through real services: time intervals tables (CSV, Excel) and images (embedded, external).

Tables read back equal pandas' read of the same file (read_csv / read_excel): column names in NeuroConv's order,
dtypes and values. Embedded images equal Pillow's pixels (np.asarray(Image.open(...))) with NeuroConv's image type
for the file's mode; external images hold the file's path, format and mode. Every output is validated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from nwbstream.coordinator.errors import ConversionError
from PIL import Image
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, TESTDATA, convert
from .fixtures.general import generate
from .nwbcheck import assert_valid_nwb

CSV = TESTDATA / "general" / "csv" / "trials.csv"
XLSX = TESTDATA / "general" / "excel" / "trials.xlsx"
REAL_IMAGES = sorted(generate.REAL_IMAGES.glob("*.png"))
# NeuroConv 0.10.2's image type by Pillow mode (LA is written as RGBA).
IMAGE_TYPES = {"L": "GrayscaleImage", "I;16": "GrayscaleImage", "RGB": "RGBImage", "RGBA": "RGBAImage"}
IMAGE_TYPES["LA"] = "RGBAImage"

TABLE_CASES = {
    "csv": Case(
        "CsvTimeIntervalsInterface",
        {"file_path": str(CSV)},
        lambda: pd.read_csv(CSV),
        "real: NeuroConv's test trials.csv",
    ),
    "excel": Case(
        "ExcelTimeIntervalsInterface",
        {"file_path": str(XLSX)},
        lambda: pd.read_excel(XLSX),
        "real: NeuroConv's test trials.xlsx",
    ),
}
REAL_IMAGE_CASE = Case(
    "ImageInterface",
    {"folder_path": str(generate.REAL_IMAGES)},
    lambda: {path.stem: np.asarray(Image.open(path)) for path in REAL_IMAGES},
    "real: DeepLabCut example frames (PNG, RGB)",
    reader_name="PIL.Image.open",
)
EXTERNAL_CASE = Case(
    "ExternalImageInterface",
    {"file_paths": [str(path) for path in REAL_IMAGES]},
    lambda: {path.stem: pillow_header(path) for path in REAL_IMAGES},
    "real: DeepLabCut example frames (PNG, RGB)",
    reader_name="PIL.Image.open",
)
# Cases on files generated at run time (tests/fixtures/general/generate.py).
FIXTURES = {
    "ImageInterface": "generated with Pillow (L, I;16, LA, RGBA, JPEG, BMP)",
    "ExternalImageInterface": "generated with Pillow (JPEG, GIF, grayscale PNG)",
    "CsvTimeIntervalsInterface": "generated with pandas (text, booleans, gaps, no stop_time)",
    "ExcelTimeIntervalsInterface": "generated with pandas (text, booleans, gaps, no stop_time)",
}


def read_nwb(path: Path) -> tuple[NWBHDF5IO, Any]:
    io = NWBHDF5IO(path, "r", load_namespaces=True)
    return io, io.read()


def pillow_pixels(path: Path) -> np.ndarray:
    """What NeuroConv writes for a file: Pillow's pixels, LA spread to RGBA (gray in R, G and B)."""
    with Image.open(path) as image:
        pixels, mode = np.asarray(image), image.mode
    if mode == "LA":
        return np.stack([pixels[..., 0]] * 3 + [pixels[..., 1]], axis=-1)
    return pixels


def assert_table_equals(table, frame: pd.DataFrame) -> None:
    """Columns in NeuroConv's order (start_time, stop_time, then the file's), each with pandas' dtype and values."""
    others = [c for c in frame.columns if c not in ("start_time", "stop_time")]
    assert list(table.colnames) == ["start_time", "stop_time", *others]
    assert len(table) == len(frame)
    for name in frame.columns:
        written = np.asarray(table[name].data[:])
        expected = frame[name].to_numpy()
        if frame[name].dtype.kind in "biuf":
            assert written.dtype == frame[name].dtype, name
            np.testing.assert_array_equal(written, expected, err_msg=name)
        else:
            assert [v.decode() if isinstance(v, bytes) else v for v in written] == list(expected), name


def interface_metadata(name: str, source: dict[str, Any]) -> dict[str, Any]:
    """What the interface's get_metadata() gives, as the service sends it."""
    from nwbstream.service import discover_interfaces

    interfaces = {cls.__name__: cls for cls in discover_interfaces("nwbstream.general")}
    return interfaces[name].open(source).get_metadata()


def test_metadata_is_neuroconvs():
    """NeuroConv 0.10.2's get_metadata() on the same sources, minus its provenance (session_description "",
    a fresh identifier, source_script)."""
    assert interface_metadata("CsvTimeIntervalsInterface", {"file_path": str(CSV)}) == {
        "NWBFile": {},
        "TimeIntervals": {
            "trials": {"table_name": "trials", "table_description": f"experimental trials generated from {CSV}"}
        },
    }
    frames = {str(path): {"name": path.stem} for path in REAL_IMAGES}
    assert interface_metadata("ImageInterface", {"folder_path": str(generate.REAL_IMAGES)}) == {
        "NWBFile": {},
        "Images": {
            "Images": {"name": "Images", "description": "Images loaded through ImageInterface", "images": frames}
        },
    }
    source = {"file_paths": [str(path) for path in REAL_IMAGES], "metadata_key": "Frames"}
    assert interface_metadata("ExternalImageInterface", source)["Images"] == {
        "Frames": {"name": "Frames", "description": "Images loaded through ExternalImageInterface", "images": frames}
    }


# ----------------------------------------------------------------------------------------------- time intervals


@pytest.mark.parametrize("name", sorted(TABLE_CASES))
def test_real_trials_table(services, tmp_path, name):
    case = TABLE_CASES[name]
    path = convert(services, {"Trials": (case.interface, case.source)}, tmp_path / f"{name}.nwb")
    io, nwbfile = read_nwb(path)
    with io:
        trials = nwbfile.trials
        assert trials.description == f"experimental trials generated from {case.source['file_path']}"
        assert_table_equals(trials, case.read())
        assert trials["start_time"].description == "Start time of epoch, in seconds"
        assert trials["condition"].description == "condition"
        np.testing.assert_array_equal(trials.id[:], np.arange(11))
    assert_valid_nwb(path)


def test_stub_is_the_whole_table(services, tmp_path):
    """A table is small: NeuroConv has no preview of one, so stub mode writes it whole."""
    case = TABLE_CASES["csv"]
    path = convert(services, {"Trials": (case.interface, case.source)}, tmp_path / "stub.nwb", stub_test=True)
    io, nwbfile = read_nwb(path)
    with io:
        assert_table_equals(nwbfile.trials, case.read())
    assert_valid_nwb(path)


TYPED_OPTIONS = {
    "column_name_mapping": {"start": "start_time"},
    "column_descriptions": {"stimulus": "The stimulus shown.", "correct": "Whether the answer was right."},
}


@pytest.mark.parametrize(
    ("interface", "suffix", "read_kwargs"),
    [("CsvTimeIntervalsInterface", ".csv", {"sep": ";"}), ("ExcelTimeIntervalsInterface", ".xlsx", None)],
)
def test_typed_table_renamed_into_intervals(services, tmp_path, interface, suffix, read_kwargs):
    """Text, booleans, integers and floats with a gap keep pandas' types; `start` becomes start_time through the
    mapping, stop_time is the next row's start (NaN last), descriptions come from the options and the table goes
    to `intervals` under the name the metadata gives it; read_kwargs reach pandas."""
    file_path = generate.write_typed_trials(tmp_path, suffix, sep=";")
    source = {"file_path": str(file_path), **({"read_kwargs": read_kwargs} if read_kwargs else {})}
    metadata = {**START, "TimeIntervals": {"trials": {"table_name": "presentations", "table_description": "Shown."}}}
    path = convert(
        services,
        {"Presentations": (interface, source)},
        tmp_path / "typed.nwb",
        metadata=metadata,
        conversion_options={"Presentations": TYPED_OPTIONS},
    )
    frame = pd.read_csv(file_path, sep=";") if suffix == ".csv" else pd.read_excel(file_path)
    frame = frame.rename(columns={"start": "start_time"})
    frame.insert(1, "stop_time", np.r_[frame["start_time"].to_numpy()[1:], np.nan])
    io, nwbfile = read_nwb(path)
    with io:
        assert nwbfile.trials is None
        table = nwbfile.intervals["presentations"]
        assert table.description == "Shown."
        assert_table_equals(table, frame)
        assert table["correct"].data.dtype == bool
        assert table["stimulus"].description == "The stimulus shown."
        assert table["contrast"].description == "contrast"
    assert_valid_nwb(path)


def test_tag_and_metadata_mapping_make_epochs(services, tmp_path):
    """NeuroConv's `tag` option picks the metadata entry; a mapping given in metadata works as the option does."""
    file_path = generate.write_typed_trials(tmp_path)
    entry = {"table_name": "epochs", "table_description": "Epochs.", "column_name_mapping": {"start": "start_time"}}
    path = convert(
        services,
        {"Epochs": ("CsvTimeIntervalsInterface", {"file_path": str(file_path)})},
        tmp_path / "epochs.nwb",
        metadata={**START, "TimeIntervals": {"epochs": entry}},
        conversion_options={"Epochs": {"tag": "epochs"}},
    )
    io, nwbfile = read_nwb(path)
    with io:
        assert nwbfile.trials is None
        assert nwbfile.epochs.description == "Epochs."
        np.testing.assert_array_equal(nwbfile.epochs["start_time"].data[:], pd.read_csv(file_path)["start"])
    assert_valid_nwb(path)


def test_table_without_start_time_is_refused(services, tmp_path):
    file_path = generate.write_typed_trials(tmp_path)
    out = tmp_path / "out.nwb"
    with pytest.raises(ConversionError, match=rf"{file_path.name}: no start_time column"):
        convert(services, {"Trials": ("CsvTimeIntervalsInterface", {"file_path": str(file_path)})}, out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_path.name]


def test_timing_column_that_is_not_seconds_is_named(services, tmp_path):
    file_path = tmp_path / "trials.csv"
    file_path.write_text("start_time,stop_time\n0.5,1.0\nsoon,2.0\n")
    with pytest.raises(ConversionError, match=rf"{file_path}: timing column 'start_time' is not numbers"):
        convert(services, {"Trials": ("CsvTimeIntervalsInterface", {"file_path": str(file_path)})}, tmp_path / "o.nwb")
    assert not (tmp_path / "o.nwb").exists()


def test_broken_excel_file_is_named(services, tmp_path):
    broken = tmp_path / "trials.xlsx"
    broken.write_bytes(XLSX.read_bytes()[: XLSX.stat().st_size // 2])
    out = tmp_path / "out.nwb"
    with pytest.raises(ConversionError, match=rf"{broken}: cannot be read as Excel time interval table"):
        convert(services, {"Trials": ("ExcelTimeIntervalsInterface", {"file_path": str(broken)})}, out)
    assert not out.exists()


# ------------------------------------------------------------------------------------------------------- images


@pytest.fixture(scope="module")
def generated_images(tmp_path_factory) -> dict[str, Path]:
    return generate.write_images(tmp_path_factory.mktemp("images"))


def test_real_images_from_a_folder(services, tmp_path):
    case = REAL_IMAGE_CASE
    path = convert(services, {"Images": (case.interface, case.source)}, tmp_path / "real.nwb")
    expected = case.read()
    io, nwbfile = read_nwb(path)
    with io:
        images = nwbfile.acquisition["Images"]
        assert images.description == "Images loaded through ImageInterface"
        assert set(images.images) == set(expected)
        for name, pixels in expected.items():
            assert type(images[name]).__name__ == "RGBImage"
            np.testing.assert_array_equal(images[name].data[:], pixels)
            assert images[name].description is None
    assert_valid_nwb(path)


def test_every_image_mode(services, tmp_path, generated_images):
    """Each mode NeuroConv writes, pixels equal to Pillow's, type by mode; small chunks stream one decoded file."""
    files = {mode: p for mode, p in generated_images.items() if mode != "P"}
    chunks = {
        f"Images/{p.stem}": {"chunk_shape": [5, *([20, 3] if mode.startswith("RGB") else [20])]}
        for mode, p in files.items()
        if mode in ("RGB", "L")
    }
    path = convert(
        services,
        {"Images": ("ImageInterface", {"file_paths": [str(p) for p in files.values()]})},
        tmp_path / "modes.nwb",
        backend_configuration={"datasets": chunks},
    )
    io, nwbfile = read_nwb(path)
    with io:
        images = nwbfile.acquisition["Images"]
        for mode, file in files.items():
            image = images[file.stem]
            assert type(image).__name__ == IMAGE_TYPES[mode.split("_")[0]], mode
            np.testing.assert_array_equal(image.data[:], pillow_pixels(file), err_msg=mode)
        assert images["gray16"].data.dtype == np.uint16
        assert images["photo"].data.chunks == (5, 20, 3)
    assert_valid_nwb(path)


def test_image_metadata_and_stimulus(services, tmp_path, generated_images):
    """Per-image name, description and resolution from the metadata blocks keyed by file; the container's name
    and description; images_location puts it in stimulus, and the parent_container option wins over it."""
    rgba, gray = generated_images["RGBA"], generated_images["L"]
    source = {"file_paths": [str(rgba), str(gray)], "images_location": "acquisition", "metadata_key": "Stimuli"}
    blocks = {str(rgba): {"name": "target", "description": "The target.", "resolution": 12.5}}
    metadata = {**START, "Images": {"Stimuli": {"name": "StimulusImages", "images": blocks}}}
    path = convert(
        services,
        {"Stimuli": ("ImageInterface", source)},
        tmp_path / "stimulus.nwb",
        metadata=metadata,
        conversion_options={"Stimuli": {"parent_container": "stimulus"}},
    )
    io, nwbfile = read_nwb(path)
    with io:
        assert not nwbfile.acquisition
        images = nwbfile.stimulus["StimulusImages"]
        assert set(images.images) == {"target", "gray"}
        assert images["target"].description == "The target."
        assert images["target"].resolution == 12.5
        np.testing.assert_array_equal(images["target"].data[:], pillow_pixels(rgba))
        assert images["gray"].resolution is None
    assert_valid_nwb(path)


def pillow_header(path: Path) -> tuple[str, str]:
    """What NeuroConv writes of an external image: Pillow's format, and its mode with L named grayscale."""
    with Image.open(path) as image:
        return image.format, {"L": "grayscale"}.get(image.mode, image.mode)


def test_external_images(services, tmp_path, generated_images):
    """The path as given, Pillow's format and mode; no pixels in the file."""
    generated = [generated_images["RGB"], generated_images["P"], generated_images["L_png"]]
    source = {"file_paths": EXTERNAL_CASE.source["file_paths"] + [str(p) for p in generated]}
    path = convert(services, {"External": ("ExternalImageInterface", source)}, tmp_path / "external.nwb")
    expected = EXTERNAL_CASE.read() | {p.stem: pillow_header(p) for p in generated}
    assert expected["mono"] == ("PNG", "grayscale") and expected["palette"] == ("GIF", "P")
    io, nwbfile = read_nwb(path)
    with io:
        images = nwbfile.acquisition["Images"]
        assert images.description == "Images loaded through ExternalImageInterface"
        assert set(images.images) == set(expected)
        for file in map(Path, source["file_paths"]):
            image = images[file.stem]
            assert type(image).__name__ == "ExternalImage"
            assert image.data == str(file)
            assert (image.image_format, image.image_mode) == expected[file.stem]
    assert_valid_nwb(path)


def broken_png(folder: Path) -> Path:
    path = folder / "broken.png"
    path.write_bytes(REAL_IMAGES[0].read_bytes()[:2000])
    return path


def text_as_png(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_text("not an image\n")
    return path


@pytest.mark.parametrize("make", [broken_png, text_as_png])
def test_bad_image_file_is_named(services, tmp_path, make):
    bad = make(tmp_path)
    out = tmp_path / "out.nwb"
    with pytest.raises(ConversionError, match=bad.name):
        convert(services, {"Images": ("ImageInterface", {"file_paths": [str(REAL_IMAGES[0]), str(bad)]})}, out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]


@pytest.mark.parametrize(
    ("interface", "mode", "problem"),
    [("ImageInterface", "P", "image mode P"), ("ExternalImageInterface", "L", "a TIFF image")],
)
def test_image_an_interface_cannot_write(services, tmp_path, generated_images, interface, mode, problem):
    """A palette GIF is no NWB image type (as in NeuroConv); NWB's ExternalImage takes no TIFF."""
    file = generated_images[mode]
    with pytest.raises(ConversionError, match=rf"{file.name}: {problem}"):
        convert(services, {"Images": (interface, {"file_paths": [str(file)]})}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()


def test_writer_takes_ragged_and_typed_columns(tmp_path):
    """The TIME_INTERVALS writer on a contribution no file format here sends: a ragged text column (NWB's `tags`),
    a ragged number column, booleans, and time columns as time-valued inline datasets."""
    from nwbstream.coordinator.writers import Contribution, WriteContext, make_nwbfile, writer_for
    from nwbstream.service import Column, DatasetSpec, Kind, NwbObjectSpec, Table

    starts, stops = np.array([0.0, 1.5, 4.0]), np.array([1.0, 2.5, 5.0])
    spec = NwbObjectSpec(
        kind=Kind.TIME_INTERVALS,
        name="sleep_stages",
        metadata_key="TimeIntervals/sleep",
        tables=[
            Table(
                "intervals",
                [
                    Column("start_time", "", dataset="start_time"),
                    Column("stop_time", "", dataset="stop_time"),
                    Column("tags", "Labels.", ["rem", "a", "b", "nrem"], index=[1, 3, 4]),
                    Column("spikes", "Counts.", np.array([3, 4, 5, 6, 7]), index=[2, 2, 5]),
                    Column("scored", "By hand.", np.array([True, False, True])),
                ],
            )
        ],
        datasets=[DatasetSpec.inline("start_time", starts, True), DatasetSpec.inline("stop_time", stops, True)],
    )
    obj = spec.to_proto()
    ctx = WriteContext(make_nwbfile(START), {**START, "TimeIntervals": {"sleep": {"table_description": "Stages."}}})
    data = {"start_time": starts, "stop_time": stops}
    written = writer_for(obj).add(ctx, Contribution("source", obj, data))
    assert written.container is ctx.nwbfile.intervals["sleep_stages"]
    path = tmp_path / "ragged.nwb"
    with NWBHDF5IO(path, "w") as io:
        io.write(ctx.nwbfile)
    io, nwbfile = read_nwb(path)
    with io:
        table = nwbfile.intervals["sleep_stages"]
        assert table.description == "Stages."
        assert list(table.colnames) == ["start_time", "stop_time", "tags", "spikes", "scored"]
        assert [list(t) for t in table["tags"][:]] == [["rem"], ["a", "b"], ["nrem"]]
        assert [list(s) for s in table["spikes"][:]] == [[3, 4], [], [5, 6, 7]]
        assert table["scored"].data.dtype == bool
        np.testing.assert_array_equal(table["stop_time"].data[:], stops)
    assert_valid_nwb(path)


def test_recording_trials_and_images_in_one_file(services, tmp_path, spikeglx_folder):
    """Three services' sources in one session (ecephys, general twice): one file with all of them."""
    path = convert(
        services,
        {
            "Recording": ("SpikeGLXRecordingInterface", {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
            "Trials": ("CsvTimeIntervalsInterface", {"file_path": str(CSV)}),
            "Frames": ("ImageInterface", {"file_paths": [str(REAL_IMAGES[0])]}),
        },
        tmp_path / "session.nwb",
        stub_test=True,
    )
    io, nwbfile = read_nwb(path)
    with io:
        assert set(nwbfile.acquisition) == {"ElectricalSeriesAPImec0", "Images"}
        assert_table_equals(nwbfile.trials, pd.read_csv(CSV))
        np.testing.assert_array_equal(nwbfile.acquisition["Images"]["img0000"].data[:], pillow_pixels(REAL_IMAGES[0]))
    assert_valid_nwb(path)


def test_images_parent_container_is_acquisition_or_stimulus(services, tmp_path):
    out = tmp_path / "out.nwb"
    refused = r"parent_container 'processing/behavior': choose \('acquisition', 'stimulus'\)"
    with pytest.raises(ConversionError, match=refused):
        convert(
            services,
            {"Images": ("ImageInterface", {"file_paths": [str(REAL_IMAGES[0])]})},
            out,
            conversion_options={"Images": {"parent_container": "processing/behavior"}},
        )
    assert not out.exists()
