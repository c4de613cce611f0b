"""Plexon .plx continuous channels (wideband and low-pass streams) on a generated file.

The real .plx files (ecephys/plexon) have no continuous data (their slow channels are disabled), so the recording
cases read a file written to Plexon's published layout by tests/fixtures/ecephys/plexon_plx.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.plexon_plx import DATA_BLOCK_HEADER, START, write_plx
from . import GENERATED, generated_folder

NAME = "plexon.plx"
FIXTURE = (
    "generated: .plx (version 106) with WB, FP and AI continuous channels and a disabled one, to Plexon's "
    "published layout, checked by reading it back with neo's PlexonRawIO"
)


PLX = GENERATED / "plexon" / NAME


def plx_file() -> Path:
    return generated_folder("plexon", lambda folder: write_plx(folder / NAME)) / NAME


def truncated(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The file cut inside the data of a block."""
    bad = Path(shutil.copy(plx_file(), tmp_path / NAME))
    os.truncate(bad, bad.stat().st_size - DATA_BLOCK_HEADER.itemsize - 100)
    return {"file_path": str(bad)}, bad


def wrong_format(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An Intan .rhd file under a .plx name."""
    bad = Path(shutil.copy(ECEPHYS / "intan" / "sampledata.rhd", tmp_path / NAME))
    return {"file_path": str(bad)}, bad


def plexon_case(interface: str, stream_name: str, series: str) -> Case:
    return Case(
        interface,
        {"file_path": str(PLX)},
        lambda: se.read_plexon(PLX, stream_name=stream_name),
        FIXTURE,
        {
            "series": series,
            "device": "DeviceEcephys",
            "groups": {"ElectrodeGroup"},
            "session_start_time": START.isoformat(),
        },
        kind="recording",
        make=plx_file,
        truncate=truncated,
        wrong_format=wrong_format,
    )


CASES = {
    "plexon_wideband": plexon_case("PlexonRecordingInterface", "WB-Wideband", "ElectricalSeries"),
    "plexon_lfp": plexon_case("PlexonLFPInterface", "FPl-Low Pass Filtered", "ElectricalSeriesLF"),
}
