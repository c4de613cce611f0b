"""Devices and device models of an NWB extension type, as NeuroConv 0.10's top-level registries give them.

A `Devices` (or `DeviceModels`) entry may name its class in `type` (`OpticalFiber`, `ExcitationSourceModel`, ...);
without one it is a plain Device (DeviceModel). A device links its model through `device_model_metadata_key`
(by the time metadata reaches the writers it is folded into the device's `model_name`, `manufacturer`,
`model_number`; the model is then found by that name).
A field that is a sub-object of the class (an optical fiber's `fiber_insertion`) is given inline as a dict.
Both are created once per file, by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from hdmf.container import Container
from hdmf.utils import get_docval
from pynwb import NWBFile
from pynwb.device import Device, DeviceModel

from ..errors import ConversionError

# Extension classes a `type` may name, and the module that defines them.
EXTENSION_TYPES = {"Miniscope": "ndx_miniscope"} | {
    name: "ndx_ophys_devices"
    for name in (
        "OpticalFiber",
        "ExcitationSource",
        "PulsedExcitationSource",
        "Photodetector",
        "BandOpticalFilter",
        "EdgeOpticalFilter",
        "DichroicMirror",
        "OpticalLens",
        "OpticalFiberModel",
        "ExcitationSourceModel",
        "PhotodetectorModel",
        "BandOpticalFilterModel",
        "EdgeOpticalFilterModel",
        "DichroicMirrorModel",
        "OpticalLensModel",
    )
}
REGISTRY_FIELDS = ("type", "device_model_metadata_key")
FOLDED_MODEL_FIELDS = ("manufacturer", "model_number", "model_name")


def typed_device(nwbfile: NWBFile, metadata: Mapping[str, Any], key: str) -> Device:
    """The device of `metadata["Devices"][key]`, with its model, created the first time it is asked for."""
    entry = _registry_entry(metadata, "Devices", key)
    if entry["name"] in nwbfile.devices:
        return nwbfile.devices[entry["name"]]
    fields = {field: value for field, value in entry.items() if field not in REGISTRY_FIELDS}
    model_key = _model_key(metadata, entry)
    if model_key is not None:
        fields["model"] = _typed_model(nwbfile, metadata, model_key)
        for field in FOLDED_MODEL_FIELDS:  # the model's make, folded into the entry on the way in: the model has it
            fields.pop(field, None)
    device_class = resolve_type(entry.get("type", "Device"), Device)
    device = device_class(**_inline_containers(device_class, fields))
    nwbfile.add_device(device)
    return device


def _model_key(metadata: Mapping[str, Any], entry: Mapping[str, Any]) -> str | None:
    """The entry's `device_model_metadata_key`, or, once metadata merging has folded it into `model_name`, the key
    of the `DeviceModels` entry of that name."""
    if entry.get("device_model_metadata_key") is not None:
        return entry["device_model_metadata_key"]
    models = metadata.get("DeviceModels") or {}
    return next((key for key, model in models.items() if model.get("name") == entry.get("model_name")), None)


def _typed_model(nwbfile: NWBFile, metadata: Mapping[str, Any], key: str) -> DeviceModel:
    entry = _registry_entry(metadata, "DeviceModels", key)
    if entry["name"] in nwbfile.device_models:
        return nwbfile.device_models[entry["name"]]
    fields = {"manufacturer": "unknown", **{f: v for f, v in entry.items() if f != "type"}}  # NWB requires one
    model_class = resolve_type(entry.get("type", "DeviceModel"), DeviceModel)
    model = model_class(**_inline_containers(model_class, fields))
    nwbfile.add_device_model(model)
    return model


def _registry_entry(metadata: Mapping[str, Any], registry: str, key: str) -> Mapping[str, Any]:
    entry = (metadata.get(registry) or {}).get(key)
    if not isinstance(entry, Mapping) or not entry.get("name"):
        raise ConversionError(f"metadata {registry}/{key}: no such entry with a `name` (referred to by its key)")
    return entry


def resolve_type(type_name: str, base: type) -> type:
    """The class a `type` names: `base` itself, or one of the extension types (imported on first use)."""
    if type_name == base.__name__:
        return base
    module = EXTENSION_TYPES.get(type_name)
    if module is None:
        known = [base.__name__, *sorted(EXTENSION_TYPES)]
        raise ConversionError(f"device type {type_name!r} is not one nwbstream knows: {known}")
    resolved = getattr(importlib.import_module(module), type_name)
    if not issubclass(resolved, base):
        raise ConversionError(f"device type {type_name!r} is not a {base.__name__}")
    return resolved


def _inline_containers(target: type, fields: dict[str, Any]) -> dict[str, Any]:
    """Fields given as a dict whose constructor argument is a sub-object class become that object."""
    for argument in get_docval(target.__init__):
        value = fields.get(argument["name"])
        if not isinstance(value, Mapping):
            continue
        types = argument["type"] if isinstance(argument["type"], tuple) else (argument["type"],)
        sub_object = next(
            (
                t
                for t in types
                if isinstance(t, type) and issubclass(t, Container) and not issubclass(t, Device | DeviceModel)
            ),
            None,
        )
        if sub_object is not None:
            fields[argument["name"]] = sub_object(**value)
    return fields
