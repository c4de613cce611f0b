"""Merging the interfaces' metadata and the user's, and validating the result against the merged schema.

Rules: dicts merge key by key; lists of named items (Device, ElectrodeGroup, ...) merge item by item on
`name`; any other value is replaced by the later source. Interfaces merge in the spec's order, the user's
metadata last, so the user wins.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import jsonschema

from .dict_layout import place_devices, to_list_layout
from .errors import ConversionError


def deep_update(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: `base` with `update` merged in by the rules above."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = deep_update(current, value)
        elif _named_list(current) and _named_list(value):
            merged[key] = _merge_named(current, value)
        else:
            merged[key] = copy.deepcopy(_plain(value))
    return merged


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) and "name" in v for v in value)


def _merge_named(base: list[dict[str, Any]], update: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged = [dict(item) for item in base]
    positions = {item["name"]: i for i, item in enumerate(merged)}
    for item in update:
        if item["name"] in positions:
            merged[positions[item["name"]]] = deep_update(merged[positions[item["name"]]], item)
        else:
            positions[item["name"]] = len(merged)
            merged.append(copy.deepcopy(dict(item)))
    return merged


def _plain(value: Any) -> Any:
    """YAML gives datetimes and dates as objects; metadata carries them as ISO 8601 text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def merge_metadata(contributions: Iterable[Mapping[str, Any]], user: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Contributions in order, then the user's; NeuroConv 0.10's dict-based ecephys entries are accepted too."""
    merged: dict[str, Any] = {}
    for metadata in [*contributions, user or {}]:
        merged = deep_update(merged, to_list_layout(metadata))
    return place_devices(merged)  # a device one contribution gives may be referred to by another


def merge_schemas(schemas: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Deep merge of JSON schemas; `required` lists are united."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        merged = _merge_schema(merged, schema)
    return merged


def _merge_schema(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in update.items():
        if key == "required" and key in out:
            out[key] = sorted(set(out[key]) | set(value))
        elif isinstance(out.get(key), dict) and isinstance(value, Mapping):
            out[key] = _merge_schema(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_metadata(
    metadata: Mapping[str, Any],
    schema: Mapping[str, Any],
    schemas_by_interface: Mapping[str, Mapping[str, Any]],
) -> None:
    """Raises ConversionError listing every problem, each naming the field and the interface that wants it."""
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(metadata), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            field = "/".join([*path, missing])
            owners = _owners(schemas_by_interface, [*path, missing], required=True)
            problems.append(f"metadata {field}: required by {owners} but not given; set it in the spec's metadata")
        elif error.validator == "anyOf" and all(set(option) == {"required"} for option in error.validator_value):
            choices = " or ".join(name for option in error.validator_value for name in option["required"])
            field = "/".join(path) or "(top level)"
            owners = _owners(schemas_by_interface, path)
            problems.append(f"metadata {field}: needs {choices} (schema of {owners}); set it in the spec's metadata")
        else:
            field = "/".join(path) or "(top level)"
            owners = _owners(schemas_by_interface, [p for p in path if not p.isdigit()])
            problems.append(f"metadata {field}: {error.message} (schema of {owners})")
    if "Devices" not in schema.get("properties", {}) and isinstance(metadata.get("Devices"), Mapping):
        for key, device in metadata["Devices"].items():
            name = device.get("name") if isinstance(device, Mapping) else device
            problems.append(
                f"metadata Devices/{key}: nothing refers to device {name!r} (by device_metadata_key, "
                "or by name in `device` or a `Device` list), so nothing would write it"
            )
    nwbfile = metadata.get("NWBFile")
    start = nwbfile.get("session_start_time") if isinstance(nwbfile, Mapping) else None
    if isinstance(start, str):
        try:
            dt.datetime.fromisoformat(start)
        except ValueError:
            problems.append(f"metadata NWBFile/session_start_time: {start!r} is not an ISO 8601 date and time")
    if problems:
        raise ConversionError("invalid metadata:\n  " + "\n  ".join(problems))


def _owners(schemas: Mapping[str, Mapping[str, Any]], path: list[str], required: bool = False) -> str:
    """The interfaces whose schema defines (or requires) the field at `path`."""
    names = []
    for name, schema in schemas.items():
        node: Any = schema
        for part in path[:-1]:
            node = node.get("properties", {}).get(part, {})
            if node.get("type") == "array":
                node = node.get("items", {})
        wanted = node.get("required", []) if required else node.get("properties", {})
        if path and path[-1] in wanted:
            names.append(name)
    return ", ".join(names) or "the NWB schema"
