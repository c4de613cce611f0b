"""ImagingPlanes (with their OpticalChannels and Device) built from metadata, shared by name.

Metadata follows NeuroConv 0.10's dict layout: a series or segmentation entry names its plane with
`imaging_plane_metadata_key` (a key of `Ophys.ImagingPlanes`). The plane's `device_metadata_key` (a key of the
top-level `Devices`) arrives folded by dict_layout into `device: <name>` and an `Ophys.Device` entry, as the
list layout writes it. What NWB requires and the metadata does not say gets NeuroConv's
placeholders (plane "ImagingPlane", device "PlaceholderMicroscope", indicator and location "unknown",
wavelengths NaN), so the same spec gives the same file with either tool.
"""

from __future__ import annotations

import math
from typing import Any

from nwbstream.v1 import modality_pb2 as pb
from pynwb.ophys import ImagingPlane, OpticalChannel

from ..errors import ConversionError
from .context import WriteContext, link_of
from .devices import add_device

PLANE_DEFAULTS: dict[str, Any] = {
    "name": "ImagingPlane",
    "excitation_lambda": math.nan,
    "indicator": "unknown",
    "location": "unknown",
}
CHANNEL_DEFAULTS: dict[str, Any] = {
    "name": "OpticalChannel",
    "emission_lambda": math.nan,
    "description": "An optical channel of the microscope.",
}
PLACEHOLDER_DEVICE = {"name": "PlaceholderMicroscope"}
PLANE_FIELDS = {
    "name",
    "description",
    "excitation_lambda",
    "indicator",
    "location",
    "imaging_rate",
    "manifold",
    "conversion",
    "unit",
    "reference_frame",
    "origin_coords",
    "origin_coords_unit",
    "grid_spacing",
    "grid_spacing_unit",
}


def imaging_plane_for(ctx: WriteContext, obj: pb.NwbObject) -> ImagingPlane:
    """The plane `obj`'s metadata entry names (else the plane its link names, else the placeholder)."""
    key = ctx.entry(obj.metadata_key).get("imaging_plane_metadata_key")
    if key is None:
        link = link_of(obj, "imaging_plane")
        entry = ctx.entry(link.metadata_key) if link is not None else {}
    else:
        entry = ctx.entry(f"Ophys/ImagingPlanes/{key}")
    return imaging_plane(ctx, entry)


def imaging_plane(ctx: WriteContext, entry: dict[str, Any]) -> ImagingPlane:
    fields = {**PLANE_DEFAULTS, **{k: v for k, v in entry.items() if k in PLANE_FIELDS and v is not None}}
    if fields["name"] in ctx.nwbfile.imaging_planes:
        return ctx.nwbfile.imaging_planes[fields["name"]]
    channels = entry.get("optical_channel") or [{}]
    defaults = CHANNEL_DEFAULTS if len(channels) == 1 else {k: v for k, v in CHANNEL_DEFAULTS.items() if k != "name"}
    fields["optical_channel"] = [OpticalChannel(**{**defaults, **channel}) for channel in channels]
    fields["device"] = add_device(ctx.nwbfile, _device(ctx, entry))
    plane = ImagingPlane(**fields)
    ctx.nwbfile.add_imaging_plane(plane)
    return plane


def _device(ctx: WriteContext, plane: dict[str, Any]) -> dict[str, Any]:
    name = plane.get("device")
    if name is None:
        return PLACEHOLDER_DEVICE
    for device in ctx.metadata.get("Ophys", {}).get("Device", []):
        if device.get("name") == name:
            return device
    raise ConversionError(f"metadata Ophys/ImagingPlanes: device {name!r} is not an Ophys/Device entry")
