"""GuppyDerivedResponseSeries (ndx-guppy): a trace GuPPy derived (control fit, dF/F, z-score) on its recording
site's row of the recording-sites table, in GuPPy's processing module."""

from __future__ import annotations

import json

from hdmf.common import DynamicTableRegion
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext, link_of
from .guppy_module import guppy_module
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

SERIES_FIELDS = {"name", "description", "comments"}


@writes(pb.NWB_KIND_GUPPY_DERIVED_RESPONSE_SERIES)
def add_guppy_derived_response_series(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_guppy import GuppyDerivedResponseSeries

    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    attributes = json.loads(obj.attributes_json or "{}")
    if "trace_type" not in attributes:
        raise ConversionError(f"{obj.name}: no trace_type (control_fit, dff, z_score) in its attributes")
    sites = ctx.linked_object(contribution.source, obj, "recording_site")
    link = link_of(obj, "recording_site")
    series = GuppyDerivedResponseSeries(
        **{"name": obj.name, **{key: value for key, value in entry.items() if key in SERIES_FIELDS}},
        unit=attributes.get("unit", "n.a."),
        trace_type=attributes["trace_type"],
        data=contribution.data["data"],
        recording_site=DynamicTableRegion(
            name="recording_site",
            data=[int(row) for row in link.rows],
            description="GuPPy recording_site(s) this object was computed from.",
            table=sites,
        ),
        **timing_arguments(obj, contribution.data),
    )
    guppy_module(ctx, obj).add(series)
    return Written(series, series_datasets(series, obj))
