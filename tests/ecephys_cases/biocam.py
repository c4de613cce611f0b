"""3Brain BioCAM: a BRW 3.2 file on the real file's header with generated samples, read back by neo's BiocamRawIO;
the real file (its raw data cut by its publishers) is the truncated case."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.biocam import BRW4_FRAMES, FIRST_CHANNEL, N_CHANNELS, write_brw, write_brw4
from . import GENERATED, generated_folder

REAL = ECEPHYS / "biocam" / "truncated_brw.brw"
BRW = GENERATED / "biocam" / "fixture.brw"
BRW4 = GENERATED / "biocam4" / "fixture_v4.brw"


def truncated(folder: Path) -> tuple[dict, Path]:
    """The real file as published: a header of 109783 frames x 4096 channels, and 1000 raw values."""
    path = folder / REAL.name
    shutil.copyfile(REAL, path)
    return {"file_path": str(path)}, path


def wrong_format(folder: Path) -> tuple[dict, Path]:
    path = folder / BRW.name
    path.write_bytes(b"BRW? no\n" * 100)
    return {"file_path": str(path)}, path


def check(nwbfile, recording) -> None:
    """Rate and scaling are the real header's (BrainWave 4.1: 12 bits over +-4125 uV), channels its chip's."""
    import h5py

    with h5py.File(REAL, "r") as real:
        variables = real["3BRecInfo/3BRecVars"]
        rate = variables["SamplingRate"][0]
        low, high, bits = variables["MinVolt"][0], variables["MaxVolt"][0], int(variables["BitDepth"][0])
        chip = real["3BRecInfo/3BMeaStreams/Raw/Chs"][FIRST_CHANNEL : FIRST_CHANNEL + N_CHANNELS]
    series = nwbfile.acquisition["ElectricalSeries"]
    assert series.rate == rate
    assert series.conversion == pytest.approx((high - low) / 2**bits * 1e-6, rel=1e-12)
    assert series.offset == pytest.approx(low * 1e-6, rel=1e-12)
    assert list(nwbfile.electrodes["channel_name"][:]) == [f"ch{row}-{col}" for row, col in chip]


def brw4_truncated(folder: Path) -> tuple[dict, Path]:
    """A BRW 4 whose well holds a frame less than its table of contents says (a recording stopped short)."""
    import h5py

    path = folder / BRW4.name
    shutil.copyfile(BRW4, path)
    with h5py.File(path, "r+") as brw:
        raw = brw["Well_A1/Raw"][:]
        del brw["Well_A1/Raw"]
        brw["Well_A1/Raw"] = raw[: -len(brw["Well_A1/StoredChIdxs"])]
    return {"file_path": str(path)}, path


def check_brw4(nwbfile, recording) -> None:
    """The frame count is the table of contents' and the channels the 4 x 4 grid neo lays the stored ones on."""
    assert nwbfile.acquisition["ElectricalSeries"].data.shape == (BRW4_FRAMES, 16)
    assert list(nwbfile.electrodes["channel_name"][:]) == [f"ch{r}-{c}" for r in range(1, 5) for c in range(1, 5)]


CASES = {
    "biocam": Case(
        "BiocamRecordingInterface",
        {"file_path": str(BRW)},
        lambda: se.read_biocam(BRW),
        "generated: the real BRW 3.2 header (BrainWave 4.1, SOURCES.md) cut to 16 stored channels and 50000 "
        "frames, with 3BData/Raw written to match, checked by reading it back with neo BiocamRawIO",
        {"series": "ElectricalSeries", "device": "DeviceEcephys", "groups": {"ElectrodeGroup0"}},
        kind="recording",
        make=lambda: generated_folder("biocam", lambda folder: write_brw(folder, REAL)),
        truncate=truncated,
        wrong_format=wrong_format,
        check=check,
    ),
    "biocam_brw4": Case(
        "BiocamRecordingInterface",
        {"file_path": str(BRW4)},
        lambda: se.read_biocam(BRW4),
        "generated: BRW 4.x layout (ExperimentSettings JSON, TOC, Well_A1 Raw and StoredChIdxs), checked by "
        "reading it back with neo BiocamRawIO",
        {"series": "ElectricalSeries", "device": "DeviceEcephys", "groups": {"ElectrodeGroup0"}},
        kind="recording",
        make=lambda: generated_folder("biocam4", write_brw4),
        truncate=brw4_truncated,
        wrong_format=wrong_format,
        check=check_brw4,
    ),
}
