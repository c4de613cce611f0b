"""Doric Neuroscience Studio recordings: .doric (HDF5) files and DoricStudio CSV exports.

A .doric file's streams are the 1-D datasets of every group under `DataAcquisition` that holds a `Time` dataset,
named by their path with `/` as `_` (`FPConsole_Signals_Series0001_AIN01xAOUT01-LockIn_Values`); older files keep
them as `Traces/<console>/<stream>/<stream>` beside a `Time(s)` group. Digital lines are the datasets of the
`DigitalIO` groups (old files: `DI--O...` streams). The file's `Created` attribute is the session start.
A CSV export has a header row with a `Time`/`Time(s)` column (first or second line; the second when a row of
channel groups comes first); its streams are the other columns, its digital lines those of the `Digital I/O` group.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, is_hdf5, relative
from nwbstream.service.event_detection import detect, event_plan
from nwbstream.service.events import EventType

from .claims import companion, csv_rows, riding_along
from .events import BasePhotometryEventsInterface
from .photometry import BaseFiberPhotometryInterface

CREATED_FORMAT = "%a %b %d %H:%M:%S %Y"
TIME_COLUMNS = ("time", "time(s)")
DORIC_COLUMN = re.compile(r"^(AIn|AOut|DI/O|DIO|LockIn)", re.IGNORECASE)  # DoricStudio's column names


class DoricFiberPhotometryInterface(BaseFiberPhotometryInterface):
    """Streams of a Doric .doric file or CSV export, stacked as one response series."""

    display_name = "DoricFiberPhotometry"
    associated_suffixes = ("doric", "csv")
    info = "Doric Neuroscience Studio recordings (.doric) as fiber photometry response series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """One source per analog stream of each Doric file: the first claims the file, the others read it too."""
        detections = []
        for file, streams, _ in doric_sources(listing):
            kind = "DoricStudio CSV export" if file.suffix.lower() == ".csv" else "Doric HDF5"
            detections += riding_along(
                [
                    Detection(
                        cls.__name__,
                        {"file_path": relative(file), "stream_names": [stream]},
                        (str(file),),
                        HEADER,
                        f"{file}: {kind}, stream {stream}",
                        name=f"doric_{'_'.join(stream.split('_')[-2:])}",
                    )
                    for stream in streams
                ]
            )
        return detections

    def __init__(
        self,
        *,
        file_path: Path,
        stream_names: str | list[str],
        metadata_key: str | None = None,
        stream_indices: list[int] | None = None,
        verbose: bool = False,
    ):
        """Reads the named streams of a Doric file as one response series.

        Parameters
        ----------
        file_path : Path
            The .doric file or DoricStudio CSV export.
        stream_names : str or list of str
            The streams to stack, e.g. FPConsole_Signals_Series0001_AIN01xAOUT01-LockIn_Values.
        metadata_key : str, optional
            Key under FiberPhotometry; default fiber_photometry_<stream names, lowercased>.
        stream_indices : list of int, optional
            Which of the stacked columns to keep; default all.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.file_path = str(file_path)
        self.streams = csv_streams(self.file_path) if is_csv(self.file_path) else hdf5_streams(self.file_path)
        self.use_streams(stream_names, metadata_key, stream_indices)
        unknown = [name for name in self.stream_names if name not in self.streams]
        if unknown:
            raise ValueError(f"{file_path}: no stream(s) {unknown}; it has {sorted(self.streams)}")

    def get_metadata(self) -> dict[str, Any]:
        return with_start_time(super().get_metadata(), self.file_path)

    def stream_data(self, stream_name: str) -> np.ndarray:
        return read_path(self.file_path, self.streams[stream_name][0])

    def stream_timestamps(self, stream_name: str) -> np.ndarray:
        return read_path(self.file_path, self.streams[stream_name][1])


class DoricEventsInterface(BasePhotometryEventsInterface):
    """The digital lines of a .doric file, read as events."""

    display_name = "DoricEvents"
    associated_suffixes = ("doric",)
    info = "Data Interface for converting digital events from Doric .doric files."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The digital lines of the .doric files the photometry interface claims."""
        return doric_events(cls.__name__, listing, ".doric")

    def __init__(
        self,
        file_path: Path,
        *,
        detection_configuration: dict | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads the file's digital lines as events.

        Parameters
        ----------
        file_path : Path
            The .doric file.
        detection_configuration : dict, optional
            {line: [spec, ...]} (NeuroConv's layout); default every line as a high_period cut at its midpoint.
        metadata_key : str, optional
            Key under Events; default doric_events.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.file_path = str(file_path)
        self.metadata_key = metadata_key or "doric_events"
        self.lines = hdf5_digital_lines(self.file_path)
        self.plan = event_plan(detection_configuration, list(self.lines))

    def get_metadata(self) -> dict[str, Any]:
        return with_start_time(super().get_metadata(), self.file_path)

    def read_events(self) -> dict[str, EventType]:
        return {
            name: detect(
                read_path(self.file_path, self.lines[line][0]), read_path(self.file_path, self.lines[line][1]), spec
            )
            for name, line, spec in self.plan
        }


class DoricCSVEventsInterface(BasePhotometryEventsInterface):
    """The `Digital I/O` columns of a DoricStudio CSV export (two header rows: group, then name), read as events."""

    display_name = "DoricCSVEvents"
    associated_suffixes = ("csv",)
    info = "Data Interface for converting digital events from DoricStudio CSV exports."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The digital lines of the DoricStudio CSV exports the photometry interface claims."""
        return doric_events(cls.__name__, listing, ".csv")

    def __init__(
        self,
        file_path: Path,
        *,
        detection_configuration: dict | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads the export's digital columns as events.

        Parameters
        ----------
        file_path : Path
            The DoricStudio CSV export.
        detection_configuration : dict, optional
            {column name: [spec, ...]} (NeuroConv's layout); default every line as a high_period.
        metadata_key : str, optional
            Key under Events; default doric_events.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        import pandas as pd

        self.file_path = str(file_path)
        self.metadata_key = metadata_key or "doric_events"
        header = pd.read_csv(self.file_path, header=None, nrows=2, dtype=str)
        self.columns = list(zip(header.iloc[0], header.iloc[1], strict=True))
        times = [index for index, (_, name) in enumerate(self.columns) if "time" in str(name).lower()]
        if not times:
            raise ValueError(f"{file_path}: no time column in the second header row")
        self.time_index = times[0]
        self.lines = {str(name): i for i, (group, name) in enumerate(self.columns) if "digital" in str(group).lower()}
        self.plan = event_plan(detection_configuration, list(self.lines))

    def event_entry(self, type_id: str, events: EventType) -> dict[str, Any]:
        return {"event_name": type_id.replace("/", "")}

    def read_events(self) -> dict[str, EventType]:
        import pandas as pd

        table = pd.read_csv(self.file_path, header=None, skiprows=2)
        times = table.iloc[:, self.time_index].to_numpy(dtype="float64")
        return {
            name: detect(table.iloc[:, self.lines[line]].to_numpy(dtype="float64"), times, spec)
            for name, line, spec in self.plan
        }


def doric_sources(listing: FolderListing) -> list[tuple[PurePosixPath, list[str], list[str]]]:
    """(file, analog streams, digital lines) of each .doric file (HDF5) and DoricStudio CSV export."""
    found = []
    for file in listing.with_suffix(".doric"):
        if not is_hdf5(listing, file):
            continue
        try:
            streams = list(hdf5_streams(str(listing.path(file))))
            lines = list(hdf5_digital_lines(str(listing.path(file))))
        except (OSError, ValueError, KeyError):
            listing.unreadable.append(f"{file}: HDF5 signature but no Doric layout h5py can read")
            continue
        digital = {s for s in streams if "DigitalIO" in s or s.rsplit("_", 1)[-1].startswith("DI--O")}
        found.append((file, [s for s in streams if s not in digital], lines))
    for file in listing.with_suffix(".csv"):
        rows = csv_rows(listing, file)
        groups, header = (
            (rows[0], rows[1]) if len(rows) == 2 and any(" | " in c for c in rows[0]) else ([], rows[0] if rows else [])
        )
        if not any(c.lower() in TIME_COLUMNS for c in header) or not (
            groups or any(DORIC_COLUMN.match(c) for c in header)
        ):
            continue
        kinds = dict(zip(header, groups or [""] * len(header), strict=False))
        columns = [c for c in header if c.lower() not in TIME_COLUMNS and c]
        digital = [c for c in columns if "digital" in kinds[c].lower() or c.upper().startswith("DI")]
        found.append((file, [c for c in columns if c not in digital], digital))
    return found


def doric_events(interface: str, listing: FolderListing, suffix: str) -> list[Detection]:
    """Companions of the photometry claims on Doric files of `suffix` that have digital lines."""
    lines = {str(file): digital for file, _, digital in doric_sources(listing) if digital}
    return [
        companion(claim, interface, f"{claim.files[0]}: Doric digital lines {', '.join(lines[claim.files[0]])}")
        for claim in DoricFiberPhotometryInterface.detect(listing)
        if claim.files and claim.files[0].lower().endswith(suffix) and claim.files[0] in lines
    ]


def is_csv(file_path: str) -> bool:
    return Path(file_path).suffix.lower() == ".csv"


def hdf5_streams(file_path: str) -> dict[str, tuple[str, str]]:
    """Stream name -> (data path, time path) of a .doric file, new layout else the old one."""
    import h5py

    with h5py.File(file_path, "r") as file:
        streams = _signal_groups(file, "DataAcquisition", lambda group: True)
        return streams or _traces_streams(file, lambda name: True)


def hdf5_digital_lines(file_path: str) -> dict[str, tuple[str, str]]:
    """Line name (its dataset name) -> (data path, time path) of a .doric file's digital lines."""
    import h5py

    with h5py.File(file_path, "r") as file:
        if "DataAcquisition" in file:
            found = _signal_groups(file, "DataAcquisition", lambda group: group.rsplit("/", 1)[-1] == "DigitalIO")
            return {path.rsplit("/", 1)[-1]: (path, time) for path, time in found.values()}
        traces = _traces_streams(file, lambda name: name.startswith("DI--O"))
        return {path.rsplit("/", 1)[-1]: (path, time) for path, time in traces.values()}


def _signal_groups(file, root: str, wanted) -> dict[str, tuple[str, str]]:
    import h5py

    streams: dict[str, tuple[str, str]] = {}
    if root not in file:
        return streams

    def visit(name: str, group: Any) -> None:
        if not isinstance(group, h5py.Group) or "Time" not in group or not wanted(name):
            return
        for key, item in group.items():
            if key != "Time" and isinstance(item, h5py.Dataset) and item.ndim == 1:
                streams[f"{name}/{key}".replace("/", "_")] = (f"{root}/{name}/{key}", f"{root}/{name}/Time")

    file[root].visititems(visit)
    return streams


def _traces_streams(file, wanted) -> dict[str, tuple[str, str]]:
    """Old layout: Traces/<console>/<stream>/<stream>, times in the one dataset of a `Time(s)` sibling group."""
    import h5py

    streams: dict[str, tuple[str, str]] = {}
    for console_name, console in file["Traces"].items() if "Traces" in file else []:
        if not isinstance(console, h5py.Group):
            continue
        time_group = next(
            (c for n, c in console.items() if isinstance(c, h5py.Group) and n.strip().lower() in TIME_COLUMNS), None
        )
        if time_group is None or len(time_group) != 1:
            continue
        time_path = f"Traces/{console_name}/{time_group.name.rsplit('/', 1)[-1]}/{next(iter(time_group))}"
        for name, child in console.items():
            dataset = child.get(name) if isinstance(child, h5py.Group) and child is not time_group else None
            if isinstance(dataset, h5py.Dataset) and dataset.ndim == 1 and wanted(name):
                streams[f"{console_name}/{name}".replace("/", "_")] = (
                    f"Traces/{console_name}/{name}/{name}",
                    time_path,
                )
    return streams


def csv_streams(file_path: str) -> dict[str, tuple[str, str]]:
    """Column name -> (column, time column) of a CSV export; its header is the first line with a time column."""
    import pandas as pd

    for header_row in (0, 1):
        columns = [str(c) for c in pd.read_csv(file_path, header=header_row, nrows=0).columns]
        time = next((c for c in columns if c.strip().lower() in TIME_COLUMNS), None)
        if time is not None:
            return {
                c: (f"csv:{header_row}:{c}", f"csv:{header_row}:{time}")
                for c in columns
                if c != time and not c.startswith("Unnamed:")
            }
    raise ValueError(f"{file_path}: no Time or Time(s) column on its first or second line")


def read_path(file_path: str, path: str) -> np.ndarray:
    """A .doric dataset by its path, or a CSV column as `csv:<header row>:<column>`."""
    if path.startswith("csv:"):
        import pandas as pd

        _, header_row, column = path.split(":", 2)
        return pd.read_csv(file_path, header=int(header_row))[column].to_numpy()
    import h5py

    with h5py.File(file_path, "r") as file:
        return np.asarray(file[path][:])


def with_start_time(metadata: dict[str, Any], file_path: str) -> dict[str, Any]:
    """The .doric file's `Created` attribute as NWBFile.session_start_time, when it has one that parses."""
    if is_csv(file_path):
        return metadata
    import h5py

    with h5py.File(file_path, "r") as file:
        created = file.attrs.get("Created", "")
    with contextlib.suppress(ValueError):  # no Created, or another format: the user gives the start
        metadata["NWBFile"]["session_start_time"] = dt.datetime.strptime(str(created), CREATED_FORMAT).isoformat()
    return metadata
