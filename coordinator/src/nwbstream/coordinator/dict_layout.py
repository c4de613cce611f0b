"""NeuroConv 0.10's dict-based ecephys metadata, folded into the list layout the services describe.

NeuroConv 0.10 hands its users `Devices` and `DeviceModels` at the top level, and `Ecephys.ElectrodeGroups` and
`Ecephys.ElectricalSeries` as dicts keyed by a metadata key. Older YAML, and nwbstream's own `get_metadata`, use
`Ecephys.Device` and `Ecephys.ElectrodeGroup` lists and one `Ecephys.<series name>` entry per series. A user's
YAML of either kind must work unchanged, so the dict form is translated on its way in.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import ConversionError

MODEL_TO_DEVICE_FIELDS = {"manufacturer": "manufacturer", "model_number": "model_number", "name": "model_name"}


def to_list_layout(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """`metadata` with any dict-based ecephys entries rewritten as list-layout ones; the rest is untouched."""
    # The registries also stay as given: entries that name their hardware by registry key (fiber photometry rows)
    # and extension types (`type`, models' own fields) need them whole.
    result = {key: copy.deepcopy(value) for key, value in metadata.items()}
    devices = _devices(metadata.get("Devices") or {}, metadata.get("DeviceModels") or {})
    ecephys = result.get("Ecephys")
    if not isinstance(ecephys, dict):
        if not devices:
            return result
        ecephys = result["Ecephys"] = {}
    if devices:
        ecephys["Device"] = [*ecephys.get("Device", []), *devices.values()]
    groups = ecephys.pop("ElectrodeGroups", None)
    if groups:
        ecephys["ElectrodeGroup"] = [*ecephys.get("ElectrodeGroup", []), *_groups(groups, devices)]
    if _keyed(ecephys.get("ElectricalSeries")):
        for key, entry in ecephys.pop("ElectricalSeries").items():
            name = entry.get("name")
            if not name:
                raise ConversionError(
                    f"metadata Ecephys/ElectricalSeries/{key}: no `name`; the series is found by its name "
                    "(e.g. ElectricalSeriesAPImec0, as `nwbstream metadata` prints it)"
                )
            ecephys[name] = {**ecephys.get(name, {}), **entry}
    return result


def _keyed(value: Any) -> bool:
    """A dict of per-series dicts (dict layout), not one series' flat fields (list layout)."""
    return isinstance(value, Mapping) and bool(value) and all(isinstance(v, Mapping) for v in value.values())


def _devices(devices: Mapping[str, Any], models: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Device entries by metadata key, with their model's manufacturer, model number and name folded in."""
    referenced = {device.get("device_model_metadata_key") for device in devices.values() if isinstance(device, Mapping)}
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


def _groups(groups: Mapping[str, Any], devices: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    entries = []
    for key, group in groups.items():
        entry = {"name": key, **{field: value for field, value in group.items() if field != "device_metadata_key"}}
        device_key = group.get("device_metadata_key")
        if device_key is not None:
            if device_key not in devices:
                raise ConversionError(
                    f"metadata Ecephys/ElectrodeGroups/{key}: device_metadata_key {device_key!r} is not in Devices"
                )
            entry["device"] = devices[device_key]["name"]
        entries.append(entry)
    return entries
