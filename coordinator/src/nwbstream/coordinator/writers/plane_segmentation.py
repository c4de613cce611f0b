"""PlaneSegmentation: one row per ROI, with image masks (a bulk column) or pixel/voxel masks (ragged records)."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb.ophys import ImageSegmentation, PlaneSegmentation

from .context import WriteContext
from .imaging_planes import imaging_plane_for
from .registry import Contribution, Written, writes
from .tables import row_ids, table_vectors


@writes(pb.NWB_KIND_PLANE_SEGMENTATION)
def add_plane_segmentation(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    table = obj.tables[0]
    vectors, bulk = table_vectors(table, contribution.data)
    segmentation = PlaneSegmentation(
        name=entry.get("name", obj.name),
        description=entry.get("description", "Segmented ROIs"),
        imaging_plane=imaging_plane_for(ctx, obj),
        columns=vectors,
        id=row_ids(table),
    )
    ctx.place(
        segmentation,
        obj.placement or "processing/ophys/ImageSegmentation",
        ImageSegmentation,
        metadata_key=obj.metadata_key,
    )
    return Written(segmentation, {name: (vector, "") for name, vector in bulk.items()})
