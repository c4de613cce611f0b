"""Checks every output file must pass: the NWB schema validator and nwbinspector with no CRITICAL message."""

from __future__ import annotations

from pathlib import Path

from nwbinspector import Importance, inspect_nwbfile
from pynwb import validate


def assert_valid_nwb(path: Path, waive: frozenset[str] = frozenset()) -> None:
    """`waive` names nwbinspector checks a test source cannot pass by nature (say why where you waive one)."""
    problems = validate(path=str(path))
    assert not problems, f"{path}: pynwb.validate: {problems}"
    critical = [
        m
        for m in inspect_nwbfile(nwbfile_path=str(path))
        if m.importance == Importance.CRITICAL and m.check_function_name not in waive
    ]
    assert not critical, f"{path}: nwbinspector CRITICAL: {[m.message for m in critical]}"
