"""NeuroConv 0.10's dict-based metadata, folded into the list layout the services describe.

NeuroConv 0.10 hands its users `Devices` and `DeviceModels` at the top level, and entries keyed by a metadata key
that name their device by its key in `device_metadata_key` (`Ecephys.ElectrodeGroups`, `Ophys.ImagingPlanes`);
`Ecephys.ElectricalSeries` is keyed too. Older YAML, and nwbstream's own `get_metadata`, use lists: `Ecephys.Device`,
`Ecephys.ElectrodeGroup` (each group naming its device in `device`), one `Ecephys.<series name>` entry per series.
A user's YAML of either kind must work unchanged, so the dict form is translated on its way in.

Devices follow one rule, whatever the modality: a top-level `Devices` entry goes to the `Device` list of every
section (`Ecephys`, `Ophys`, ...) that refers to it, by its key in an entry's `device_metadata_key` (rewritten as
`device: <its name>`), by its name in an entry's `device`, or by a `Device` entry of the same name (which it
updates). A device that no section refers to stays in top-level `Devices`; nothing writes it, so validation refuses
it unless some interface's schema takes top-level `Devices`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsonschema

from .errors import ConversionError

MODEL_TO_DEVICE_FIELDS = {"manufacturer": "manufacturer", "model_number": "model_number", "name": "model_name"}
_ENTRIES = {"type": "array", "items": {"type": "object"}}
_KEYED = {"type": "object", "additionalProperties": {"type": "object"}}
# The shapes the folding below reads; anything else in the metadata is the schemas' business.
LAYOUT_SCHEMA = {
    "type": "object",
    "properties": {"Devices": _KEYED, "DeviceModels": _KEYED},
    "additionalProperties": {
        "if": {"type": "object"},
        "then": {"properties": {"Device": _ENTRIES, "ElectrodeGroup": _ENTRIES, "ElectrodeGroups": _KEYED}},
    },
}


def to_list_layout(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """`metadata` with any dict-based entries rewritten as list-layout ones and its devices placed; the rest is
    untouched."""
    _check_layout(metadata)
    # `DeviceModels` also stays as given: a device of an extension type (fiber photometry's) links its model of
    # the same `type` family with the model's own fields, which folding keeps only the make of.
    result = {key: copy.deepcopy(value) for key, value in metadata.items() if key != "Devices"}
    placed = [d for section in metadata.values() if isinstance(section, Mapping) for d in section.get("Device") or []]
    devices = _devices(metadata.get("Devices") or {}, metadata.get("DeviceModels") or {}, placed)
    for section_name, section in result.items():
        if isinstance(section, dict):
            _name_devices(section_name, section, devices)
    ecephys = result.get("Ecephys")
    if isinstance(ecephys, dict):
        groups = ecephys.pop("ElectrodeGroups", None)
        if groups:
            named = [{"name": key, **group} for key, group in groups.items()]  # a group's own `name` wins
            ecephys["ElectrodeGroup"] = [*ecephys.get("ElectrodeGroup", []), *named]
        if _keyed(ecephys.get("ElectricalSeries")):
            for key, entry in ecephys.pop("ElectricalSeries").items():
                name = entry.get("name")
                if not name:
                    raise ConversionError(
                        f"metadata Ecephys/ElectricalSeries/{key}: no `name`; the series is found by its name "
                        "(e.g. ElectricalSeriesAPImec0, as `nwbstream metadata` prints it)"
                    )
                ecephys[name] = {**ecephys.get(name, {}), **entry}
    if devices:
        result["Devices"] = devices
    return place_devices(result)


def _check_layout(metadata: Any) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(LAYOUT_SCHEMA).iter_errors(metadata))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConversionError(f"metadata {where}: {error.message}")


def place_devices(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """`metadata` with each top-level `Devices` entry moved to the `Device` list of every section referring to it."""
    result = dict(metadata)
    unplaced = {}
    for key, device in (result.pop("Devices", None) or {}).items():
        users = [name for name, section in result.items() if isinstance(section, dict) and _refers_to(section, device)]
        for name in users:
            result[name] = _with_device(result[name], device)
        if not users:
            unplaced[key] = device
    if unplaced:
        result["Devices"] = unplaced
    return result


def _keyed(value: Any) -> bool:
    """A dict of per-entry dicts (dict layout), not one entry's flat fields (list layout)."""
    return isinstance(value, Mapping) and bool(value) and all(isinstance(v, Mapping) for v in value.values())


def _entries(section: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(key in the section, entry) for every entry of the section's keyed dicts and lists."""
    found = []
    for key, value in section.items():
        if _keyed(value):
            found += [(key, entry) for entry in value.values()]
        elif isinstance(value, list):
            found += [(key, entry) for entry in value if isinstance(entry, Mapping)]
    return found


def _refers_to(section: Mapping[str, Any], device: Mapping[str, Any]) -> bool:
    name = device["name"]
    return any(
        entry.get("device") == name or (key == "Device" and entry.get("name") == name)
        for key, entry in _entries(section)
    )


def _with_device(section: Mapping[str, Any], device: Mapping[str, Any]) -> dict[str, Any]:
    listed = [dict(entry) for entry in section.get("Device", [])]
    same = [entry for entry in listed if entry.get("name") == device["name"]]
    if same:
        same[0].update(copy.deepcopy(device))
    else:
        listed.append(copy.deepcopy(dict(device)))
    return {**section, "Device": listed}


def _name_devices(section_name: str, section: dict[str, Any], devices: Mapping[str, Mapping[str, Any]]) -> None:
    """Replaces each keyed entry's `device_metadata_key` with `device`, the name of the device it points to."""
    for key, entries in section.items():
        if not _keyed(entries):
            continue
        for entry_key, entry in entries.items():
            device_key = entry.get("device_metadata_key")
            if device_key is None:
                continue
            if device_key not in devices:
                raise ConversionError(
                    f"metadata {section_name}/{key}/{entry_key}: device_metadata_key {device_key!r} is not in Devices"
                )
            entries[entry_key] = {
                **{field: value for field, value in entry.items() if field != "device_metadata_key"},
                "device": devices[device_key]["name"],
            }


def _devices(
    devices: Mapping[str, Any], models: Mapping[str, Any], placed: list[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Device entries by metadata key, with their model's manufacturer, model number and name folded in.
    `placed`: devices a section already lists (metadata that went through here once), which name their model by
    `model_name`."""
    entries = [device for device in devices.values() if isinstance(device, Mapping)]
    referenced = {device.get("device_model_metadata_key") for device in entries}
    referenced |= {
        key
        for key, model in models.items()
        if any(isinstance(d, Mapping) and d.get("model_name") == model.get("name") for d in [*entries, *placed])
    }
    unreferenced = sorted(set(models) - referenced)
    if unreferenced:
        raise ConversionError(
            f"metadata DeviceModels/{unreferenced[0]}: no entry of Devices names it in device_model_metadata_key"
        )
    entries = {}
    for key, device in devices.items():
        if not isinstance(device, Mapping) or not device.get("name"):
            raise ConversionError(f"metadata Devices/{key}: give the device's `name`")
        entry = {field: value for field, value in device.items() if field != "device_model_metadata_key"}
        model_key = device.get("device_model_metadata_key")
        if model_key is not None:
            model = models.get(model_key)
            if model is None:
                raise ConversionError(
                    f"metadata Devices/{key}: device_model_metadata_key {model_key!r} is not in DeviceModels"
                )
            for model_field, device_field in MODEL_TO_DEVICE_FIELDS.items():
                if model_field in model:
                    entry.setdefault(device_field, model[model_field])
        entries[key] = entry
    return entries
