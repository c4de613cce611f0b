"""Checks every output file must pass: the NWB schema validator and nwbinspector with no CRITICAL message."""

from __future__ import annotations

from pathlib import Path

from hdmf_zarr.nwb import NWBZarrIO
from nwbinspector import Importance, inspect_nwbfile_object
from pynwb import NWBHDF5IO, validate
from pynwb.validation import get_cached_namespaces_to_validate


def assert_valid_nwb(path: Path, waive: frozenset[str] = frozenset()) -> None:
    """HDF5 files and Zarr stores alike. `waive` names nwbinspector checks a test source cannot pass by
    nature (say why where you waive one)."""
    io_class = NWBZarrIO if Path(path).is_dir() else NWBHDF5IO
    with io_class(str(path), mode="r") as io:
        # Read with the namespaces cached in the file: with the process's own (an extension imported earlier in
        # the process, as ndx-fiber-photometry by the photometry writers), pynwb 4.2 validates the cached extension
        # namespace without the core types ("data type 'NWBFile' not found in namespace ndx-fiber-photometry").
        _, manager, _ = get_cached_namespaces_to_validate(io=io)
    with io_class(str(path), mode="r", manager=manager) as io:
        problems = validate(io=io)
        assert not problems, f"{path}: pynwb.validate: {problems}"
    with io_class(str(path), mode="r") as io:
        critical = [
            m
            for m in inspect_nwbfile_object(io.read())
            if m.importance == Importance.CRITICAL and m.check_function_name not in waive
        ]
    assert not critical, f"{path}: nwbinspector CRITICAL: {[m.message for m in critical]}"
