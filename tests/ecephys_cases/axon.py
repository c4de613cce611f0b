"""Axon Binary Format: real episodic ABF files (one segment per sweep), read by neo's AxonRawIO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import TESTDATA

ABF = TESTDATA / "icephys" / "abf"


def truncated(name: str):
    def cut(folder: Path) -> tuple[dict, Path]:
        path = folder / name
        path.write_bytes((ABF / name).read_bytes()[: (ABF / name).stat().st_size // 2])
        return {"file_path": str(path)}, path

    return cut


def wrong_format(folder: Path) -> tuple[dict, Path]:
    path = folder / "not_axon.abf"
    path.write_bytes(b"ABF? no: " + bytes(range(256)) * 8)
    return {"file_path": str(path)}, path


def check(nwbfile, recording) -> None:
    """Each channel's ADC input, as the header numbers them."""
    np.testing.assert_array_equal(nwbfile.electrodes["nADCNum"][:], recording.get_property("nADCNum"))


def axon_case(name: str, fixture: str, start: str) -> Case:
    return Case(
        "AxonRecordingInterface",
        {"file_path": str(ABF / name)},
        lambda: se.read_axon(ABF / name, all_annotations=True),
        fixture,
        {
            "series": "ElectricalSeriesRaw",
            "device": "Axon Instruments",
            "groups": {"ElectrodeGroup"},
            "session_start_time": start,
        },
        kind="recording",
        truncate=truncated(name),
        wrong_format=wrong_format,
        check=check,
    )


CASES = {
    "axon_abf2_episodic": axon_case(
        "17o05027_ic_ramp.abf",
        "real: ABF2 (pCLAMP 10), 2 sweeps of one channel (pyABF test data, SOURCES.md)",
        "2017-10-05T14:42:42",
    ),
    "axon_abf1_episodic": axon_case(
        "05210017_vc_abf1.abf",
        "real: ABF1, 6 sweeps of two channels (pyABF test data, SOURCES.md)",
        "2005-02-10T15:52:55",
    ),
    "axon_abf2_17_sweeps": axon_case(
        "171116sh_0018.abf",
        "real: ABF2, 17 sweeps of one channel: series numbered 00..16 (pyABF test data, SOURCES.md)",
        "2017-11-16T14:08:11",
    ),
    "axon_pclamp11_10_sweeps": axon_case(
        "2018_12_09_pCLAMP11_0001.abf",
        "real: ABF2 from pCLAMP 11, 10 sweeps of one channel in A (pyABF test data, SOURCES.md)",
        "2018-12-09T01:31:38",
    ),
}
