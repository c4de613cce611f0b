"""Every ophys interface on real or format-written files: the NWB file read back equals what roiextractors returns.

One row per format in IMAGING or SEGMENTATION; the shared checks compare frames, timing, masks, traces,
properties and summary images with the field's reader, then validate the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from .conftest import OPHYS, START, convert
from .nwbcheck import assert_valid_nwb
from .ophys_checks import (
    Case,
    assert_segmentation_equals,
    check_imaging_case,
    check_segmentation_case,
    quietly,
)


def tiff(path: str, rate: float) -> Case:
    def read():
        from roiextractors import MultiTIFFMultiPageExtractor

        return MultiTIFFMultiPageExtractor(
            file_paths=[OPHYS / path], sampling_frequency=rate, dimension_order="ZCT", num_channels=1, num_planes=1
        )

    source = {"file_path": str(OPHYS / path), "sampling_frequency": rate}
    return Case("TiffImagingInterface", source, read, "real: TIFF written with tifffile by sleap-io.js (SOURCES.md)")


def suite2p_reader():
    from roiextractors import Suite2pSegmentationExtractor

    return Suite2pSegmentationExtractor(folder_path=OPHYS / "suite2p" / "suite2p")


def minian_reader():
    """roiextractors cannot open this real Minian output (see nwbstream.ophys.minian); the expected values are
    read from Minian's own zarr stores with zarr, by their named dimensions."""
    import zarr

    folder = OPHYS / "minian" / "minian"

    def load(name):
        array = zarr.open(str(folder / f"{name}.zarr"), mode="r")[name]
        return array[:], list(array.attrs["_ARRAY_DIMENSIONS"])

    masks, dims = load("A")
    traces = {}
    for trace_name, variable in (("denoised", "C"), ("deconvolved", "S")):
        values, trace_dims = load(variable)
        traces[trace_name] = np.transpose(values, [trace_dims.index("frame"), trace_dims.index("unit_id")])
    return MinianExpected(np.transpose(masks, [dims.index(d) for d in ("height", "width", "unit_id")]), traces)


@dataclass
class MinianExpected:
    """What Minian's stores hold, shaped as roiextractors shapes a segmentation."""

    masks: np.ndarray  # height x width x ROIs
    traces: dict[str, np.ndarray]  # frames x ROIs

    def get_roi_ids(self):
        return list(range(self.masks.shape[2]))

    def get_roi_image_masks(self):
        return self.masks

    def get_traces_dict(self):
        return self.traces

    def get_images_dict(self):
        return {}

    def get_property_keys(self):
        return []

    def get_sampling_frequency(self):
        return 30.0


IMAGING = {
    "tiff_multipage": tiff("tiff/multipage.tif", 30.0),
    "tiff_one_frame": tiff("tiff/frame_000.tif", 10.0),
}
SEGMENTATION = {
    "suite2p": Case(
        "Suite2pSegmentationInterface",
        {"folder_path": str(OPHYS / "suite2p" / "suite2p")},
        suite2p_reader,
        "real: Suite2p output of the FISSA example (SOURCES.md)",
    ),
    "minian": Case(
        "MinianSegmentationInterface",
        {"folder_path": str(OPHYS / "minian" / "minian"), "sampling_frequency": 30.0},
        minian_reader,
        "real: Minian demo output, 2019 (SOURCES.md)",
        reader_name="zarr (Minian's own stores; roiextractors cannot open them)",
    ),
}


@pytest.mark.parametrize("case", sorted(IMAGING))
def test_imaging_values(services, tmp_path, case):
    path = check_imaging_case(services, tmp_path, IMAGING[case])
    with NWBHDF5IO(path, "r") as io:
        series = io.read().acquisition["MicroscopySeries"]
        assert type(series).__name__ == "TwoPhotonSeries"
        assert series.imaging_plane.name == "ImagingPlane"
        assert series.imaging_plane.device.name == "PlaceholderMicroscope"


@pytest.mark.parametrize("case", sorted(SEGMENTATION))
def test_segmentation_values(services, tmp_path, case):
    check_segmentation_case(services, tmp_path, SEGMENTATION[case])


def test_imaging_and_segmentation_share_one_imaging_plane(services, tmp_path):
    """TIFF frames and their Suite2p ROIs in one file: NeuroConv's plane and device, named once."""
    imaging, segmentation = IMAGING["tiff_multipage"], SEGMENTATION["suite2p"]
    interfaces = {
        "imaging": (imaging.interface, imaging.source),
        "segmentation": (segmentation.interface, segmentation.source),
    }
    path = convert(services, interfaces, tmp_path / "session.nwb")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        assert list(nwbfile.imaging_planes) == ["ImagingPlane"]
        assert list(nwbfile.devices) == ["PlaceholderMicroscope"]
        table = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert table.imaging_plane is nwbfile.acquisition["MicroscopySeries"].imaging_plane
        assert_segmentation_equals(nwbfile, quietly(segmentation.read))
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


def test_metadata_names_the_plane_and_device(services, tmp_path):
    """NeuroConv 0.10's dict layout: the series names its plane, the plane its device (top-level Devices)."""
    row = IMAGING["tiff_multipage"]
    metadata = {
        **START,
        "Devices": {"scope": {"name": "Bergamo", "description": "Two-photon microscope"}},
        "Ophys": {
            "ImagingPlanes": {
                "v1": {
                    "name": "PlaneV1",
                    "device_metadata_key": "scope",
                    "excitation_lambda": 920.0,
                    "indicator": "GCaMP6s",
                    "location": "V1",
                    "optical_channel": [{"name": "Green", "description": "GCaMP", "emission_lambda": 510.0}],
                }
            },
            "MicroscopySeries": {"tiff_imaging": {"name": "TwoPhotonSeriesV1", "imaging_plane_metadata_key": "v1"}},
        },
    }
    path = convert(services, {"imaging": (row.interface, row.source)}, tmp_path / "named.nwb", metadata=metadata)
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        plane = nwbfile.acquisition["TwoPhotonSeriesV1"].imaging_plane
        assert (plane.name, plane.indicator, plane.location, plane.excitation_lambda) == (
            "PlaneV1",
            "GCaMP6s",
            "V1",
            920.0,
        )
        assert plane.optical_channel[0].emission_lambda == 510.0
        assert plane.device.name == "Bergamo" and plane.device.description == "Two-photon microscope"
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))


def test_stub_converts_the_first_frames(services, tmp_path):
    segmentation = SEGMENTATION["suite2p"]
    path = convert(
        services, {"s": (segmentation.interface, segmentation.source)}, tmp_path / "stub.nwb", stub_test=True
    )
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        series = nwbfile.processing["ophys"]["Fluorescence"]["RoiResponseSeries"]
        assert series.data.shape[0] == 100  # NeuroConv's stub_samples
        assert_segmentation_equals(nwbfile, quietly(segmentation.read), n_frames=100)


def test_subject_is_required_as_for_ecephys(services, tmp_path):
    from nwbstream.coordinator.errors import ConversionError

    row = IMAGING["tiff_multipage"]
    metadata = {"NWBFile": START["NWBFile"]}
    with pytest.raises(ConversionError, match="Subject"):
        convert(services, {"imaging": (row.interface, row.source)}, tmp_path / "x.nwb", metadata=metadata)
    assert not list(tmp_path.iterdir())


def test_zarr_backend(services, tmp_path):
    """Pixel masks (ragged records) and image masks (a bulk column) in a Zarr store, read back equal."""
    from hdmf_zarr.nwb import NWBZarrIO

    for case in ("suite2p", "minian"):
        row = SEGMENTATION[case]
        path = convert(services, {"s": (row.interface, row.source)}, tmp_path / f"{case}.nwb.zarr", backend="zarr")
        with NWBZarrIO(str(path), "r") as io:
            assert_segmentation_equals(io.read(), quietly(row.read))
        assert_valid_nwb(path)


def test_two_segmentations_with_one_trace_name_are_refused_with_the_key_to_rename(services, tmp_path):
    from nwbstream.coordinator.errors import ConversionError

    suite2p, minian = SEGMENTATION["suite2p"], SEGMENTATION["minian"]
    interfaces = {
        "a": (suite2p.interface, suite2p.source),
        "b": (minian.interface, {**minian.source, "metadata_key": "m"}),
    }
    metadata = {**START, "Ophys": {"PlaneSegmentations": {"m": {"name": "PlaneSegmentationMinian"}}}}
    with pytest.raises(ConversionError, match="metadata Ophys/RoiResponses/m/deconvolved/name"):
        convert(services, interfaces, tmp_path / "clash.nwb", metadata=metadata)
    assert not list(tmp_path.iterdir())


@pytest.fixture
def generated_minian(tmp_path):
    from .fixtures.ophys.generate import write_minian

    return write_minian(tmp_path)


def test_generated_minian_with_its_frame_times(services, tmp_path, generated_minian):
    """Minian's layout as roiextractors reads it (zarr group at the top), with timeStamps.csv: regular times give a
    rate; jittered ones (as a DAQ's are) go into the file as timestamps, sent inline with the traces."""
    import pandas as pd
    from roiextractors import MinianSegmentationExtractor

    folder = Path(generated_minian["folder_path"])
    case = Case(
        "MinianSegmentationInterface",
        generated_minian,
        lambda: MinianSegmentationExtractor(folder_path=folder),
        "generated: Minian's zarr layout written by hand (tests/fixtures/ophys/generate.py)",
    )
    (tmp_path / "regular").mkdir()
    check_segmentation_case(services, tmp_path / "regular", case)
    times = pd.read_csv(folder / "timeStamps.csv")
    times["Time Stamp (ms)"] += np.array([0, 3, -2, 1, 0, 4, -1, 2, 0, 1])[: len(times)]
    times.to_csv(folder / "timeStamps.csv", index=False)
    path = convert(services, {"s": (case.interface, case.source)}, tmp_path / "jittered.nwb")
    with NWBHDF5IO(path, "r") as io:
        series = io.read().processing["ophys"]["Fluorescence"]["Denoised"]
        np.testing.assert_array_equal(series.timestamps[:], times["Time Stamp (ms)"].to_numpy() / 1000.0)
        assert series.rate is None
