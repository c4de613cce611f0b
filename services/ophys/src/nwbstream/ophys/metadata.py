"""The Ophys part of the metadata schema, in NeuroConv 0.10's dict layout.

Registries are keyed by an interface's `metadata_key`: `Ophys.ImagingPlanes`, `Ophys.MicroscopySeries`,
`Ophys.PlaneSegmentations`, and `Ophys.RoiResponses` / `Ophys.SegmentationImages` keyed again by trace or image
name. Devices sit at the top level (`Devices`), referred to by `device_metadata_key`, and their models
(`DeviceModels`, e.g. a Miniscope's deviceType) by the device's `device_model_metadata_key`. Entries stay open (any
field the pynwb constructor takes), as NeuroConv's do; what is pinned is their shape and the cross-references.
"""

from __future__ import annotations

import re
from typing import Any

from nwbstream.service.schemas import base_metadata_schema

_TEXT = {"type": "string"}
_NUMBER = {"type": ["number", "null"]}
_NAMED = {"type": "object", "properties": {"name": _TEXT, "description": _TEXT}}
_CHANNEL = {
    "type": "object",
    "properties": {"name": _TEXT, "description": _TEXT, "emission_lambda": _NUMBER},
}
ENTRIES: dict[str, Any] = {
    "ImagingPlanes": {
        "type": "object",
        "properties": {
            "name": _TEXT,
            "description": _TEXT,
            "device_metadata_key": _TEXT,
            "excitation_lambda": _NUMBER,
            "indicator": _TEXT,
            "location": _TEXT,
            "imaging_rate": _NUMBER,
            "optical_channel": {"type": "array", "items": _CHANNEL},
            "grid_spacing": {"type": "array", "items": {"type": "number"}},
            "origin_coords": {"type": "array", "items": {"type": "number"}},
        },
    },
    "MicroscopySeries": {
        "type": "object",
        "properties": {"name": _TEXT, "description": _TEXT, "unit": _TEXT, "imaging_plane_metadata_key": _TEXT},
    },
    "PlaneSegmentations": {
        "type": "object",
        "properties": {"name": _TEXT, "description": _TEXT, "imaging_plane_metadata_key": _TEXT},
    },
    "RoiResponses": {"type": "object", "additionalProperties": _NAMED},
    "SegmentationImages": {"type": "object", "additionalProperties": _NAMED},
}


def ophys_metadata_schema(registries: tuple[str, ...]) -> dict[str, Any]:
    """NWBFile, Subject, top-level Devices and DeviceModels, and the Ophys registries an interface fills."""
    schema = base_metadata_schema()
    schema["properties"]["Devices"] = {"type": "object", "additionalProperties": _NAMED}
    schema["properties"]["DeviceModels"] = {"type": "object", "additionalProperties": _NAMED}
    schema["properties"]["Ophys"] = {
        "type": "object",
        "properties": {name: {"type": "object", "additionalProperties": ENTRIES[name]} for name in registries},
    }
    return schema


def snake_case(name: str) -> str:
    """A name a device or file reports, as NeuroConv keys its registries (`to_snake_case`): spaces and hyphens
    become underscores, a word boundary inside CamelCase ("HPCMiniscope", "miniscopeV4") gets one, all lower case."""
    words = re.sub(r"[\s-]+", "_", name.strip())
    for boundary in (r"(?<=[a-z0-9])(?=[A-Z])", r"(?<=[A-Z])(?=[A-Z][a-z])"):
        words = re.sub(boundary, "_", words)
    return re.sub(r"_+", "_", words).lower().strip("_")
