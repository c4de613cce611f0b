"""JSON schemas: source schemas derived from signatures, and the metadata schema every interface starts from."""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

_JSON_TYPES: dict[Any, str] = {
    str: "string",
    Path: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}


# Arguments NeuroConv's signatures carry that change nothing here; described once for every interface.
COMPATIBILITY_ARGUMENTS = {
    "verbose": "Accepted for NeuroConv compatibility; has no effect.",
    "metadata_key": "Accepted for NeuroConv compatibility; nwbstream keys this interface's metadata by es_key.",
}


def schema_from_signature(function: Callable[..., Any], title: str) -> dict[str, Any]:
    """A JSON schema for the keyword arguments of `function`, with descriptions from its numpydoc docstring (the
    NeuroConv compatibility arguments it leaves out are described by COMPATIBILITY_ARGUMENTS)."""
    hints = typing.get_type_hints(function)
    descriptions = {**COMPATIBILITY_ARGUMENTS, **_parameter_descriptions(inspect.getdoc(function) or "")}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        prop = _json_type(hints.get(name, str))
        if name in descriptions:
            prop["description"] = descriptions[name]
        if parameter.default is inspect.Parameter.empty:
            required.append(name)
        else:
            prop["default"] = parameter.default
        properties[name] = prop
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _json_type(hint: Any) -> dict[str, Any]:
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [_json_type(a) for a in args if a is not type(None)]
        nullable = type(None) in args
        merged: dict[str, Any] = {k: v for m in members for k, v in m.items() if k != "type"}
        kinds = sorted({m["type"] for m in members} | ({"null"} if nullable else set()))
        return {"type": kinds, **merged}
    if typing.get_origin(hint) is typing.Literal:
        return {"type": "string", "enum": list(args)}
    if hint is dict or typing.get_origin(hint) is dict:
        return {"type": "object"}
    if typing.get_origin(hint) in (list, tuple):
        return {"type": "array", "items": _json_type(args[0]) if args else {}}
    return {"type": _JSON_TYPES.get(hint, "string")}


def _parameter_descriptions(docstring: str) -> dict[str, str]:
    """'name : type' lines of a numpydoc Parameters section, each with the indented text under it."""
    found: dict[str, str] = {}
    current: str | None = None
    for line in docstring.splitlines():
        match = re.match(r"^(\w+)\s*:", line)
        if match:
            current = match.group(1)
            found[current] = ""
        elif current and line.startswith((" ", "\t")) and line.strip():
            found[current] = (found[current] + " " + line.strip()).strip()
        elif not line.strip():
            current = None
    return found


def base_metadata_schema() -> dict[str, Any]:
    """NWBFile and Subject, as in NeuroConv; `session_start_time` and a Subject are required, never invented."""
    text = {"type": "string"}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Metadata",
        "type": "object",
        "required": ["NWBFile", "Subject"],  # no Subject is a CRITICAL nwbinspector finding (and DANDI's)
        "properties": {
            "NWBFile": {
                "type": "object",
                "required": ["session_start_time"],
                "additionalProperties": False,
                "properties": {
                    "session_description": text,
                    "identifier": text,
                    "session_start_time": {"type": "string", "format": "date-time"},
                    "timestamps_reference_time": {"type": "string", "format": "date-time"},
                    "experimenter": {"type": "array", "items": text},
                    "experiment_description": text,
                    "session_id": text,
                    "institution": text,
                    "lab": text,
                    "keywords": {"type": "array", "items": text},
                    "notes": text,
                    "pharmacology": text,
                    "protocol": text,
                    "related_publications": {"type": "array", "items": text},
                    "slices": text,
                    "source_script": text,
                    "source_script_file_name": text,
                    "data_collection": text,
                    "surgery": text,
                    "virus": text,
                    "stimulus_notes": text,
                },
            },
            "Subject": {
                "type": "object",
                # nwbinspector reports a Subject without sex, or without both age and date_of_birth, as CRITICAL.
                "required": ["subject_id", "sex"],
                "anyOf": [{"required": ["age"]}, {"required": ["date_of_birth"]}],
                "additionalProperties": False,
                "properties": {
                    "subject_id": text,
                    "species": text,
                    "sex": {"type": "string", "enum": ["M", "F", "U", "O"]},
                    "age": {
                        "type": "string",
                        "pattern": "^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?(/.*)?$",
                    },
                    "date_of_birth": {"type": "string", "format": "date-time"},
                    "description": text,
                    "genotype": text,
                    "strain": text,
                    "weight": text,
                },
            },
        },
    }
