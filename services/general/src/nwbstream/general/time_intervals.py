"""A table of time intervals (trials, epochs, ...) read with pandas, described as NeuroConv 0.10.2 writes it:
one TimeIntervals table, one column per column of the file, typed as pandas reads it.

Renaming columns (`column_name_mapping`), their descriptions and the table's name and description are the
writer's business: they come from the metadata entry `TimeIntervals/<tag>` and the conversion options.
Columns whose name ends in `_time` are seconds (NeuroConv's timing columns): they travel as time-valued float64.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, Column, DatasetSpec, Kind, NwbObjectSpec, SourceError, Table
from nwbstream.service.chunks import Selection
from nwbstream.service.schemas import base_metadata_schema

DEFAULT_TAG = "trials"
_TEXT_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


class BaseTimeIntervalsInterface(BaseDataInterface):
    """Formats give `_read_file` (a pandas reader); everything else is shared."""

    differs_from_neuroconv = (
        "columns keep the types pandas reads (NeuroConv 0.10.2 adds rows one by one, so a table of numbers only has "
        "its integer columns written as float); a missing text value is written as an empty string (NeuroConv "
        "fails on it)"
    )

    def __init__(self, file_path: Path, read_kwargs: dict | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : str
            The path to the file containing time intervals data (CSV, Excel, etc.).
        read_kwargs : dict, optional
            Keyword arguments passed to the file's pandas reader (pandas.read_csv, pandas.read_excel),
            e.g. {"sep": ";", "skiprows": 1}.
        verbose : bool, default: False
            Accepted for NeuroConv's signature; nwbstream reports progress itself.
        """
        self.file_path = Path(file_path)
        self.dataframe = self._read_file(self.file_path, **(read_kwargs or {}))
        self.seconds = {
            str(name): self._seconds(name) for name in self.dataframe.columns if str(name).endswith("_time")
        }

    @staticmethod
    @abstractmethod
    def _read_file(file_path: Path, **read_kwargs: Any) -> Any:
        """The file as a pandas DataFrame."""

    def get_metadata(self) -> dict[str, Any]:
        table = {"table_name": "trials", "table_description": f"experimental trials generated from {self.file_path}"}
        return {"NWBFile": {}, "TimeIntervals": {DEFAULT_TAG: table}}

    def get_metadata_schema(self) -> dict[str, Any]:
        schema = base_metadata_schema()
        entry = {
            "type": "object",
            "properties": {
                "table_name": {"type": "string"},
                "table_description": {"type": "string"},
                "column_name_mapping": _TEXT_MAP,
                "column_descriptions": _TEXT_MAP,
            },
        }
        schema["properties"]["TimeIntervals"] = {"type": "object", "additionalProperties": entry}
        return schema

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """The whole table, stub or not: a table is small, and NeuroConv has no preview of one either. Rows are
        numbered 0..n-1 (a column of the file named `id` would give the ids)."""
        columns = []
        for name in self.dataframe.columns:
            label = str(name)
            if label in self.seconds:
                columns.append(Column(label, label, dataset=label))
            else:
                columns.append(Column(label, label, typed_values(self.dataframe[name])))
        datasets = [DatasetSpec.inline(name, values, time_valued=True) for name, values in self.seconds.items()]
        return [
            NwbObjectSpec(
                kind=Kind.TIME_INTERVALS,
                name=DEFAULT_TAG,
                metadata_key=f"TimeIntervals/{DEFAULT_TAG}",
                tables=[Table("intervals", columns)],
                datasets=datasets,
                attributes={"source": str(self.file_path)},
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        raise SourceError(f"{self.file_path}: a time intervals table has no bulk dataset ({dataset_name})")

    def _seconds(self, name: Any) -> np.ndarray:
        """A timing column as float64 seconds, as NeuroConv reads one."""
        try:
            return self.dataframe[name].to_numpy(dtype="<f8")
        except (TypeError, ValueError) as error:
            raise SourceError(f"{self.file_path}: timing column {name!r} is not numbers (seconds): {error}") from None


def typed_values(series: Any) -> np.ndarray | list[str]:
    """A column's values as pandas typed them: booleans, integers and floats as arrays; anything else as text
    (a missing value as "")."""
    import pandas as pd

    kinds = pd.api.types
    if kinds.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool)
    if kinds.is_integer_dtype(series.dtype) and not series.isna().any():
        return series.to_numpy(dtype="<i8")
    if kinds.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype="<f8", na_value=np.nan)
    if kinds.is_datetime64_any_dtype(series.dtype):
        return ["" if pd.isna(v) else v.isoformat() for v in series]
    return ["" if _missing(v) else str(v) for v in series]


def _missing(value: Any) -> bool:
    import pandas as pd

    return not isinstance(value, list | tuple | np.ndarray) and bool(pd.isna(value))
