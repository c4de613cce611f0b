"""Open Ephys: the legacy .continuous folder, the binary Record Node folder, and NeuroConv's dispatching entry on
both (real recordings)."""

from __future__ import annotations

import os

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import junk_copy, writable_copy

LEGACY = ECEPHYS / "openephys_legacy" / "Record Node 101"
BINARY = ECEPHYS / "openephys_binary" / "dEMG_Pilot-0012025-10-31_13-23-53_001" / "Record Node 106"
BINARY_STREAM = "Record Node 106#Acquisition_Board-100.Rhythm Data"
LEGACY_FIXTURE = "real: Open Ephys GUI legacy .continuous recording (SOURCES.md)"
BINARY_FIXTURE = "real: Open Ephys GUI 0.6 binary recording, Rhythm Data stream (SOURCES.md)"
BINARY_EXPECT = {"groups": {"ElectrodeGroup"}, "device": "DeviceEcephys", "session_start_time": "2025-10-31T13:23:53"}
LEGACY_EXPECT = {"groups": {"ElectrodeGroup"}, "device": "DeviceEcephys", "session_start_time": "2025-04-03T13:38:45"}
# With more than one stream in the folder, the stream must be named (the message lists them).
NEEDS_STREAM = ({"folder_path": str(BINARY)}, r"Record Node 106: several streams, pass stream_name .*Rhythm Data_ADC")


def truncated_dat(tmp):
    """continuous.dat cut inside a sample (the copy keeps the Record Node name, which names the streams)."""
    folder = writable_copy(BINARY, tmp)
    bad = folder / "experiment1" / "recording2" / "continuous" / "Acquisition_Board-100.Rhythm Data" / "continuous.dat"
    os.truncate(bad, 1_000_001)
    return {"folder_path": str(folder), "stream_name": BINARY_STREAM}, bad


def foreign_oebin(tmp):
    folder = writable_copy(BINARY, tmp)
    bad = junk_copy("structure.oebin", folder / "experiment1" / "recording2")
    return {"folder_path": str(folder), "stream_name": BINARY_STREAM}, bad


def truncated_continuous(tmp):
    """One .continuous cut inside a record."""
    folder = writable_copy(LEGACY, tmp)
    bad = sorted(folder.glob("*.continuous"))[0]
    os.truncate(bad, bad.stat().st_size // 2 + 7)
    return {"folder_path": str(folder)}, bad


def foreign_continuous(tmp):
    folder = writable_copy(LEGACY, tmp)
    bad = junk_copy(sorted(folder.glob("*.continuous"))[0].name, folder)
    return {"folder_path": str(folder)}, bad


def neither_format(tmp):
    folder = tmp / "not_open_ephys"
    folder.mkdir()
    (folder / "notes.txt").write_text("no recording here")
    return {"folder_path": str(folder)}, folder


def legacy(interface: str, **bad) -> Case:
    return Case(
        interface,
        {"folder_path": str(LEGACY)},
        lambda: se.read_openephys(LEGACY),
        LEGACY_FIXTURE,
        LEGACY_EXPECT,
        kind="recording",
        **{"truncate": truncated_continuous, "wrong_format": foreign_continuous, **bad},
    )


def binary(interface: str, **bad) -> Case:
    return Case(
        interface,
        {"folder_path": str(BINARY), "stream_name": BINARY_STREAM},
        lambda: se.read_openephys(BINARY, stream_name=BINARY_STREAM),
        BINARY_FIXTURE,
        {**BINARY_EXPECT, "bad_arguments": [NEEDS_STREAM]},
        kind="recording",
        **{"truncate": truncated_dat, "wrong_format": foreign_oebin, **bad},
    )


CASES = {
    "openephys_legacy": legacy("OpenEphysLegacyRecordingInterface"),
    "openephys_binary": binary("OpenEphysBinaryRecordingInterface"),
    "openephys_dispatch_legacy": legacy("OpenEphysRecordingInterface", wrong_format=neither_format),
    "openephys_dispatch_binary": binary("OpenEphysRecordingInterface"),
}
