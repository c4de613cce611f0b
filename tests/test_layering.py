"""The layers speak only through proto/: services never import the coordinator, the coordinator never imports a
modality's readers or service code, and the services' shared package stays free of pynwb."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READERS = ("spikeinterface", "neo", "probeinterface", "roiextractors", "tifffile", "sleap_io", "pandas")
NWB_LIBRARIES = ("pynwb", "hdmf", "hdmf_zarr", "h5py", "zarr")
RULES = {
    "coordinator/src": ("nwbstream.service", "nwbstream.ecephys", *READERS),
    "services/common/src": ("nwbstream.coordinator", *NWB_LIBRARIES, *READERS),
    "services/ecephys/src": ("nwbstream.coordinator", *NWB_LIBRARIES),
    "proto/nwbstream": ("nwbstream.coordinator", "nwbstream.service", "nwbstream.ecephys", *NWB_LIBRARIES),
}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def forbidden_imports(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in imported_modules(path):
            if any(module == name or module.startswith(name + ".") for name in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


@pytest.mark.parametrize("folder", sorted(RULES))
def test_layer_imports_only_what_it_may(folder):
    assert list((ROOT / folder).rglob("*.py")), f"{folder} holds no Python: the rule checks nothing"
    assert forbidden_imports(folder, RULES[folder]) == []


def test_the_rule_sees_a_forbidden_import(tmp_path):
    (tmp_path / "bad.py").write_text("def f():\n    from nwbstream.coordinator.writing import x\n")
    assert imported_modules(tmp_path / "bad.py") == {"nwbstream.coordinator.writing"}
