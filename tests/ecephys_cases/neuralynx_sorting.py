"""Neuralynx sorting on a generated Cheetah folder (.nse, .ntt and a .ncs; tests/fixtures/ecephys/neuralynx_spikes.py).

spikeinterface 0.105's Neuralynx sorting reader takes neo's microsecond timestamps for sample indices; the spike
times compared with are neo NeuralynxRawIO's own (seconds from the session's start), counted in samples.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from neo.rawio import NeuralynxRawIO
from spikeinterface.core import NumpySorting

from ..cases import Case
from ..fixtures.ecephys import neuralynx_spikes as fixture
from . import GENERATED, generated_folder, neo_sorting

FOLDER = GENERATED / "neuralynx_spikes"


def make() -> Path:
    return generated_folder("neuralynx_spikes", fixture.write_spike_files)


def read() -> NumpySorting:
    reader = NeuralynxRawIO(dirname=str(FOLDER))
    reader.parse_header()
    return neo_sorting(reader, fixture.RATE, list(range(reader.header["spike_channels"].size)))


def truncate(tmp_path: Path) -> tuple[dict, Path]:
    make()
    folder = Path(shutil.copytree(FOLDER, tmp_path / "cheetah"))
    ntt = folder / "TT2.ntt"
    ntt.write_bytes(ntt.read_bytes()[:-150])
    return {"folder_path": str(folder)}, ntt


def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
    make()
    folder = Path(shutil.copytree(FOLDER, tmp_path / "cheetah"))
    nse = folder / "SE1.nse"
    nse.write_bytes(b"%%BEGINHEADER\n% an MClust .t file renamed\n%%ENDHEADER\n" + bytes(200))
    return {"folder_path": str(folder)}, nse


def check_units(nwbfile, sorting) -> None:
    # SE1 holds cells 0, 1, 2; TT2's cells 1 and 3 are units of each of its 4 channels, as neo lists them
    counts = [len(nwbfile.units["spike_times"][row]) for row in range(len(nwbfile.units))]
    assert len(counts) == 3 + 2 * 4 and counts[3:] == counts[3:5] * 4
    assert 0 <= nwbfile.units["spike_times"][0][0] < fixture.SECONDS  # the session's clock, not microseconds


CASES = {
    "neuralynx_sorting": Case(
        "NeuralynxSortingInterface",
        {"folder_path": str(FOLDER)},
        read,
        "generated: Cheetah .nse/.ntt spike files and a .ncs (Neuralynx's record layout), checked by reading them "
        "back with neo NeuralynxRawIO",
        kind="sorting",
        make=make,
        truncate=truncate,
        wrong_format=wrong_format,
        check=check_units,
        reader_name="NeuralynxRawIO",
        expect={
            "session_start_time": "2022-03-15T14:02:07.500000",
            "bad_arguments": [({"folder_path": str(FOLDER), "stream_id": "9"}, "no stream '9'")],
        },
    ),
}
