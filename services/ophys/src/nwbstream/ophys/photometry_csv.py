"""Fiber photometry in CSV files: one wide CSV, one CSV per channel, and Neurophotometrics (NPM) acquisitions.

Columns are named (a file with a header row) or 0-based positions (a headerless file), as the time column is.
An interleaved file (channels taking turns down the rows) is read one channel at a time: rows whose label
column holds one of the channel's values (`{"by": "column", "column", "values", "skip_rows"}`) or every k-th row
(`{"by": "stride", "channels", "index", "skip_rows"}`). NPM files label each row with a `Flags`/`LedState` word
whose three low bits are the excitation LEDs lit (415, 470, 560 nm) and higher bits TTL lines.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import GENERIC, HEADER, relative

from .claims import csv_rows, is_number, riding_along, time_column
from .photometry import TIME_UNITS, BaseFiberPhotometryInterface

TimeUnit = Literal["seconds", "milliseconds", "microseconds"]
LED_BITS = {415: 1, 470: 2, 560: 4}
ALL_LEDS = 0b111
NPM_NON_REGIONS = {"framecounter", "timestamp", "systemtimestamp", "computertimestamp", "triggerevents", "flags"}
NPM_NON_REGIONS |= {"ledstate", "stimulation", "output0", "output1", "input0", "input1"}


def timed_tables(listing: FolderListing) -> dict[PurePosixPath, tuple[list[str], str]]:
    """CSV files whose first row names columns, one of them a time: file -> (header, time column)."""
    found = {}
    for file in listing.with_suffix(".csv"):
        rows = csv_rows(listing, file)
        header = rows[0] if rows else []
        time = time_column(header)
        if len(header) >= 2 and time is not None and not any(is_number(c) for c in header):
            found[file] = (header, time)
    return found


def table_claim(interface: str, source: dict[str, Any], files: list[PurePosixPath], header: list[str], time: str):
    """A guess on CSV tables: the time column given, the data columns left to the person (any column may be one)."""
    others = [c for c in header if c != time]
    return Detection(
        interface,
        {**source, "timestamps_column": time},
        tuple(map(str, files)),
        GENERIC,
        f"{files[0]}{f' and {len(files) - 1} more' if len(files) > 1 else ''}: CSV with time column {time!r}",
        todo={"data_columns": f"the photometry columns, among {others}"},
    )


class CSVFiberPhotometryInterface(BaseFiberPhotometryInterface):
    """Fiber photometry from one CSV file: a time column and one or more data columns."""

    display_name = "CSVFiberPhotometry"
    associated_suffixes = ("csv",)
    info = "One CSV table of fiber photometry samples as response series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Any CSV with a header row naming a time column: a guess richer formats outrank."""
        return [
            table_claim(cls.__name__, {"file_path": relative(file)}, [file], header, time)
            for file, (header, time) in timed_tables(listing).items()
        ]

    def __init__(
        self,
        file_path: Path,
        *,
        data_columns: str | int | list[str | int],
        timestamps_column: str | int,
        demux_configuration: dict | None = None,
        time_unit: TimeUnit = "seconds",
        metadata_key: str | None = None,
        read_kwargs: dict | None = None,
        verbose: bool = False,
    ):
        """Reads one CSV file as one response series.

        Parameters
        ----------
        file_path : Path
            The CSV file.
        data_columns : str, int or list of str or int
            The data column(s), by header name or 0-based position, stacked in order as the series' traces.
        timestamps_column : str or int
            The time column, by header name (a file with a header row) or 0-based position (a headerless file).
        demux_configuration : dict, optional
            For an interleaved file, which rows are this channel's: {"by": "column", "column", "values",
            "skip_rows"} or {"by": "stride", "channels", "index", "skip_rows"}. Default: every row.
        time_unit : {"seconds", "milliseconds", "microseconds"}, default: "seconds"
            The unit of the time column.
        metadata_key : str, optional
            Key under FiberPhotometry for this series' metadata; default fiber_photometry_<file stem>.
        read_kwargs : dict, optional
            Extra pandas.read_csv arguments (sep, encoding, decimal, skiprows, ...).
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.configure([file_path], data_columns, timestamps_column, time_unit, read_kwargs, demux_configuration)
        demux_column = [demux_configuration["column"]] if (demux_configuration or {}).get("by") == "column" else []
        self.check_columns(str(file_path), [timestamps_column, *self.data_columns, *demux_column])
        stem = Path(file_path).stem.replace(" ", "_").strip("_").lower()
        self.use_streams([str(file_path)], metadata_key or f"fiber_photometry_{stem}")

    def configure(
        self,
        file_paths: list[Path],
        data_columns: str | int | list[str | int],
        timestamps_column: str | int,
        time_unit: TimeUnit,
        read_kwargs: dict | None,
        demux_configuration: dict | None = None,
    ) -> None:
        """What every CSV read needs; a positional time column means a headerless file."""
        self.file_paths = [str(path) for path in file_paths]
        self.data_columns = [data_columns] if isinstance(data_columns, str | int) else list(data_columns)
        self.timestamps_column = timestamps_column
        self.demux_configuration = demux_configuration
        self.time_unit = time_unit
        header = None if isinstance(timestamps_column, int) else 0
        self.read_kwargs = {"header": header, "float_precision": "round_trip", **(read_kwargs or {})}

    def read_csv(self, file_path: str, **arguments: Any):
        import pandas as pd

        return pd.read_csv(file_path, **{**self.read_kwargs, **arguments})

    def check_columns(self, file_path: str, columns: list[str | int]) -> None:
        header = self.read_csv(file_path, nrows=1)
        names = list(header.columns) if not isinstance(columns[0], int) else list(range(header.shape[1]))
        missing = [column for column in columns if column not in names]
        if missing:
            raise ValueError(f"{file_path}: no column(s) {missing}; it has {names}")

    def channel_rows(self, file_path: str, columns: list[str | int]):
        """The columns' values on this channel's rows (all rows without a demux configuration)."""
        demux = self.demux_configuration
        if demux is None:
            return self.read_csv(file_path, usecols=columns)
        skip = int(demux.get("skip_rows", 0))
        if demux["by"] == "column":
            label = demux["column"]
            table = self.read_csv(file_path, usecols=list(dict.fromkeys([*columns, label]))).iloc[skip:]
            values = demux["values"] if isinstance(demux["values"], list) else [demux["values"]]
            return table[table[label].isin(values)]
        if demux["by"] == "stride":
            return self.read_csv(file_path, usecols=columns).iloc[skip:].iloc[demux["index"] :: demux["channels"]]
        raise ValueError(f"demux_configuration: `by` must be 'column' or 'stride', not {demux['by']!r}")

    def stream_data(self, stream_name: str) -> np.ndarray:
        return self.channel_rows(stream_name, self.data_columns)[self.data_columns].to_numpy()

    def stream_timestamps(self, stream_name: str) -> np.ndarray:
        column = self.channel_rows(stream_name, [self.timestamps_column])[self.timestamps_column]
        return column.to_numpy().astype("float64") / TIME_UNITS[self.time_unit]


class MultiFileCSVFiberPhotometryInterface(CSVFiberPhotometryInterface):
    """Fiber photometry from one CSV per channel on a shared clock (the first file's time column)."""

    display_name = "MultiFileCSVFiberPhotometry"
    associated_suffixes = ("csv",)
    info = "Several per-channel CSV tables joined into one fiber photometry response series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Two or more CSVs of one folder with the same header (a time column among them): one per channel."""
        groups: dict[tuple[PurePosixPath, tuple[str, ...], str], list[PurePosixPath]] = {}
        for file, (header, time) in timed_tables(listing).items():
            groups.setdefault((file.parent, tuple(header), time), []).append(file)
        return [
            table_claim(cls.__name__, {"file_paths": [relative(f) for f in files]}, files, list(header), time)
            for (_, header, time), files in groups.items()
            if len(files) > 1
        ]

    def __init__(
        self,
        file_paths: list[Path],
        *,
        data_columns: str | int | list[str | int],
        timestamps_column: str | int,
        time_unit: TimeUnit = "seconds",
        metadata_key: str | None = None,
        read_kwargs: dict | None = None,
        verbose: bool = False,
    ):
        """Reads several CSV files, file after file, column after column, as one response series.

        Parameters
        ----------
        file_paths : list of Path
            The per-channel CSV files; the first holds the time column.
        data_columns : str, int or list of str or int
            The data column(s) read from every file.
        timestamps_column : str or int
            The time column of the first file (a later file that has it must agree with it).
        time_unit : {"seconds", "milliseconds", "microseconds"}, default: "seconds"
            The unit of the time column.
        metadata_key : str, optional
            Key under FiberPhotometry for this series' metadata; default fiber_photometry_<stems joined by _>.
        read_kwargs : dict, optional
            Extra pandas.read_csv arguments.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        if not file_paths:
            raise ValueError("file_paths: give at least one CSV file")
        self.configure(file_paths, data_columns, timestamps_column, time_unit, read_kwargs)
        for path in self.file_paths:
            if not Path(path).is_file():
                raise FileNotFoundError(f"{path}: no such file")
        self.check_columns(self.file_paths[0], [timestamps_column, *self.data_columns])
        for path in self.file_paths[1:]:
            self.check_columns(path, self.data_columns)
        stems = [Path(path).stem.replace(" ", "_").strip("_").lower() for path in self.file_paths]
        self.use_streams(self.file_paths, metadata_key or "_".join(["fiber_photometry", *stems]))
        self._check_shared_clock()

    def _check_shared_clock(self) -> None:
        reference = self.stream_timestamps(self.file_paths[0])
        for path in self.file_paths[1:]:
            header = self.read_csv(path, nrows=1)
            has_time = (
                self.timestamps_column < header.shape[1]
                if isinstance(self.timestamps_column, int)
                else self.timestamps_column in header.columns
            )
            own = self.stream_timestamps(path) if has_time else None
            rows = len(own) if own is not None else len(self.stream_data(path))
            if rows != len(reference) or (own is not None and not np.array_equal(own, reference)):
                raise ValueError(f"{path}: not on the first file's clock ({self.file_paths[0]}); one series needs one")


class NPMFiberPhotometryInterface(CSVFiberPhotometryInterface):
    """One excitation channel of a Neurophotometrics CSV: the rows whose LED word has that LED's bit set."""

    display_name = "NPMFiberPhotometry"
    associated_suffixes = ("csv",)
    info = "Neurophotometrics raw recordings (.csv, interleaved LEDs) as response series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """CSVs headed FrameCounter, ..., LedState (or Flags), Region columns; one source per LED lit in the first
        rows, every region column stacked."""
        detections = []
        for file in listing.with_suffix(".csv"):
            rows = csv_rows(listing, file, count=50)
            header = rows[0] if rows else []
            lower = [c.lower() for c in header]
            word = next((lower.index(n) for n in ("ledstate", "flags") if n in lower), None)
            if "framecounter" not in lower or word is None:
                continue
            regions = [c for c in header if c.lower() not in NPM_NON_REGIONS]
            lit = {int(float(r[word])) & ALL_LEDS for r in rows[1:] if len(r) > word and is_number(r[word])}
            leds = [nm for nm, bit in LED_BITS.items() if any(value & bit for value in lit)]
            detections += riding_along(
                [
                    Detection(
                        cls.__name__,
                        {"file_path": relative(file), "excitation_wavelength_in_nm": nm, "regions": regions},
                        (str(file),),
                        HEADER,
                        f"{file}: Neurophotometrics CSV ({header[word]}), {nm} nm rows, regions {', '.join(regions)}",
                        name=f"npm_{nm}nm",
                    )
                    for nm in leds
                ]
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        *,
        excitation_wavelength_in_nm: int,
        regions: str | list[str],
        timestamps_column: Literal["Timestamp", "SystemTimestamp", "ComputerTimestamp"] = "Timestamp",
        time_unit: TimeUnit = "seconds",
        metadata_key: str | None = None,
        read_kwargs: dict | None = None,
        verbose: bool = False,
    ):
        """Reads the rows of one excitation LED and the given region columns as one response series.

        Parameters
        ----------
        file_path : Path
            The NPM CSV file (with a Flags or LedState column).
        excitation_wavelength_in_nm : int
            The excitation LED whose rows are read: 415, 470 or 560.
        regions : str or list of str
            The region columns (Region0G, ...), stacked in order as the series' traces.
        timestamps_column : {"Timestamp", "SystemTimestamp", "ComputerTimestamp"}, default: "Timestamp"
            The time column.
        time_unit : {"seconds", "milliseconds", "microseconds"}, default: "seconds"
            The unit of the time column.
        metadata_key : str, optional
            Key under FiberPhotometry; default fiber_photometry_<stem>_<nm>nm_<regions, lowercased, joined by _>.
        read_kwargs : dict, optional
            Extra pandas.read_csv arguments.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        import pandas as pd

        if excitation_wavelength_in_nm not in LED_BITS:
            raise ValueError(
                f"excitation_wavelength_in_nm: {excitation_wavelength_in_nm} is not one of {sorted(LED_BITS)}"
            )
        regions = [regions] if isinstance(regions, str) else list(regions)
        not_regions = [
            r for r in regions if r.lower() in NPM_NON_REGIONS or r.lower().endswith(("timestamp", "counter"))
        ]
        if not_regions:
            raise ValueError(f"{file_path}: {not_regions} are not region columns")
        columns = {str(c).lower(): c for c in pd.read_csv(file_path, nrows=0, **(read_kwargs or {})).columns}
        state = columns.get("flags", columns.get("ledstate"))
        if state is None:
            raise ValueError(f"{file_path}: no Flags or LedState column; it has {list(columns.values())}")
        words = pd.read_csv(file_path, usecols=[state], **(read_kwargs or {}))[state].to_numpy(dtype=np.int64)
        skip_rows = 1 if len(words) and words[0] & ALL_LEDS == ALL_LEDS else 0  # a dark start-up frame, all LEDs set
        bit = LED_BITS[excitation_wavelength_in_nm]
        values = sorted({int(w) for w in words[skip_rows:] if w & bit})
        if not values:
            raise ValueError(f"{file_path}: no rows lit by the {excitation_wavelength_in_nm} nm LED")
        stem = Path(file_path).stem.replace(" ", "_").strip("_").lower()
        suffix = "_".join(r.replace(" ", "_").lower() for r in regions)
        super().__init__(
            file_path,
            data_columns=regions,
            timestamps_column=timestamps_column,
            demux_configuration={"by": "column", "column": state, "values": values, "skip_rows": skip_rows},
            time_unit=time_unit,
            metadata_key=metadata_key or f"fiber_photometry_{stem}_{excitation_wavelength_in_nm}nm_{suffix}",
            read_kwargs=read_kwargs,
        )
