"""Folder detection (issue 13): every interface claims its own source, every real folder of the test data is
detected as docs/formats.md says, overlaps are resolved, and a drafted spec converts once its TODOs are filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nwbstream.coordinator.detection import ProposedSource

from .conftest import TESTDATA
from .detecting import detected, kept
from .detection_expected import EXPECTED
from .test_bad_input_sweep import GOOD, PATH_KEYS

NOT_DATA = {"SOURCES.md", "README.md"}  # the test data's own notes


def _paths(source: dict[str, Any], folder: Path) -> dict[str, Any]:
    """source_data with its path arguments resolved against `folder` (absolute ones stay)."""
    resolved = dict(source)
    for key in PATH_KEYS:
        value = resolved.get(key)
        if isinstance(value, list):
            resolved[key] = [(folder / v).resolve() for v in value]
        elif value is not None:
            resolved[key] = (folder / value).resolve()
    return resolved


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_real_folder_is_detected_as_the_table_says(services, folder):
    assert kept(TESTDATA / folder, services) == EXPECTED[folder]


def test_every_real_file_lies_in_a_folder_of_the_table():
    folders = [TESTDATA / f for f in EXPECTED]
    uncovered = [
        str(p.relative_to(TESTDATA))
        for p in sorted(TESTDATA.rglob("*"))
        if p.is_file() and p.name not in NOT_DATA and not any(f in p.parents for f in folders)
    ]
    assert uncovered == []


def _claims(contents) -> list[ProposedSource]:
    return [claim for s in contents.sources for claim in (s, *s.alternatives)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The interfaces' cases are gathered at collection, not at import: gathering them imports every test module,
    this one included."""
    if "interface" in metafunc.fixturenames:
        metafunc.parametrize("interface", sorted(GOOD()))


def test_every_interface_claims_its_own_source(services, interface):
    """Pointed at the folder of a source the value tests convert (a file's folder, or the source folder itself),
    detection proposes that interface with the same arguments, kept or as an alternative. A case listing several
    files (`file_paths`) may be proposed one file per source: every file must be proposed."""
    case = GOOD()[interface]
    named = next(case.source[k] for k in PATH_KEYS if case.source.get(k))
    first = Path(named[0] if isinstance(named, list) else named)
    folder = first if first.is_dir() else first.parent
    expected = _paths(case.source, Path("/"))
    required = set(services.interfaces[interface].source_schema.get("required", []))
    found = []
    listed: set[Path] = set()
    for claim in _claims(detected(folder, services)):
        if claim.interface != interface:
            continue
        proposed = _paths(claim.source_data, folder)
        found.append(proposed)
        if not required <= set(proposed) | set(claim.todo):
            continue
        if all(proposed[k] == expected[k] for k in set(proposed) & set(expected)):
            return
        listed.update(proposed.get("file_paths", []))
    if "file_paths" in expected and set(expected["file_paths"]) <= listed:
        return
    pytest.fail(f"{interface} not proposed with {case.source} in {folder}; it proposed {found}")
