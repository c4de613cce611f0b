"""Open Ephys legacy .spikes files, generated to Open Ephys' published format (fixtures/ecephys/openephys_spikes.py).

spikeinterface 0.105 has no Open Ephys sorting reader; neo's OpenEphysRawIO reads the files, given explicit time
bounds (without them neo 0.14 returns no spike). Its times are counted in samples at the files' rate here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from neo.rawio import OpenEphysRawIO
from spikeinterface.core import NumpySorting

from ..cases import Case
from ..fixtures.ecephys import openephys_spikes as fixture
from . import GENERATED, generated_folder, neo_sorting

FOLDER = GENERATED / "openephys_spikes"


def make() -> Path:
    return generated_folder("openephys_spikes", fixture.write_spikes)


def read() -> NumpySorting:
    reader = OpenEphysRawIO(dirname=str(FOLDER))
    reader.parse_header()
    return neo_sorting(reader, float(fixture.RATE), list(reader.header["spike_channels"]["id"]), 0.0, 1e9)


def truncate(tmp_path: Path) -> tuple[dict, Path]:
    make()
    folder = Path(shutil.copytree(FOLDER, tmp_path / "oe"))
    spikes = folder / "STp106.0n0.spikes"
    spikes.write_bytes(spikes.read_bytes()[:-77])
    return {"folder_path": str(folder)}, spikes


def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
    make()
    folder = Path(shutil.copytree(FOLDER, tmp_path / "oe"))
    spikes = folder / "SEp106.0n1.spikes"
    spikes.write_bytes(b'{"spikes": "exported by another tool as JSON"}')
    return {"folder_path": str(folder)}, spikes


def check_units(nwbfile, sorting) -> None:
    names = list(nwbfile.units["unit_name"][:])
    assert names == ["SEp106.0n1#1", "SEp106.0n1#4", "STp106.0n0#0", "STp106.0n0#1", "STp106.0n0#2"]
    assert sum(len(nwbfile.units["spike_times"][row]) for row in range(5)) == 240
    assert nwbfile.units["spike_times"][0][0] >= fixture.FIRST_SAMPLE / fixture.RATE  # the acquisition clock


CASES = {
    "openephys_sorting": Case(
        "OpenEphysSortingInterface",
        {"folder_path": str(FOLDER)},
        read,
        "generated: Open Ephys legacy .spikes files (published Open Ephys format), checked by reading them back "
        "with neo OpenEphysRawIO",
        kind="sorting",
        make=make,
        truncate=truncate,
        wrong_format=wrong_format,
        check=check_units,
        reader_name="OpenEphysRawIO",
        expect={
            "session_start_time": "2022-03-15T14:02:07",
            "bad_arguments": [
                ({"folder_path": str(FOLDER), "recording_id": 3}, "no recording 3"),
                ({"folder_path": str(FOLDER), "experiment_id": 1}, "experiment_id 1"),
            ],
        },
    ),
}
