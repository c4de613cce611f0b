"""Only the extensions a file uses stay cached in it.

pynwb caches every namespace loaded in the process with each file it writes. A coordinator that has written
fiber photometry, GuPPy or Miniscope files caches those extensions in every later file, and pynwb's validator (and
DANDI's) then validates the file against each cached extension separately, where a type of another extension is
unknown ("missing data type Device"). After the layout is written, the namespaces no object of the file names, and
that none of those depend on, are removed from `specifications`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ALWAYS = {"core", "hdmf-common", "hdmf-experimental"}


def prune_cached_namespaces(path: Path, backend: str) -> None:
    if backend == "hdf5":
        import h5py

        with h5py.File(path, "r+") as file:
            used = {_text(file.attrs.get("namespace"))}
            file.visititems(lambda _, node: used.add(_text(node.attrs.get("namespace"))))
            _prune(file["specifications"], used, lambda version: version["namespace"][()])
    else:
        import zarr

        root = zarr.open_group(str(path), mode="r+")
        used = {_text(root.attrs.get("namespace"))}
        root.visititems(lambda _, node: used.add(_text(node.attrs.get("namespace"))))
        _prune(root["specifications"], used, lambda version: version["namespace"][0])
        if (Path(path) / ".zmetadata").exists():  # hdmf-zarr reads the consolidated metadata: it must agree
            zarr.consolidate_metadata(str(path))


def _prune(specifications: Any, used: set[str], namespace_text: Any) -> None:
    depends = {
        name: _dependencies(namespace_text(group[version]) for version in group)
        for name, group in specifications.items()
    }
    keep = _closure(ALWAYS | (used & set(depends)), depends)
    for name in set(depends) - keep:
        del specifications[name]


def _dependencies(texts: Iterable[Any]) -> set[str]:
    found = set()
    for text in texts:
        for namespace in json.loads(_text(text))["namespaces"]:
            found |= {schema["namespace"] for schema in namespace["schema"] if "namespace" in schema}
    return found


def _closure(names: set[str], depends: Mapping[str, set[str]]) -> set[str]:
    todo, done = list(names), set()
    while todo:
        name = todo.pop()
        if name not in done:
            done.add(name)
            todo.extend(depends.get(name, ()))
    return done


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value) if value is not None else ""
