"""Neuralynx video tracker files (.nvt): a 16 KiB text header, then one 1828-byte record per video frame.

The record, as Neuralynx's "Data File Formats" documents it (little-endian, packed): swstx, swid, swdata_size
(uint16 each), a uint64 timestamp in microseconds, 400 uint32 bitfield points, an int16 unused word, the
extracted x, y and head angle (int32 each; 0 = nothing tracked) and 50 int32 coloured targets. Header lines are
`-Key value`; Cheetah 6 writes `-OriginalFileName` and `-TimeCreated`, older Cheetah only `## File Name` and
`## Time Opened` comment lines (NeuroConv 0.10.2 stops on those; read here).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, claim_files

from .tracked_series import BaseTrackingInterface, TrackedSeries

HEADER_SIZE = 16 * 1024
RECORD = np.dtype(
    [
        ("swstx", "<u2"),
        ("swid", "<u2"),
        ("swdata_size", "<u2"),
        ("TimeStamp", "<u8"),
        ("dwPoints", "<u4", (400,)),
        ("sncrc", "<i2"),
        ("Xloc", "<i4"),
        ("Yloc", "<i4"),
        ("Angle", "<i4"),
        ("dntargets", "<i4", (50,)),
    ]
)
TIME_FORMAT = "%Y/%m/%d %H:%M:%S"


def _integers(text: str) -> list[int]:
    return [int(v) for v in text.split()]


# Header values typed as NeuroConv types them (the position series' description carries the header as JSON).
HEADER_TYPES = {
    **dict.fromkeys(("TimeCreated", "TimeClosed"), lambda text: dt.datetime.strptime(text, TIME_FORMAT)),
    **dict.fromkeys(("IntensityThreshold", "RedThreshold", "GreenThreshold", "BlueThreshold", "Resolution"), _integers),
    **dict.fromkeys(("RecordSize", "Saturation", "Hue", "Brightness", "Contrast", "Sharpness"), int),
    **dict.fromkeys(("DirectionOffset", "CameraDelay"), int),
    "EnableFieldEstimation": lambda text: text.lower() == "true",
    "SamplingFrequency": float,
}


class NeuralynxNvtInterface(BaseTrackingInterface):
    """Position (x, y in pixels) and head angle (degrees) of a Neuralynx video tracker file, as NeuroConv writes
    them: a Position `NvtPosition` and a CompassDirection `NvtCompassDirection` in acquisition."""

    display_name = "Neuralynx NVT"
    associated_suffixes = (".nvt",)
    info = "Neuralynx video-tracker positions and head angle (.nvt) as SpatialSeries."
    differs_from_neuroconv = (
        "Reads every header from its 16 KiB: NeuroConv 0.10.2 decodes the first 27 lines of the whole file as "
        "UTF-8 (a shorter header, as Cheetah 5 writes, fails with UnicodeDecodeError on the records; a longer one "
        "loses its later keys in the series' descriptions) and needs -OriginalFileName and -TimeCreated (else the "
        "metadata key is the file's own name and the session start the '## Time Opened' line). The key drops the "
        "quotes Cheetah writes around the original file name (NeuroConv keeps the closing one: 'VT1.nvt\"'). "
        "Times are subtracted in whole microseconds before scaling (NeuroConv: after; up to 1e-11 s apart)."
    )
    always_write_timestamps = True

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.nvt files that start with Neuralynx's text header."""
        found = [f for f in listing.with_suffix(".nvt") if listing.head(f, 32).startswith(b"######## Neuralynx")]
        return claim_files(cls.__name__, found, HEADER, "Neuralynx video-tracker header")

    def __init__(self, file_path: str, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : str
            Path to the .nvt file.
        verbose : bool, default: False
            Controls verbosity.
        """
        self.file_path = Path(file_path)
        self.verbose = verbose
        size = self.file_path.stat().st_size
        if size < HEADER_SIZE or (size - HEADER_SIZE) % RECORD.itemsize:
            raise SourceError(
                f"{self.file_path}: not a Neuralynx .nvt: {size} bytes is not a {HEADER_SIZE}-byte header plus "
                f"{RECORD.itemsize}-byte records (truncated?)"
            )
        text = header_text(self.file_path)
        self.header = header_entries(text, self.file_path)
        self.session_start_time = self.header.get("TimeCreated") or time_opened(text)
        if self.header.get("RecordSize", RECORD.itemsize) != RECORD.itemsize:
            raise SourceError(f"{self.file_path}: -RecordSize {self.header['RecordSize']}, not {RECORD.itemsize}")
        self._records = np.memmap(self.file_path, dtype=RECORD, mode="r", offset=HEADER_SIZE)
        if len(self._records) == 0:
            raise SourceError(f"{self.file_path}: no video tracker records after the header")
        original = self.header.get("OriginalFileName")
        self.nvt_filename = PureWindowsPath(original.strip('"')).name if original else self.file_path.name

    def sample_times(self) -> np.ndarray:
        """Seconds from the first record's time (NeuroConv's choice), subtracted in whole microseconds first."""
        microseconds = np.asarray(self._records["TimeStamp"])
        return (microseconds - microseconds[0]) / 1e6

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        if self.session_start_time is not None:
            metadata["NWBFile"]["session_start_time"] = self.session_start_time.isoformat()
        metadata["Behavior"] = {
            self.nvt_filename: {
                "position_name": "NvtSpatialSeries",
                "position_reference_frame": "unknown",
                "angle_name": "NvtAngleSpatialSeries",
                "angle_reference_frame": "unknown",
            }
        }
        return metadata

    def tracked_series(self) -> list[TrackedSeries]:
        """Position with each coordinate <= 0 (nothing tracked) as NaN; the angle only when some angle is not 0."""
        position = np.column_stack([self._records["Xloc"], self._records["Yloc"]]).astype("float64")
        position[position <= 0] = np.nan
        header = json.dumps(self.header, default=lambda value: value.isoformat())
        key = f"Behavior/{self.nvt_filename}"
        series = [
            TrackedSeries(
                name="NvtSpatialSeries",
                data=position,
                metadata_key=key,
                placement="acquisition/NvtPosition",
                fields={
                    "unit": "pixels",
                    "conversion": 1.0,
                    "reference_frame": "unknown",
                    "description": f"Pixel x and y coordinates from the .nvt file with header data: {header}",
                },
                holder_type="Position",
                metadata_fields={"name": "position_name", "reference_frame": "position_reference_frame"},
            )
        ]
        angle = np.asarray(self._records["Angle"])
        if np.any(angle != 0):
            series.append(
                TrackedSeries(
                    name="NvtAngleSpatialSeries",
                    data=angle,
                    metadata_key=key,
                    placement="acquisition/NvtCompassDirection",
                    fields={
                        "unit": "degrees",
                        "conversion": 1.0,
                        "reference_frame": "unknown",
                        "description": f"Angle from the .nvt file with header data: {header}",
                    },
                    holder_type="CompassDirection",
                    metadata_fields={"name": "angle_name", "reference_frame": "angle_reference_frame"},
                    timestamps_of="NvtSpatialSeries",
                )
            )
        return series

    def close(self) -> None:
        self.__dict__.pop("_records", None)


def header_text(path: Path) -> str:
    """The 16 KiB text header (Latin-1, NUL-padded), up to its first NUL."""
    with open(path, "rb") as file:
        text = file.read(HEADER_SIZE).split(b"\x00", 1)[0].decode("latin-1")
    if "Neuralynx" not in (text.splitlines() or [""])[0] and "-FileType" not in text:  # some exports lack the title
        raise SourceError(f"{path}: not a Neuralynx file (no 'Neuralynx Data File Header' line, no -FileType)")
    return text


def header_entries(text: str, path: Path) -> dict[str, Any]:
    """The `-Key value` lines, typed as NeuroConv types them."""
    header: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.startswith("-"):
            continue
        key, _, value = line[1:].partition(" ")
        try:
            header[key] = HEADER_TYPES.get(key, str)(value.strip())
        except ValueError as error:
            raise SourceError(f"{path}: header -{key}: {value.strip()!r} cannot be read ({error})") from None
    return header


def time_opened(text: str) -> dt.datetime | None:
    """Older headers' `## Time Opened (m/d/y): 3/9/2015  (h:m:s.ms) 11:10:49.562` (or `At Time: 11:10:49`)."""
    found = re.search(r"Time Opened \(m/d/y\): (\d+/\d+/\d+)\s+(?:At Time:|\(h:m:s\.ms\))\s*([\d:.]+)", text)
    if found is None:
        return None
    hours, minutes, seconds = (float(part) for part in found.group(2).split(":"))
    day = dt.datetime.strptime(found.group(1), "%m/%d/%Y")
    return day + dt.timedelta(hours=hours, minutes=minutes, seconds=int(seconds))
