"""Table columns as they arrive (JSON, typed binary, a bulk dataset, ragged) turned into values and vectors."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hdmf.common import VectorData, VectorIndex
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError


def column_dtype(column: pb.Column) -> np.dtype | None:
    """The numpy dtype of a typed column (records for "compound"); None for JSON columns."""
    if column.dtype == "compound":
        return np.dtype([(f.name, f.dtype) for f in column.fields])
    if column.dtype in ("", "str"):
        return None
    return np.dtype(column.dtype)


def column_values(column: pb.Column, data: Mapping[str, Any] | None = None) -> Any:
    """The column's values: the bulk dataset it names, a typed array, or the JSON list."""
    if column.dataset:
        return (data or {})[column.dataset]
    dtype = column_dtype(column)
    if dtype is None:
        return json.loads(column.values_json or "[]")
    values = np.frombuffer(column.values, dtype=dtype)
    return values.reshape(-1, *column.row_shape) if column.row_shape else values


def inline_array(obj: pb.NwbObject, plan: pb.DatasetPlan) -> np.ndarray:
    """A dataset sent inline with the object's description, checked against its declared shape."""
    dtype = np.dtype(plan.dtype)
    expected = int(np.prod(plan.shape, dtype=np.int64)) * dtype.itemsize
    if len(plan.inline_data) != expected:
        raise ConversionError(f"{obj.name}/{plan.name}: {len(plan.inline_data)} inline bytes, expected {expected}")
    return np.frombuffer(plan.inline_data, dtype=dtype).reshape(tuple(plan.shape))


def table_columns(table: pb.Table) -> dict[str, Any]:
    return {column.name: column_values(column) for column in table.columns}


def column_descriptions(table: pb.Table) -> dict[str, str]:
    return {column.name: column.description for column in table.columns}


def table_vectors(
    table: pb.Table, data: Mapping[str, Any], descriptions: Mapping[str, str] | None = None
) -> tuple[list[VectorData], dict[str, VectorData]]:
    """The table's columns as hdmf vectors (a ragged column as its VectorIndex and VectorData), and the vector
    holding each bulk dataset, by dataset name. `descriptions` override the columns' own."""
    vectors: list[VectorData] = []
    bulk: dict[str, VectorData] = {}
    for column in table.columns:
        if column.name == "id":
            continue
        description = (descriptions or {}).get(column.name) or column.description
        values = column_values(column, data)
        vector = VectorData(name=column.name, description=description, data=_plain_column(values))
        if column.index:
            index = VectorIndex(
                name=f"{column.name}_index", data=np.asarray(column.index, dtype=np.int64), target=vector
            )
            vectors.append(index)
        vectors.append(vector)
        if column.dataset:
            bulk[column.dataset] = vector
    return vectors, bulk


def row_ids(table: pb.Table) -> list[int]:
    """The table's `id` column when it has one, else 0..n-1."""
    for column in table.columns:
        if column.name == "id":
            return [int(i) for i in column_values(column)]
    return list(range(row_count(table)))


def row_count(table: pb.Table) -> int:
    for column in table.columns:
        if column.index:
            return len(column.index)
        if not column.dataset:
            return len(column_values(column))
    return 0


def _plain_column(values: Any) -> Any:
    """JSON numbers with gaps (null) become float with NaN; text stays text; arrays and placeholders pass."""
    if not isinstance(values, list):
        return values
    if any(isinstance(v, str) for v in values):
        return ["" if v is None else str(v) for v in values]
    return np.asarray([math.nan if v is None else v for v in values])
