"""CSV tables of time intervals (pandas.read_csv)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from nwbstream.service import Detection, FolderListing, claim_files
from nwbstream.service.detection import SUFFIX

from .time_intervals import BaseTimeIntervalsInterface


class CsvTimeIntervalsInterface(BaseTimeIntervalsInterface):
    """A CSV table of time intervals, read with pandas."""

    display_name = "CSV time interval table"
    associated_suffixes = (".csv",)
    info = "A CSV table of time intervals (e.g. trials) as a TimeIntervals table."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """CSV files whose header row names a start_time column, as an intervals table needs."""
        found = [f for f in listing.with_suffix(".csv") if "start_time" in _header_columns(listing, f)]
        return claim_files(cls.__name__, found, SUFFIX, "CSV whose header names start_time")

    @staticmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        import pandas as pd

        return pd.read_csv(file_path, **read_kwargs)


def _header_columns(listing: FolderListing, file: PurePosixPath) -> list[str]:
    """The column names of a CSV's first line."""
    first = listing.text_head(file).partition("\n")[0]
    return [name.strip().strip('"') for name in first.split(",")]
