"""Axona DacqUSB: the real trial's .set with a generated .bin, read back by neo's AxonaRawIO."""

from __future__ import annotations

import shutil
from pathlib import Path

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.axona_bin import write_axona_raw
from . import GENERATED, generated_folder

TRIAL = ECEPHYS / "axona" / "r1838_10-12-14"
REAL_SET = TRIAL / "83812141.set"
RAW = GENERATED / "axona_raw"
BIN = RAW / "83812141.bin"


def raw_truncated(folder: Path) -> tuple[dict, Path]:
    """The .bin cut inside its last packet."""
    shutil.copyfile(RAW / REAL_SET.name, folder / REAL_SET.name)
    path = folder / BIN.name
    path.write_bytes(BIN.read_bytes()[:-100])
    return {"file_path": str(path)}, path


def raw_wrong_format(folder: Path) -> tuple[dict, Path]:
    """A .bin beside a file that is not a DacqUSB .set."""
    (folder / REAL_SET.name).write_text("not a set file\n")
    path = folder / BIN.name
    shutil.copyfile(BIN, path)
    return {"file_path": str(path)}, path.with_suffix(".set")


def check_raw(nwbfile, recording) -> None:
    """The .set's facts: tetrodes 1-8 active (one group each), its experimenter and software version."""
    assert sorted(nwbfile.electrode_groups) == [str(t) for t in range(1, 9)]
    assert list(nwbfile.electrodes["group_name"][:]) == [str(t) for t in range(1, 9) for _ in range(4)]
    assert list(nwbfile.electrodes["tetrode_id"][:]) == [t for t in range(1, 9) for _ in range(4)]
    assert nwbfile.experimenter == ("cb",)
    assert nwbfile.devices["Axona"].description == "Axona DacqUSB, sw_version=1.0.2"


CASES = {
    "axona_raw": Case(
        "AxonaRecordingInterface",
        {"file_path": str(BIN)},
        lambda: se.read_axona(BIN),
        "generated: DacqUSB .bin packets for the real trial's .set (r1838, SOURCES.md; duration set to the "
        ".bin's), checked by reading it back with neo AxonaRawIO",
        {
            "series": "ElectricalSeries",
            "device": "Axona",
            "groups": {str(t) for t in range(1, 9)},
            "session_start_time": "2010-12-14T10:44:07",
        },
        kind="recording",
        make=lambda: generated_folder("axona_raw", lambda folder: write_axona_raw(folder, REAL_SET)),
        truncate=raw_truncated,
        wrong_format=raw_wrong_format,
        check=check_raw,
    )
}
