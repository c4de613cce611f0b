"""Excel sheets of time intervals (pandas.read_excel: openpyxl for .xlsx/.xlsm, xlrd for .xls)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .time_intervals import BaseTimeIntervalsInterface


class ExcelTimeIntervalsInterface(BaseTimeIntervalsInterface):
    """Interface for adding data from an Excel file to NWB as a TimeIntervals object."""

    display_name = "Excel time interval table"
    associated_suffixes = (".xlsx", ".xls", ".xlsm")
    info = "Interface for writing a time intervals table from an excel file."

    @staticmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        import pandas as pd

        return pd.read_excel(file_path, **read_kwargs)
