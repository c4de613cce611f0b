"""Devices, with what names their make (manufacturer, model) as an NWB 2.9 DeviceModel they link to.

Metadata keeps NeuroConv's flat device entry (`manufacturer`, `model_number`, `model_name` beside `name`);
pynwb deprecated those fields on Device, so they are written once per model, as NeuroConv 0.10 does. An entry's
`type` names an extension class (a Miniscope, an optical fiber: typed_devices.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynwb import NWBFile
from pynwb.device import Device, DeviceModel

from .typed_devices import resolve_type

MODEL_FIELDS = ("manufacturer", "model_number", "model_name")


def add_device(nwbfile: NWBFile, entry: Mapping[str, Any]) -> Device:
    """The device `entry` describes, created with its model the first time, shared by every later caller."""
    if entry["name"] in nwbfile.devices:
        return nwbfile.devices[entry["name"]]
    fields = {key: value for key, value in entry.items() if key not in (*MODEL_FIELDS, "type")}
    if any(entry.get(key) for key in MODEL_FIELDS):
        fields["model"] = _device_model(nwbfile, entry)
    device = resolve_type(entry.get("type", "Device"), Device)(**fields)
    nwbfile.add_device(device)
    return device


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
