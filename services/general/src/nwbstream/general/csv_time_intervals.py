"""CSV tables of time intervals (pandas.read_csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .time_intervals import BaseTimeIntervalsInterface


class CsvTimeIntervalsInterface(BaseTimeIntervalsInterface):
    """Interface for adding data from a .csv file as a TimeIntervals object."""

    display_name = "CSV time interval table"
    associated_suffixes = (".csv",)
    info = "Interface for writing a time intervals table from a comma separated value (CSV) file."

    @staticmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        import pandas as pd

        return pd.read_csv(file_path, **read_kwargs)
