"""A plain TimeSeries: analog channels, voltage recordings, any trace without a more specific kind."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb import TimeSeries

from .context import WriteContext
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

SERIES_FIELDS = {"name", "description", "comments", "unit", "conversion", "offset", "resolution", "continuity"}


@writes(pb.NWB_KIND_TIME_SERIES)
def add_time_series(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    series = TimeSeries(
        **{"name": obj.name, "unit": "n.a.", **{k: v for k, v in entry.items() if k in SERIES_FIELDS}},
        data=contribution.data["data"],
        **timing_arguments(obj, contribution.data),
    )
    ctx.place(series, obj.placement or "acquisition", metadata_key=obj.metadata_key)
    return Written(series, series_datasets(series, obj))
