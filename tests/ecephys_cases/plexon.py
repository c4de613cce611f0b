"""Plexon .plx files: sorted units of the real files, and the wideband and low-pass continuous streams of a
generated file (neo's PlexonRawIO).

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
from . import GENERATED, cut_copy, generated_folder, junk_copy

PLEXON = ECEPHYS / "plexon"
SPIKE_COUNTS = {"explore1.plx": [2112, 642, 228, 279], "postfwd5.plx": [15, 462, 133, 86]}
NAME = "plexon.plx"
PLX = GENERATED / "plexon" / NAME
FIXTURE = (
    "generated: .plx (version 106) with WB, FP and AI continuous channels and a disabled one, to Plexon's "
    "published layout, checked by reading it back with neo's PlexonRawIO"
)


def sorting(name: str) -> Case:
    path = PLEXON / name

    def check_counts(nwbfile, sorting) -> None:
        """Four units with the spike counts neo's PlexonRawIO finds (counted independently of the writer)."""
        assert [len(nwbfile.units["spike_times"][row]) for row in range(4)] == SPIKE_COUNTS[name]

    return Case(
        "PlexonSortingInterface",
        {"file_path": str(path)},
        lambda: se.read_plexon_sorting(path),
        "real: Plexon .plx with 4 sorted units (SOURCES.md)",
        kind="sorting",
        truncate=lambda tmp: ({"file_path": str(p := cut_copy(path, tmp, keep=path.stat().st_size // 3))}, p),
        wrong_format=lambda tmp: ({"file_path": str(p := junk_copy(name, tmp))}, p),
        check=check_counts,
    )


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


def recording(interface: str, stream_name: str, series: str, parent: str = "acquisition") -> Case:
    other = "FPl-Low Pass Filtered" if stream_name == "WB-Wideband" else "WB-Wideband"
    bad_arguments = [
        ({"file_path": str(PLX), "stream_name": other}, f"stream '{other}' is not read by {interface}"),
        ({"file_path": str(PLX), "stream_name": "SPKC"}, "no continuous data in stream 'SPKC'"),
        # the real files' slow channels hold no data: no stream at all
        ({"file_path": str(PLEXON / "explore1.plx")}, f"explore1.plx: no continuous data in stream '{stream_name}'"),
    ]
    return Case(
        interface,
        {"file_path": str(PLX)},
        lambda: se.read_plexon(PLX, stream_name=stream_name),
        FIXTURE,
        {
            "series": series,
            "parent": parent,
            "device": "DeviceEcephys",
            "groups": {"ElectrodeGroup"},
            "session_start_time": START.isoformat(),
            "bad_arguments": bad_arguments,
        },
        kind="recording",
        make=plx_file,
        truncate=truncated,
        wrong_format=wrong_format,
    )


CASES = {
    "plexon_sorting_explore1": sorting("explore1.plx"),
    "plexon_sorting_postfwd5": sorting("postfwd5.plx"),
    "plexon_wideband": recording("PlexonRecordingInterface", "WB-Wideband", "ElectricalSeries"),
    "plexon_lfp": recording(
        "PlexonLFPInterface", "FPl-Low Pass Filtered", "ElectricalSeriesLF", "processing/ecephys/LFP"
    ),
}
