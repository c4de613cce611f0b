"""MaxWell MaxOne: a generated MaxLab Live HDF5 file read back by neo's MaxwellRawIO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import spikeinterface.extractors as se

from ..cases import Case
from ..fixtures.ecephys.maxwell import ELECTRODES, write_maxone
from . import GENERATED, generated_folder

H5 = GENERATED / "maxone" / "fixture.raw.h5"


def truncated(folder: Path) -> tuple[dict, Path]:
    path = folder / H5.name
    path.write_bytes(H5.read_bytes()[: H5.stat().st_size // 2])
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
        truncate=truncated,
        wrong_format=wrong_format,
        check=check,
    )
}
