"""What the video interfaces share: NeuroConv's names and metadata for a camera and its ImageSeries, and the
NWB object that links or embeds the frames.

NeuroConv 0.10.2 keys a video by `metadata_key` (default `video_<stem of the first file>`), names its series
`Video <stem>` and its camera `Video <stem> Camera Device` (a top-level `Devices` entry under `<key>_camera`), and
writes rate + start from the first file's header (OpenCV's fps, from 0 s) unless told the times. Its conversion
option `always_write_timestamps` writes each frame's presentation time instead: every video series offers those as a
dataset (`FrameTimes`), decoded only if the coordinator pulls it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import DatasetSpec, Kind, NwbObjectSpec, SourceError, Timing
from nwbstream.service.chunks import Selection
from nwbstream.service.schemas import base_metadata_schema

from .video_file import VideoFile

VIDEO_SUFFIXES = (".mp4", ".avi", ".wmv", ".mov", ".flv", ".mkv")
FRAME_TIMES = "timestamps"  # the offered dataset, named for the ImageSeries field it fills


class VideoNames:
    """The key, series name and camera of one video source, as NeuroConv derives them from its first file."""

    def __init__(self, first_file: Path, metadata_key: str | None, video_name: str | None) -> None:
        self.metadata_key = metadata_key or f"video_{first_file.stem}"
        self.series_name = video_name or f"Video {first_file.stem}"
        self.device_key = f"{self.metadata_key}_camera"
        self.device_name = f"{self.series_name} Camera Device"

    def metadata(self, section: str) -> dict[str, Any]:
        """NeuroConv's get_metadata(): the camera in `Devices`, the series entry in `Behavior/<section>`."""
        return {
            "NWBFile": {},
            "Devices": {self.device_key: {"name": self.device_name, "description": "Video camera used for recording."}},
            "Behavior": {
                section: {
                    self.metadata_key: {
                        "name": self.series_name,
                        "description": "Video recorded by camera.",
                        "unit": "Frames",
                        "device_metadata_key": self.device_key,
                    }
                }
            },
        }


class FrameTimes:
    """The presentation time of each frame of video files played one after another, each file's from its own 0 s
    (NeuroConv concatenates them so), decoded on the first read only: finding them means decoding every frame."""

    def __init__(self, files: list[tuple[Path, int]]) -> None:
        """`files`: each video with the number of frames the series holds from it."""
        self.files = files
        self._values: np.ndarray | None = None
        self._decoding = threading.Lock()  # chunks are read on a pool: decode once

    def plan(self) -> DatasetSpec:
        return DatasetSpec(FRAME_TIMES, np.dtype("<f8"), (sum(count for _, count in self.files),), time_valued=True)

    def read(self, selection: Selection) -> np.ndarray:
        with self._decoding:
            if self._values is None:
                self._values = np.concatenate([_decoded_times(path, count) for path, count in self.files])
        return self._values[selection]


def _decoded_times(path: Path, count: int) -> np.ndarray:
    """The first `count` frames' times, from a decoder of its own (the frames' decoder keeps its position)."""
    with VideoFile(path) as video:
        times = video.timestamps(max_frames=count)
    if len(times) != count:
        raise SourceError(
            f"{path}: {len(times)} frames decode where the series holds {count} (the header's frame count): "
            "no time for every frame (file truncated or damaged?)"
        )
    return times


def behavior_metadata_schema() -> dict[str, Any]:
    """NWBFile, Subject, the device registries and an open `Behavior` section (its entries are pynwb's fields)."""
    schema = base_metadata_schema()
    for name in ("Devices", "DeviceModels", "Behavior"):
        schema["properties"][name] = {"type": "object", "additionalProperties": True}
    return schema


def image_series(
    name: str,
    metadata_key: str,
    rate: float,
    *,
    frames: DatasetSpec | None = None,
    external_files: list[str] | None = None,
    starting_frames: list[int] | None = None,
    num_samples: int = 0,
    timestamps: DatasetSpec | None = None,
    frame_times: FrameTimes | None = None,
    attributes: dict[str, Any] | None = None,
) -> NwbObjectSpec:
    """One ImageSeries: embedded `frames` (T, H, W, 3), or `external_files` with their starting frames; timed by
    `rate` from 0 s, or by `timestamps` when given. `frame_times` is offered beside the rate (attributes name it
    `frame_times_dataset`): the coordinator times the series by it or drops it, as the conversion options say."""
    given = dict(attributes or {})
    if external_files is not None:
        given |= {"format": "external", "external_file": external_files, "num_samples": num_samples}
        if starting_frames is not None:
            given["starting_frame"] = starting_frames
    offered = frame_times.plan() if frame_times is not None else None
    if offered is not None:
        given["frame_times_dataset"] = offered.name
    datasets = [d for d in (frames, timestamps, offered) if d is not None]
    timing = Timing(timestamps_dataset=timestamps.name) if timestamps is not None else Timing(rate=rate)
    return NwbObjectSpec(
        kind=Kind.IMAGE_SERIES,
        name=name,
        metadata_key=metadata_key,
        timing=timing,
        datasets=datasets,
        attributes=given,
        placement="acquisition",
    )
