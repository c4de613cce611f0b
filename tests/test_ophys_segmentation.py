"""Segmentation formats through the real ophys service: CaImAn, CNMF-E, EXTRACT, Inscopix cell sets, SIMA, and
Suite2p folders with several planes and channels.

Each case is written by its format's own layout (tests/fixtures/ophys/generate.py) into tmp_path; the NWB file read
back is compared with roiextractors on the same files (masks, traces per ROI, properties) and, where the format
stores them plainly, with the values in the file itself (h5py, isx), then validated with pynwb and nwbinspector.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from pynwb import NWBHDF5IO

from .conftest import convert
from .fixtures.ophys import generate
from .fixtures.ophys.sima import SIMA_AVERAGES, write_sima
from .nwbcheck import assert_valid_nwb
from .ophys_checks import Case, check_segmentation_case, quietly


def reader(extractor: str, source: dict[str, Any]) -> Callable[[], Any]:
    """roiextractors' `extractor` on the same source arguments the interface gets."""

    def read() -> Any:
        import roiextractors

        return getattr(roiextractors, extractor)(**source)

    return read


def read_back(path: Path) -> tuple[NWBHDF5IO, Any]:
    io = NWBHDF5IO(path, "r")
    return io, io.read()


# ------------------------------------------------------------------------------------------------------- CaImAn

CNN_PREDICTIONS = np.array([0.95, 0.05, 0.7])


@pytest.fixture
def caiman_file(tmp_path) -> Path:
    """CaImAn's estimates with a CNN classifier's predictions and the rejected list beside the accepted one."""
    path = Path(generate.write_caiman(tmp_path)["file_path"])
    with h5py.File(path, "a") as file:
        file["estimates/cnn_preds"] = CNN_PREDICTIONS
        file["estimates/idx_components_bad"] = np.array([1])
    return path


def caiman_case(path: Path) -> Case:
    def read():
        from roiextractors import CaimanSegmentationExtractor

        return CaimanSegmentationExtractor(file_path=path)

    return Case("CaimanSegmentationInterface", {"file_path": str(path)}, read, "generated with h5py (CaImAn layout)")


def test_caiman(services, tmp_path, caiman_file):
    path = check_segmentation_case(services, tmp_path, caiman_case(caiman_file))
    with h5py.File(caiman_file, "r") as source:
        estimates = {name: source[f"estimates/{name}"][()] for name in ("C", "YrA", "S", "F_dff", "SNR_comp")}
        r_values, accepted = source["estimates/r_values"][()], source["estimates/idx_components"][()]
    io, nwbfile = read_back(path)
    with io:
        ophys = nwbfile.processing["ophys"]
        table = ophys["ImageSegmentation"]["PlaneSegmentation"]
        assert table.description == "Segmentation data acquired with CaImAn."
        assert list(table["is_accepted"].data[:]) == [i in accepted for i in range(generate.NUM_ROIS)]
        np.testing.assert_array_equal(table["snr"].data[:], estimates["SNR_comp"])
        np.testing.assert_array_equal(table["r_values"].data[:], r_values)
        np.testing.assert_array_equal(table["cnn_preds"].data[:], CNN_PREDICTIONS)
        assert table["snr"].description == "Signal-to-noise ratio for each component"
        # Pixel masks: (row, column, weight) of CaImAn's Fortran-ordered footprints; the background is no ROI.
        masks = generate.roi_masks()
        for roi in range(generate.NUM_ROIS):
            rows, columns = np.nonzero(masks[:, :, roi])
            written = np.array([list(p) for p in table["pixel_mask"][roi]])
            assert sorted(map(tuple, written[:, :2].astype(int))) == sorted(zip(rows, columns, strict=True))
            np.testing.assert_array_equal(written[:, 2], roi + 1)
        traces = ophys["Fluorescence"]
        assert set(traces.roi_response_series) == {"RoiResponseSeries", "DfOverF", "Denoised", "Deconvolved"}
        np.testing.assert_array_equal(traces["RoiResponseSeries"].data[:], (estimates["C"] + estimates["YrA"]).T)
        np.testing.assert_array_equal(traces["Denoised"].data[:], estimates["C"].T)
        np.testing.assert_array_equal(traces["Deconvolved"].data[:], estimates["S"].T)
        np.testing.assert_array_equal(traces["DfOverF"].data[:], estimates["F_dff"].T)
        assert traces["RoiResponseSeries"].rate == generate.RATE
        assert set(ophys["SegmentationImages"].images) == {"correlation_image", "mean_image"}


# ---------------------------------------------------------------------------------------------- CNMF-E, EXTRACT


def test_cnmfe(services, tmp_path):
    """CIAtah's CNMF-E output: image masks and one raw trace per ROI as written; rate = frames / totalTime."""
    source = generate.write_cnmfe(tmp_path)

    path = check_segmentation_case(
        services,
        tmp_path,
        Case("CnmfeSegmentationInterface", source, reader("CnmfeSegmentationExtractor", source), "generated with h5py"),
    )
    io, nwbfile = read_back(path)
    with io:
        ophys = nwbfile.processing["ophys"]
        table = ophys["ImageSegmentation"]["PlaneSegmentation"]
        assert table.description == "Segmentation data acquired with CNMF-E."
        np.testing.assert_array_equal(table["image_mask"].data[:], generate.roi_masks().T)  # ROIs x columns x rows
        series = ophys["Fluorescence"]["RoiResponseSeries"]
        np.testing.assert_array_equal(series.data[:], generate.traces())
        assert series.rate == generate.RATE
        assert set(ophys["Fluorescence"].roi_response_series) == {"RoiResponseSeries"}
        with h5py.File(source["file_path"], "r") as mat:
            np.testing.assert_array_equal(
                ophys["SegmentationImages"]["correlation_image"].data[:], mat["/cnmfeAnalysisOutput/Cn"][()].T
            )


@pytest.fixture(params=["output", "output_struct_name"])
def extract_source(request, tmp_path) -> dict:
    """EXTRACT output under its default struct name, or under one of the user's choosing (`output_struct_name`)."""
    source = generate.write_extract(tmp_path)
    if request.param == "output":
        return source
    with h5py.File(source["file_path"], "a") as mat:
        mat.move("output", "extract_run2")
    return {**source, "output_struct_name": "extract_run2", "sampling_frequency": 15.0}


def test_extract(services, tmp_path, extract_source):
    """EXTRACT >= 1.0: spatial and temporal weights (dF/F, config.preprocess = 1), summary and max images under
    their own names; the rate is the argument, the struct found by its default name or the one given."""
    source = extract_source

    path = check_segmentation_case(
        services,
        tmp_path,
        Case(
            "ExtractSegmentationInterface",
            source,
            reader("ExtractSegmentationExtractor", source),
            "generated with h5py",
        ),
    )
    io, nwbfile = read_back(path)
    with io:
        ophys = nwbfile.processing["ophys"]
        table = ophys["ImageSegmentation"]["PlaneSegmentation"]
        assert table.description == "Segmentation data acquired with EXTRACT."
        np.testing.assert_array_equal(table["image_mask"].data[:], generate.roi_masks().T)
        assert set(ophys["Fluorescence"].roi_response_series) == {"DfOverF"}
        series = ophys["Fluorescence"]["DfOverF"]
        np.testing.assert_array_equal(series.data[:], generate.traces())
        assert series.rate == source["sampling_frequency"]
        assert set(ophys["SegmentationImages"].images) == {"summary_image", "max_image"}


def write_legacy_extract(folder: Path) -> dict:
    """EXTRACT before 1.0 (MATLAB v7.3), as roiextractors' LegacyExtractSegmentationExtractor reads it: struct
    extractAnalysisOutput with filters (ROIs, rows, columns), traces (frames, ROIs), time/totalTime in seconds,
    info/summary_image and info/version '0.9.0'."""
    path = folder / "extract_legacy.mat"
    with h5py.File(path, "w", userblock_size=512) as mat:
        output = mat.create_group("extractAnalysisOutput")
        output["filters"] = generate.roi_masks().transpose(2, 0, 1)
        output["traces"] = generate.traces()
        output["time/totalTime"] = np.array([[generate.NUM_FRAMES / generate.RATE]])
        output["info/summary_image"] = np.linspace(0.0, 1.0, generate.ROWS * generate.COLUMNS).reshape(
            generate.ROWS, generate.COLUMNS
        )
        output["info/version"] = np.array([[ord(c)] for c in "0.9.0"], dtype=np.uint16)
    generate._write_matlab_v73_header(path)
    return {"file_path": str(path), "sampling_frequency": 99.0}


def test_extract_before_1_0(services, tmp_path):
    """Older EXTRACT output, found under its own default struct name: raw traces, and the rate from the file's
    total time (roiextractors' legacy reader ignores the sampling_frequency argument, as NeuroConv does)."""
    source = write_legacy_extract(tmp_path)

    path = check_segmentation_case(
        services,
        tmp_path,
        Case(
            "ExtractSegmentationInterface",
            source,
            reader("ExtractSegmentationExtractor", source),
            "generated with h5py",
        ),
    )
    io, nwbfile = read_back(path)
    with io:
        ophys = nwbfile.processing["ophys"]
        np.testing.assert_array_equal(
            ophys["ImageSegmentation"]["PlaneSegmentation"]["image_mask"].data[:], generate.roi_masks().T
        )
        series = ophys["Fluorescence"]["RoiResponseSeries"]
        np.testing.assert_array_equal(series.data[:], generate.traces())
        assert series.rate == generate.RATE
        assert set(ophys["SegmentationImages"].images) == {"correlation_image"}


# ------------------------------------------------------------------------------------------ Inscopix cell sets

CELL_STATUS = ["accepted", "rejected", "undecided"]


@pytest.fixture
def inscopix_cellset(tmp_path) -> Path:
    """A cell set written by Inscopix's isx, one cell accepted, one rejected, one left undecided."""
    import isx

    path = Path(generate.write_inscopix_cellset(tmp_path)["file_path"])
    cell_set = isx.CellSet.read(str(path), read_only=False)
    for index, status in enumerate(CELL_STATUS):
        cell_set.set_cell_status(index, status)
    cell_set.flush()
    return path


def test_inscopix_cellset(services, tmp_path, inscopix_cellset):
    """Image masks and each cell's status, as isx reads them; no traces (NeuroConv 0.10.2 writes none for a cell
    set: roiextractors 0.10 does not expose them). The plane's device is NeuroConv's Inscopix 'Microscope'."""
    import isx

    source = {"file_path": str(inscopix_cellset)}
    path = convert(services, {"cells": ("InscopixSegmentationInterface", source)}, tmp_path / "cells.nwb")
    cell_set = isx.CellSet.read(str(inscopix_cellset))
    images = np.stack([cell_set.get_cell_image_data(i) for i in range(cell_set.num_cells)])  # cells x rows x columns
    io, nwbfile = read_back(path)
    with io:
        ophys = nwbfile.processing["ophys"]
        table = ophys["ImageSegmentation"]["PlaneSegmentation"]
        assert table.description == "Inscopix cell segmentation"
        assert list(table["roi_name"][:]) == [cell_set.get_cell_name(i) for i in range(cell_set.num_cells)]
        assert list(table["cell_status"][:]) == CELL_STATUS
        np.testing.assert_array_equal(table["image_mask"].data[:], images.transpose(0, 2, 1))
        np.testing.assert_array_equal(images.transpose(1, 2, 0), generate.roi_masks().astype(np.float32))
        assert table["image_mask"].data.dtype == np.float32
        assert "Fluorescence" not in ophys.data_interfaces and "SegmentationImages" not in ophys.data_interfaces
        assert table.imaging_plane.device.name == "Microscope"
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


def test_inscopix_cellset_metadata(services, inscopix_cellset):
    """NeuroConv's get_metadata for a cell set written without acquisition info: the file's start (isx writes
    the epoch), the default device key and name, the plane and table keyed by the metadata key."""
    from nwbstream.coordinator.converter import Converter

    with Converter({"cells": ("InscopixSegmentationInterface", {"file_path": str(inscopix_cellset)})}, services) as c:
        metadata = c.get_metadata()
    assert metadata["NWBFile"]["session_start_time"].startswith("1970-01-01T00:00:00")
    # NeuroConv's dict layout (Devices.inscopix_microscope, the plane's device_metadata_key) as the converter
    # merges it: the device the plane refers to goes to Ophys.Device, the plane names it.
    assert metadata["Ophys"] == {
        "ImagingPlanes": {"inscopix_segmentation": {"device": "Microscope"}},
        "PlaneSegmentations": {
            "inscopix_segmentation": {
                "description": "Inscopix cell segmentation",
                "imaging_plane_metadata_key": "inscopix_segmentation",
            }
        },
        "Device": [{"name": "Microscope"}],
    }
    assert "Devices" not in metadata


# ----------------------------------------------------------------------------------- Suite2p planes and channels

SUITE2P_TRACES = {"raw": "RoiResponseSeries", "neuropil": "Neuropil", "deconvolved": "Deconvolved"}
SUITE2P_IMAGES = {"correlation": "CorrelationImage", "mean": "MeanImage"}


@pytest.fixture(scope="module")
def suite2p_folder(tmp_path_factory) -> str:
    """Suite2p output with two planes and two channels (generate.write_suite2p's defaults)."""
    return generate.write_suite2p(tmp_path_factory.mktemp("suite2p"))["folder_path"]


def suite2p_reader(folder: str, channel_name: str | None, plane_name: str | None):
    from roiextractors import Suite2pSegmentationExtractor

    return Suite2pSegmentationExtractor(folder_path=folder, channel_name=channel_name, plane_name=plane_name)


def assert_suite2p_plane(nwbfile, expected, suffix: str, plane: int, channel: int) -> None:
    """One plane and channel of the folder under NeuroConv's suffixed names, equal to the reader's values and to
    what the fixture wrote (F = traces + 1000 * plane + 10000 * channel, Fneu = F / 2, spks = F / 10)."""
    ophys = nwbfile.processing["ophys"]
    table = ophys["ImageSegmentation"][f"PlaneSegmentation{suffix}"]
    assert table.imaging_plane.name == f"ImagingPlane{suffix}"
    assert table.imaging_plane.imaging_rate == generate.RATE
    ids = expected.get_roi_ids()
    for row, mask in enumerate(expected.get_roi_pixel_masks()):
        np.testing.assert_array_equal([list(p) for p in table["pixel_mask"][row]], np.asarray(mask, dtype=float))
    np.testing.assert_array_equal(table["iscell"].data[:], expected.get_property(key="iscell", ids=ids))
    fluorescence = (generate.traces() + 1000 * plane + 10000 * channel).astype(np.float32)
    written = {name: t for name, t in expected.get_traces_dict().items() if t is not None}
    assert set(written) == ({"raw", "neuropil", "deconvolved"} if channel == 0 else {"raw", "neuropil"})
    for name, trace in written.items():
        series = ophys["Fluorescence"][f"{SUITE2P_TRACES[name]}{suffix}"]
        np.testing.assert_array_equal(series.data[:], np.asarray(trace))
        assert series.rois.table is table and series.rate == generate.RATE
    np.testing.assert_array_equal(ophys["Fluorescence"][f"RoiResponseSeries{suffix}"].data[:], fluorescence)
    np.testing.assert_array_equal(ophys["Fluorescence"][f"Neuropil{suffix}"].data[:], fluorescence / 2)
    images = expected.get_images_dict()
    mean = np.linspace(0.0, 1.0, generate.ROWS * generate.COLUMNS).reshape(generate.ROWS, generate.COLUMNS)
    expected_mean = mean.astype(np.float32) + 10 * channel + plane  # ops meanImg, or meanImg_chan2 (float32)
    np.testing.assert_array_equal(ophys["SegmentationImages"][f"MeanImage{suffix}"].data[:], expected_mean.T)
    for key, name in SUITE2P_IMAGES.items():
        np.testing.assert_array_equal(ophys["SegmentationImages"][f"{name}{suffix}"].data[:], images[key].T)


@pytest.mark.parametrize(
    ("channel_name", "plane_name", "channel", "plane"),
    [(None, None, 0, 0), ("chan1", "plane1", 0, 1), ("chan2", "plane1", 1, 1)],
)
def test_suite2p_plane_and_channel(services, tmp_path, suite2p_folder, channel_name, plane_name, channel, plane):
    """A folder of several planes and channels: the chosen (or first) plane and channel, every NeuroConv name
    suffixed with them; the second channel has no deconvolved trace (Suite2p computes spks for chan1 only)."""
    source = {"folder_path": suite2p_folder, "channel_name": channel_name, "plane_name": plane_name}
    source = {key: value for key, value in source.items() if value is not None}
    path = convert(services, {"s2p": ("Suite2pSegmentationInterface", source)}, tmp_path / "s2p.nwb")
    suffix = f"Chan{channel + 1}Plane{plane}"
    io, nwbfile = read_back(path)
    with io:
        assert_suite2p_plane(
            nwbfile, quietly(lambda: suite2p_reader(suite2p_folder, channel_name, plane_name)), suffix, plane, channel
        )
        ophys = nwbfile.processing["ophys"]
        assert list(ophys["ImageSegmentation"].plane_segmentations) == [f"PlaneSegmentation{suffix}"]
        assert list(nwbfile.imaging_planes) == [f"ImagingPlane{suffix}"]
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


def test_suite2p_two_planes_in_one_file(services, tmp_path, suite2p_folder):
    """Both planes of the first channel side by side: one table, imaging plane and set of series per plane,
    each series pointing at its own table (NeuroConv's default metadata keys keep them apart)."""
    interfaces = {
        f"plane{plane}": (
            "Suite2pSegmentationInterface",
            {"folder_path": suite2p_folder, "plane_name": f"plane{plane}"},
        )
        for plane in (0, 1)
    }
    path = convert(services, interfaces, tmp_path / "planes.nwb")
    io, nwbfile = read_back(path)
    with io:
        for plane in (0, 1):
            expected = quietly(lambda plane=plane: suite2p_reader(suite2p_folder, None, f"plane{plane}"))
            assert_suite2p_plane(nwbfile, expected, f"Chan1Plane{plane}", plane, 0)
        assert sorted(nwbfile.imaging_planes) == ["ImagingPlaneChan1Plane0", "ImagingPlaneChan1Plane1"]
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


# ------------------------------------------------------------------------------------------------------- SIMA

FIXTURES = {  # for docs/formats.md: sources these tests write without a Case row
    "InscopixSegmentationInterface": "generated with isx (Inscopix's own writer): a cell set",
    "SimaSegmentationInterface": "generated: a .sima folder in sima 1.3's pickle layout (no sima on Python 3.11)",
}


def test_sima_read_without_sima(tmp_path):
    """The pickles a segmentation needs load with numpy and scipy only: masks, the chosen signals (channel with
    signals, label that is no timestamp) as frames x ROIs, that channel's mean image; sequences.pkl is not read."""
    from nwbstream.ophys.sima import SimaSegmentationInterface

    interface = SimaSegmentationInterface.open({"file_path": str(write_sima(tmp_path))})
    segmentation = interface.segmentation
    np.testing.assert_array_equal(segmentation.get_roi_image_masks(), generate.roi_masks())
    np.testing.assert_array_equal(segmentation.get_traces(name="raw"), generate.traces())
    np.testing.assert_array_equal(segmentation.get_images_dict()["mean"], SIMA_AVERAGES[0, :, :, 1])
    assert interface.get_metadata()["Ophys"]["PlaneSegmentations"] == {
        "sima_segmentation": {"description": "Segmentation data acquired with SIMA."}
    }


def test_sima_roi_set_by_label(tmp_path):
    """Several ROI sets: `sima_segmentation_label` picks one; a label that is not there is named with the ones
    that are; polygon-only ROIs (sima rasterises them with shapely) are refused."""
    from nwbstream.ophys.sima import SimaSegmentationInterface
    from nwbstream.service import SourceError
    from scipy.sparse import lil_matrix

    masks = generate.roi_masks()
    chosen = [{"mask": [lil_matrix(masks[:, :, i] * 2)], "polygons": None} for i in range(generate.NUM_ROIS)]
    drawn = [{"mask": None, "polygons": [[[0, 0, 0], [0, 2, 0], [2, 2, 0]]]} for _ in range(generate.NUM_ROIS)]
    path = write_sima(tmp_path, {"auto_ROIs": chosen, "drawn": drawn})
    interface = SimaSegmentationInterface.open({"file_path": str(path)})
    np.testing.assert_array_equal(interface.segmentation.get_roi_image_masks(), masks * 2)
    with pytest.raises(SourceError, match="no ROI set 'cells'; it holds auto_ROIs, drawn"):
        SimaSegmentationInterface.open({"file_path": str(path), "sima_segmentation_label": "cells"})
    with pytest.raises(SourceError, match="polygons only"):
        SimaSegmentationInterface.open({"file_path": str(path), "sima_segmentation_label": "drawn"})


def test_sima_conversion_refused_for_want_of_a_rate(services, tmp_path):
    """A SIMA dataset records no frame rate and NeuroConv's interface takes none: the conversion stops before
    writing, naming the folder and the reason."""
    from nwbstream.coordinator.errors import ConversionError

    path = write_sima(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConversionError, match="no frame rate") as refused:
        convert(services, {"sima": ("SimaSegmentationInterface", {"file_path": str(path)})}, out / "sima.nwb")
    assert str(path) in str(refused.value)
    assert not list(out.iterdir())


# --------------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("interface", "writer"),
    [("CaimanSegmentationInterface", generate.write_caiman), ("CnmfeSegmentationInterface", generate.write_cnmfe)],
)
def test_truncated_file_is_refused(services, tmp_path, interface, writer):
    """An HDF5 file cut short (an interrupted copy) stops the conversion with the file named, nothing written."""
    from nwbstream.coordinator.errors import ConversionError

    path = Path(writer(tmp_path)["file_path"])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConversionError, match=str(path)):
        convert(services, {"seg": (interface, {"file_path": str(path)})}, out / "seg.nwb")
    assert not list(out.iterdir())


def test_suite2p_folder_given_to_caiman(services, tmp_path, suite2p_folder):
    """A file of another format (Suite2p's ops.npy) given as CaImAn output is refused with the file named."""
    from nwbstream.coordinator.errors import ConversionError

    ops = Path(suite2p_folder) / "plane0" / "ops.npy"
    with pytest.raises(ConversionError, match=str(ops)):
        convert(services, {"seg": ("CaimanSegmentationInterface", {"file_path": str(ops)})}, tmp_path / "x.nwb")
    assert not (tmp_path / "x.nwb").exists()
