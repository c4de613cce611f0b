"""Finding a service's interfaces: every concrete BaseDataInterface subclass in the service's package.

A new format is one module in the package; nothing else lists it. Classes named `Base...` are shared bases,
not interfaces (NeuroConv names no interface that way).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from .interface import BaseDataInterface


def discover_interfaces(package: str) -> list[type[BaseDataInterface]]:
    """Imports every module under `package` and returns the interfaces defined there, sorted by name."""
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if not module.name.endswith(".__main__"):  # running it would start the service
            importlib.import_module(module.name)
    found = {
        cls
        for cls in _subclasses(BaseDataInterface)
        if cls.__module__.startswith(f"{package}.")
        and not cls.__name__.startswith("Base")
        and not inspect.isabstract(cls)
    }
    return sorted(found, key=lambda cls: cls.__name__)


def _subclasses(cls: type) -> set[type]:
    direct = set(cls.__subclasses__())
    return direct.union(*(_subclasses(c) for c in direct)) if direct else set()
