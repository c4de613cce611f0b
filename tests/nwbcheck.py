"""Checks every output file must pass: the NWB schema validator and nwbinspector with no CRITICAL message."""

from __future__ import annotations

from pathlib import Path

from hdmf_zarr.nwb import NWBZarrIO
from nwbinspector import Importance, inspect_nwbfile_object
from pynwb import NWBHDF5IO, validate


def assert_valid_nwb(path: Path, waive: frozenset[str] = frozenset()) -> None:
    """HDF5 files and Zarr stores alike. `waive` names nwbinspector checks a test source cannot pass by
    nature (say why where you waive one)."""
    zarr = Path(path).is_dir()
    io_class = NWBZarrIO if zarr else NWBHDF5IO
    with io_class(str(path), mode="r") as io:
        # An HDF5 file is validated by path, against the namespaces cached in it: validate(io=...) looks an
        # extension's cached namespace up in the reading manager, where it lacks the core types, and fails with
        # "data type 'NWBFile' not found in namespace ndx-fiber-photometry" (pynwb 4.2) on any file written after
        # the extension was imported in the same process.
        problems = validate(io=io) if zarr else validate(path=str(path))
        assert not problems, f"{path}: pynwb.validate: {problems}"
        critical = [
            m
            for m in inspect_nwbfile_object(io.read())
            if m.importance == Importance.CRITICAL and m.check_function_name not in waive
        ]
    assert not critical, f"{path}: nwbinspector CRITICAL: {[m.message for m in critical]}"
