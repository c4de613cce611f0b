"""Excel sheets of time intervals (pandas.read_excel: openpyxl for .xlsx/.xlsm, xlrd for .xls)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing, claim_files
from nwbstream.service.detection import GENERIC

from .time_intervals import BaseTimeIntervalsInterface

WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # a zip (.xlsx, .xlsm), an OLE file (.xls)


class ExcelTimeIntervalsInterface(BaseTimeIntervalsInterface):
    """An Excel sheet of time intervals, read with pandas."""

    display_name = "Excel time interval table"
    associated_suffixes = (".xlsx", ".xls", ".xlsm")
    info = "An Excel sheet of time intervals (e.g. trials) as a TimeIntervals table."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Workbooks, by suffix and signature (Excel's ~$ lock files left out): a guess, their sheets unread."""
        found = [
            f
            for f in listing.with_suffix(*cls.associated_suffixes)
            if not f.name.startswith("~$") and listing.head(f, 4) in WORKBOOK_SIGNATURES
        ]
        return claim_files(cls.__name__, found, GENERIC, "Excel workbook (a time intervals table is a guess)")

    @staticmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        import pandas as pd

        return pd.read_excel(file_path, **read_kwargs)
