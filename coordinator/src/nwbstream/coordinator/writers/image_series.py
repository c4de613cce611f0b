"""An ImageSeries: frames embedded (a `data` bulk dataset, (T, H, W, 3)) or video files linked (`external_file`,
`starting_frame`, `num_samples` in attributes_json, format "external"), with the camera that recorded them.

Fields come from the metadata entry at `metadata_key` (a dict entry, or item `metadata_index` of a list, as
NeuroConv's MiniscopeBehavior keeps them). The entry names its camera in `device`; the camera is that section's
`Device` entry of that name (a top-level `Devices` entry referred to by `device_metadata_key` lands there), of the
class `attributes_json["device_type"]` names when the service knows it (a Miniscope).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nwbstream.v1 import modality_pb2 as pb
from pynwb.device import Device
from pynwb.image import ImageSeries

from ..errors import ConversionError
from .context import WriteContext
from .devices import add_device
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

SERIES_FIELDS = {"name", "description", "comments", "unit", "resolution", "dimension", "offset", "bits_per_pixel"}
EXTERNAL_FIELDS = ("format", "external_file", "starting_frame")


@writes(pb.NWB_KIND_IMAGE_SERIES)
def add_image_series(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    entry = metadata_entry(ctx, obj, attributes)
    fields: dict[str, Any] = {"name": obj.name, **{k: v for k, v in entry.items() if k in SERIES_FIELDS}}
    timing = timing_arguments(obj, contribution.data)
    if "data" in contribution.data:
        fields["data"] = contribution.data["data"]
    else:
        fields |= {key: attributes[key] for key in EXTERNAL_FIELDS if key in attributes}
        if "rate" in timing:  # pynwb needs the frame count of a rate-timed external series
            fields["num_samples"] = attributes.get("num_samples")
    if entry.get("device"):
        fields["device"] = _camera(ctx, obj, entry["device"], attributes.get("device_type"))
    series = ImageSeries(**fields, **timing)
    ctx.place(series, obj.placement or "acquisition", metadata_key=obj.metadata_key)
    return Written(series, _held(series, obj, embedded="data" in contribution.data))


def metadata_entry(ctx: WriteContext, obj: pb.NwbObject, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The entry at the object's key: a dict, or item `metadata_index` of a list of entries."""
    node: Any = ctx.metadata
    for part in obj.metadata_key.split("/") if obj.metadata_key else []:
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    if isinstance(node, list):
        index = int(attributes.get("metadata_index", 0))
        if index >= len(node):
            raise ConversionError(f"{obj.name}: metadata {obj.metadata_key} has no entry {index}")
        node = node[index]
    return dict(node) if isinstance(node, Mapping) else {}


def _camera(ctx: WriteContext, obj: pb.NwbObject, name: str, device_type: str | None) -> Device:
    section = obj.metadata_key.split("/")[0]
    listed = [d for d in ctx.entry(section).get("Device", []) if isinstance(d, Mapping) and d.get("name") == name]
    if not listed:
        if name in ctx.nwbfile.devices:
            return ctx.nwbfile.devices[name]
        raise ConversionError(f"{obj.name}: metadata {obj.metadata_key} names device {name!r}, not in {section}/Device")
    entry = dict(listed[0])
    if device_type:
        entry["type"] = device_type
        region = entry.get("ROI")
        if isinstance(region, Mapping):  # a Miniscope's metaData.json gives its frame as a dict; NWB as [h, w]
            entry["ROI"] = [region["height"], region["width"]]
    return add_device(ctx.nwbfile, entry)


def _held(series: ImageSeries, obj: pb.NwbObject, embedded: bool) -> dict[str, tuple]:
    """Its frames when embedded, its timestamps when sent as a bulk dataset."""
    held = series_datasets(series, obj)
    if not embedded:
        held.pop("data")
    return held
