"""TwoPhotonSeries and OnePhotonSeries: frames x height x width [x planes], on an ImagingPlane from metadata."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb.ophys import OnePhotonSeries, TwoPhotonSeries

from ..errors import ConversionError
from .context import WriteContext
from .imaging_planes import imaging_plane_for
from .registry import Contribution, Written, writes
from .series import plan_of, series_datasets, timing_arguments

TYPES = {"TwoPhotonSeries": TwoPhotonSeries, "OnePhotonSeries": OnePhotonSeries}
SERIES_FIELDS = {"name", "description", "comments", "unit", "conversion", "offset", "resolution", "dimension"}
SERIES_FIELDS |= {"field_of_view", "pmt_gain", "scan_line_rate", "exposure_time", "binning", "power", "intensity"}


@writes(pb.NWB_KIND_PHOTON_SERIES)
def add_photon_series(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    series_type = TYPES.get(obj.neurodata_type or "TwoPhotonSeries")
    if series_type is None:
        raise ConversionError(f"{obj.name}: neurodata_type {obj.neurodata_type!r} is not one of {sorted(TYPES)}")
    entry = ctx.entry(obj.metadata_key)
    frame_shape = [int(n) for n in plan_of(obj, "data").shape[1:]]
    fields = {
        "name": obj.name,
        "unit": "n.a.",
        "dimension": frame_shape,  # NeuroConv writes the frame's (rows, columns[, planes])
        **{key: value for key, value in entry.items() if key in SERIES_FIELDS},
    }
    series = series_type(
        **fields,
        data=contribution.data["data"],
        imaging_plane=imaging_plane_for(ctx, obj),
        **timing_arguments(obj, contribution.data),
    )
    ctx.place(series, obj.placement or "acquisition", metadata_key=obj.metadata_key)
    return Written(series, series_datasets(series, obj))
