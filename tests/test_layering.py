"""The layers speak only through proto/: services never import the coordinator, the coordinator never imports a
modality's readers or service code, and the services' shared package stays free of pynwb. The distributions
declare the same: no reader in the coordinator's dependencies, no pynwb or hdmf in a service's."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
READERS = ("spikeinterface", "neo", "probeinterface", "roiextractors", "tifffile", "sleap_io", "pandas")
NWB_LIBRARIES = ("pynwb", "hdmf", "hdmf_zarr", "h5py", "zarr")
NWB_WRITERS = ("pynwb", "hdmf", "hdmf_zarr")  # a modality's formats may be HDF5 or Zarr files: h5py, zarr are readers
SERVICES = sorted(lock.parent.name for lock in (ROOT / "services").glob("*/uv.lock"))  # one project per modality
MODALITIES = tuple(f"nwbstream.{name}" for name in SERVICES)
RULES = {
    "coordinator/src": ("nwbstream.service", *MODALITIES, "nwbstream_samples", *READERS),
    "services/common/src": ("nwbstream.coordinator", *NWB_LIBRARIES, *READERS),
    **{
        f"services/{name}/src": (
            "nwbstream.coordinator",
            *NWB_WRITERS,
            *(module for module in MODALITIES if module != f"nwbstream.{name}"),
        )
        for name in SERVICES
    },
    "proto/nwbstream": ("nwbstream.coordinator", "nwbstream.service", *MODALITIES, *NWB_LIBRARIES),
}
DEPENDENCY_RULES = {
    "coordinator/pyproject.toml": ("nwbstream-service", *(f"nwbstream-{name}" for name in SERVICES), *READERS),
    "services/common/pyproject.toml": ("nwbstream-coordinator", *NWB_LIBRARIES, *READERS),
    **{f"services/{name}/pyproject.toml": ("nwbstream-coordinator", *NWB_WRITERS) for name in SERVICES},
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


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def forbidden_dependencies(pyproject: Path, forbidden: tuple[str, ...]) -> list[str]:
    """The requirements of `pyproject`'s distribution that name a forbidden distribution."""
    declared = tomllib.loads(pyproject.read_text())["project"].get("dependencies", [])
    names = {canonical(name) for name in forbidden}
    return [requirement for requirement in declared if canonical(Requirement(requirement).name) in names]


def test_every_modality_service_is_checked():
    assert "ecephys" in SERVICES


@pytest.mark.parametrize("pyproject", sorted(DEPENDENCY_RULES))
def test_distribution_depends_only_on_what_it_may(pyproject):
    assert forbidden_dependencies(ROOT / pyproject, DEPENDENCY_RULES[pyproject]) == []


def test_the_rule_sees_a_forbidden_dependency(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["Spike_Interface>=0.1", "numpy", "h5py"]\n')
    found = forbidden_dependencies(tmp_path / "pyproject.toml", ("spike-interface", "h5py"))
    assert found == ["Spike_Interface>=0.1", "h5py"]
