"""What every ophys value test checks: frames, timing, masks, traces, properties and summary images, read back
from the NWB file and compared with what the field's reader returns for the same source.

A format's test module declares its cases (`Case`: interface, source arguments, the reader on the same files, and
what kind of fixture it is) and runs `check_imaging_case` / `check_segmentation_case` on each.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import convert
from .nwbcheck import assert_valid_nwb

TRACE_NAMES = {"raw": "RoiResponseSeries", "neuropil": "Neuropil", "deconvolved": "Deconvolved"}
TRACE_NAMES |= {"denoised": "Denoised", "dff": "DfOverF", "baseline": "Baseline"}
IMAGE_NAMES = {"correlation": "correlation_image", "mean": "mean_image"}  # NeuroConv's defaults


def quietly(read: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read()


def assert_series_equals_imaging(series, imaging, n_frames: int | None = None) -> None:
    frames = imaging.get_series(end_sample=n_frames)
    expected = frames.transpose((0, 2, 1) if frames.ndim == 3 else (0, 2, 1, 3))  # NWB: frames x width x height
    assert series.data.shape == expected.shape
    assert series.data.dtype == expected.dtype
    np.testing.assert_array_equal(series.data[:], expected)
    assert series.rate == pytest.approx(imaging.get_sampling_frequency())
    assert list(series.dimension[:]) == list(imaging.get_sample_shape())


def assert_segmentation_equals(
    nwbfile, expected, n_frames: int | None = None, image_names: dict[str, str] = IMAGE_NAMES
) -> None:
    ophys = nwbfile.processing["ophys"]
    table = ophys["ImageSegmentation"]["PlaneSegmentation"]
    ids = expected.get_roi_ids()
    assert list(table["roi_name"][:]) == [str(i) for i in ids]
    if "image_mask" in table.colnames:
        np.testing.assert_array_equal(table["image_mask"].data[:], np.asarray(expected.get_roi_image_masks()).T)
    else:
        for row, mask in enumerate(expected.get_roi_pixel_masks()):
            written = table["pixel_mask"][row]
            np.testing.assert_array_equal([list(p) for p in written], np.asarray(mask, dtype=float))
    for key in expected.get_property_keys():
        np.testing.assert_array_equal(table[key].data[:], expected.get_property(key=key, ids=ids))
    traces = {name: t for name, t in expected.get_traces_dict().items() if t is not None and name != "background"}
    written_traces = set(ophys["Fluorescence"].roi_response_series)
    assert written_traces == {TRACE_NAMES[name] for name, t in traces.items() if np.any(t)}
    for name, trace in traces.items():
        series = ophys["Fluorescence"][TRACE_NAMES[name]]
        np.testing.assert_array_equal(series.data[:], np.asarray(trace)[:n_frames])
        assert series.rate == pytest.approx(expected.get_sampling_frequency())
        assert list(series.rois.data[:]) == list(range(len(ids)))
        assert series.rois.table is table
    images = {name: image for name, image in expected.get_images_dict().items() if image is not None}
    if not images:
        assert "SegmentationImages" not in ophys.data_interfaces
        return
    written = ophys["SegmentationImages"]
    assert {image_names.get(name, name) for name in images} <= set(written.images)
    for name, image in images.items():
        np.testing.assert_array_equal(written[image_names.get(name, name)].data[:], np.asarray(image).T)


def check_imaging_case(services, tmp_path: Path, case: Case, series_name: str = "MicroscopySeries", **options) -> Path:
    path = convert(services, {"imaging": (case.interface, case.source)}, tmp_path / "imaging.nwb", **options)
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        assert_series_equals_imaging(nwbfile.acquisition[series_name], quietly(case.read))
    # Test stacks have fewer frames than pixels per row: time cannot be the longest axis (nwbinspector's
    # orientation heuristic), whatever the writer does.
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))
    return path


def check_segmentation_case(services, tmp_path: Path, case: Case, **options) -> Path:
    path = convert(services, {"segmentation": (case.interface, case.source)}, tmp_path / "segmentation.nwb", **options)
    with NWBHDF5IO(path, "r") as io:
        assert_segmentation_equals(io.read(), quietly(case.read), **case.expect)
    assert_valid_nwb(path, waive=frozenset({"check_data_orientation"}))
    return path
