"""AlphaOmega .mpx folders (RAW channels) on generated files: one recording, and two recordings (two segments)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.alphaomega import RECORDINGS, write_mpx_folder
from . import GENERATED, generated_folder

FIXTURE = (
    "generated: .mpx map version 4 ({what}), to the AlphaRS manual's block layout, checked by reading it back "
    "with neo's AlphaOmegaRawIO"
)


def folder_case(name: str, count: int, what: str) -> Case:
    folder = GENERATED / name

    def make() -> Path:
        return generated_folder(name, lambda scratch: write_mpx_folder(scratch, RECORDINGS[:count]))

    def truncated(tmp_path: Path) -> tuple[dict, Path]:
        """The first file cut inside a data block."""
        copy = Path(shutil.copytree(make(), tmp_path / name))
        bad = copy / RECORDINGS[0].file_name
        os.truncate(bad, bad.stat().st_size - 501)
        return {"folder_path": str(copy)}, copy

    def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
        """An Intan .rhd file under an .mpx name."""
        copy = tmp_path / name
        copy.mkdir()
        shutil.copy(ECEPHYS / "intan" / "sampledata.rhd", copy / RECORDINGS[0].file_name)
        return {"folder_path": str(copy)}, copy

    return Case(
        "AlphaOmegaRecordingInterface",
        {"folder_path": str(folder)},
        lambda: se.read_alphaomega(folder, stream_id="RAW"),
        FIXTURE.format(what=what),
        {
            "series": "ElectricalSeries",
            "device": "DeviceEcephys",
            "groups": {"ElectrodeGroup"},
            "session_start_time": RECORDINGS[0].started.isoformat(),
        },
        kind="recording",
        make=make,
        truncate=truncated,
        wrong_format=wrong_format,
    )


CASES = {
    "alphaomega_one_recording": folder_case("alphaomega_one", 1, "one file, four RAW channels"),
    "alphaomega_two_recordings": folder_case("alphaomega_two", 2, "two files, two recordings: two segments"),
}
