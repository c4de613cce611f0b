"""GuPPy's registry tables (ndx-guppy GuppyRecordingSitesTable, GuppyEventsTable): one row per recording site or
event, which every GuPPy product refers to by row. Rows are added one by one so the extension's own columns and
their descriptions are used; a table sent without columns is written empty, as NeuroConv writes it."""

from __future__ import annotations

import json

from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext
from .guppy_module import guppy_module
from .registry import Contribution, Written, writes
from .tables import column_values, row_count

TABLE_TYPES = ("GuppyRecordingSitesTable", "GuppyEventsTable")


@writes(pb.NWB_KIND_GUPPY_TABLE)
def add_guppy_table(ctx: WriteContext, contribution: Contribution) -> Written:
    import ndx_guppy

    obj = contribution.obj
    neurodata_type = obj.neurodata_type or TABLE_TYPES[0]
    if neurodata_type not in TABLE_TYPES:
        raise ConversionError(f"{obj.name}: {neurodata_type!r} is not a GuPPy registry table ({TABLE_TYPES})")
    attributes = json.loads(obj.attributes_json or "{}")
    table = getattr(ndx_guppy, neurodata_type)(name=obj.name, description=attributes.get("description", ""))
    if obj.tables:
        columns = {column.name: list(column_values(column, contribution.data)) for column in obj.tables[0].columns}
        for row in range(row_count(obj.tables[0])):
            table.add_row(**{name: values[row] for name, values in columns.items()})
    guppy_module(ctx, obj).add(table)
    return Written(table)
