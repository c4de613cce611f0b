"""Small tables arrive as JSON columns; these turn them into Python values."""

from __future__ import annotations

import json
from typing import Any

from nwbstream.v1 import modality_pb2 as pb


def table_columns(table: pb.Table) -> dict[str, list[Any]]:
    return {column.name: json.loads(column.values_json) for column in table.columns}


def column_descriptions(table: pb.Table) -> dict[str, str]:
    return {column.name: column.description for column in table.columns}
