"""Metadata of an imaging interface whose files say what was imaged: the start time, the microscope, the plane
and the series, in NeuroConv 0.10's dict layout (the series names its plane by `metadata_key`, the plane its
device by a key of the top-level `Devices`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def microscope_metadata(
    metadata_key: str,
    plane: dict[str, Any],
    series: dict[str, Any],
    devices: dict[str, dict[str, Any]] | None = None,
    start: datetime | None = None,
) -> dict[str, Any]:
    """One plane and one series under `metadata_key`, the series pointing at the plane."""
    metadata: dict[str, Any] = {
        "NWBFile": {"session_start_time": start.isoformat()} if start is not None else {},
        "Ophys": {
            "ImagingPlanes": {metadata_key: plane},
            "MicroscopySeries": {metadata_key: {**series, "imaging_plane_metadata_key": metadata_key}},
        },
    }
    if devices:
        metadata["Devices"] = devices
    return metadata
