"""MEArec: a recording written with the MEArec library itself, read back by spikeinterface's read_mearec."""

from __future__ import annotations

import json
from pathlib import Path

from ..cases import Case
from ..fixtures.ecephys.mearec import MICROVOLTS_PER_BIT, PROBE, write_mearec
from . import GENERATED, generated_folder

H5 = GENERATED / "mearec" / "fixture_mearec.h5"


def read():
    import spikeinterface.extractors as se

    recording, _ = se.read_mearec(H5)
    return recording


def truncated(folder: Path) -> tuple[dict, Path]:
    path = folder / H5.name
    path.write_bytes(H5.read_bytes()[: H5.stat().st_size * 2 // 3])
    return {"file_path": str(path)}, path


def wrong_format(folder: Path) -> tuple[dict, Path]:
    """An HDF5 file, but not MEArec's: no recordings or info groups."""
    import h5py

    path = folder / H5.name
    with h5py.File(path, "w") as file:
        file["data"] = [1, 2, 3]
    return {"file_path": str(path)}, path


def check(nwbfile, recording) -> None:
    """The series describes the simulation's recording settings (as JSON), as NeuroConv writes them."""
    settings = json.loads(nwbfile.acquisition["ElectricalSeries"].description)
    assert settings["gain"] == MICROVOLTS_PER_BIT
    assert settings["n_neurons"] == 3
    assert "fs" not in settings


CASES = {
    "mearec": Case(
        "MEArecRecordingInterface",
        {"file_path": str(H5)},
        read,
        "written with MEArec (synthetic templates, as NEURON is not installed)",
        {"series": "ElectricalSeries", "device": PROBE, "groups": {"ElectrodeGroup0"}},
        reader_name="read_mearec",
        kind="recording",
        make=lambda: generated_folder("mearec", write_mearec),
        truncate=truncated,
        wrong_format=wrong_format,
        check=check,
    )
}
