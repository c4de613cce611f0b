"""The behavior camera of a UCLA Miniscope (DAQ-QT software, V4) session: <main>/<HH_MM_SS>/BehavCam*/0.avi,
1.avi, ... linked from one ImageSeries, timed by each recording's timeStamps.csv, with the camera as an ndx-miniscope
`Miniscope` device made of its metaData.json, as NeuroConv 0.10.2's MiniscopeBehaviorInterface writes them.

Times: each timeStamps.csv in seconds, moved to start at 0 when its first time is negative, then shifted by its
recording's start (the session metaData.json's recordingStartTime) after the first recording's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Detection, FolderListing, NwbObjectSpec, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import LAYOUT, relative

from .video_file import VideoFile
from .videos import behavior_metadata_schema, image_series

SERIES_NAME = "BehavCamImageSeries"
START_FIELDS = ("year", "month", "day", "hour", "minute", "second", "msec")


class MiniscopeBehaviorInterface(BaseDataInterface):
    display_name = "Miniscope Behavior"
    associated_suffixes = (".avi",)
    info = "The behavior camera of a Miniscope recording: its videos linked, with their frame times."
    differs_from_neuroconv = (
        "a session whose movies hold a different number of frames than its timeStamps.csv files time (a movie "
        "missing) is refused"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Miniscope V4 main folders: recordings (HH_MM_SS) holding a BehavCam* folder of .avi movies beside its
        metaData.json and timeStamps.csv (a recording folder pointed at itself has its main folder outside)."""
        cameras: dict[PurePosixPath, list[PurePosixPath]] = {}
        for config in listing.named("metaData.json"):
            camera = config.parent
            times = listing.sibling(config, "timeStamps.csv")
            movies = [f for f in listing.in_folder(camera) if f.suffix.lower() == ".avi"]
            if not camera.name.startswith("BehavCam") or camera.parent == PurePosixPath(".") or not times or not movies:
                continue
            cameras.setdefault(camera.parent.parent, []).extend([*movies, config, times])
        return [
            Detection(
                cls.__name__,
                {"folder_path": relative(main)},
                tuple(sorted(map(str, files))),
                LAYOUT,
                f"{relative(main)}: behavior camera movies in */BehavCam*/ with metaData.json and timeStamps.csv",
                name="miniscope_behavior",
            )
            for main, files in cameras.items()
        ]

    def __init__(self, folder_path: Path, verbose: bool = False):
        """
        Parameters
        ----------
        folder_path : Path
            The main Miniscope folder: one sub folder per recording (HH_MM_SS), each with its metaData.json and a
            BehavCam* folder of .avi files, metaData.json and timeStamps.csv.
        """
        from natsort import natsorted

        folder = Path(folder_path)
        legacy = [*folder.rglob("settings_and_notes.dat"), *folder.rglob("timestamp.dat")]
        if legacy:
            raise SourceError(f"{legacy[0]}: a Miniscope V3 recording; only V4 (metaData.json, timeStamps.csv) is read")
        self.videos = natsorted(folder.glob("*/BehavCam*/*.avi"))
        if not self.videos:
            raise SourceError(f"{folder}: no behavior movies (*/BehavCam*/*.avi)")
        cameras = natsorted(folder.glob("*/BehavCam*/metaData.json"))
        if not cameras:
            raise SourceError(f"{folder}: no behavior camera configuration (*/BehavCam*/metaData.json)")
        self.camera = camera_config(cameras[0])
        self.starts = [t for t in map(recording_start, natsorted(folder.glob("*/metaData.json"))) if t is not None]
        if not self.starts:
            raise SourceError(f"{folder}: no recording's metaData.json gives its recordingStartTime")
        self.frame_counts = []
        for video in self.videos:
            with VideoFile(video) as opened:
                opened.frame_shape  # noqa: B018 - a file with no decodable frame fails here, named
                self.frame_counts.append(opened.frame_count)
        self.timestamps = fused_timestamps(natsorted(folder.rglob("BehavCam*/timeStamps.csv")), self.starts)
        if len(self.timestamps) != sum(self.frame_counts):
            raise SourceError(
                f"{folder}: its behavior movies hold {sum(self.frame_counts)} frames, but their timeStamps.csv time "
                f"{len(self.timestamps)} (a movie missing, or another's)"
            )

    def get_metadata(self) -> dict[str, Any]:
        region = self.camera.get("ROI") or {}
        series = {"name": SERIES_NAME, "device": self.camera["name"], "unit": "px"}
        if region:
            series["dimension"] = [region["width"], region["height"]]
        return {
            "NWBFile": {"session_start_time": self.starts[0].isoformat()},
            "Behavior": {"Device": [self.camera], "ImageSeries": [series]},
        }

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_metadata_schema()

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """Nothing is embedded, so a stub is the whole series."""
        return [
            image_series(
                SERIES_NAME,
                "Behavior/ImageSeries",
                0.0,
                external_files=[str(v) for v in self.videos],
                starting_frames=np.cumsum([0, *self.frame_counts[:-1]]).tolist(),
                num_samples=sum(self.frame_counts),
                timestamps=DatasetSpec.inline("timestamps", self.timestamps, time_valued=True),
                attributes={"metadata_index": 0, "device_type": "Miniscope"},
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        raise KeyError(f"{object_name} has no bulk dataset {dataset_name!r}")


def camera_config(path: Path) -> dict[str, Any]:
    """NeuroConv's device entry: metaData.json without deviceDirectory and deviceID, deviceName (spaces removed)
    as `name`."""
    config = _json(path)
    if "deviceName" not in config:
        raise SourceError(f"{path}: no deviceName")
    config["name"] = str(config.pop("deviceName")).replace(" ", "")
    config.pop("deviceDirectory", None)
    config.pop("deviceID", None)
    return config


def recording_start(path: Path) -> dt.datetime | None:
    """A recording's start (recordingStartTime, or the file's own top-level fields as V3 wrote them), or None."""
    config = _json(path)
    start = config.get("recordingStartTime", config)
    if not any(key in config for key in ("year", "month", "day", "recordingStartTime")):
        return None
    missing = [key for key in START_FIELDS if key not in start]
    if missing:
        raise SourceError(f"{path}: recordingStartTime lacks {missing}")
    fields = {key: int(start[key]) for key in START_FIELDS[:-1]}
    return dt.datetime(**fields, microsecond=int(start["msec"]) * 1000)


def fused_timestamps(files: list[Path], starts: list[dt.datetime]) -> np.ndarray:
    import pandas as pd

    if not files:
        raise SourceError("no BehavCam*/timeStamps.csv beside the behavior movies")
    times = []
    for index, path in enumerate(files):
        try:
            seconds = pd.read_csv(path)["Time Stamp (ms)"].to_numpy(dtype=float) / 1000.0
        except (KeyError, ValueError, pd.errors.ParserError) as error:
            raise SourceError(f"{path}: not a Miniscope timeStamps.csv ({error})") from error
        if seconds.size and seconds[0] < 0:
            seconds = seconds - seconds[0]
        if index >= len(starts):
            raise SourceError(f"{path}: no recording start time for this recording ({len(starts)} found)")
        times.append(seconds + (starts[index] - starts[0]).total_seconds())
    return np.concatenate(times)


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SourceError(f"{path}: cannot be read as JSON ({error})") from error
