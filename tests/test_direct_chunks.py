"""Chunks encoded in the service and stored untouched read back equal to the source, on both backends."""

from __future__ import annotations

import subprocess
import sys

import h5py
import hdf5plugin  # noqa: F401 - reads the Blosc variant
import numpy as np
import pytest
import spikeinterface.extractors as se
import zarr
from hdmf_zarr.nwb import NWBZarrIO
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.errors import ConversionError
from pynwb import NWBHDF5IO

from .conftest import START
from .nwbcheck import assert_valid_nwb

SERIES = "ElectricalSeriesAPImec0"
CONFIGURATIONS = {
    "deflate": {"compression_method": "gzip"},
    "deflate-shuffle": {"compression_method": "gzip", "compression_options": {"shuffle": True, "level": 3}},
    "none": {"compression_method": None},
    "none-shuffle": {"compression_method": "none", "compression_options": {"shuffle": True}},
    "blosc-zstd": {"compression_method": "blosc-zstd", "compression_options": {"level": 5}},
}

FILTERS = {  # the HDF5 filter pipeline each configuration must produce
    "deflate": {"gzip"},
    "deflate-shuffle": {"shuffle", "gzip"},
    "none": set(),
    "none-shuffle": {"shuffle"},
    "blosc-zstd": {"32001"},
}


def ap_interfaces(folder):
    return {"ap": ("SpikeGLXRecordingInterface", {"folder_path": str(folder), "stream_id": "imec0.ap"})}


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_stored_chunks_equal_source(services, spikeglx_folder, tmp_path, backend, name):
    # Odd chunk shape: edge chunks on both axes are padded in the service and cut on read.
    configuration = {"default": {**CONFIGURATIONS[name], "chunk_shape": [10_000, 100]}}
    path = tmp_path / ("out.nwb" if backend == "hdf5" else "out.nwb.zarr")
    with Converter(ap_interfaces(spikeglx_folder), services) as converter:
        converter.run_conversion(
            nwbfile_path=path,
            metadata=START,
            backend=backend,
            backend_configuration=configuration,
            progress=False,
        )
    expected = se.read_spikeglx(spikeglx_folder, stream_id="imec0.ap").get_traces()
    io_class = NWBHDF5IO if backend == "hdf5" else NWBZarrIO
    with io_class(str(path), mode="r") as io:
        data = io.read().acquisition[SERIES].data
        assert data.chunks == (10_000, 100)
        np.testing.assert_array_equal(data[:], expected)
    if backend == "hdf5":
        with h5py.File(path, "r") as file:
            dataset = file[f"acquisition/{SERIES}/data"]
            assert set(dataset._filters) == FILTERS[name]
    else:
        array = zarr.open(str(path), mode="r")[f"acquisition/{SERIES}/data"]
        np.testing.assert_array_equal(array[:1000], expected[:1000])
    assert_valid_nwb(path)


def test_default_output_is_plain_gzip(services, spikeglx_folder, tmp_path):
    """The default codec must read back with plain h5py (HDF5's own gzip filter), no plugin."""
    path = tmp_path / "default.nwb"
    with Converter(ap_interfaces(spikeglx_folder), services) as converter:
        converter.run_conversion(nwbfile_path=path, metadata=START, progress=False)
    with h5py.File(path, "r") as file:
        dataset = file[f"acquisition/{SERIES}/data"]
        assert dataset.compression == "gzip"
        assert dataset.id.get_storage_size() < dataset.size * dataset.dtype.itemsize
        plist = dataset.id.get_create_plist()
        filters = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
        assert filters == {h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE}
        expected = se.read_spikeglx(spikeglx_folder, stream_id="imec0.ap").get_traces(end_frame=5000)
        np.testing.assert_array_equal(dataset[:5000], expected)
    # A fresh interpreter that never imports hdf5plugin (this module does) reads the same values.
    reader = (
        "import h5py, sys; "
        f"sys.stdout.buffer.write(h5py.File(sys.argv[1])['acquisition/{SERIES}/data'][:5000].tobytes())"
    )
    plain = subprocess.run([sys.executable, "-c", reader, str(path)], capture_output=True, check=True).stdout
    np.testing.assert_array_equal(np.frombuffer(plain, dtype=expected.dtype).reshape(expected.shape), expected)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"chunk_shape": [1000]}, "does not match the shape"),
        ({"chunk_shape": [0, 64]}, "axis 0 must be"),
        ({"chunk_shape": [100_000, 64]}, "axis 0 must be"),
        ({"compression_method": "lz4"}, "is not one of"),
        ({"compression_method": "gzip", "compression_options": {"level": 9}}, "outside 0..3"),
        (
            {"compression_method": "blosc-zstd", "compression_options": {"shuffle": True}},
            "leave 'shuffle' off",
        ),
    ],
)
def test_invalid_layout_refused_before_writing(services, spikeglx_folder, tmp_path, setting, message):
    configuration = {"datasets": {f"{SERIES}/data": setting}}
    with (
        Converter(ap_interfaces(spikeglx_folder), services) as converter,
        pytest.raises(ConversionError, match=message) as error,
    ):
        converter.run_conversion(
            nwbfile_path=tmp_path / "x.nwb",
            metadata=START,
            backend_configuration=configuration,
            progress=False,
        )
    assert f"{SERIES}/data" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_backend_configuration_for_an_unknown_dataset_is_refused(services, spikeglx_folder, tmp_path):
    """NeuroConv's name for this series is ElectricalSeriesAPImec0: a setting for another name must not vanish."""
    configuration = {"datasets": {"ElectricalSeriesAP/data": {"compression_method": "none"}}}
    with (
        Converter(ap_interfaces(spikeglx_folder), services) as converter,
        pytest.raises(ConversionError, match="ElectricalSeriesAP/data.*match no dataset.*ElectricalSeriesAPImec0/data"),
    ):
        converter.run_conversion(
            nwbfile_path=tmp_path / "x.nwb", metadata=START, backend_configuration=configuration, progress=False
        )
    assert list(tmp_path.iterdir()) == []
