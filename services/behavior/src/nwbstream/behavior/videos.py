"""What the video interfaces share: NeuroConv's names and metadata for a camera and its ImageSeries, and the
NWB object that links or embeds the frames.

NeuroConv 0.10.2 keys a video by `metadata_key` (default `video_<stem of the first file>`), names its series
`Video <stem>` and its camera `Video <stem> Camera Device` (a top-level `Devices` entry under `<key>_camera`), and
writes rate + start from the first file's header (OpenCV's fps, from 0 s) unless told the times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.service import DatasetSpec, Kind, NwbObjectSpec, Timing
from nwbstream.service.schemas import base_metadata_schema

VIDEO_SUFFIXES = (".mp4", ".avi", ".wmv", ".mov", ".flv", ".mkv")
_OPEN = {"type": "object"}


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
    attributes: dict[str, Any] | None = None,
) -> NwbObjectSpec:
    """One ImageSeries: embedded `frames` (T, H, W, 3), or `external_files` with their starting frames; timed by
    `rate` from 0 s, or by `timestamps` when given."""
    given = dict(attributes or {})
    if external_files is not None:
        given |= {"format": "external", "external_file": external_files, "num_samples": num_samples}
        if starting_frames is not None:
            given["starting_frame"] = starting_frames
    datasets = [d for d in (frames, timestamps) if d is not None]
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
