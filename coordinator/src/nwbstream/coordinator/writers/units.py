"""The Units table: unit names and properties as rows, spike times as one ragged column filled by chunks."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hdmf.common import VectorData, VectorIndex
from hdmf.data_utils import DataIO
from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBFile
from pynwb.misc import Units

from ..errors import ConversionError
from .tables import column_descriptions, table_columns

SPIKE_TIMES_DESCRIPTION = "The spike times of each unit, in seconds."


def add_units(nwbfile: NWBFile, obj: pb.NwbObject, data: dict[str, DataIO], metadata: dict[str, Any]) -> str:
    """Returns the in-file path of the spike_times dataset."""
    if nwbfile.units is not None:
        raise ConversionError("two sorting interfaces in one session: nwbstream writes one Units table per file")
    ecephys = metadata.get("Ecephys", {})
    descriptions = {p["name"]: p.get("description", "") for p in ecephys.get("UnitProperties", [])}
    table = next(t for t in obj.tables if t.name == "units")
    columns = table_columns(table)
    descriptions = {**column_descriptions(table), **descriptions}
    ends = json.loads(obj.attributes_json)["spike_times_index"]
    spike_times = VectorData(name="spike_times", description=SPIKE_TIMES_DESCRIPTION, data=data["spike_times"])
    vectors: list[VectorData] = [
        VectorIndex(name="spike_times_index", data=np.asarray(ends, dtype=np.int64), target=spike_times),
        spike_times,
    ]
    for name, values in columns.items():
        vectors.append(
            VectorData(name=name, description=descriptions.get(name) or f"{name} of the unit.", data=_typed(values))
        )
    units_metadata = ecephys.get("Units", {})
    nwbfile.units = Units(
        name="units",
        description=units_metadata.get("description", "Sorted units."),
        columns=vectors,
        id=list(range(len(ends))),
    )
    return "units/spike_times"


def _typed(values: list[Any]) -> list[Any] | np.ndarray:
    """Numbers with gaps (None) become float with NaN; text stays text."""
    if any(isinstance(v, str) for v in values):
        return ["" if v is None else str(v) for v in values]
    return np.asarray([math.nan if v is None else v for v in values])
