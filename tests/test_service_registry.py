"""Embedded mode finds each service in its own environment: the registry `make env` writes names the interpreter,
entry points beside the coordinator are the fallback, and a service's environment holds neither the
coordinator nor another service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.registry import REGISTRY, InstalledService, read_registry, write_registry
from nwbstream.coordinator.services import installed_services

from .test_layering import ROOT, SERVICES


def fake_python(path: Path, services: dict[str, str]) -> Path:
    """An executable that answers the registry's question (its services' modules and interfaces) as an environment
    holding `services` (modality -> module) would, each offering one interface named after its modality."""
    answer = {modality: [module, [f"{modality.capitalize()}Interface"]] for modality, module in services.items()}
    path.write_text(f"#!/bin/sh\necho '{json.dumps(answer)}'\n")
    path.chmod(0o755)
    return path


def test_registered_services_win_over_those_beside_the_coordinator(tmp_path):
    python = fake_python(tmp_path / "python", {})
    registry = tmp_path / "services.json"
    registry.write_text(json.dumps({"ecephys": {"python": str(python), "module": "elsewhere.ecephys"}}))
    assert installed_services(registry)["ecephys"] == InstalledService(str(python), "elsewhere.ecephys")


def test_without_a_registry_the_services_beside_the_coordinator_run_with_its_interpreter(tmp_path):
    # the test environment installs the ecephys service beside the coordinator (the `readers` group)
    beside = installed_services(tmp_path / "none.json")
    assert beside["ecephys"] == InstalledService(sys.executable, "nwbstream.ecephys")


def test_write_registry_asks_each_interpreter_for_its_services(tmp_path):
    ecephys = fake_python(tmp_path / "ecephys-python", {"ecephys": "nwbstream.ecephys"})
    ophys = fake_python(tmp_path / "ophys-python", {"ophys": "nwbstream.ophys"})
    registry = tmp_path / "services.json"
    written = write_registry([ecephys, ophys], registry)
    assert written == {
        "ecephys": InstalledService(str(ecephys), "nwbstream.ecephys", ("EcephysInterface",)),
        "ophys": InstalledService(str(ophys), "nwbstream.ophys", ("OphysInterface",)),
    }
    assert read_registry(registry) == written


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        ([{}], "no nwbstream.services entry point"),
        ([{"ecephys": "nwbstream.ecephys"}, {"ecephys": "nwbstream.ecephys"}], "ecephys is served by both"),
    ],
)
def test_write_registry_refuses_an_environment_without_services_or_a_modality_twice(tmp_path, environments, message):
    pythons = [fake_python(tmp_path / f"python{i}", services) for i, services in enumerate(environments)]
    with pytest.raises(ConversionError, match=message):
        write_registry(pythons, tmp_path / "services.json")
    assert not (tmp_path / "services.json").exists()


def test_a_registered_interpreter_that_is_gone_is_named(tmp_path):
    registry = tmp_path / "services.json"
    registry.write_text(json.dumps({"ecephys": {"python": str(tmp_path / "gone"), "module": "nwbstream.ecephys"}}))
    with pytest.raises(ConversionError, match=rf"{registry}: the ecephys service's interpreter {tmp_path}/gone"):
        read_registry(registry)


def test_make_env_gives_every_service_an_environment_of_its_own():
    registered = read_registry(REGISTRY)
    assert sorted(registered) == SERVICES
    modules = [service.module for service in registered.values()]
    probe = "import importlib.util as u, json, sys; print(json.dumps([m for m in sys.argv[1:] if u.find_spec(m)]))"
    for name, service in registered.items():
        assert service.python == str(ROOT / "services" / name / ".venv" / "bin" / "python")
        found = subprocess.run(
            [service.python, "-c", probe, "nwbstream.coordinator", *modules], capture_output=True, text=True, check=True
        )
        assert json.loads(found.stdout) == [service.module], f"{name}'s environment holds {found.stdout}"


def test_embedded_mode_starts_each_service_with_its_own_interpreter(services):
    commands = [child.cmdline() for child in psutil.Process().children() if "--address" in child.cmdline()]
    expected = [service.command()[:3] for service in read_registry(REGISTRY).values()]
    assert sorted(command[:3] for command in commands) == sorted(expected)


def test_the_registry_knows_each_services_interfaces():
    """`make env` asked each service's own interpreter which interfaces it offers."""
    registered = read_registry()
    assert "TiffImagingInterface" in registered["ophys"].interfaces
    assert "SpikeGLXRecordingInterface" in registered["ecephys"].interfaces


def test_embedded_mode_starts_only_the_services_a_conversion_needs():
    from nwbstream.coordinator.services import ServiceSet

    with ServiceSet(needs={"TiffImagingInterface"}) as services:
        assert set(services.clients) == {"ophys"}
    with ServiceSet(needs={"NoSuchInterface"}) as services:  # unknown to the registry: every service, to ask
        assert set(services.clients) == set(read_registry())
