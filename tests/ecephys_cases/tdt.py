"""TDT Synapse tank (real, RZ2): its two streams."""

from __future__ import annotations

import os

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import junk_copy, writable_copy

TDT = ECEPHYS / "tdt" / "Vicon_Runway_Neural-220822-111845"
TDT_GAIN = 0.5  # uV per stored unit; TDT files do not say it


def truncated_tev(stream_name: str):
    def make(tmp):
        """The .tev cut short of the stream data its .tsq indexes."""
        tank = writable_copy(TDT, tmp)
        (bad,) = tank.rglob("*.tev")
        os.truncate(bad, 1_000_000)
        return {"folder_path": str(tank), "gain": TDT_GAIN, "stream_name": stream_name}, bad

    return make


def foreign_tsq(stream_name: str):
    def make(tmp):
        tank = writable_copy(TDT, tmp)
        (tsq,) = tank.rglob("*.tsq")
        return {"folder_path": str(tank), "gain": TDT_GAIN, "stream_name": stream_name}, junk_copy(tsq.name, tsq.parent)

    return make


def case(stream_name: str) -> Case:
    def read():
        recording = se.read_tdt(TDT, stream_name=stream_name)
        recording.set_channel_gains(TDT_GAIN)
        return recording

    return Case(
        "TdtRecordingInterface",
        {"folder_path": str(TDT), "gain": TDT_GAIN, "stream_name": stream_name},
        read,
        "real: TDT Synapse tank, RZ2 (SOURCES.md)",
        {"groups": {"ElectrodeGroup"}, "device": "DeviceEcephys"},
        reader_name="read_tdt",
        kind="recording",
        truncate=truncated_tev(stream_name),
        wrong_format=foreign_tsq(stream_name),
    )


CASES = {"tdt_wav1": case("Wav1"), "tdt_lfp1": case("LFP1")}
