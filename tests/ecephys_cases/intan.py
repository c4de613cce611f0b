"""Intan RHD files: the traditional single file and the one-file-per-signal-type folder (both real)."""

from __future__ import annotations

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import cut_copy, junk_copy

INTAN = ECEPHYS / "intan"


def truncated_rhd(tmp):
    bad = cut_copy(INTAN / "sampledata.rhd", tmp)
    return {"file_path": str(bad)}, bad


def check_ports(nwbfile, recording) -> None:
    """The electrode groups are the headstage ports the file names, row by row."""
    assert list(nwbfile.electrodes["group_name"][:]) == [str(g) for g in recording.get_property("group_names")]
    assert set(nwbfile.devices) == {"Intan"}


def case(path, fixture: str) -> Case:
    return Case(
        "IntanRecordingInterface",
        {"file_path": str(path)},
        lambda: se.read_intan(path, stream_id="0"),
        fixture,
        {"groups": {"A"}, "device": "Intan"},
        kind="recording",
        truncate=truncated_rhd,
        wrong_format=lambda tmp: ({"file_path": str(p := junk_copy("sampledata.rhd", tmp))}, p),
        check=check_ports,
    )


CASES = {
    "intan_rhd": case(INTAN / "sampledata.rhd", "real: Intan RHD2000 .rhd file (SOURCES.md)"),
    "intan_one_file_per_signal_type": case(
        INTAN / "one_file_per_signal_type" / "info.rhd",
        "real: Intan one-file-per-signal-type folder (info.rhd + amplifier.dat, SOURCES.md)",
    ),
}
