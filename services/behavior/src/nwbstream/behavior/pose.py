"""Any pose estimation source (DeepLabCut, SLEAP, Lightning Pose), described as one ndx-pose PoseEstimation.

A format reads its keypoints once (pose files hold a few values per frame and body part) and says when each frame
was taken; this base turns that into one NWB_KIND_POSE_ESTIMATION object: per keypoint a position dataset
`<keypoint>/data` (frames, 2|3) and a confidence dataset `<keypoint>/confidence` (frames,), streamed as chunks, and
the frame times as a rate when regular (NeuroConv's test), else one time per frame. The metadata is NeuroConv
0.10's dict layout: `Pose.Skeletons.<key>` and `Pose.PoseEstimations.<key>` cross-referenced by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Kind, NwbObjectSpec, SourceError, Timing
from nwbstream.service.chunks import Selection
from nwbstream.service.schemas import base_metadata_schema
from nwbstream.service.timing import regular_rate

STUB_FRAMES = 10  # NeuroConv's stub for Lightning Pose
TOP_LEFT_ORIGIN = (
    "(0,0) is the top-left pixel of the video frame, with x increasing to the right and y increasing downward."
)


@dataclass(frozen=True)
class Keypoints:
    """One individual's keypoints: names in series order, positions (frames, keypoints, 2|3) and confidence
    (frames, keypoints), or None when the format records none."""

    names: list[str]
    positions: np.ndarray
    confidence: np.ndarray | None

    @property
    def frame_count(self) -> int:
        return int(self.positions.shape[0])


class BasePoseEstimationInterface(BaseDataInterface):
    """Formats set `metadata_key` in `__init__`, implement `read_keypoints` and `frame_times`, and extend
    `get_metadata` with what their source records (names, scorer, software, edges, videos)."""

    container_name: ClassVar[str] = "PoseEstimation"
    metadata_key: str
    _keypoints: Keypoints | None = None
    _timestamps: np.ndarray | None = None

    def read_keypoints(self) -> Keypoints:
        raise NotImplementedError

    def frame_times(self, max_frames: int | None) -> np.ndarray | None:
        """The time of each frame in seconds (at most `max_frames`), or None when the source records none: the
        coordinator then takes the rate from the metadata (contract.md, NWB_KIND_POSE_ESTIMATION)."""
        raise NotImplementedError

    def _frame_times_once(self, max_frames: int | None) -> np.ndarray | None:
        """`frame_times`, kept: a video's times cost a pass over its frames, and a source is described more than
        once (whole and as a stub, at open and at conversion)."""
        kept: dict[int | None, np.ndarray | None] = vars(self).setdefault("_kept_frame_times", {})
        if max_frames not in kept:
            kept[max_frames] = self.frame_times(max_frames)
        return kept[max_frames]

    def keypoints(self) -> Keypoints:
        if self._keypoints is None:
            self._keypoints = self.read_keypoints()
        return self._keypoints

    def get_metadata(self) -> dict[str, Any]:
        """NeuroConv's generic entries: the skeleton of the keypoints and the container naming one series each."""
        names = self.keypoints().names
        return {
            "NWBFile": {},
            "Pose": {
                "Skeletons": {self.metadata_key: {"name": f"Skeleton{self.container_name}", "nodes": list(names)}},
                "PoseEstimations": {
                    self.metadata_key: {
                        "name": self.container_name,
                        "skeleton_metadata_key": self.metadata_key,
                        "PoseEstimationSeries": {name: {"name": f"PoseEstimationSeries{name}"} for name in names},
                    }
                },
            },
        }

    def get_metadata_schema(self) -> dict[str, Any]:
        schema = base_metadata_schema()
        for section in ("Pose", "Devices", "DeviceModels", "Behavior"):
            schema["properties"][section] = {"type": "object", "additionalProperties": True}
        return schema

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        keypoints = self.keypoints()
        frames = min(keypoints.frame_count, STUB_FRAMES) if stub else keypoints.frame_count
        datasets = []
        for name in keypoints.names:
            datasets.append(DatasetSpec(f"{name}/data", np.dtype("<f8"), (frames, keypoints.positions.shape[2])))
            if keypoints.confidence is not None:
                datasets.append(DatasetSpec(f"{name}/confidence", np.dtype("<f8"), (frames,)))
        timing = Timing()
        times = self._frame_times_once(STUB_FRAMES if stub else None)
        if times is not None:
            rate = regular_rate(times)
            if rate is not None:
                timing = Timing(rate=rate, starting_time=float(times[0]))
            elif len(times) != frames:
                raise SourceError(f"{self.source_data['file_path']}: {len(times)} frame times for {frames} frames")
            else:
                self._timestamps = np.asarray(times, dtype="<f8")
                timing = Timing(timestamps_dataset="timestamps")
                datasets.append(DatasetSpec("timestamps", np.dtype("<f8"), (frames,), time_valued=True))
        return [
            NwbObjectSpec(
                kind=Kind.POSE_ESTIMATION,
                name=self.container_name,
                metadata_key=f"Pose/PoseEstimations/{self.metadata_key}",
                timing=timing,
                datasets=datasets,
                attributes={"keypoints": keypoints.names},
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if dataset_name == "timestamps" and self._timestamps is not None:
            return self._timestamps[selection]
        keypoints = self.keypoints()
        name, field = dataset_name.rsplit("/", 1)
        index = keypoints.names.index(name)
        if field == "data":
            return np.asarray(keypoints.positions[:, index, :][selection], dtype="<f8")  # the chunk only
        if field == "confidence" and keypoints.confidence is not None:
            return np.asarray(keypoints.confidence[:, index][selection], dtype="<f8")
        raise KeyError(f"{object_name}/{dataset_name}: no such dataset")


def keypoint_columns(table: Any, names: list[str], coordinates: tuple[str, ...], source: Path) -> np.ndarray:
    """(frames, keypoints, len(coordinates)) float64 from a table whose columns are (keypoint, coordinate) pairs,
    the DeepLabCut layout Lightning Pose shares."""
    missing = sorted(set(coordinates) - set(table.columns.get_level_values(-1)))
    if missing:
        raise SourceError(f"{source}: no {', '.join(missing)} columns (labeled frames rather than predictions?)")
    return np.stack([table[name][list(coordinates)].to_numpy(dtype="float64") for name in names], axis=1)
