"""Video files linked from an ImageSeries (format "external"): frame counts and rates from each file's header,
no frame embedded, as NeuroConv 0.10.2's ExternalVideoInterface writes them; each frame's time offered for
`always_write_timestamps`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, Detection, FolderListing, NwbObjectSpec, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import GENERIC, relative

from .claims import videos
from .video_file import VideoFile
from .videos import VIDEO_SUFFIXES, FrameTimes, VideoNames, behavior_metadata_schema, image_series


class ExternalVideoInterface(BaseDataInterface):
    display_name = "Video"
    associated_suffixes = VIDEO_SUFFIXES
    info = "Video files linked from an ImageSeries by path (the frames stay in the video files)."
    differs_from_neuroconv = (
        "several files are written back to back from 0 s at the first file's frame rate (NeuroConv 0.10.2 refuses "
        "several files unless their start is set in Python or always_write_timestamps is true; "
        "set_aligned_starting_time(0.0) writes the same)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every video file, linked as it is; a format that knows the camera (Miniscope, ...) claims it instead."""
        return [
            Detection(
                cls.__name__, {"file_paths": [relative(v)]}, (str(v),), GENERIC, f"{v}: a video", name=f"video_{v.stem}"
            )
            for v in videos(listing)
        ]

    def __init__(
        self,
        file_paths: list[Path],
        verbose: bool = False,
        *,
        metadata_key: str | None = None,
        video_name: str | None = None,
    ):
        """
        Parameters
        ----------
        file_paths : list of Path
            The video files, in the order they were recorded (one camera's consecutive segments).
        metadata_key : str, optional
            Key of this video in metadata Behavior/ExternalVideos; default "video_<stem of the first file>".
        video_name : str, optional
            The ImageSeries name; default "Video <stem of the first file>".
        """
        if not file_paths:
            raise SourceError("ExternalVideoInterface: file_paths is empty")
        self.file_paths = [Path(p) for p in file_paths]
        self.names = VideoNames(self.file_paths[0], metadata_key, video_name)
        self.frame_counts: list[int] = []
        self.rates: list[float] = []
        for path in self.file_paths:
            with VideoFile(path) as video:
                video.frame_shape  # noqa: B018 - a file with no decodable frame fails here, named
                self.frame_counts.append(video.frame_count)
                self.rates.append(video.fps)
        self.frame_times = FrameTimes(list(zip(self.file_paths, self.frame_counts, strict=True)))

    def get_metadata(self) -> dict[str, Any]:
        return self.names.metadata("ExternalVideos")

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_metadata_schema()

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """No frame is embedded, so a stub is the whole series (and its frame times every frame's)."""
        starts = np.cumsum([0, *self.frame_counts[:-1]]).tolist() if len(self.file_paths) > 1 else None
        return [
            image_series(
                self.names.series_name,
                f"Behavior/ExternalVideos/{self.names.metadata_key}",
                self.rates[0],
                external_files=[str(p) for p in self.file_paths],
                starting_frames=starts,
                num_samples=sum(self.frame_counts),
                frame_times=self.frame_times,
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        """The frame times, the one bulk dataset (the frames stay in their files)."""
        return self.frame_times.read(selection)
