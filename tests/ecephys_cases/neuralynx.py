"""Neuralynx .ncs folder (real, Pegasus / ATLAS)."""

from __future__ import annotations

import os

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import junk_copy, writable_copy

NEURALYNX = ECEPHYS / "neuralynx"


def truncated_ncs(tmp):
    """One .ncs of the folder cut inside a record."""
    folder = writable_copy(NEURALYNX, tmp)
    bad = folder / "LAHC2.ncs"
    os.truncate(bad, bad.stat().st_size // 2 + 100)
    return {"folder_path": str(folder)}, folder


def foreign_ncs(tmp):
    folder = writable_copy(NEURALYNX, tmp)
    bad = junk_copy("LAHC2.ncs", folder)
    return {"folder_path": str(folder)}, bad


CASES = {
    "neuralynx": Case(
        "NeuralynxRecordingInterface",
        {"folder_path": str(NEURALYNX)},
        lambda: se.read_neuralynx(NEURALYNX),
        "real: Neuralynx ATLAS .ncs folder (SOURCES.md)",
        {
            "groups": {"ElectrodeGroup"},
            "device": "AcqSystem1 ATLAS",
            "session_start_time": "2023-11-02T13:39:27",
            "session_id": "c6e1f50d-ff9c-40e4-9b9a-b43f627c74c8",
        },
        kind="recording",
        truncate=truncated_ncs,
        wrong_format=foreign_ncs,
    ),
}
