"""NeuroConv's YAML conversion specification, read into one job per session.

    metadata: {...}                  # every session
    conversion_options: {...}        # every interface of every session (stub_test, parent_container)
    data_interfaces: {key: InterfaceName}
    experiments:
      name:
        metadata: {...}
        sessions:
          - nwbfile_name: x.nwb
            source_data: {key: {file_path | folder_path | file_paths: ..., ...}}
            metadata: {...}
            conversion_options: {key: {...}}
            alignment: {reference: key, key: {shift | timestamps | pulses: ...}}   # alignment/declaration.py

nwbstream adds two optional top-level keys: `backend` (hdf5 | zarr) and `backend_configuration`, and a session's
`alignment` block (every stream put on one session clock; its file paths are joined with the data folder too).
As in NeuroConv 0.10.2: only `file_path`, `folder_path` and `file_paths` are joined with the data folder (the spec
file's folder unless another is given; an absolute path stays as it is), and every output is named
`<nwbfile_name without .nwb>.nwb`, whatever the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .alignment.declaration import parse_alignment, with_data_folder
from .errors import ConversionError
from .metadata import merge_metadata

PATH_KEYS = ("file_path", "folder_path", "file_paths")
# NeuroConv add_to_nwbfile options nwbstream applies (converter.py says to which objects).
CONVERSION_OPTIONS = {
    "stub_test",
    "write_as",
    "parent_container",
    "tag",
    "column_name_mapping",
    "column_descriptions",
    "always_write_timestamps",
}
_OBJECT = {"type": "object"}
SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data_interfaces", "experiments"],
    "properties": {
        "metadata": _OBJECT,
        "conversion_options": _OBJECT,
        "data_interfaces": {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1},
        "upload_to_dandiset": {"type": ["string", "boolean", "integer"]},
        "backend": {"enum": ["hdf5", "zarr"]},
        "backend_configuration": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "default": _OBJECT,
                "datasets": {"type": "object", "additionalProperties": _OBJECT},
            },
        },
        "experiments": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["sessions"],
                "properties": {
                    "metadata": _OBJECT,
                    "sessions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["source_data"],
                            "additionalProperties": False,
                            "properties": {
                                "nwbfile_name": {"type": "string"},
                                "source_data": {"type": "object", "additionalProperties": _OBJECT},
                                "metadata": _OBJECT,
                                "conversion_options": {"type": "object", "additionalProperties": _OBJECT},
                                "alignment": _OBJECT,
                            },
                        },
                    },
                },
            },
        },
    },
    "additionalProperties": False,
}


@dataclass
class SessionJob:
    """Everything one output file needs."""

    name: str
    nwbfile_name: str
    interfaces: dict[str, tuple[str, dict[str, Any]]]
    metadata: dict[str, Any]
    conversion_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    stub: bool = False
    alignment: dict[str, Any] = field(default_factory=dict)  # checked, its file paths joined with the data folder


@dataclass
class Spec:
    sessions: list[SessionJob]
    backend: str = "hdf5"
    backend_configuration: dict[str, Any] = field(default_factory=dict)
    upload_to_dandiset: str | None = None

    @property
    def interface_names(self) -> set[str]:
        """Every interface some session uses: the services to start."""
        return {name for job in self.sessions for name, _ in job.interfaces.values()}


def load_spec(path: Path, data_folder: Path | None = None) -> Spec:
    """The spec at `path`, its relative source paths joined with `data_folder` (default: the spec's folder)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConversionError(f"{path}: no such specification file") from None
    return parse_spec(text, str(path), path.parent if data_folder is None else data_folder)


def checked_yaml(text: str, name: str, schema: Mapping[str, Any]) -> Any:
    """The YAML document `text`, valid against `schema`; errors name `name` and the key at fault."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConversionError(f"{name}: not valid YAML: {error}") from None
    try:
        jsonschema.validate(raw, schema)
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConversionError(f"{name}: {where}: {error.message}") from None
    return raw


def parse_spec(text: str, name: str, data_folder: Path) -> Spec:
    """A spec's YAML `text` (`name` says where it came from in errors), relative paths joined with `data_folder`."""
    raw = checked_yaml(text, name, SPEC_SCHEMA)
    return Spec(
        sessions=_sessions(raw, name, data_folder),
        backend=raw.get("backend", "hdf5"),
        backend_configuration=raw.get("backend_configuration") or {},
        upload_to_dandiset=str(raw["upload_to_dandiset"]) if raw.get("upload_to_dandiset") else None,
    )


def _sessions(raw: dict[str, Any], name: str, data_folder: Path) -> list[SessionJob]:
    interfaces: dict[str, str] = raw["data_interfaces"]
    global_options = raw.get("conversion_options") or {}
    _check_options(f"{name}: conversion_options", global_options)
    jobs = []
    writers: dict[str, str] = {}  # output name -> the session that writes it
    for experiment, body in raw["experiments"].items():
        for index, session in enumerate(body["sessions"]):
            where = f"{name}: experiments/{experiment}/sessions/{index}"
            nwbfile_name = (session.get("nwbfile_name") or f"{experiment}_{index}").removesuffix(".nwb") + ".nwb"
            if nwbfile_name in writers:
                raise ConversionError(f"{where}: writes {nwbfile_name}, as {writers[nwbfile_name]} does")
            writers[nwbfile_name] = f"experiments/{experiment}/sessions/{index}"
            unknown = set(session["source_data"]) - set(interfaces)
            if unknown:
                raise ConversionError(f"{where}/source_data: {sorted(unknown)} not in data_interfaces")
            options: dict[str, dict[str, Any]] = {}
            for key in session["source_data"]:
                own = (session.get("conversion_options") or {}).get(key) or {}
                _check_options(f"{where}/conversion_options/{key}", own)
                options[key] = {**global_options, **own}
            metadata = merge_metadata([raw.get("metadata") or {}, body.get("metadata") or {}], session.get("metadata"))
            keys = [key for key in interfaces if key in session["source_data"]]
            alignment = session.get("alignment") or {}
            parse_alignment(alignment, keys, f"{where}/alignment")
            jobs.append(
                SessionJob(
                    name=f"{experiment}/{index}",
                    nwbfile_name=nwbfile_name,
                    interfaces={  # in data_interfaces' order, as NeuroConv adds them (a pose before what links it)
                        key: (interfaces[key], _join_paths(session["source_data"][key], data_folder)) for key in keys
                    },
                    metadata=metadata,
                    conversion_options=options,
                    stub=any(o.get("stub_test") for o in options.values()),
                    alignment=with_data_folder(alignment, data_folder),
                )
            )
    return jobs


def _check_options(where: str, options: Mapping[str, Any]) -> None:
    unknown = set(options) - CONVERSION_OPTIONS
    if unknown:
        raise ConversionError(f"{where}: {sorted(unknown)} not supported; nwbstream takes {sorted(CONVERSION_OPTIONS)}")


def _join_paths(source: Mapping[str, Any], data_folder: Path) -> dict[str, Any]:
    joined = dict(source)
    for key in PATH_KEYS:
        if key in joined:
            value = joined[key]
            joined[key] = [str(data_folder / v) for v in value] if isinstance(value, list) else str(data_folder / value)
    return joined
