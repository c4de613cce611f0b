"""The Units table: unit names and properties as rows, spike times as one ragged column filled by chunks."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb.misc import Units

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes
from .tables import column_descriptions, table_vectors

SPIKE_TIMES_DESCRIPTION = "The spike times of each unit, in seconds."


@writes(pb.NWB_KIND_UNITS)
def add_units(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    if ctx.nwbfile.units is not None:
        raise ConversionError("two sorting interfaces in one session: nwbstream writes one Units table per file")
    ecephys = ctx.metadata.get("Ecephys", {})
    table = next(t for t in obj.tables if t.name == "units")
    descriptions = {
        **column_descriptions(table),
        "spike_times": SPIKE_TIMES_DESCRIPTION,
        **{p["name"]: p.get("description", "") for p in ecephys.get("UnitProperties", [])},
    }
    vectors, bulk = table_vectors(table, contribution.data, descriptions)
    n_units = len(next(c for c in table.columns if c.name == "spike_times").index)
    ctx.nwbfile.units = Units(
        name="units",
        description=ecephys.get("Units", {}).get("description", "Sorted units."),
        columns=vectors,
        id=list(range(n_units)),
    )
    return Written(ctx.nwbfile.units, {name: (vector, "") for name, vector in bulk.items()})
