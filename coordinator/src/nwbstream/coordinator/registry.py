"""Which interpreter runs which modality service, when each service has an environment of its own.

Each modality locks and installs its readers in its own environment, so the coordinator cannot see the services
among its own packages. The registry, a JSON file in the coordinator's environment (`<sys.prefix>/nwbstream-
services.json`), maps each modality to the interpreter of the service's environment and the module it runs:

    {"ecephys": {"python": "/repo/services/ecephys/.venv/bin/python", "module": "nwbstream.ecephys"}}

`python -m nwbstream.coordinator.registry PYTHON...` writes it (`make env` does): it asks each interpreter for
the entry points of group `nwbstream.services` installed beside it, so the service's code is never imported.
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

_LIST_ENTRY_POINTS = (
    "import importlib.metadata, json, sys; json.dump({ep.name: ep.value.split(':')[0] for ep in"
    f" importlib.metadata.entry_points(group={ENTRY_POINT_GROUP!r})}}, sys.stdout)"
)


@dataclass(frozen=True)
class InstalledService:
    """A service this machine can start: the interpreter of the environment that holds it, and its module."""

    python: str
    module: str

    def command(self, *arguments: str) -> list[str]:
        return [self.python, "-m", self.module, *arguments]


def read_registry(path: Path = REGISTRY) -> dict[str, InstalledService]:
    """modality -> service, as registered; empty when there is no registry (one environment holds everything)."""
    if not path.exists():
        return {}
    try:
        services = {modality: InstalledService(**entry) for modality, entry in json.loads(path.read_text()).items()}
    except (ValueError, TypeError, AttributeError) as error:
        raise ConversionError(f"{path}: not a service registry ({error}); rewrite it with `make env`") from None
    for modality, service in services.items():
        if not Path(service.python).exists():
            raise ConversionError(
                f"{path}: the {modality} service's interpreter {service.python} does not exist; rebuild with `make env`"
            )
    return services


def services_in(python: Path) -> dict[str, InstalledService]:
    """The services installed in `python`'s environment, from its package metadata."""
    done = subprocess.run([str(python), "-c", _LIST_ENTRY_POINTS], capture_output=True, text=True)
    if done.returncode != 0:
        raise ConversionError(f"{python}: cannot list its {ENTRY_POINT_GROUP} entry points: {done.stderr.strip()}")
    return {modality: InstalledService(str(python), module) for modality, module in json.loads(done.stdout).items()}


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
    path.write_text(json.dumps({m: {"python": s.python, "module": s.module} for m, s in services.items()}, indent=2))
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
