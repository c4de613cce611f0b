"""Blackrock NSx recordings (file specs 2.1, 2.2, 3.0, an anonymized file, and two segments) and a .nev sorting."""

from __future__ import annotations

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import cut_copy, junk_copy

BLACKROCK = ECEPHYS / "blackrock"
FIXTURE = "real: Blackrock NSx files (SOURCES.md)"
SHORT = frozenset({"check_data_orientation"})


def recording(name: str, counted: bool = True, **expect) -> Case:
    """`counted`: the file states its number of samples (specs 2.2 and 3.0), so that a cut copy can be told from a
    shorter recording; spec 2.1 files end where the data ends, and a cut copy is a valid file."""
    path = BLACKROCK / name
    return Case(
        "BlackrockRecordingInterface",
        {"file_path": str(path)},
        lambda: se.read_blackrock(path),
        FIXTURE,
        {"groups": {"ElectrodeGroup"}, "device": "DeviceEcephys", **expect},
        kind="recording",
        truncate=(lambda tmp: ({"file_path": str(p := cut_copy(path, tmp))}, p)) if counted else None,
        wrong_format=lambda tmp: ({"file_path": str(p := junk_copy(path.name, tmp))}, p),
    )


CASES = {
    # 100 samples of 128 channels: nwbinspector's orientation heuristic (time should be the longest axis) cannot
    # pass on it, whatever the writer does; the same for 99 samples, and for two segments of 100 and 150.
    "blackrock_ns3_spec22": recording("test_NEURALCD_raw.ns3", waive=SHORT),
    "blackrock_ns3_spec21": recording("test_NEURALSG_raw.ns3", counted=False, waive=SHORT),
    "blackrock_ns3_two_segments": recording("test_BRSMPGRP_raw.ns3", waive=SHORT),
    "blackrock_ns3_anonymized": recording("Test_anonymized.ns3"),
    "blackrock_ns2": recording("example_2.ns2", counted=False),
    "blackrock_nev_sorting": Case(
        "BlackrockSortingInterface",
        {"file_path": str(BLACKROCK / "example_1.nev"), "sampling_frequency": 30000.0},
        lambda: se.read_blackrock_sorting(BLACKROCK / "example_1.nev", sampling_frequency=30000.0),
        "real: Blackrock .nev (SOURCES.md)",
        kind="sorting",
        truncate=lambda tmp: (
            {"file_path": str(p := cut_copy(BLACKROCK / "example_1.nev", tmp)), "sampling_frequency": 30000.0},
            p,
        ),
        wrong_format=lambda tmp: (
            {"file_path": str(p := junk_copy("example_1.nev", tmp)), "sampling_frequency": 30000.0},
            p,
        ),
    ),
}
