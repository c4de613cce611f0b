"""Multi Channel Systems MC_DataTool .raw export: a generated file read back by neo's RawMCSRawIO."""

from __future__ import annotations

from pathlib import Path

import spikeinterface.extractors as se

from ..cases import Case
from ..fixtures.ecephys.mcsraw import write_mcs_raw
from . import GENERATED, generated_folder

RAW = GENERATED / "mcsraw" / "fixture.raw"


def truncated(folder: Path) -> tuple[dict, Path]:
    """The file cut one sample short: its last frame misses a channel."""
    path = folder / RAW.name
    path.write_bytes(RAW.read_bytes()[:-2])
    return {"file_path": str(path)}, path


def wrong_format(folder: Path) -> tuple[dict, Path]:
    """Not an MC_DataTool export: no header ending in EOH."""
    path = folder / RAW.name
    path.write_bytes(bytes(range(256)) * 40)
    return {"file_path": str(path)}, path


CASES = {
    "mcsraw": Case(
        "MCSRawRecordingInterface",
        {"file_path": str(RAW)},
        lambda: se.read_mcsraw(RAW),
        "generated: MC_DataTool binary export (text header, uint16 frames), checked by reading it back with "
        "neo RawMCSRawIO",
        {"series": "ElectricalSeries", "device": "DeviceEcephys", "groups": {"ElectrodeGroup"}},
        kind="recording",
        make=lambda: generated_folder("mcsraw", write_mcs_raw),
        truncate=truncated,
        wrong_format=wrong_format,
    )
}
