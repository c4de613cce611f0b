"""HDF5, Scanbox, Femtonics, Inscopix and Miniscope movies converted and read back: frames equal what roiextractors
reads, timing and the metadata the files carry are NeuroConv 0.10.2's.

No small public real sample of these formats was found (roiextractors' and NeuroConv's test data live on GIN, out
of reach), so each file is written at test time by tests/fixtures/ophys/generate.py with the format's own writer
library (h5py, scipy.io, isx, opencv), never with the code that reads it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, convert
from .fixtures.ophys import generate
from .nwbcheck import assert_valid_nwb
from .ophys_checks import check_imaging_case, quietly

RATE = generate.RATE
MOVIE_SHAPE = (generate.NUM_FRAMES, generate.COLUMNS, generate.ROWS)  # as written: (frames, width, height)


def written(folder: Path, interface: str) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    return generate.WRITERS[interface](folder)


@pytest.fixture
def hdf5_source(tmp_path) -> dict:
    return written(tmp_path / "hdf5", "Hdf5ImagingInterface")


@pytest.fixture
def sbx_source(tmp_path) -> dict:
    return written(tmp_path / "sbx", "SbxImagingInterface")


@pytest.fixture
def femtonics_source(tmp_path) -> dict:
    return written(tmp_path / "femtonics", "FemtonicsImagingInterface")


@pytest.fixture
def inscopix_source(tmp_path) -> dict:
    return written(tmp_path / "inscopix", "InscopixImagingInterface")


@pytest.fixture
def miniscope_source(tmp_path) -> dict:
    return written(tmp_path / "miniscope", "MiniscopeImagingInterface")


def extractor(name: str):
    """The roiextractors reader class `name`, imported when a test needs it."""
    return getattr(importlib.import_module("roiextractors"), name)


def generated(interface: str, reader: str, fixture: str) -> Case:
    """A case whose files each test writes into its tmp_path (`on` gives it their source)."""
    return Case(interface, {}, lambda: extractor(reader), fixture, reader_name=reader)


CASES = {
    case.interface: case
    for case in (
        generated("Hdf5ImagingInterface", "Hdf5ImagingExtractor", "generated with h5py"),
        generated("SbxImagingInterface", "SbxImagingExtractor", "generated with scipy.io (.mat) and numpy (.sbx)"),
        generated("FemtonicsImagingInterface", "FemtonicsImagingExtractor", "generated with h5py (MESc layout)"),
        generated("InscopixImagingInterface", "InscopixImagingExtractor", "generated with isx (Inscopix's writer)"),
        generated(
            "MiniscopeImagingInterface",
            "MiniscopeImagingExtractor",
            "generated with opencv (FFV1 .avi), json and pandas (Miniscope DAQ V4 layout)",
        ),
    )
}


def on(interface: str, source: dict) -> Case:
    """The interface's case on the files of `source`, read back by its roiextractors reader."""
    case = CASES[interface]
    return replace(case, source=source, read=lambda: extractor(case.reader)(**source))


def series_of(path: Path, name: str = "MicroscopySeries"):
    """The series, its plane and its device, read back as plain values."""
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        series = nwbfile.acquisition[name]
        plane = series.imaging_plane
        return {
            "type": type(series).__name__,
            "description": series.description,
            "unit": series.unit,
            "rate": series.rate,
            "starting_time": series.starting_time,
            "timestamps": None if series.timestamps is None else series.timestamps[:],
            "data": series.data[:],
            "plane": plane.name,
            "plane_description": plane.description,
            "imaging_rate": plane.imaging_rate,
            "grid_spacing": None if plane.grid_spacing is None else list(plane.grid_spacing[:]),
            "grid_spacing_unit": plane.grid_spacing_unit,
            "device": (plane.device.name, plane.device.description),
            "session_start_time": nwbfile.session_start_time,
            "session_id": nwbfile.session_id,
            "experimenter": None if nwbfile.experimenter is None else list(nwbfile.experimenter),
        }


FORMATS = {
    "Hdf5ImagingInterface": "hdf5",
    "SbxImagingInterface": "sbx",
    "FemtonicsImagingInterface": "femtonics",
    "InscopixImagingInterface": "inscopix_movie",
    "MiniscopeImagingInterface": "miniscope",
}


def open_interface(name: str, source: dict):
    """The service's interface in this process, to test what it reads without a conversion."""
    module = importlib.import_module(f"nwbstream.ophys.{FORMATS[name]}")
    return quietly(lambda: getattr(module, name).open(source))


# ------------------------------------------------------------------------------------------------------- HDF5


def test_hdf5_frames_and_rate_from_the_fr_attribute(services, tmp_path, hdf5_source):
    path = check_imaging_case(services, tmp_path, on("Hdf5ImagingInterface", hdf5_source))
    series = series_of(path)
    assert (series["type"], series["rate"], series["starting_time"]) == ("TwoPhotonSeries", RATE, 0.0)
    assert series["data"].shape == MOVIE_SHAPE
    np.testing.assert_array_equal(series["data"], generate.movie().transpose(0, 2, 1))
    assert series["device"] == ("PlaceholderMicroscope", None)


def test_hdf5_sampling_frequency_argument_and_one_photon(services, tmp_path, hdf5_source):
    source = {**hdf5_source, "sampling_frequency": 7.5, "photon_series_type": "OnePhotonSeries"}
    path = convert(services, {"imaging": ("Hdf5ImagingInterface", source)}, tmp_path / "one.nwb")
    series = series_of(path)
    assert (series["type"], series["rate"]) == ("OnePhotonSeries", 7.5)
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


def test_hdf5_truncated_file_names_it_and_writes_nothing(services, tmp_path, hdf5_source):
    """An interrupted copy: HDF5 cannot open the file; the error names it and no output is left behind."""
    from nwbstream.coordinator.errors import ConversionError

    movie = Path(hdf5_source["file_path"])
    os.truncate(movie, movie.stat().st_size // 2)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConversionError, match=f"{movie}: cannot be read as HDF5 Imaging"):
        convert(services, {"imaging": ("Hdf5ImagingInterface", hdf5_source)}, out / "x.nwb")
    assert not list(out.iterdir())


# ---------------------------------------------------------------------------------------------------- Scanbox


def test_sbx_frames_and_rate_from_the_mat_info(services, tmp_path, sbx_source):
    path = check_imaging_case(services, tmp_path, on("SbxImagingInterface", sbx_source))
    series = series_of(path)
    assert series["rate"] == RATE  # int(resfreq / lines * (2 - scanmode))
    np.testing.assert_array_equal(series["data"], generate.movie().transpose(0, 2, 1))
    assert series["description"] == "Imaging data acquired with Scanbox."
    assert series["device"] == ("Microscope", "Scanbox imaging")


# -------------------------------------------------------------------------------------------------- Femtonics


def test_femtonics_frames_and_what_the_file_says(services, tmp_path, femtonics_source):
    path = check_imaging_case(
        services, tmp_path, on("FemtonicsImagingInterface", femtonics_source), metadata={"Subject": START["Subject"]}
    )
    series = series_of(path)
    np.testing.assert_array_equal(series["data"], generate.movie().transpose(0, 2, 1))
    assert series["rate"] == RATE  # 1000 / ZAxisConversionConversionLinearScale (ms per frame)
    assert series["imaging_rate"] == RATE
    assert series["grid_spacing"] == pytest.approx([1.25e-6, 1.25e-6])
    assert series["grid_spacing_unit"] == "meters"
    assert series["device"] == ("Microscope", "Femtonics MESc (version: 4.5.0)")
    assert series["session_start_time"].isoformat() == "2024-01-02T10:11:12+00:00"
    assert series["session_id"] == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    assert series["experimenter"] == ["nwbstream"]


def test_femtonics_metadata_is_neuroconvs(femtonics_source):
    metadata = open_interface("FemtonicsImagingInterface", femtonics_source).get_metadata()
    assert metadata == {
        "NWBFile": {
            "session_start_time": "2024-01-02T10:11:12+00:00",
            "session_id": "00010203-0405-0607-0809-0a0b0c0d0e0f",
            "experimenter": ["nwbstream"],
            "session_description": "Session: MSession_0, MUnit: MUnit_0. Session performed on workstation: rig.",
        },
        "Devices": {"femtonics_microscope": {"name": "Microscope", "description": "Femtonics MESc (version: 4.5.0)"}},
        "Ophys": {
            "ImagingPlanes": {
                "femtonics_imaging": {
                    "device_metadata_key": "femtonics_microscope",
                    "grid_spacing": [1.25 * 1e-6, 1.25 * 1e-6],  # um per pixel * 1e-6, as NeuroConv computes it
                    "grid_spacing_unit": "meters",
                    "imaging_rate": 20.0,
                }
            },
            "MicroscopySeries": {"femtonics_imaging": {"imaging_plane_metadata_key": "femtonics_imaging"}},
        },
    }


# --------------------------------------------------------------------------------------------------- Inscopix


def test_inscopix_frames_as_one_photon_series(services, tmp_path, inscopix_source):
    path = check_imaging_case(services, tmp_path, on("InscopixImagingInterface", inscopix_source))
    series = series_of(path)
    assert series["type"] == "OnePhotonSeries"
    assert series["rate"] == RATE  # 1 / the movie's frame period (50 ms)
    np.testing.assert_array_equal(series["data"], generate.movie().transpose(0, 2, 1))
    assert series["description"] == "Imaging data acquired with Inscopix nVista."
    assert series["device"] == ("Microscope", None)


def test_inscopix_metadata_is_neuroconvs(inscopix_source):
    """isx.Movie.write records no acquisition info and a start at the Unix epoch, which NeuroConv passes on."""
    metadata = open_interface("InscopixImagingInterface", inscopix_source).get_metadata()
    assert metadata == {
        "NWBFile": {"session_start_time": "1970-01-01T00:00:00"},
        "Devices": {"inscopix_microscope": {"name": "Microscope"}},
        "Ophys": {
            "ImagingPlanes": {"inscopix_imaging": {"device_metadata_key": "inscopix_microscope"}},
            "MicroscopySeries": {
                "inscopix_imaging": {
                    "description": "Imaging data acquired with Inscopix nVista.",
                    "imaging_plane_metadata_key": "inscopix_imaging",
                }
            },
        },
    }


# -------------------------------------------------------------------------------------------------- Miniscope


def test_miniscope_metadata_is_neuroconvs(miniscope_source):
    metadata = open_interface("MiniscopeImagingInterface", miniscope_source).get_metadata()
    rate = metadata["Ophys"]["ImagingPlanes"]["miniscope_imaging"]["imaging_rate"]
    assert rate == pytest.approx(19.955654101995563)  # roiextractors: from the timeStamps.csv steps
    assert metadata == {
        "NWBFile": {"session_start_time": "2024-01-02T10:11:12"},
        "DeviceModels": {"miniscope_v4_bno": {"name": "Miniscope_V4_BNO"}},
        "Devices": {
            "miniscope": {
                "type": "Miniscope",
                "name": "Miniscope",
                "compression": "FFV1",
                "deviceType": "Miniscope_V4_BNO",
                "frameRate": "20FPS",
                "gain": "Low",
                "framesPerFile": 5,
                "led0": 10,
                "ROI": [16, 24],
                "description": "Settings recorded by the Miniscope DAQ software that the ndx-miniscope schema has "
                "no field for: ROI.leftEdge: 0, ROI.topEdge: 0, ewl: 50.",
                "device_model_metadata_key": "miniscope_v4_bno",
            }
        },
        "Ophys": {
            "ImagingPlanes": {
                "miniscope_imaging": {"name": "ImagingPlane", "device_metadata_key": "miniscope", "imaging_rate": rate}
            },
            "MicroscopySeries": {
                "miniscope_imaging": {
                    "name": "OnePhotonSeries",
                    "unit": "px",
                    "imaging_plane_metadata_key": "miniscope_imaging",
                    "description": "Imaging data acquired with a Miniscope.",
                }
            },
        },
    }


def test_miniscope_frames_and_jittered_timestamps(services, tmp_path, miniscope_source):
    """The DAQ's receive times are irregular: written as timestamps (seconds), as NeuroConv writes them."""
    interfaces = {"imaging": ("MiniscopeImagingInterface", miniscope_source)}
    path = convert(services, interfaces, tmp_path / "miniscope.nwb", metadata={"Subject": START["Subject"]})
    series = series_of(path, "OnePhotonSeries")
    expected = quietly(on("MiniscopeImagingInterface", miniscope_source).read).get_series()
    assert series["data"].dtype == np.uint8
    np.testing.assert_array_equal(series["data"], expected.transpose(0, 2, 1))
    np.testing.assert_array_equal(series["data"], (generate.movie() % 256).astype(np.uint8).transpose(0, 2, 1))
    np.testing.assert_array_equal(series["timestamps"], generate.MINISCOPE_TIMESTAMPS_MS / 1000)
    assert series["rate"] is None
    assert (series["type"], series["unit"]) == ("OnePhotonSeries", "px")
    assert series["description"] == "Imaging data acquired with a Miniscope."
    assert series["imaging_rate"] == pytest.approx(19.955654101995563)
    assert series["session_start_time"].isoformat().startswith("2024-01-02T10:11:12")
    with NWBHDF5IO(path, "r") as io:
        device = io.read().devices["Miniscope"]
        assert type(device).__name__ == "Miniscope"
        assert (device.deviceType, device.frameRate, device.gain, device.led0) == (
            "Miniscope_V4_BNO",
            "20FPS",
            "Low",
            10,
        )
        assert list(device.ROI[:]) == [16, 24]
        assert device.model.name == "Miniscope_V4_BNO"
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


@pytest.mark.parametrize("interface", sorted(FORMATS))
def test_read_returns_only_the_frames_asked_for(tmp_path, interface):
    """Frames 3..7 (across Miniscope's 0.avi and 1.avi, 5 frames each), and one column of them."""
    source = written(tmp_path / "source", interface)
    opened = open_interface(interface, source)
    (spec,) = opened.describe()
    expected = generate.movie().transpose(0, 2, 1)
    if interface == "MiniscopeImagingInterface":
        expected = (expected % 256).astype(np.uint8)
    frames = opened.read(spec.name, "data", (slice(3, 7), slice(None), slice(None)))
    np.testing.assert_array_equal(frames, expected[3:7])
    column = opened.read(spec.name, "data", (slice(3, 7), slice(5, 6), slice(None)))
    np.testing.assert_array_equal(column, expected[3:7, 5:6])


def test_miniscope_given_its_videos_and_configuration(miniscope_source):
    """NeuroConv's second way in: the .avi files and metaData.json, giving the same frames and metadata."""
    folder = Path(miniscope_source["folder_path"])
    by_folder = open_interface("MiniscopeImagingInterface", miniscope_source)
    by_files = open_interface(
        "MiniscopeImagingInterface",
        {
            "file_paths": [str(folder / "0.avi"), str(folder / "1.avi")],
            "configuration_file_path": str(folder / "metaData.json"),
        },
    )
    assert by_files.get_metadata() == by_folder.get_metadata()
    (spec,) = by_files.describe()
    np.testing.assert_array_equal(
        by_files.read(spec.name, "data", (slice(0, 10), slice(None), slice(None))),
        by_folder.read(spec.name, "data", (slice(0, 10), slice(None), slice(None))),
    )


def test_sbx_cut_mid_frame_or_without_its_mat_is_refused(tmp_path):
    """A .sbx holds no frame count (file size / frame size), so a cut file is refused rather than shortened."""
    from nwbstream.service import SourceError

    cut = written(tmp_path / "cut", "SbxImagingInterface")
    os.truncate(cut["file_path"], 7000)  # 9 whole frames of 768 bytes and 88 bytes of a tenth
    with pytest.raises(SourceError, match=f"{cut['file_path']}: truncated: 7000 bytes .* 768-byte frames"):
        open_interface("SbxImagingInterface", cut)
    alone = written(tmp_path / "alone", "SbxImagingInterface")
    os.remove(tmp_path / "alone" / "scan.mat")
    with pytest.raises(SourceError, match=f"{tmp_path / 'alone' / 'scan.mat'}: no such file"):
        open_interface("SbxImagingInterface", alone)


def test_miniscope_cut_video_or_short_timestamps_is_refused(tmp_path):
    from nwbstream.service import SourceError

    cut = written(tmp_path / "cut", "MiniscopeImagingInterface")
    video = Path(cut["folder_path"]) / "1.avi"
    os.truncate(video, video.stat().st_size // 2)
    with pytest.raises(SourceError, match=f"{video}: no frame can be decoded"):
        open_interface("MiniscopeImagingInterface", cut)
    short = written(tmp_path / "short", "MiniscopeImagingInterface")
    csv = Path(short["folder_path"]) / "timeStamps.csv"
    csv.write_text("".join(csv.read_text().splitlines(keepends=True)[:-2]))  # header and 8 of 10 rows
    with pytest.raises(SourceError, match=f"{csv}: 8 timestamps for 10 frames"):
        open_interface("MiniscopeImagingInterface", short).describe()


@pytest.mark.parametrize("interface", sorted(FORMATS))
def test_metadata_fits_its_schema(tmp_path, interface):
    """What get_metadata returns (with the Subject and start time a user adds) is what its schema describes."""
    import jsonschema

    opened = open_interface(interface, written(tmp_path / "source", interface))
    metadata = opened.get_metadata()
    metadata["NWBFile"] = {**START["NWBFile"], **metadata["NWBFile"]}
    jsonschema.validate({**metadata, "Subject": START["Subject"]}, opened.get_metadata_schema())
