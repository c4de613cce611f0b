"""Checks every output file must pass: the NWB schema validator and nwbinspector with no CRITICAL message."""

from __future__ import annotations

from pathlib import Path

from nwbstream.coordinator.validation import validate_nwbfile


def assert_valid_nwb(path: Path, waive: frozenset[str] = frozenset()) -> None:
    """HDF5 files and Zarr stores alike, as the conversion service validates every output. `waive` names
    nwbinspector checks a test source cannot pass by nature (say why where you waive one)."""
    report = validate_nwbfile(path)
    assert not report.pynwb, f"{path}: pynwb.validate: {list(report.pynwb)}"
    critical = report.critical(waive)
    assert not critical, f"{path}: nwbinspector CRITICAL: {[f.message for f in critical]}"
