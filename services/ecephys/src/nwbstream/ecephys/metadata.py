"""The Ecephys part of the metadata schema, in NeuroConv's layout (Device, ElectrodeGroup, one key per series)."""

from __future__ import annotations

from typing import Any

from nwbstream.service.schemas import base_metadata_schema

_TEXT = {"type": "string"}
_NAMED_COLUMN = {
    "type": "object",
    "required": ["name", "description"],
    "properties": {"name": _TEXT, "description": _TEXT},
}


def ecephys_metadata_schema(series_keys: list[str] = (), with_units: bool = False) -> dict[str, Any]:
    schema = base_metadata_schema()
    ecephys: dict[str, Any] = {
        "Device": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": _TEXT,
                    "description": _TEXT,
                    "manufacturer": _TEXT,
                    "model_number": _TEXT,
                    "model_name": _TEXT,
                    "serial_number": _TEXT,
                },
            },
        },
        "ElectrodeGroup": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "description", "location", "device"],
                "additionalProperties": False,
                "properties": {"name": _TEXT, "description": _TEXT, "location": _TEXT, "device": _TEXT},
            },
        },
        "Electrodes": {"type": "array", "items": _NAMED_COLUMN},
    }
    for key in series_keys:
        ecephys[key] = {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": _TEXT, "description": _TEXT, "comments": _TEXT},
        }
    if with_units:
        ecephys["UnitProperties"] = {"type": "array", "items": _NAMED_COLUMN}
        ecephys["Units"] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {"name": _TEXT, "description": _TEXT},
        }
    schema["properties"]["Ecephys"] = {"type": "object", "properties": ecephys, "additionalProperties": False}
    return schema
