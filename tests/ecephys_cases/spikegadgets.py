"""SpikeGadgets Trodes .rec (ntrode channels and the ECU's analog inputs) on a generated file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.spikegadgets import CREATED, write_rec
from . import GENERATED, generated_folder

REC = GENERATED / "spikegadgets" / "session1.rec"
FIXTURE = (
    "generated: Trodes .rec (XML configuration + packets, chip-interleaved Intan channels, ECU analog inputs) "
    "to Trodes' documented layout, checked by reading it back with neo's SpikeGadgetsRawIO"
)


def rec_file() -> Path:
    return generated_folder("spikegadgets", write_rec) / "session1.rec"


def truncated(tmp_path: Path) -> tuple[dict, Path]:
    """The file cut inside a packet."""
    bad = Path(shutil.copy(rec_file(), tmp_path / REC.name))
    os.truncate(bad, bad.stat().st_size - 5)
    return {"file_path": str(bad)}, bad


def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
    """An Intan .rhd file under a .rec name."""
    bad = Path(shutil.copy(ECEPHYS / "intan" / "sampledata.rhd", tmp_path / REC.name))
    return {"file_path": str(bad)}, bad


def spikegadgets_case(stream_id: str) -> Case:
    return Case(
        "SpikeGadgetsRecordingInterface",
        {"file_path": str(REC), "stream_id": stream_id},
        lambda: se.read_spikegadgets(REC, stream_id=stream_id),
        FIXTURE,
        {
            "series": "ElectricalSeries",
            "device": "DeviceEcephys",
            "groups": {"ElectrodeGroup"},
            "session_start_time": CREATED.isoformat(),
            "bad_arguments": [
                ({"file_path": str(REC), "stream_id": stream_id, "gains": [0.1, 0.2, 0.3]}, "3 gains given for"),
                ({"file_path": str(REC), "stream_id": "MCU"}, r"session1\.rec: .*MCU"),
            ],
        },
        kind="recording",
        make=rec_file,
        truncate=truncated,
        wrong_format=wrong_format,
    )


CASES = {"spikegadgets_trodes": spikegadgets_case("trodes"), "spikegadgets_ecu": spikegadgets_case("ECU")}
