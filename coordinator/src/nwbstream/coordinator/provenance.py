"""What every output says about how it was made: the nwbstream version, the spec, and each source file it read
(name, size, SHA-256), so that a file found years later can be traced to its inputs and checked against them.

NWB has one place for this: the NWBFile's `source_script` (text; here the provenance as JSON) with its
`source_script_file_name` (here the spec's name).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from .errors import ConversionError
from .spec import PATH_KEYS

DISTRIBUTION = "nwbstream-coordinator"
Interfaces = Mapping[str, tuple[str, Mapping[str, Any]]]  # key -> (interface name, source data), as a Converter takes


def provenance(
    spec_text: str,
    spec_name: str,
    interfaces: Interfaces,
    root: Path | None = None,
) -> dict[str, Any]:
    """The provenance of one session (`interfaces`: its sources, as a Converter takes them). Every file a `file_path`,
    `file_paths` or `folder_path` (walked) names is read once to hash it, a block at a time. With `root` (a lab's
    data root), names are relative to it, and a file a folder links to outside it is listed but not read."""
    sources = []
    for key, (interface_name, source_data) in interfaces.items():
        for argument in PATH_KEYS:
            value = source_data.get(argument)
            paths = value if isinstance(value, list) else [] if value is None else [value]
            for path in paths:
                for file in _files(Path(path), key, argument):
                    sources.append(
                        {"interface": key, "interface_name": interface_name, "argument": argument}
                        | _describe(file, root)
                    )
    return {
        "nwbstream": {"distribution": DISTRIBUTION, "version": package_metadata.version(DISTRIBUTION)},
        "spec": {"name": spec_name, "text": spec_text},
        "sources": sources,
    }


def provenance_in_background(
    spec_text: str, spec_name: str, sessions: Mapping[str, Interfaces], root: Path | None = None
) -> dict[str, Future[dict[str, Any]]]:
    """Each session's provenance, computed one session after the other in a daemon thread while the services start
    and the sessions are checked and converted (hashing large sources takes a while): a run that stops early, on a
    bad spec, does not wait for it. A session's future holds the ConversionError its provenance met, if any."""
    futures: dict[str, Future[dict[str, Any]]] = {name: Future() for name in sessions}

    def run() -> None:
        for name, interfaces in sessions.items():
            try:
                futures[name].set_result(provenance(spec_text, spec_name, interfaces, root))
            except BaseException as error:
                futures[name].set_exception(error)

    threading.Thread(target=run, name="provenance", daemon=True).start()
    return futures


def source_script_fields(record: Mapping[str, Any], nwbfile_fields: Mapping[str, Any]) -> dict[str, str]:
    """NWBFile's `source_script` (the record as JSON) and `source_script_file_name` (the spec's name). A
    `source_script` the user's metadata gave is kept inside the record rather than lost."""
    record = dict(record)
    if nwbfile_fields.get("source_script"):
        record["metadata_source_script"] = {
            "file_name": nwbfile_fields.get("source_script_file_name", ""),
            "text": nwbfile_fields["source_script"],
        }
    return {
        "source_script": json.dumps(record),
        "source_script_file_name": record["spec"]["name"] or "spec.yml",
    }


def _files(path: Path, key: str, argument: str) -> Iterator[Path]:
    """The file, or every file under the folder in name order (links to folders not followed)."""
    if path.is_file():
        yield path
    elif path.is_dir():
        for folder, subfolders, names in os.walk(path):
            subfolders.sort()
            for name in sorted(names):
                yield Path(folder) / name
    else:
        raise ConversionError(f"{key}: {argument} {path}: no such file or folder to record in the provenance")


def _describe(file: Path, root: Path | None) -> dict[str, Any]:
    if root is None:
        return {"name": str(file), **_size_and_digest(file)}
    name = os.path.relpath(file, root)
    if not file.resolve().is_relative_to(root.resolve()):
        return {"name": name, "outside_root": True}
    return {"name": name, **_size_and_digest(file)}


def _size_and_digest(file: Path) -> dict[str, Any]:
    try:
        with open(file, "rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()  # reads a block at a time
            size = stream.tell()
    except OSError as error:
        raise ConversionError(f"{file}: cannot read it to record its checksum: {error.strerror}") from None
    return {"size": size, "sha256": digest}
