"""The base every icephys interface shares: describe one recordings object, read its bulk datasets, and the
Icephys part of the metadata schema (NeuroConv 0.10's registries and the legacy ABF lists)."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, NwbObjectSpec, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.schemas import base_metadata_schema

from .recordings import RecordingsObject

_TEXT = {"type": "string"}
_ENTRY = {"type": "object", "properties": {"name": _TEXT, "description": _TEXT}}
_REGISTRY = {"type": "object", "additionalProperties": _ENTRY}
_LIST = {"type": "array", "items": _ENTRY}


def icephys_metadata_schema() -> dict[str, Any]:
    """NWBFile, Subject, top-level Devices, the Icephys registries and lists, and DANDI's icephys lab metadata."""
    schema = base_metadata_schema()
    schema["properties"]["Devices"] = _REGISTRY
    schema["properties"]["Icephys"] = {
        "type": "object",
        "properties": {
            "IntracellularElectrodes": _REGISTRY,
            "PatchClampSeries": _REGISTRY,
            "PatchClampStimulusSeries": _REGISTRY,
            "Device": _LIST,
            "Electrodes": _LIST,
            "Sessions": _LIST,
        },
    }
    schema["properties"]["ndx-dandi-icephys"] = {
        "type": "object",
        "properties": {
            name: {"type": ["string", "null"]} for name in ("cell_id", "slice_id", "targeted_layer", "inferred_layer")
        },
    }
    return schema


def check_files(paths: list[Path], interface: str) -> None:
    """Every file of a `file_paths` argument exists and is a file (BaseDataInterface checks `file_path` only)."""
    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file (source of {interface})", not_found=True)
        if not path.is_file():
            raise SourceError(f"{path}: is not a file (source of {interface})")


class BaseIcephysInterface(BaseDataInterface):
    """One run of patch-clamp sweeps (one ABF file's channel, several ABF files, Bruker cycles) as one
    NWB_KIND_INTRACELLULAR_RECORDINGS object."""

    _recordings: RecordingsObject | None = None

    @abstractmethod
    def recordings(self, stub: bool) -> RecordingsObject:
        """The series, electrodes and rows this source contributes (stub: the first sweep of each run)."""

    def get_metadata_schema(self) -> dict[str, Any]:
        return icephys_metadata_schema()

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        self._recordings = self.recordings(stub)
        return [self._recordings.describe()]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if self._recordings is None:
            raise SourceError(f"{object_name}: read before describe")
        return self._recordings.read(dataset_name, selection)
