"""Miniscope head orientation: the headOrientation.csv the Miniscope DAQ software writes for a V4 scope with a
BNO055 IMU (`Time Stamp (ms),qw,qx,qy,qz`, one row per sensor reading), in the scope's device folder beside its
metaData.json; the session's metaData.json one folder up says when recording started.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, claim_files

from .tracked_series import BaseTrackingInterface, TrackedSeries

TIME_COLUMN = "Time Stamp (ms)"
QUATERNION = ["qw", "qx", "qy", "qz"]
START_FIELDS = ("year", "month", "day", "hour", "minute", "second", "msec")


class MiniscopeHeadOrientationInterface(BaseTrackingInterface):
    """The IMU quaternions as one TimeSeries in processing/behavior, named and described as NeuroConv does."""

    display_name = "Miniscope Head Orientation"
    associated_suffixes = (".csv",)
    info = "A Miniscope's head-orientation quaternions (headOrientation.csv) as a TimeSeries."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """headOrientation.csv files whose header is the Miniscope software's (time stamp, then quaternion)."""
        found = [
            f
            for f in listing.named("headOrientation.csv")
            if listing.text_head(f, 256).startswith(f"{TIME_COLUMN},{','.join(QUATERNION)}")
        ]
        return [
            replace(d, name="head_orientation")
            for d in claim_files(cls.__name__, found, HEADER, "Miniscope head orientation (time stamp, qw..qz)")
        ]

    def __init__(self, file_path: str, metadata_key: str = "TimeSeriesMiniscopeHeadOrientation", verbose: bool = False):
        """
        Parameters
        ----------
        file_path : str
            Path to the headOrientation.csv file containing quaternion data from BNO055 IMU sensor.
        metadata_key : str, default: "TimeSeriesMiniscopeHeadOrientation"
            The key in metadata["TimeSeries"] to use for this interface.
        verbose : bool, default: False
            Controls verbosity.
        """
        import pandas as pd

        self.file_path = Path(file_path)
        self.metadata_key = metadata_key
        self.verbose = verbose
        try:
            table = pd.read_csv(self.file_path)
        except (ValueError, UnicodeDecodeError) as error:
            raise SourceError(f"{self.file_path}: not a CSV table: {error}") from None
        missing = [c for c in [TIME_COLUMN, *QUATERNION] if c not in table.columns]
        if missing:
            raise SourceError(f"{self.file_path}: not a Miniscope headOrientation.csv: no column(s) {missing}")
        try:
            self._quaternions = table[QUATERNION].to_numpy(dtype="float64")
            self._times = table[TIME_COLUMN].to_numpy(dtype="float64") / 1000.0
        except ValueError as error:
            raise SourceError(f"{self.file_path}: a non-numeric value: {error}") from None
        self.device_folder = self.file_path.parent

    def sample_times(self) -> np.ndarray:
        return self._times

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        device = read_json(self.device_folder / "metaData.json") or {}
        device_name = device.get("deviceName", "Miniscope")
        parts = ["Head orientation quaternions (qw, qx, qy, qz) from BNO055 IMU sensor"]
        if device.get("deviceType"):
            parts.append(f"on {device['deviceType']} device")
        if device_name != "Miniscope":
            parts.append(f"({device_name})")
        description = (
            " ".join(parts) + ". Quaternions represent the rotation from a fixed reference frame to the head-mounted "
            "sensor frame. Quaternion convention: Hamilton (scalar-first: qw, qx, qy, qz)."
        )
        metadata["TimeSeries"] = {
            self.metadata_key: {
                "name": self.metadata_key,
                "description": description,
                "unit": "n.a.",
                "comments": "no comments",
            }
        }
        start = recording_start_time(self.device_folder.parent / "metaData.json")
        if start is not None:
            metadata["NWBFile"]["session_start_time"] = start.isoformat()
        return metadata

    def tracked_series(self) -> list[TrackedSeries]:
        return [
            TrackedSeries(
                name=self.metadata_key,
                data=self._quaternions,
                metadata_key=f"TimeSeries/{self.metadata_key}",
                placement="processing/behavior",
                fields=self.get_metadata()["TimeSeries"][self.metadata_key],
                neurodata_type="TimeSeries",
            )
        ]


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise SourceError(f"{path}: not valid JSON: {error}") from None


def recording_start_time(path: Path) -> dt.datetime | None:
    """The session metaData.json's start (its `recordingStartTime`, else its top-level fields), as roiextractors
    reads it; None when absent or incomplete."""
    session = read_json(path)
    if session is None:
        return None
    fields = session.get("recordingStartTime", session)
    if not all(name in fields for name in START_FIELDS):
        return None
    values = {name: int(fields[name]) for name in START_FIELDS}
    return dt.datetime(**{k: v for k, v in values.items() if k != "msec"}, microsecond=values["msec"] * 1000)
