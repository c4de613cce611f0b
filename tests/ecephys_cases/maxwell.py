"""MaxWell MaxOne: a generated MaxLab Live HDF5 file read back by neo's MaxwellRawIO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import spikeinterface.extractors as se

from ..cases import Case
from ..fixtures.ecephys.maxwell import CHANNELS, ELECTRODES, write_maxone, write_maxone_legacy
from . import GENERATED, generated_folder

H5 = GENERATED / "maxone" / "fixture.raw.h5"
LEGACY = GENERATED / "maxone_legacy" / "legacy.raw.h5"


def truncated_copy(original: Path, folder: Path) -> tuple[dict, Path]:
    path = folder / original.name
    path.write_bytes(original.read_bytes()[: original.stat().st_size // 2])
    return {"file_path": str(path)}, path


def wrong_format(folder: Path) -> tuple[dict, Path]:
    path = folder / H5.name
    path.write_text("MaxOne? no: plain text\n" * 50)
    return {"file_path": str(path)}, path


def check(nwbfile, recording) -> None:
    """Each channel's electrode on the array is kept (column `electrode`), in channel order."""
    np.testing.assert_array_equal(recording.get_property("electrode"), ELECTRODES)
    np.testing.assert_array_equal(nwbfile.electrodes["electrode"][:], ELECTRODES)
    device = nwbfile.devices["MaxOne"]
    assert device.description == "Recorded using Maxwell version '20190530'."


def read_legacy():
    """neo for the header (mapping, gains, probe), h5py for the samples: each channel's row of `sig` is the one
    its channel number names (neo 0.14.6 reads the first rows instead)."""
    import h5py
    from spikeinterface.core import NumpyRecording

    header = se.read_maxwell(LEGACY, install_maxwell_plugin=False)
    with h5py.File(LEGACY, "r") as file:
        samples = file["sig"][:][CHANNELS].T
    recording = NumpyRecording([samples], sampling_frequency=header.get_sampling_frequency())
    recording = recording.rename_channels(header.get_channel_ids())
    header.copy_metadata(recording)
    return recording


CASES = {
    "maxone": Case(
        "MaxOneRecordingInterface",
        {"file_path": str(H5)},
        lambda: se.read_maxwell(H5, install_maxwell_plugin=False),
        "generated: MaxLab Live HDF5 layout, uncompressed (MaxWell's compression needs its vendor plugin), "
        "checked by reading it back with neo MaxwellRawIO",
        {"series": "ElectricalSeries", "device": "MaxOne", "groups": {"ElectrodeGroup0"}},
        kind="recording",
        make=lambda: generated_folder("maxone", write_maxone),
        truncate=lambda folder: truncated_copy(H5, folder),
        wrong_format=wrong_format,
        check=check,
    ),
    "maxone_legacy": Case(
        "MaxOneRecordingInterface",
        {"file_path": str(LEGACY)},
        read_legacy,
        "generated: MaxOne legacy HDF5 layout (version 20160704, sig of 1028 rows), checked against h5py on "
        "the mapped rows with neo MaxwellRawIO's header",
        {"series": "ElectricalSeries", "device": "MaxOne", "groups": {"ElectrodeGroup0"}},
        reader_name="read_maxwell (header) + h5py (sig rows)",
        kind="recording",
        make=lambda: generated_folder("maxone_legacy", write_maxone_legacy),
        truncate=lambda folder: truncated_copy(LEGACY, folder),
        wrong_format=wrong_format,
    ),
}
