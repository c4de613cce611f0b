"""An ndx-pose PoseEstimation in processing/behavior, as NeuroConv 0.10.2's pose writer makes it.

Everything but the keypoint values comes from the metadata entry (`Pose/PoseEstimations/<key>`): the container's
name and fields, one series entry per keypoint, the skeleton it names by `skeleton_metadata_key` (Skeletons
container, shared by name) and its camera (a `Devices` entry, by `device_metadata_key`). Series fields ndx-pose
defaults are passed only when the entry gives them. Times: the object's rate or timestamps (later series link to
the first one's), else the entry's `rate` (a source that records no frame times, such as predictions converted
without their video)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext
from .devices import add_device
from .registry import Contribution, Written, writes

CONTAINER_FIELDS = ("description", "source_software", "source_software_version", "scorer")
VIDEO_PATH_FIELDS = ("original_videos", "labeled_videos")
VIDEO_LINKS = {"source_video_metadata_key": "source_video", "labeled_video_metadata_key": "labeled_video"}


@writes(pb.NWB_KIND_POSE_ESTIMATION)
def add_pose_estimation(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_pose import PoseEstimation

    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    all_series, held = _keypoint_series(obj, entry, contribution.data)
    fields: dict[str, Any] = {f: entry[f] for f in (*CONTAINER_FIELDS, *VIDEO_PATH_FIELDS) if entry.get(f) is not None}
    if entry.get("dimensions") is not None:
        fields["dimensions"] = np.asarray(entry["dimensions"], dtype="uint16")
    for key_field, link_field in VIDEO_LINKS.items():
        if entry.get(key_field) is not None:
            fields[link_field] = _video(ctx, entry[key_field], key_field)
    device = _device(ctx, obj, entry)
    skeleton = _skeleton(ctx, obj, entry)
    with warnings.catch_warnings():  # ndx-pose asks for one camera per video path; no pose format records one
        warnings.filterwarnings("ignore", message=".*must equal the number of camera devices.*")
        pose = PoseEstimation(
            name=entry.get("name") or obj.name,
            pose_estimation_series=all_series,
            skeleton=skeleton,
            devices=[device] if device is not None else None,
            **fields,
        )
    ctx.place(pose, "processing/behavior", metadata_key=obj.metadata_key)
    if skeleton is not None:
        _add_skeleton(ctx, skeleton)
    return Written(pose, held)


def _keypoint_series(obj: pb.NwbObject, entry: dict[str, Any], data: dict[str, Any]) -> tuple[list, dict]:
    """One PoseEstimationSeries per keypoint, in the object's order, and which series holds each bulk dataset."""
    from ndx_pose import PoseEstimationSeries

    timing = _timing(obj, entry, data)
    series_entries = entry.get("PoseEstimationSeries") or {}
    all_series, held = [], {}
    for keypoint in json.loads(obj.attributes_json or "{}").get("keypoints") or []:
        series_entry = series_entries.get(keypoint) or {}
        arguments: dict[str, Any] = {
            **timing,
            "name": series_entry.get("name") or f"PoseEstimationSeries{keypoint}",
            "description": series_entry.get("description") or f"Pose estimation series for {keypoint}.",
            "data": data[f"{keypoint}/data"],
            "reference_frame": series_entry.get("reference_frame") or "unknown",
        }
        if f"{keypoint}/confidence" in data:
            arguments["confidence"] = data[f"{keypoint}/confidence"]
        arguments |= {f: series_entry[f] for f in ("unit", "confidence_definition") if series_entry.get(f) is not None}
        series = PoseEstimationSeries(**arguments)
        held[f"{keypoint}/data"] = (series, "data")
        if "confidence" in arguments:
            held[f"{keypoint}/confidence"] = (series, "confidence")
        if "timestamps" in timing and not all_series:
            held[obj.timing.timestamps_dataset] = (series, "timestamps")
            timing = {"timestamps": series}  # one vector, linked by the others (pynwb's idiom, as NeuroConv does)
        all_series.append(series)
    return all_series, held


def _timing(obj: pb.NwbObject, entry: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    if obj.timing.timestamps_dataset:
        return {"timestamps": data[obj.timing.timestamps_dataset]}
    if obj.timing.rate > 0:
        return {"rate": obj.timing.rate, "starting_time": obj.timing.starting_time}
    if entry.get("rate"):
        return {"rate": float(entry["rate"]), "starting_time": float(entry.get("starting_time") or 0.0)}
    raise ConversionError(
        f"{obj.name}: its source records no frame times; give the frame rate in Hz as metadata {obj.metadata_key}/rate "
        "(or the interface's frame-rate argument, or its video)"
    )


def _device(ctx: WriteContext, obj: pb.NwbObject, entry: dict[str, Any]):
    """The camera: the `Pose.Device` entry the container names (metadata merging turns the entry's
    `device_metadata_key` into `device`, the name, and moves the top-level `Devices` entry there)."""
    if entry.get("device") is None:
        return None
    listed = [d for d in ctx.entry("Pose").get("Device") or [] if d.get("name") == entry["device"]]
    if not listed:
        raise ConversionError(f"{obj.name}: metadata {obj.metadata_key}/device names no device {entry['device']!r}")
    return add_device(ctx.nwbfile, listed[0])


def _skeleton(ctx: WriteContext, obj: pb.NwbObject, entry: dict[str, Any]):
    """The skeleton the entry names, already in the file by name or made now (linked to the file's subject when
    its `subject` is none or the subject's id, as NeuroConv links it)."""
    from ndx_pose import Skeleton

    key = entry.get("skeleton_metadata_key")
    if key is None:
        return None
    skeleton_entry = ctx.entry("Pose/Skeletons").get(key)
    if not skeleton_entry:
        raise ConversionError(f"{obj.name}: skeleton_metadata_key {key!r} is not in metadata Pose/Skeletons")
    behavior = ctx.nwbfile.processing.get("behavior")
    if behavior is not None and "Skeletons" in behavior.data_interfaces:
        existing = behavior["Skeletons"].skeletons.get(skeleton_entry["name"])
        if existing is not None:
            return existing
    subject = ctx.nwbfile.subject
    if subject is not None and skeleton_entry.get("subject") not in (None, subject.subject_id):
        subject = None
    edges = skeleton_entry.get("edges")
    return Skeleton(
        name=skeleton_entry["name"],
        nodes=list(skeleton_entry["nodes"]),
        edges=np.asarray(edges, dtype="uint16") if edges else None,
        subject=subject,
    )


def _add_skeleton(ctx: WriteContext, skeleton: Any) -> None:
    from ndx_pose import Skeletons

    behavior = ctx.module("behavior")
    if "Skeletons" not in behavior.data_interfaces:
        behavior.add(Skeletons(skeletons=[skeleton]))
    elif skeleton.name not in behavior["Skeletons"].skeletons:
        behavior["Skeletons"].add_skeletons(skeleton)


def _video(ctx: WriteContext, key: str, field: str):
    """The ImageSeries a video interface wrote, found by its `Behavior/ExternalVideos/<key>` entry's name."""
    name = ctx.entry(f"Behavior/ExternalVideos/{key}").get("name")
    if not name:
        raise ConversionError(f"metadata {field} {key!r} is not in Behavior/ExternalVideos")
    behavior = ctx.nwbfile.processing.get("behavior")
    for holder in (ctx.nwbfile.acquisition, behavior.data_interfaces if behavior is not None else {}):
        if name in holder:
            return holder[name]
    raise ConversionError(f"metadata {field} {key!r}: the ImageSeries {name!r} is not in the file (yet)")
