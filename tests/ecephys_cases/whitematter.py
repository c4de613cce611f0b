"""WhiteMatter eCube headstage .bin on a generated file (no public recording found)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.whitematter import FILE_NAME, NUM_CHANNELS, RATE, write_headstage_bin
from . import GENERATED, generated_folder

BIN = GENERATED / "whitematter" / FILE_NAME
CHANNEL_IDS = [f"ch{i}" for i in range(NUM_CHANNELS)]
SOURCE = {"file_path": str(BIN), "sampling_frequency": RATE, "num_channels": NUM_CHANNELS, "channel_ids": CHANNEL_IDS}


def bin_file() -> Path:
    return generated_folder("whitematter", write_headstage_bin) / FILE_NAME


def truncated(tmp_path: Path) -> tuple[dict, Path]:
    """The file cut inside a frame."""
    bad = Path(shutil.copy(bin_file(), tmp_path / FILE_NAME))
    os.truncate(bad, bad.stat().st_size - 3)
    return {**SOURCE, "file_path": str(bad)}, bad


def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
    """An Intan .rhd file under the headstage file's name (its size is no whole number of 32-channel frames)."""
    bad = Path(shutil.copy(ECEPHYS / "intan" / "sampledata.rhd", tmp_path / FILE_NAME))
    return {**SOURCE, "file_path": str(bad)}, bad


CASES = {
    "whitematter_headstage": Case(
        "WhiteMatterRecordingInterface",
        SOURCE,
        lambda: se.read_whitematter(BIN, RATE, NUM_CHANNELS, channel_ids=CHANNEL_IDS),
        "generated: eCube headstage .bin (uint64 timestamp header + interleaved int16), checked by reading it "
        "back with spikeinterface's WhiteMatterRecordingExtractor",
        {
            "series": "ElectricalSeries",
            "device": "DeviceEcephys",
            "groups": {"ElectrodeGroup"},
            "bad_arguments": [
                (
                    {**SOURCE, "num_channels": 7, "channel_ids": None},
                    "not a 8-byte header plus whole frames of 14 bytes",
                ),
                ({**SOURCE, "channel_ids": CHANNEL_IDS[:3]}, f"{FILE_NAME}: 3 channel_ids given for num_channels=32"),
            ],
        },
        kind="recording",
        make=bin_file,
        truncate=truncated,
        wrong_format=wrong_format,
    ),
}
