"""The microscope TIFF formats (ScanImage, ScanImage 3.8, Micro-Manager, ThorImageLS, Bruker Prairie View), each on
files written in its own layout (tests/fixtures/ophys/generate.py): frames read back equal roiextractors' on the
same files, and metadata and timing are what NeuroConv 0.10.2 reads from them (its values noted per test).
"""

from __future__ import annotations

import re

import pytest
from pynwb import NWBHDF5IO

from .conftest import convert
from .fixtures.ophys import generate
from .ophys_checks import Case, check_imaging_case, quietly


def interface_metadata(name: str, source: dict) -> dict:
    """What the interface's get_metadata() gives, as the service sends it (dict layout)."""
    from nwbstream.service import discover_interfaces

    interfaces = {cls.__name__: cls for cls in discover_interfaces("nwbstream.ophys")}
    interface = interfaces[name].open(source)
    try:
        return interface.get_metadata()
    finally:
        interface.close()


def read_series(path, name: str):
    """(series fields, plane fields, device fields) of acquisition/<name>, read back with pynwb."""
    with NWBHDF5IO(path, "r") as io:
        series = io.read().acquisition[name]
        plane = series.imaging_plane
        return (
            {
                "type": type(series).__name__,
                "description": series.description,
                "starting_time": series.starting_time,
                "rate": series.rate,
                "dimension": list(series.dimension[:]),
                "scan_line_rate": series.scan_line_rate,
                "field_of_view": None if series.field_of_view is None else list(series.field_of_view[:]),
                "unit": series.unit,
                "format": series.format,
            },
            {
                "name": plane.name,
                "imaging_rate": plane.imaging_rate,
                "grid_spacing": None if plane.grid_spacing is None else list(plane.grid_spacing[:]),
                "grid_spacing_unit": plane.grid_spacing_unit,
                "origin_coords": None if plane.origin_coords is None else list(plane.origin_coords[:]),
                "origin_coords_unit": plane.origin_coords_unit,
                "description": plane.description,
                "channels": [channel.name for channel in plane.optical_channel],
            },
            {"name": plane.device.name, "description": plane.device.description},
        )


# ---------------------------------------------------------------------------------------------------- ScanImage


def scanimage_case(source: dict, **reader_arguments) -> Case:
    def read():
        from roiextractors import ScanImageImagingExtractor

        return ScanImageImagingExtractor(file_paths=[source["file_path"]], **reader_arguments)

    return Case("ScanImageImagingInterface", source, read, "generated with tifffile (ScanImage 2020.1 BigTIFF)")


@pytest.fixture
def scanimage(tmp_path):
    return generate.write_scanimage(tmp_path)


@pytest.fixture
def scanimage_channels_planes(tmp_path):
    return generate.write_scanimage(tmp_path, num_channels=2, num_planes=3)


@pytest.fixture
def scanimage_volume(tmp_path):
    return generate.write_scanimage(tmp_path, num_planes=3)


SCANIMAGE_DEVICE = {
    "name": "Microscope",
    "description": "Microscope and acquisition data with ScanImage (version 2020.1.)",
}
# NeuroConv reads the scan field's sizeXY [16, 24] as micrometers over pixelResolutionXY [24, 16].
SCANIMAGE_GEOMETRY = {
    "grid_spacing": [16 / 24 * 1e-6, 24 / 16 * 1e-6],
    "grid_spacing_unit": "meters",
    "origin_coords": [0.0, 0.0],
    "origin_coords_unit": "meters",
}


def test_scanimage_metadata_is_neuroconvs(scanimage):
    """NeuroConv 0.10.2's get_metadata() for this file, less its provenance fields."""
    key = "scan_image_imaging"
    assert interface_metadata("ScanImageImagingInterface", scanimage) == {
        "NWBFile": {"session_start_time": "2024-01-02T10:11:12"},
        "Devices": {"scan_image_microscope": SCANIMAGE_DEVICE},
        "Ophys": {
            "ImagingPlanes": {
                key: {
                    "name": "ImagingPlane",
                    "device_metadata_key": "scan_image_microscope",
                    "imaging_rate": 20.0,
                    **SCANIMAGE_GEOMETRY,
                }
            },
            "MicroscopySeries": {
                key: {
                    "name": "TwoPhotonSeries",
                    "imaging_plane_metadata_key": key,
                    "description": "Imaging data acquired using ScanImage",
                    "scan_line_rate": 400.0,
                }
            },
        },
    }


def test_scanimage_values(services, tmp_path, scanimage):
    path = check_imaging_case(services, tmp_path, scanimage_case(scanimage), series_name="TwoPhotonSeries")
    series, plane, _ = read_series(path, "TwoPhotonSeries")
    assert (series["type"], series["starting_time"], series["rate"], series["scan_line_rate"]) == (
        "TwoPhotonSeries",
        0.0,
        20.0,
        400.0,
    )
    assert plane["imaging_rate"] == 20.0
    assert plane["grid_spacing"] == pytest.approx(SCANIMAGE_GEOMETRY["grid_spacing"])
    assert plane["origin_coords"] == [0.0, 0.0]


def test_scanimage_channel_and_plane(services, tmp_path, scanimage_channels_planes):
    """Channel 2, plane 1 of a 2-channel, 3-plane acquisition: names and key carry both, and the series starts at
    that plane's first frame time (1/60 s: frames at 60 Hz, volumes at 20 Hz)."""
    source = {**scanimage_channels_planes, "channel_name": "Channel 2", "plane_index": 1}
    metadata = interface_metadata("ScanImageImagingInterface", source)
    key = "scan_image_imaging_channel_2_plane_1"
    assert metadata["Ophys"]["ImagingPlanes"][key]["name"] == "ImagingPlaneChannel2Plane1"
    assert metadata["Ophys"]["MicroscopySeries"][key] == {
        "name": "TwoPhotonSeriesChannel2Plane1",
        "imaging_plane_metadata_key": key,
        "description": "Imaging data acquired using ScanImage for Channel 2",
        "scan_line_rate": 400.0,
    }
    case = scanimage_case(source, channel_name="Channel 2", plane_index=1)
    path = check_imaging_case(services, tmp_path, case, series_name="TwoPhotonSeriesChannel2Plane1")
    series, plane, _ = read_series(path, "TwoPhotonSeriesChannel2Plane1")
    assert series["starting_time"] == pytest.approx(0.016667)
    assert series["rate"] == pytest.approx(20.0)
    assert plane["name"] == "ImagingPlaneChannel2Plane1"
    first = quietly(case.read).get_series(end_sample=1)[0]
    assert first[0, 0] == generate.scanimage_page(channel=1, page=1)[0, 0]  # volume 0, plane 1, channel 2


def test_scanimage_volume(services, tmp_path, scanimage_volume):
    """No plane_index on a 3-plane file: one 4D series (frames, width, height, planes), timed by each volume's
    last plane (2/60 s), as NeuroConv writes it."""
    path = check_imaging_case(services, tmp_path, scanimage_case(scanimage_volume), series_name="TwoPhotonSeries")
    series, _, _ = read_series(path, "TwoPhotonSeries")
    assert series["dimension"] == [16, 24, 3]
    assert series["starting_time"] == pytest.approx(0.033333)
    with NWBHDF5IO(path, "r") as io:
        data = io.read().acquisition["TwoPhotonSeries"].data
        assert data.shape == (10, 24, 16, 3)
        for plane in range(3):  # volume 1, plane p is page 3 + p; pixel (row 2, column 5) at data[1, 5, 2, p]
            assert data[1, 5, 2, plane] == generate.scanimage_page(channel=0, page=3 + plane)[2, 5]


def test_scanimage_file_paths(services, tmp_path, scanimage):
    """file_paths in place of file_path: same frames."""
    source = {"file_paths": [scanimage["file_path"]]}
    case = Case("ScanImageImagingInterface", source, scanimage_case(scanimage).read, "generated with tifffile")
    check_imaging_case(services, tmp_path, case, series_name="TwoPhotonSeries")


def test_scanimage_legacy_file_is_sent_to_the_legacy_interface(tmp_path):
    from nwbstream.service import SourceError

    legacy = generate.write_scanimage_legacy(tmp_path)
    with pytest.raises(SourceError, match=r"scanimage_legacy\.tif.*ScanImageLegacyImagingInterface"):
        interface_metadata("ScanImageImagingInterface", legacy)


# ------------------------------------------------------------------------------------------- ScanImage 3.8


@pytest.fixture
def scanimage_legacy(tmp_path):
    return generate.write_scanimage_legacy(tmp_path)


def scanimage_legacy_case(source: dict) -> Case:
    def read():
        from roiextractors import ScanImageLegacyImagingExtractor

        return ScanImageLegacyImagingExtractor(file_path=source["file_path"], sampling_frequency=generate.RATE)

    return Case("ScanImageLegacyImagingInterface", source, read, "generated with tifffile (ScanImage 3.8 header)")


def test_scanimage_legacy_metadata_is_neuroconvs(scanimage_legacy):
    """The rate and start come from the header (state.acq.frameRate, state.internal.triggerTimeString), and the whole
    header, JSON-encoded, is the series description."""
    import json

    key = "scan_image_legacy_imaging"
    metadata = interface_metadata("ScanImageLegacyImagingInterface", scanimage_legacy)
    description = metadata["Ophys"]["MicroscopySeries"][key].pop("description")
    assert json.loads(description) == {
        "state.configPath": "''",
        "state.software.version": "3.8",
        "state.acq.frameRate": "20.0",
        "state.acq.linesPerFrame": "16",
        "state.acq.pixelsPerLine": "24",
        "state.acq.numberOfChannelsSave": "1",
        "state.acq.zoomFactor": "2",
        "state.internal.triggerTimeString": "'1/2/2024 10:11:12.000'",
    }
    assert metadata == {
        "NWBFile": {"session_start_time": "2024-01-02T10:11:12"},
        "Devices": {
            "scan_image_microscope": {
                "name": "Microscope",
                "description": "Microscope controlled by ScanImage (legacy v3.8)",
            }
        },
        "Ophys": {
            "ImagingPlanes": {key: {"device_metadata_key": "scan_image_microscope", "imaging_rate": 20.0}},
            "MicroscopySeries": {key: {"imaging_plane_metadata_key": key}},
        },
    }


def test_scanimage_legacy_values(services, tmp_path, scanimage_legacy):
    path = check_imaging_case(services, tmp_path, scanimage_legacy_case(scanimage_legacy))
    series, plane, device = read_series(path, "MicroscopySeries")
    assert (series["rate"], series["starting_time"], plane["imaging_rate"]) == (20.0, 0.0, 20.0)
    assert series["description"].startswith('{"state.configPath"')


def test_scanimage_legacy_fallback_rate(services, tmp_path):
    """A header without state.acq.frameRate takes fallback_sampling_frequency; without it, a clear error."""
    import tifffile
    from nwbstream.service import SourceError

    file_path = tmp_path / "no_rate.tif"
    with tifffile.TiffWriter(file_path) as writer:
        for frame in generate.movie(dtype="int16"):
            writer.write(frame, description="state.software.version=3.8", photometric="minisblack", metadata=None)
    with pytest.raises(SourceError, match=r"no_rate\.tif.*fallback_sampling_frequency"):
        interface_metadata("ScanImageLegacyImagingInterface", {"file_path": str(file_path)})
    source = {"file_path": str(file_path), "fallback_sampling_frequency": 7.5}
    path = convert(services, {"imaging": ("ScanImageLegacyImagingInterface", source)}, tmp_path / "fallback.nwb")
    series, plane, _ = read_series(path, "MicroscopySeries")
    assert (series["rate"], plane["imaging_rate"]) == (7.5, 7.5)


# ---------------------------------------------------------------------------------------------------- Micro-Manager


@pytest.fixture
def micromanager(tmp_path):
    folder = tmp_path / "micromanager"
    folder.mkdir()
    return generate.write_micromanager(folder)


def test_micromanager_metadata_is_neuroconvs(micromanager):
    key = "micromanager_imaging"
    assert interface_metadata("MicroManagerTiffImagingInterface", micromanager) == {
        "NWBFile": {"session_start_time": "2024-01-02T10:11:12+00:00"},
        "Ophys": {
            "ImagingPlanes": {key: {"imaging_rate": 20.0}},
            "MicroscopySeries": {
                key: {
                    "description": "Imaging data acquired with Micro-Manager.",
                    "imaging_plane_metadata_key": key,
                    "unit": "px",
                    "format": "tiff",
                }
            },
        },
    }


def test_micromanager_values(services, tmp_path, micromanager):
    def read():
        from roiextractors import MicroManagerTiffImagingExtractor

        return MicroManagerTiffImagingExtractor(folder_path=micromanager["folder_path"])

    case = Case("MicroManagerTiffImagingInterface", micromanager, read, "generated with tifffile (Micro-Manager 2.0)")
    path = check_imaging_case(services, tmp_path, case)
    series, plane, device = read_series(path, "MicroscopySeries")
    assert (series["rate"], series["unit"], series["format"], plane["imaging_rate"]) == (20.0, "px", "tiff", 20.0)
    assert device["name"] == "PlaceholderMicroscope"


# ---------------------------------------------------------------------------------------------------- ThorImageLS


@pytest.fixture
def thor(tmp_path):
    return generate.write_thor(tmp_path)


def thor_case(source: dict) -> Case:
    def read():
        from roiextractors import ThorTiffImagingExtractor

        return ThorTiffImagingExtractor(file_path=source["file_path"], channel_name=source.get("channel_name"))

    return Case("ThorImagingInterface", source, read, "real Experiment.xml (ThorImageLS 4.0) + tifffile OME-TIFF")


def test_thor_metadata_is_neuroconvs(thor):
    """From the real Experiment.xml: uTime 1710409795, pixelSizeUM 0.138, widthUM 141.35, heightUM 48.59."""
    key = "thor_imaging"
    metadata = interface_metadata("ThorImagingInterface", thor)
    plane = metadata["Ophys"]["ImagingPlanes"][key]
    series = metadata["Ophys"]["MicroscopySeries"][key]
    assert plane.pop("grid_spacing") == pytest.approx([0.138e-6, 0.138e-6])
    assert series.pop("field_of_view") == pytest.approx([141.35e-6, 48.59e-6])
    assert metadata == {
        "NWBFile": {"session_start_time": "2024-03-14T09:49:55+00:00"},
        "Devices": {
            "thor_microscope": {
                "name": "ThorMicroscope",
                "description": "ThorLabs 2P Microscope running ThorImageLS 4.0.2020.2171",
            }
        },
        "Ophys": {
            "ImagingPlanes": {
                key: {
                    "name": "ImagingPlaneDefault",
                    "device_metadata_key": "thor_microscope",
                    "optical_channel": [{"name": "Default"}],
                    "grid_spacing_unit": "meters",
                }
            },
            "MicroscopySeries": {key: {"name": "TwoPhotonSeriesDefault", "imaging_plane_metadata_key": key}},
        },
    }


def test_thor_values(services, tmp_path, thor):
    path = check_imaging_case(services, tmp_path, thor_case(thor), series_name="TwoPhotonSeriesDefault")
    series, plane, _ = read_series(path, "TwoPhotonSeriesDefault")
    assert (series["rate"], series["starting_time"]) == (22.279, 0.0)
    assert series["field_of_view"] == pytest.approx([141.35e-6, 48.59e-6])
    assert (plane["name"], plane["channels"], plane["grid_spacing_unit"]) == (
        "ImagingPlaneDefault",
        ["Default"],
        "meters",
    )
    assert plane["grid_spacing"] == pytest.approx([0.138e-6, 0.138e-6])


def test_thor_channel_name(services, tmp_path, thor):
    """channel_name names the key, the plane, its optical channel and the series."""
    source = {**thor, "channel_name": "ChanC"}
    metadata = interface_metadata("ThorImagingInterface", source)
    assert metadata["Ophys"]["ImagingPlanes"]["thor_imaging_channel_ChanC"]["optical_channel"] == [{"name": "ChanC"}]
    path = check_imaging_case(services, tmp_path, thor_case(source), series_name="TwoPhotonSeriesChanC")
    _, plane, _ = read_series(path, "TwoPhotonSeriesChanC")
    assert (plane["name"], plane["channels"]) == ("ImagingPlaneChanC", ["ChanC"])


# ---------------------------------------------------------------------------------------------------- Bruker

BRUKER_DEVICE = {"name": "BrukerFluorescenceMicroscope", "description": "Version 5.6.64.400"}
# micronsPerPixel 1.25 on X and Y; 16 rows x 24 columns; positionCurrent Y -50, X 100; planes at Z 0 and 5.
BRUKER_PLANE = {
    "name": "ImagingPlane",
    "description": "The imaging plane origin_coords units are in the microscope reference frame.",
    "imaging_rate": 20.0,
    "grid_spacing": [1.25e-6, 1.25e-6],
}
BRUKER_SERIES = {"name": "TwoPhotonSeries", "scan_line_rate": 320.0, "field_of_view": [30e-6, 20e-6]}


@pytest.fixture
def bruker(tmp_path):
    return generate.write_bruker_single_plane(tmp_path)


@pytest.fixture
def bruker_volume(tmp_path):
    return generate.write_bruker_multi_plane(tmp_path)


FIXTURES = {  # for docs/formats.md: the cases bruker_case builds
    name: "generated with tifffile (Prairie View 5.6 T-series)"
    for name in (
        "BrukerTiffImagingInterface",
        "BrukerTiffSinglePlaneImagingInterface",
        "BrukerTiffMultiPlaneImagingInterface",
    )
}


def bruker_case(interface: str, source: dict, extractor: str, **reader_arguments) -> Case:
    def read():
        import roiextractors

        return getattr(roiextractors, extractor)(folder_path=source["folder_path"], **reader_arguments)

    return Case(interface, source, read, FIXTURES[interface])


def approx_metadata(metadata: dict) -> dict:
    """`metadata` with every list of floats made approximate (meters computed as micrometers / 1e6)."""
    if isinstance(metadata, dict):
        return {key: approx_metadata(value) for key, value in metadata.items()}
    if isinstance(metadata, list) and metadata and all(isinstance(v, float) for v in metadata):
        return pytest.approx(metadata)
    return metadata


def test_bruker_metadata_is_neuroconvs(bruker):
    """BrukerTiffImagingInterface: NeuroConv 0.10.2's dict-layout metadata, origin in micrometers."""
    key = "bruker_tiff_imaging"
    assert interface_metadata("BrukerTiffImagingInterface", bruker) == approx_metadata(
        {
            "NWBFile": {"session_start_time": "2024-01-02T10:11:12"},
            "Devices": {
                "bruker_device_4329": {
                    **BRUKER_DEVICE,
                    "serial_number": "4329",
                    "description": "Version 5.6.64.400. Bruker Ultima",
                }
            },
            "Ophys": {
                "ImagingPlanes": {
                    key: {
                        **BRUKER_PLANE,
                        "device_metadata_key": "bruker_device_4329",
                        "grid_spacing_unit": "meters",
                        "origin_coords": [-50.0, 100.0],
                        "origin_coords_unit": "micrometers",
                    }
                },
                "MicroscopySeries": {
                    key: {
                        **BRUKER_SERIES,
                        "imaging_plane_metadata_key": key,
                        "description": "Imaging data acquired from the Bruker Two-Photon Microscope.",
                    }
                },
            },
        }
    )


def test_bruker_single_plane_metadata(bruker):
    """NeuroConv's old list layout for this interface, in the dict layout: the same values, keyed by name."""
    assert interface_metadata("BrukerTiffSinglePlaneImagingInterface", bruker) == approx_metadata(
        {
            "NWBFile": {"session_start_time": "2024-01-02T10:11:12"},
            "Devices": {"BrukerFluorescenceMicroscope": BRUKER_DEVICE},
            "Ophys": {
                "ImagingPlanes": {
                    "ImagingPlane": {
                        **BRUKER_PLANE,
                        "device_metadata_key": "BrukerFluorescenceMicroscope",
                        "origin_coords": [-50.0, 100.0],
                    }
                },
                "MicroscopySeries": {
                    "TwoPhotonSeries": {
                        **BRUKER_SERIES,
                        "imaging_plane_metadata_key": "ImagingPlane",
                        "description": "Imaging data acquired from the Bruker Two-Photon Microscope.",
                        "unit": "n.a.",
                        "dimension": [16, 24],
                    }
                },
            },
        }
    )


def test_bruker_multi_plane_metadata(bruker_volume):
    """Two planes at Z 0 and 5: a third axis of 5 micrometers in grid spacing, field of view and origin."""
    metadata = interface_metadata("BrukerTiffMultiPlaneImagingInterface", bruker_volume)
    assert metadata["Ophys"]["ImagingPlanes"]["ImagingPlane"] == approx_metadata(
        {
            **BRUKER_PLANE,
            "device_metadata_key": "BrukerFluorescenceMicroscope",
            "grid_spacing": [1.25e-6, 1.25e-6, 5e-6],
            "origin_coords": [-50.0, 100.0, 5.0],
        }
    )
    assert metadata["Ophys"]["MicroscopySeries"]["TwoPhotonSeries"] == approx_metadata(
        {
            **BRUKER_SERIES,
            "field_of_view": [30e-6, 20e-6, 5e-6],
            "imaging_plane_metadata_key": "ImagingPlane",
            "description": "The volumetric imaging data acquired from the Bruker Two-Photon Microscope.",
            "unit": "n.a.",
            "dimension": [16, 24, 2],
        }
    )


@pytest.mark.parametrize(
    "interface, extractor",
    [
        ("BrukerTiffImagingInterface", "BrukerTiffImagingExtractor"),
        ("BrukerTiffSinglePlaneImagingInterface", "BrukerTiffSinglePlaneImagingExtractor"),
    ],
)
def test_bruker_values(services, tmp_path, bruker, interface, extractor):
    path = check_imaging_case(services, tmp_path, bruker_case(interface, bruker, extractor), "TwoPhotonSeries")
    series, plane, _ = read_series(path, "TwoPhotonSeries")
    assert (series["rate"], series["starting_time"], series["scan_line_rate"]) == (20.0, 0.0, 320.0)
    assert series["field_of_view"] == pytest.approx([30e-6, 20e-6])
    assert plane["grid_spacing"] == pytest.approx([1.25e-6, 1.25e-6])
    assert plane["origin_coords"] == [-50.0, 100.0]
    unit = "micrometers" if interface == "BrukerTiffImagingInterface" else "meters"  # as NeuroConv labels them
    assert plane["origin_coords_unit"] == unit


@pytest.mark.parametrize(
    "interface, extractor, rate, grid_spacing",
    [  # NeuroConv's values: the unified reader gives the volume rate; the per-stream one the frame rate, and its
        # interface a third grid axis (the Z span); the unified interface finds one moved depth, so no Z step.
        ("BrukerTiffImagingInterface", "BrukerTiffImagingExtractor", 10.0, [1.25e-6, 1.25e-6]),
        (
            "BrukerTiffMultiPlaneImagingInterface",
            "BrukerTiffMultiPlaneImagingExtractor",
            20.0,
            [1.25e-6, 1.25e-6, 5e-6],
        ),
    ],
)
def test_bruker_volume_values(services, tmp_path, bruker_volume, interface, extractor, rate, grid_spacing):
    """One 4D series (frames, width, height, planes); consecutive movie frames are a volume's planes."""
    case = bruker_case(interface, bruker_volume, extractor)
    path = check_imaging_case(services, tmp_path, case, "TwoPhotonSeries")
    series, plane, _ = read_series(path, "TwoPhotonSeries")
    assert series["dimension"] == [16, 24, 2]
    assert (series["rate"], plane["imaging_rate"]) == (pytest.approx(rate), rate)
    assert plane["grid_spacing"] == pytest.approx(grid_spacing)
    assert plane["origin_coords"] == [-50.0, 100.0, 5.0]
    with NWBHDF5IO(path, "r") as io:
        data = io.read().acquisition["TwoPhotonSeries"].data
        movie = generate.movie(num_frames=20)
        assert data[3, 5, 2, 1] == movie[3 * 2 + 1, 2, 5]  # volume 3, plane 1, row 2, column 5


def test_bruker_plane_index(services, tmp_path, bruker_volume):
    """plane_index 1 of the unified interface: a planar series of that plane. Its depth is NeuroConv's: the planes'
    depths are the Z positions that moved from the series' default (0), so only plane 1's Z 5 is found, as depth
    0; plane 1 gets none."""
    source = {**bruker_volume, "plane_index": 1}
    key = "bruker_tiff_imaging_plane1"
    plane = interface_metadata("BrukerTiffImagingInterface", source)["Ophys"]["ImagingPlanes"][key]
    assert (plane["name"], plane["origin_coords"], plane["imaging_rate"]) == (
        "ImagingPlanePlane1",
        [-50.0, 100.0],
        10.0,
    )
    first = interface_metadata("BrukerTiffImagingInterface", {**bruker_volume, "plane_index": 0})
    assert first["Ophys"]["ImagingPlanes"]["bruker_tiff_imaging_plane0"]["origin_coords"] == [-50.0, 100.0, 5.0]

    def read():
        from roiextractors import BrukerTiffImagingExtractor

        return BrukerTiffImagingExtractor(folder_path=source["folder_path"]).select_plane(1)

    case = Case("BrukerTiffImagingInterface", source, read, "generated with tifffile")
    path = check_imaging_case(services, tmp_path, case, "TwoPhotonSeriesPlane1")
    with NWBHDF5IO(path, "r") as io:
        data = io.read().acquisition["TwoPhotonSeriesPlane1"].data
        assert data[3, 5, 2] == generate.movie(num_frames=20)[3 * 2 + 1, 2, 5]


# ---------------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "interface",
    [
        "ScanImageImagingInterface",
        "ScanImageLegacyImagingInterface",
        "MicroManagerTiffImagingInterface",
        "ThorImagingInterface",
        "BrukerTiffImagingInterface",
        "BrukerTiffSinglePlaneImagingInterface",
    ],
)
def test_truncated_file_is_named_and_nothing_is_written(services, tmp_path, interface):
    """The source's last TIFF cut in half (an interrupted copy): the error names the source when it is opened, and
    no file is left at the output path."""
    from nwbstream.coordinator.errors import ConversionError

    folder = tmp_path / "source"
    folder.mkdir()
    source = generate.WRITERS[interface](folder)
    last = sorted(folder.rglob("*.tif"))[-1]
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    named = source.get("file_path") or source["folder_path"]
    output = tmp_path / "out" / "truncated.nwb"
    output.parent.mkdir()
    with pytest.raises(ConversionError, match=re.escape(str(named))):
        convert(services, {"imaging": (interface, source)}, output)
    assert not list(output.parent.iterdir())


# ---------------------------------------------------------------------------------------------------- devices


@pytest.mark.parametrize(
    "interface, series_name, device",
    [
        ("ScanImageImagingInterface", "TwoPhotonSeries", SCANIMAGE_DEVICE),
        (
            "ScanImageLegacyImagingInterface",
            "MicroscopySeries",
            {"name": "Microscope", "description": "Microscope controlled by ScanImage (legacy v3.8)"},
        ),
        (
            "ThorImagingInterface",
            "TwoPhotonSeriesDefault",
            {"name": "ThorMicroscope", "description": "ThorLabs 2P Microscope running ThorImageLS 4.0.2020.2171"},
        ),
        (
            "BrukerTiffImagingInterface",
            "TwoPhotonSeries",
            {"name": "BrukerFluorescenceMicroscope", "description": "Version 5.6.64.400. Bruker Ultima"},
        ),
        ("BrukerTiffSinglePlaneImagingInterface", "TwoPhotonSeries", BRUKER_DEVICE),
    ],
)
def test_the_plane_is_on_the_files_microscope(services, tmp_path, interface, series_name, device):
    """The device the metadata names (top-level Devices, by device_metadata_key) is the plane's device, as
    NeuroConv writes it; not the placeholder."""
    folder = tmp_path / "source"
    folder.mkdir()
    source = generate.WRITERS[interface](folder)
    path = convert(services, {"imaging": (interface, source)}, tmp_path / "device.nwb")
    assert read_series(path, series_name)[2] == device
