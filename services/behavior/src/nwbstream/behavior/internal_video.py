"""One video embedded in an ImageSeries: (frames, height, width, 3) uint8 RGB, decoded in order chunk by chunk
(never the whole video in memory); a chunk asked for out of order, as a resumed transfer asks, is sought to. Each
frame's time is offered for `always_write_timestamps`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Detection, FolderListing, NwbObjectSpec
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import GENERIC, claim_files

from .claims import videos
from .video_file import VideoFile
from .videos import FRAME_TIMES, VIDEO_SUFFIXES, FrameTimes, VideoNames, behavior_metadata_schema, image_series

STUB_FRAMES = 10  # NeuroConv's stub for a video


class InternalVideoInterface(BaseDataInterface):
    display_name = "Video"
    associated_suffixes = VIDEO_SUFFIXES
    info = "A video's frames decoded and stored in an ImageSeries, streamed chunk by chunk."
    differs_from_neuroconv = (
        "stub_test with always_write_timestamps writes the stub's frames with their times (NeuroConv 0.10.2 fails: "
        "it gives every frame's time beside the 10 frames, which pynwb refuses)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every video file, offered as embedded frames: linking (ExternalVideoInterface) is preferred."""
        return claim_files(cls.__name__, videos(listing), GENERIC - 0.05, "a video (its frames stored in the file)")

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        *,
        metadata_key: str | None = None,
        video_name: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The video file.
        metadata_key : str, optional
            Key of this video in metadata Behavior/InternalVideos; default "video_<file stem>".
        video_name : str, optional
            The ImageSeries name; default "Video <file stem>".
        """
        self.video = VideoFile(file_path)
        self.names = VideoNames(Path(file_path), metadata_key, video_name)
        self.frame_shape = self.video.frame_shape
        self.frame_count = self.video.frame_count
        self._decoding = threading.Lock()  # one decoder, one position: reads of several streams take turns
        self.frame_times: FrameTimes | None = None  # per describe(): the stub's frames or all

    def get_metadata(self) -> dict[str, Any]:
        return self.names.metadata("InternalVideos")

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_metadata_schema()

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        frames = min(self.frame_count, STUB_FRAMES) if stub else self.frame_count
        data = DatasetSpec("data", np.dtype("uint8"), (frames, *self.frame_shape))
        key = f"Behavior/InternalVideos/{self.names.metadata_key}"
        self.frame_times = FrameTimes([(self.video.path, frames)])
        return [image_series(self.names.series_name, key, self.video.fps, frames=data, frame_times=self.frame_times)]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if dataset_name == FRAME_TIMES:
            return self.frame_times.read(selection)
        frames, *inner = selection
        with self._decoding:
            block = self.video.read(frames.start, frames.stop)
        return block[(slice(None), *inner)]

    def close(self) -> None:
        self.video.close()
