"""Excel sheets of time intervals (pandas.read_excel: openpyxl for .xlsx/.xlsm, xlrd for .xls)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .time_intervals import BaseTimeIntervalsInterface


class ExcelTimeIntervalsInterface(BaseTimeIntervalsInterface):
    """An Excel sheet of time intervals, read with pandas."""

    display_name = "Excel time interval table"
    associated_suffixes = (".xlsx", ".xls", ".xlsm")
    info = "An Excel sheet of time intervals (e.g. trials) as a TimeIntervals table."

    @staticmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        import pandas as pd

        return pd.read_excel(file_path, **read_kwargs)
