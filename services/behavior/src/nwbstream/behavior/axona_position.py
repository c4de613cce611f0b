"""Axona DacqUSB position tracking: the .pos file of a recording (with its .set beside it).

A .pos file is a text header (`key value` lines, CRLF) ending in `data_start`, then fixed-size big-endian samples,
then `\\r\\ndata_end\\r\\n`. With `pos_format t,x1,y1,x2,y2,numpix1,numpix2` a sample is 20 bytes: a 4-byte frame
count and eight int16 words: x and y of the big and the small LED, their pixel counts, the total, an unused word
(1023 = not tracked). The sample times are NeuroConv's: evenly spread over the .set's `duration`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .tracked_series import BaseTrackingInterface, TrackedSeries

DATA_START = b"data_start"
DATA_END = b"\r\ndata_end\r\n"
SAMPLE = np.dtype(
    [
        ("t", ">i4"),
        ("X", ">i2"),
        ("Y", ">i2"),
        ("x", ">i2"),
        ("y", ">i2"),
        ("PX", ">i2"),
        ("px", ">i2"),
        ("tot_px", ">i2"),
        ("unused", ">i2"),
    ]
)
# NeuroConv's series after `time(ms)`: name, the sample's field, unit.
SERIES = (
    ("X", "X", "pixels"),
    ("Y", "Y", "pixels"),
    ("x", "x", "pixels"),
    ("y", "y", "pixels"),
    ("PX", "PX", "pixels"),
    ("px", "px", "pixels"),
    ("px_total", "tot_px", "pixels"),
    ("unused", "unused", "n.a."),
)
REFERENCE_FRAME = "start of raw acquisition (.bin file)"  # NeuroConv's words


class AxonaPositionDataInterface(BaseTrackingInterface):
    """The LED positions of an Axona .pos file as SpatialSeries in a Position container, as NeuroConv names them."""

    display_name = "Axona Position"
    associated_suffixes = (".bin", ".set")
    info = "An Axona recording's tracked LED positions (.pos), as SpatialSeries in Position."
    differs_from_neuroconv = (
        "NeuroConv 0.10.2 fails on every file (AttributeError: no interface_kwargs). What its helper "
        "(get_position_object) would write differs here in: timestamps in seconds (it writes milliseconds); the "
        "`y` series holds y2 (it repeats Y); units pixels, and n.a. for `time(ms)` and `unused` (it leaves meters); "
        "descriptions naming the .pos column; the file's int16 values (it widens to int64); the .pos and .set "
        "found by replacing the path's suffix (it cuts the path at its first '.'). Position from a raw .bin is "
        "not read (no .bin file to test with): a .bin path is refused with a message."
    )
    always_write_timestamps = True

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A .pos file with Axona's text header beside the .set of its recording (the .set is the recording's:
        the position claims only its .pos)."""
        detections = []
        for positions in listing.with_suffix(".pos"):
            settings = listing.sibling(positions, positions.stem + ".set")
            if settings is None or not listing.head(positions, 16).startswith(b"trial_date"):
                continue
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(settings)},
                    (str(positions),),
                    HEADER,
                    f"{positions}: Axona position header (trial_date ...), beside {settings.name}",
                    name="axona_position",
                )
            )
        return detections

    def __init__(self, file_path: str):
        """
        Parameters
        ----------
        file_path : str
            Path to the recording's .set or .pos file (the .pos and .set of the same name are read).
        """
        path = Path(file_path)
        if path.suffix == ".bin":
            raise SourceError(f"{path}: position from a raw .bin is not read yet; give the recording's .set or .pos")
        self.pos_path = path.with_suffix(".pos")
        self.set_path = path.with_suffix(".set")
        for needed in (self.pos_path, self.set_path):
            if not needed.is_file():
                raise SourceError(f"{needed}: no such file (an Axona position source needs the .pos and its .set)")
        self.header, offset, n_samples = read_pos_layout(self.pos_path)
        self._samples = np.memmap(self.pos_path, dtype=SAMPLE, mode="r", offset=offset, shape=(n_samples,))
        duration = read_set_header(self.set_path).get("duration", "")
        try:
            self.duration = float(duration)
        except ValueError:
            raise SourceError(f"{self.set_path}: duration {duration!r} is not a number of seconds") from None

    def sample_times_ms(self) -> np.ndarray:
        """NeuroConv's times: `len` points from 0 to the duration, in whole milliseconds."""
        return np.linspace(0, self.duration * 1000, num=len(self._samples)).astype(int)

    def sample_times(self) -> np.ndarray:
        return self.sample_times_ms() / 1000.0

    def tracked_series(self) -> list[TrackedSeries]:
        per_metre = self.header.get("pixels_per_metre", "unknown")
        description = f"Axona .pos column {{}} ({self.header.get('pos_format', '')}; {per_metre} pixels per metre)"
        series = [
            TrackedSeries(
                name="time(ms)",
                data=self.sample_times_ms(),
                metadata_key="Behavior/AxonaPosition/time(ms)",
                placement="processing/behavior/Position",
                fields={
                    "unit": "n.a.",  # nwbinspector accepts no time unit on a SpatialSeries
                    "reference_frame": REFERENCE_FRAME,
                    "description": "Sample times in milliseconds from the start of the recording.",
                },
            )
        ]
        for name, column, unit in SERIES:
            series.append(
                TrackedSeries(
                    name=name,
                    data=np.asarray(self._samples[column]),
                    metadata_key=f"Behavior/AxonaPosition/{name}",
                    placement="processing/behavior/Position",
                    fields={
                        "unit": unit,
                        "reference_frame": REFERENCE_FRAME,
                        "description": description.format(column),
                    },
                )
            )
        return series

    def close(self) -> None:
        self.__dict__.pop("_samples", None)


def read_set_header(path: Path) -> dict[str, str]:
    """`key value` lines of a .set (cp1252) or of a binary file's text header, up to `data_start`."""
    header = {}
    with open(path, "rb") as file:
        for raw in file:
            if DATA_START in raw:
                break
            key, _, value = raw.decode("cp1252").strip().partition(" ")
            header[key] = value.strip()
    return header


def read_pos_layout(path: Path) -> tuple[dict[str, str], int, int]:
    """The header, where the samples start and how many there are (between `data_start` and `data_end`)."""
    with open(path, "rb") as file:
        head = file.read(64 * 1024)
    start = head.find(DATA_START)
    if start < 0:
        raise SourceError(f"{path}: not an Axona .pos file (no 'data_start' in its first 64 KiB)")
    header = read_set_header(path)
    if header.get("bytes_per_timestamp", "4") != "4" or header.get("bytes_per_coord", "2") != "2":
        raise SourceError(f"{path}: only 4-byte timestamps and 2-byte coordinates are read")
    offset = start + len(DATA_START)
    size = path.stat().st_size
    with open(path, "rb") as file:
        file.seek(max(size - len(DATA_END), 0))
        ends_with_marker = file.read() == DATA_END
    payload = size - offset - (len(DATA_END) if ends_with_marker else 0)
    if payload % SAMPLE.itemsize:
        raise SourceError(
            f"{path}: {payload} bytes of samples is not a whole number of {SAMPLE.itemsize}-byte samples (truncated?)"
        )
    return header, offset, payload // SAMPLE.itemsize
