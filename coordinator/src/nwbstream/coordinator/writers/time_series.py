"""A TimeSeries family member: plain traces (analog channels, voltage recordings), SpatialSeries (position,
head direction, ball motion) and IntervalSeries (on/off epochs), alone or in a behavior container.

The object's `neurodata_type` picks the class (default TimeSeries). Its placement may name a holder,
"processing/behavior/Position": the holder is made of the type `attributes_json["holder_type"]` says, else the type
its name says (Position, CompassDirection, BehavioralEpochs, ... as NeuroConv names them). A `timestamps` link
shares another series' timestamps (an NWB link, as NeuroConv writes a heading beside its position);
`attributes_json["metadata_fields"]` maps series fields to the keys its metadata entry gives them under, for
NeuroConv layouts where one entry describes several series (`position_name`, `angle_reference_frame`);
`attributes_json["device_metadata_key"]` names a top-level `Devices` entry to write too (NeuroConv's NIDQ board: a
device no series links to, as TimeSeries have no device).
"""

from __future__ import annotations

import json

from nwbstream.v1 import modality_pb2 as pb
from pynwb import TimeSeries, behavior
from pynwb.misc import IntervalSeries

from ..errors import ConversionError
from .context import WriteContext, link_of
from .registry import Contribution, Written, writes
from .series import segment_name, series_datasets, timing_arguments
from .typed_devices import typed_device

SERIES_FIELDS = {"name", "description", "comments", "unit", "conversion", "offset", "resolution", "continuity"}
SERIES_TYPES = {
    "TimeSeries": (TimeSeries, SERIES_FIELDS),
    "SpatialSeries": (behavior.SpatialSeries, SERIES_FIELDS | {"reference_frame"}),
    "IntervalSeries": (IntervalSeries, SERIES_FIELDS - {"unit", "conversion", "offset", "resolution"}),
}
HOLDER_TYPES = {
    cls.__name__: cls
    for cls in (
        behavior.Position,
        behavior.CompassDirection,
        behavior.BehavioralEpochs,
        behavior.BehavioralEvents,
        behavior.BehavioralTimeSeries,
        behavior.PupilTracking,
        behavior.EyeTracking,
    )
}


@writes(pb.NWB_KIND_TIME_SERIES)
def add_time_series(ctx: WriteContext, contribution: Contribution) -> Written:
    """Fields come from the object's attributes, then its metadata entry (the user's word wins)."""
    obj = contribution.obj
    if (obj.neurodata_type or "TimeSeries") not in SERIES_TYPES:
        raise ConversionError(f"{obj.name}: {obj.neurodata_type} is not a TimeSeries type nwbstream writes")
    cls, fields = SERIES_TYPES[obj.neurodata_type or "TimeSeries"]
    attributes = json.loads(obj.attributes_json or "{}")
    given = {**attributes, **entry_fields(ctx.entry(obj.metadata_key), attributes.get("metadata_fields"))}
    if "name" in given:
        given["name"] = segment_name(given["name"], attributes)
    defaults = {"name": obj.name} if cls is IntervalSeries else {"name": obj.name, "unit": "n.a."}
    timing = (
        {"timestamps": ctx.linked_object(contribution.source, obj, "timestamps")}
        if link_of(obj, "timestamps") is not None
        else timing_arguments(obj, contribution.data)
    )
    series = cls(
        **{**defaults, **{k: v for k, v in given.items() if k in fields}},
        data=contribution.data["data"],
        **timing,
    )
    if attributes.get("device_metadata_key"):  # a board NeuroConv writes beside its series, linked from nothing
        typed_device(ctx.nwbfile, ctx.metadata, attributes["device_metadata_key"])
    placement = obj.placement or "acquisition"
    holder_type = HOLDER_TYPES.get(attributes.get("holder_type", holder_name(placement)))
    ctx.place(series, placement, holder_type=holder_type, metadata_key=obj.metadata_key)
    return Written(series, series_datasets(series, obj))


def holder_name(placement: str) -> str:
    """The container a placement ends in ("acquisition/NvtPosition", "processing/behavior/Position"), else ""."""
    parts = placement.split("/")
    held = (parts[0] == "acquisition" and len(parts) == 2) or (parts[0] == "processing" and len(parts) == 3)
    return parts[-1] if held else ""


def entry_fields(entry: dict, keys: dict[str, str] | None) -> dict:
    """The series fields a metadata entry gives: the entry itself, or its keys renamed by `metadata_fields`."""
    if not keys:
        return entry
    return {field: entry[key] for field, key in keys.items() if key in entry}
