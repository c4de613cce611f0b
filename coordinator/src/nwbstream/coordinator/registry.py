"""Which interpreter runs which modality service, when each service has an environment of its own.

Each modality locks and installs its readers in its own environment, so the coordinator cannot see the services
among its own packages. The registry, a JSON file in the coordinator's environment (`<sys.prefix>/nwbstream-
services.json`), maps each modality to the interpreter of the service's environment and the module it runs:

    {"ecephys": {"python": "/repo/services/ecephys/.venv/bin/python", "module": "nwbstream.ecephys",
                 "interfaces": ["BlackrockRecordingInterface", ...]}}

`python -m nwbstream.coordinator.registry PYTHON...` writes it (`make env` does): it asks each interpreter for
the entry points of group `nwbstream.services` installed beside it and the interfaces each service offers (the
service's interpreter imports its own package; the coordinator never does). Knowing the interfaces, embedded
mode starts only the services a conversion needs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ConversionError

ENTRY_POINT_GROUP = "nwbstream.services"
REGISTRY = Path(sys.prefix) / "nwbstream-services.json"

_LIST_SERVICES = f"""
import importlib.metadata, json, sys
from nwbstream.service import discover_interfaces
services = {{}}
for entry in importlib.metadata.entry_points(group={ENTRY_POINT_GROUP!r}):
    module = entry.value.split(":")[0]
    services[entry.name] = [module, [cls.__name__ for cls in discover_interfaces(module)]]
json.dump(services, sys.stdout)
"""


@dataclass(frozen=True)
class InstalledService:
    """A service this machine can start: the interpreter of the environment that holds it, and its module."""

    python: str
    module: str
    interfaces: tuple[str, ...] = ()  # empty: not known (installed beside the coordinator)

    def command(self, *arguments: str) -> list[str]:
        return [self.python, "-m", self.module, *arguments]


def read_registry(path: Path = REGISTRY) -> dict[str, InstalledService]:
    """modality -> service, as registered; empty when there is no registry (one environment holds everything)."""
    if not path.exists():
        return {}
    try:
        services = {
            modality: InstalledService(entry["python"], entry["module"], tuple(entry.get("interfaces", ())))
            for modality, entry in json.loads(path.read_text()).items()
        }
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise ConversionError(f"{path}: not a service registry ({error}); rewrite it with `make env`") from None
    for modality, service in services.items():
        if not Path(service.python).exists():
            raise ConversionError(
                f"{path}: the {modality} service's interpreter {service.python} does not exist; rebuild with `make env`"
            )
    return services


def services_in(python: Path) -> dict[str, InstalledService]:
    """The services installed in `python`'s environment, from its package metadata, with their interfaces."""
    done = subprocess.run([str(python), "-c", _LIST_SERVICES], capture_output=True, text=True)
    if done.returncode != 0:
        raise ConversionError(f"{python}: cannot list its {ENTRY_POINT_GROUP} services: {done.stderr.strip()}")
    return {
        modality: InstalledService(str(python), module, tuple(interfaces))
        for modality, (module, interfaces) in json.loads(done.stdout).items()
    }


def write_registry(pythons: list[Path], path: Path = REGISTRY) -> dict[str, InstalledService]:
    """Register the services of each interpreter's environment (replacing the registry); a modality found twice
    is an error, since only one environment may serve it."""
    services: dict[str, InstalledService] = {}
    for python in pythons:
        # absolute, but not resolved: a venv's python is a symlink, and only its own path selects the venv
        found = services_in(python.absolute())
        if not found:
            raise ConversionError(f"{python}: no {ENTRY_POINT_GROUP} entry point in its environment")
        for modality, service in found.items():
            if modality in services:
                raise ConversionError(f"{modality} is served by both {services[modality].python} and {python}")
            services[modality] = service
    entries = {
        m: {"python": s.python, "module": s.module, "interfaces": list(s.interfaces)} for m, s in services.items()
    }
    path.write_text(json.dumps(entries, indent=2))
    return services


def main(argv: list[str] | None = None) -> int:
    pythons = [Path(argument) for argument in (sys.argv[1:] if argv is None else argv)]
    try:
        services = write_registry(pythons)
    except ConversionError as error:
        print(f"nwbstream registry: error: {error}", file=sys.stderr)
        return 1
    for modality, service in services.items():
        print(f"{REGISTRY}: {modality} -> {service.python} -m {service.module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
