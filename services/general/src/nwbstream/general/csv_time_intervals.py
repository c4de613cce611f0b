"""CSV tables of time intervals (pandas.read_csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .time_intervals import BaseTimeIntervalsInterface


class CsvTimeIntervalsInterface(BaseTimeIntervalsInterface):
    """A CSV table of time intervals, read with pandas."""

    display_name = "CSV time interval table"
    associated_suffixes = (".csv",)
    info = "A CSV table of time intervals (e.g. trials) as a TimeIntervals table."

    @staticmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        import pandas as pd

        return pd.read_csv(file_path, **read_kwargs)
