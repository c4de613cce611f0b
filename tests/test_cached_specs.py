"""A file caches the extensions it uses and no other, whatever the coordinator wrote before it: pynwb's validator
(and DANDI's) checks a file against each cached extension on its own, where another extension's type is unknown."""

from __future__ import annotations

import h5py
import zarr

from .conftest import OPHYS, convert
from .nwbcheck import assert_valid_nwb

TIFF = ("TiffImagingInterface", {"file_path": str(OPHYS / "tiff" / "multipage.tif"), "sampling_frequency": 30.0})
CORE = {"core", "hdmf-common", "hdmf-experimental"}


def test_unused_extensions_are_not_cached(services, tmp_path):
    import ndx_fiber_photometry  # noqa: F401 - loads ndx-fiber-photometry and ndx-ophys-devices in this process
    import ndx_miniscope  # noqa: F401

    path = convert(services, {"imaging": TIFF}, tmp_path / "plain.nwb")
    with h5py.File(path, "r") as file:
        assert set(file["specifications"]) == CORE
    store = convert(services, {"imaging": TIFF}, tmp_path / "plain.nwb.zarr", backend="zarr")
    assert set(zarr.open_group(str(store), mode="r")["specifications"]) == CORE
    for output in (path, store):  # hdmf-zarr reads the consolidated metadata, which must agree with the store
        assert_valid_nwb(output, waive=frozenset({"check_data_orientation"}))
