"""FicTrac (spherical treadmill tracking) output: the .dat text file, one comma-separated row per video frame, and
optionally the config.txt FicTrac ran with.

Columns as FicTrac's doc/data_header.txt numbers them (1-based there): frame counter, delta rotation (cam, 3),
delta rotation error, delta rotation (lab, 3), absolute rotation (cam, 3; lab, 3), integrated x/y position (lab),
heading, movement direction, movement speed, integrated forward/side motion, timestamp (ms), sequence counter,
then in v2.1 delta timestamp and alt. timestamp. NeuroConv 0.10.2 writes ten SpatialSeries of them into one
Position container `FicTrac` in processing/behavior; so does this.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import LAYOUT, claim_files

from .tracked_series import BaseTrackingInterface, TrackedSeries

TIMESTAMP_COLUMN = 21  # 0-based: the 22nd column, ms
REQUIRED_COLUMNS = TIMESTAMP_COLUMN + 1
TEN_YEARS_IN_SECONDS = 10 * 365 * 24 * 60 * 60  # NeuroConv's test for times since the Unix epoch
PLACEMENT = "processing/behavior/FicTrac"

_CAMERA_AXES = (
    "x: rotation to the sphere's right (pitch), "
    "y: rotation under the sphere (yaw), "
    "z: rotation behind the sphere (roll)"
)
_LAB_AXES = (
    "x: rotation in front of subject (roll), "
    "y: rotation to subject's right (pitch), "
    "z: rotation under the subject (yaw)"
)


@dataclass(frozen=True)
class FicTracSeries:
    name: str
    columns: tuple[int, ...]  # 0-based .dat columns
    description: str
    reference_frame: str = "lab"


# NeuroConv's series, in its order.
SERIES = (
    FicTracSeries(
        "SpatialSeriesRotationDeltaCameraFrame",
        (1, 2, 3),
        f"Change in orientation since last frame from the camera's perspective. {_CAMERA_AXES}",
        "camera",
    ),
    FicTracSeries(
        "SpatialSeriesRotationDeltaLabFrame",
        (5, 6, 7),
        f"Change in orientation since last frame from the lab's perspective. {_LAB_AXES}",
    ),
    FicTracSeries(
        "SpatialSeriesRotationCameraFrame",
        (8, 9, 10),
        f"Orientation in radians from the camera's perspective. {_CAMERA_AXES}",
        "camera",
    ),
    FicTracSeries(
        "SpatialSeriesRotationLabFrame", (11, 12, 13), f"Orientation in radians from the lab's perspective. {_LAB_AXES}"
    ),
    FicTracSeries(
        "SpatialSeriesAnimalHeading", (16,), "Animal's heading direction in radians from the lab's perspective."
    ),
    FicTracSeries(
        "SpatialSeriesMovementDirection",
        (17,),
        "Instantaneous running direction of the animal in the lab coordinates. "
        "Direction inferred by the ball's rotation (roll and pitch)",
    ),
    FicTracSeries(
        "SpatialSeriesMovementSpeed", (18,), "Instantaneous running speed of the animal in radians per frame."
    ),
    FicTracSeries(
        "SpatialSeriesPosition",
        (14, 15),
        "x and y positions in the lab frame in radians, inferred by integrating the rotation over time.",
    ),
    FicTracSeries(
        "SpatialSeriesIntegratedMotion",
        (19, 20),
        "Integrated x/y position of the sphere in laboratory coordinates, neglecting heading.",
    ),
    FicTracSeries(
        "SpatialSeriesRotationDeltaError", (4,), "Error in rotation delta in radians from the lab's perspective."
    ),
)


class FicTracDataInterface(BaseTrackingInterface):
    """FicTrac's .dat output as ten SpatialSeries (rotations, heading, direction, speed, positions) in a
    Position container, in radians, or in meters with the ball's radius as their conversion."""

    display_name = "FicTrac"
    associated_suffixes = (".dat",)
    info = "FicTrac ball-tracking output (.dat): rotations, heading and integrated path as SpatialSeries."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A .dat whose first line is FicTrac's: at least its 22 comma-separated numbers (the frame counter first)."""
        detections = []
        for data in listing.with_suffix(".dat"):
            lines = listing.text_head(data, 4096).splitlines()
            cells = lines[0].split(",") if lines else []
            if len(cells) < REQUIRED_COLUMNS or not all(_is_number(c) for c in cells):
                continue
            detections += claim_files(cls.__name__, [data], LAYOUT, f"FicTrac's {len(cells)} numbers per line")
        return detections

    def __init__(
        self,
        file_path: str,
        radius: float | None = None,
        configuration_file_path: str | None = None,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : str
            Path to the .dat file (the output of fictrac).
        radius : float, optional
            The radius of the ball in meters: stored as each series' conversion, with units meters (else radians).
        configuration_file_path : str, optional
            Path to the .txt file with the configuration metadata (default: config.txt beside the .dat, if any).
        verbose : bool, default: False
            Controls verbosity.
        """
        import pandas as pd

        self.file_path = Path(file_path)
        self.radius = radius
        self.verbose = verbose
        if configuration_file_path is None and (self.file_path.parent / "config.txt").is_file():
            configuration_file_path = str(self.file_path.parent / "config.txt")
        self.configuration_file_path = Path(configuration_file_path) if configuration_file_path else None
        self.configuration = None
        if self.configuration_file_path is not None:
            if not self.configuration_file_path.is_file():
                raise SourceError(f"{self.configuration_file_path}: no such FicTrac configuration file")
            self.configuration = parse_configuration(self.configuration_file_path)
        try:
            table = pd.read_csv(self.file_path, sep=",", header=None)
        except (ValueError, UnicodeDecodeError) as error:
            raise SourceError(f"{self.file_path}: not a FicTrac .dat (comma-separated numbers): {error}") from None
        if table.shape[1] < REQUIRED_COLUMNS or not all(np.issubdtype(t, np.number) for t in table.dtypes):
            raise SourceError(
                f"{self.file_path}: not a FicTrac .dat: {table.shape[1]} columns (at least {REQUIRED_COLUMNS} "
                "numeric ones expected)"
            )
        self._table = table.to_numpy(dtype="float64")
        if len(self._table) < 2:
            raise SourceError(f"{self.file_path}: fewer than two frames")

    def sample_times(self) -> np.ndarray:
        """Column 22 in seconds, with NeuroConv's two fixes: a first time FicTrac replaced by the system clock is
        set back to 0, and times since the Unix epoch are made relative to the first."""
        times = self._table[:, TIMESTAMP_COLUMN] / 1000.0
        if times[1] - times[0] < 0:
            times[0] = 0.0
        if np.all(times > TEN_YEARS_IN_SECONDS):
            times = times - times[0]
        return times

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        start = self._session_start_time()
        if start is not None:
            metadata["NWBFile"]["session_start_time"] = start.isoformat()
        return metadata

    def _session_start_time(self) -> dt.datetime | None:
        """As NeuroConv: the first time when it is an epoch time, else the config's build date at midnight UTC
        (NeuroConv looks for `fictrac_config.txt` when no configuration file is given)."""
        first = self._table[0, TIMESTAMP_COLUMN] / 1000.0
        if first > TEN_YEARS_IN_SECONDS:
            return dt.datetime.fromtimestamp(first, tz=dt.UTC)
        path = self.configuration_file_path or self.file_path.parent / "fictrac_config.txt"
        if not path.is_file():
            return None
        build_date = parse_configuration(path).get("build_date", "")
        return dt.datetime.strptime(build_date, "%b %d %Y").replace(tzinfo=dt.UTC)

    def tracked_series(self) -> list[TrackedSeries]:
        fields: dict[str, Any] = {"unit": "radians"}
        if self.radius is not None:
            fields = {"unit": "meters", "conversion": float(self.radius)}
        if self.configuration is not None:
            fields["comments"] = json.dumps(self.configuration)
        return [
            TrackedSeries(
                name=series.name,
                data=self._table[:, list(series.columns)],
                metadata_key=f"Behavior/FicTrac/{series.name}",
                placement=PLACEMENT,
                fields={**fields, "description": series.description, "reference_frame": series.reference_frame},
                holder_type="Position",
            )
            for series in SERIES
        ]


def parse_configuration(path: Path) -> dict[str, Any]:
    """config.txt as NeuroConv reads it: version and build date from the first line, then `key : value` lines,
    typed per key (y/n flags, numbers, `{ ... }` vectors); other values stay text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = re.search(r"FicTrac (v[0-9.]+) config file \(build date ([A-Za-z0-9 ]+)\)", lines[0] if lines else "")
    if found is None:
        raise SourceError(f"{path}: not a FicTrac config file (no 'FicTrac vX config file (build date ...)' line)")
    configuration: dict[str, Any] = {"version": found.group(1), "build_date": found.group(2)}
    for line in lines[1:]:
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        try:
            configuration[key] = CONFIGURATION_TYPES.get(key, str)(value)
        except ValueError as error:
            raise SourceError(f"{path}: {key}: {value!r} is not what FicTrac writes there ({error})") from None
    return configuration


def _flag(text: str) -> bool:
    return text.lower() == "y"


def _numbers(text: str, kind: type = float) -> list:
    return [kind(v) for v in text.replace("{", "").replace("}", "").split(",")]


def _integers(text: str) -> list[int]:
    return _numbers(text, int)


def _polygons(text: str) -> list[list[int]]:
    return [_integers(group) for group in text.strip("{}").strip().split("}, {")]


def _source(text: str) -> int | str:
    """A camera index or a video file name."""
    return int(text) if text.isdigit() else text


CONFIGURATION_TYPES = {
    **dict.fromkeys(("do_display", "save_debug", "save_raw", "fisheye", "opt_do_global"), _flag),
    **dict.fromkeys(("sock_port", "com_baud", "q_factor", "max_bad_frames", "opt_max_evals"), int),
    **dict.fromkeys(("vfov", "src_fps", "opt_max_err", "thr_ratio", "thr_win_pc", "opt_bound", "opt_tol"), float),
    **dict.fromkeys(("c2a_cnrs_xy", "c2a_cnrs_yz", "c2a_cnrs_xz", "roi_circ"), _integers),
    **dict.fromkeys(("c2a_r", "c2a_t", "roi_c"), _numbers),
    "roi_r": float,
    "roi_ignr": _polygons,
    "src_fn": _source,
}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
