"""FiberPhotometryResponseSeries: samples x traces, one trace per row of the FiberPhotometryTable.

As NeuroConv 0.10 writes it: the table (and the devices and indicators it names) only when the metadata gives
`FiberPhotometry.FiberPhotometryTable`, and then the series' entry must name its rows in
`fiber_photometry_table_region`; a series without a table is a bare series.
"""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext
from .fiber_photometry_table import fiber_photometry_table, table_rows
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

SERIES_FIELDS = {"name", "description", "comments", "conversion", "offset", "resolution", "continuity"}


@writes(pb.NWB_KIND_FIBER_PHOTOMETRY_RESPONSE_SERIES)
def add_fiber_photometry_response_series(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_fiber_photometry import FiberPhotometryResponseSeries

    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    series = FiberPhotometryResponseSeries(
        **{"name": obj.name, "description": "", **{key: value for key, value in entry.items() if key in SERIES_FIELDS}},
        unit="a.u.",  # as NeuroConv writes it, whatever the source's unit
        data=contribution.data["data"],
        fiber_photometry_table_region=_table_region(ctx, obj, entry),
        **timing_arguments(obj, contribution.data),
    )
    ctx.place(series, obj.placement or "acquisition")
    return Written(series, series_datasets(series, obj))


def _table_region(ctx: WriteContext, obj: pb.NwbObject, entry: dict):
    has_table = "FiberPhotometryTable" in (ctx.metadata.get("FiberPhotometry") or {})
    row_keys = entry.get("fiber_photometry_table_region")
    where = f"metadata {obj.metadata_key}"
    if row_keys is not None and not has_table:
        raise ConversionError(f"{where}: names table rows but the metadata has no FiberPhotometry/FiberPhotometryTable")
    if has_table and row_keys is None:
        raise ConversionError(
            f"{where}: the metadata gives a FiberPhotometryTable, so name this series' rows in "
            "`fiber_photometry_table_region` (row keys)"
        )
    if not has_table:
        return None
    table = fiber_photometry_table(ctx)
    key = obj.metadata_key.rsplit("/", 1)[-1]
    return table.create_fiber_photometry_table_region(
        description=entry.get("fiber_photometry_table_region_description", "fiber_photometry_table_region"),
        region=table_rows(ctx, list(row_keys), key),
    )
