"""RoiResponseSeries (raw, neuropil, deconvolved, dF/F): frames x ROIs, on rows of a PlaneSegmentation."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb.ophys import DfOverF, Fluorescence, RoiResponseSeries

from ..errors import ConversionError
from .context import WriteContext, link_of
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

HOLDERS = {"Fluorescence": Fluorescence, "DfOverF": DfOverF}
SERIES_FIELDS = {"name", "description", "comments", "unit", "conversion", "offset", "resolution"}


@writes(pb.NWB_KIND_ROI_RESPONSE_SERIES)
def add_roi_response_series(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    segmentation = ctx.linked_object(contribution.source, obj, "rois")
    link = link_of(obj, "rois")
    rows = list(link.rows) if link is not None and link.rows else list(range(len(segmentation.id)))
    entry = ctx.entry(obj.metadata_key)
    series = RoiResponseSeries(
        **{"name": obj.name, "unit": "n.a.", **{k: v for k, v in entry.items() if k in SERIES_FIELDS}},
        data=contribution.data["data"],
        rois=segmentation.create_roi_table_region(f"The ROIs for {segmentation.imaging_plane.name}.", region=rows),
        **timing_arguments(obj, contribution.data),
    )
    placement = obj.placement or "processing/ophys/Fluorescence"
    holder = placement.rsplit("/", 1)[-1]
    if holder not in HOLDERS:
        raise ConversionError(f"{obj.name}: placement {placement!r} must end in one of {sorted(HOLDERS)}")
    ctx.place(series, placement, HOLDERS[holder], metadata_key=obj.metadata_key)
    return Written(series, series_datasets(series, obj))
