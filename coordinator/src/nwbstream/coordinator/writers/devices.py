"""Devices, with what names their make (manufacturer, model) as an NWB 2.9 DeviceModel they link to.

Metadata keeps NeuroConv's flat device entry (`manufacturer`, `model_number`, `model_name` beside `name`);
pynwb deprecated those fields on Device, so they are written once per model, as NeuroConv 0.10 does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynwb import NWBFile
from pynwb.device import Device, DeviceModel

from ..dict_layout import MODEL_TO_DEVICE_FIELDS
from ..errors import ConversionError

MODEL_FIELDS = ("manufacturer", "model_number", "model_name")


def add_device(nwbfile: NWBFile, entry: Mapping[str, Any]) -> Device:
    """The device `entry` describes, created with its model the first time, shared by every later caller."""
    if entry["name"] in nwbfile.devices:
        return nwbfile.devices[entry["name"]]
    fields = {key: value for key, value in entry.items() if key not in MODEL_FIELDS}
    if any(entry.get(key) for key in MODEL_FIELDS):
        fields["model"] = _device_model(nwbfile, entry)
    return nwbfile.create_device(**fields)


def _device_model(nwbfile: NWBFile, entry: Mapping[str, Any]) -> DeviceModel:
    name = entry.get("model_name") or entry.get("model_number") or f"{entry['manufacturer']} device"
    if name not in nwbfile.device_models:
        nwbfile.add_device_model(
            DeviceModel(
                name=name,
                manufacturer=entry.get("manufacturer") or "unknown",
                model_number=entry.get("model_number"),
            )
        )
    return nwbfile.device_models[name]


def device_entry(metadata: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The top-level `Devices` entry `key` (NeuroConv 0.10's dict layout), with its model's make folded in."""
    device = (metadata.get("Devices") or {}).get(key)
    if not isinstance(device, Mapping) or not device.get("name"):
        raise ConversionError(f"metadata Devices/{key}: no such device with a `name` (device_metadata_key {key!r})")
    entry = {field: value for field, value in device.items() if field != "device_model_metadata_key"}
    model_key = device.get("device_model_metadata_key")
    if model_key is not None:
        model = (metadata.get("DeviceModels") or {}).get(model_key)
        if model is None:
            raise ConversionError(
                f"metadata Devices/{key}: device_model_metadata_key {model_key!r} is not in DeviceModels"
            )
        for model_field, device_field in MODEL_TO_DEVICE_FIELDS.items():
            if model_field in model:
                entry.setdefault(device_field, model[model_field])
    return entry
