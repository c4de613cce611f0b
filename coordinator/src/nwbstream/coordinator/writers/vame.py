"""A VAME project (ndx-vame): the VAMEProject group, then its latent-space, motif and community series in it.

The project's entry (`Behavior/Vame/VameProjects/<key>`) gives its `name` and may give
`pose_estimation_metadata_key`, a `Pose/PoseEstimations` entry whose PoseEstimation (already in the file) the
project links to. A series' entry (`Behavior/Vame/<MotifSeries|CommunitySeries|LatentSpaceSeries>/<key>`) gives
its `name`, `description` and `algorithm`; its links name its project and the series it derives from.
"""

from __future__ import annotations

import json

from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext, link_of
from .ethogram import upstream_object
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

PROJECT_FIELDS = ("vame_config", "time_window_samples", "vame_version")
SERIES_FIELDS = {"name", "description", "comments", "algorithm"}
# Each series type, the project method that takes it, and the link it carries to the series it derives from.
SERIES_TYPES = {
    "LatentSpaceSeries": (None, ""),
    "MotifSeries": ("add_motif_series", "latent_space_series"),
    "CommunitySeries": ("add_community_series", "motif_series"),
}


@writes(pb.NWB_KIND_VAME_PROJECT)
def add_vame_project(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_vame import VAMEProject

    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    project = VAMEProject(
        name=ctx.entry(obj.metadata_key).get("name") or obj.name,
        **{field: attributes[field] for field in PROJECT_FIELDS},
    )
    pose = upstream_object(
        ctx, obj.metadata_key, "pose_estimation_metadata_key", ("Pose/PoseEstimations",), "PoseEstimation"
    )
    if pose is not None:
        project.pose_estimation = pose
    ctx.place(project, obj.placement or "processing/behavior", metadata_key=obj.metadata_key)
    return Written(project)


@writes(pb.NWB_KIND_VAME_SERIES)
def add_vame_series(ctx: WriteContext, contribution: Contribution) -> Written:
    import ndx_vame

    obj = contribution.obj
    if obj.neurodata_type not in SERIES_TYPES:
        raise ConversionError(f"{obj.name}: {obj.neurodata_type!r} is not an ndx-vame series type")
    add_to_project, derived_from = SERIES_TYPES[obj.neurodata_type]
    given = {**json.loads(obj.attributes_json or "{}"), **ctx.entry(obj.metadata_key)}
    fields = {"name": obj.name, **{k: v for k, v in given.items() if k in SERIES_FIELDS and v is not None}}
    if derived_from and link_of(obj, derived_from) is not None:
        fields[derived_from] = ctx.linked_object(contribution.source, obj, derived_from)
    series = getattr(ndx_vame, obj.neurodata_type)(
        data=contribution.data["data"], **fields, **timing_arguments(obj, contribution.data)
    )
    project = ctx.linked_object(contribution.source, obj, "project")
    if add_to_project is None:
        project.latent_space_series = series
    else:
        getattr(project, add_to_project)(series)
    return Written(series, series_datasets(series, obj))
