"""Patch-clamp series, their electrodes and devices, and the icephys tables, as pynwb builds them.

One object is one run (an ABF file's electrode, a legacy ABF interface's files, Bruker cycles): its series
(`attributes_json.series`), the electrodes they were recorded through (`attributes_json.electrodes`, metadata
keys), one intracellular-recordings row per sweep, and, when it sends them, simultaneous and sequential
recordings grouping those rows. Rows are added with pynwb's add_intracellular_recording and its siblings, so
several runs in one file share one set of tables, each run's indices offset by the rows already there.
"""

from __future__ import annotations

import json
import math
from typing import Any

from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBFile, icephys

from ..errors import ConversionError
from .context import WriteContext
from .devices import add_device
from .registry import Contribution, Written, writes
from .tables import column_descriptions, column_values, table_columns

SERIES_TYPES = {
    name: getattr(icephys, name)
    for name in (
        "CurrentClampSeries",
        "VoltageClampSeries",
        "IZeroClampSeries",
        "CurrentClampStimulusSeries",
        "VoltageClampStimulusSeries",
    )
}
ELECTRODE_FIELDS = ("cell_id", "location", "slice", "resistance", "seal", "filtering", "initial_access_resistance")
# NeuroConv's device for an electrode that names none.
PLACEHOLDER_DEVICE = "PlaceholderIntracellularDevice"
ROW_FIELDS = (
    "response",
    "response_start_index",
    "response_index_count",
    "stimulus",
    "stimulus_start_index",
    "stimulus_index_count",
)


@writes(pb.NWB_KIND_INTRACELLULAR_RECORDINGS)
def add_intracellular_recordings(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    electrodes = [electrode(ctx, key) for key in attributes.get("electrodes", [])]
    series, held = [], {}
    for plan in attributes.get("series", []):
        made = patch_clamp_series(ctx, obj, plan, electrodes, contribution.data)
        series.append(made)
        held[plan["data"]] = (made, "data")
        if plan.get("timestamps"):
            held[plan["timestamps"]] = (made, "timestamps")
    tables = {table.name: table for table in obj.tables}
    if "intracellular_recordings" not in tables:
        raise ConversionError(f"{obj.name}: no intracellular_recordings table")
    rows = add_rows(ctx.nwbfile, tables["intracellular_recordings"], series)
    if "simultaneous_recordings" in tables:
        simultaneous = [
            ctx.nwbfile.add_icephys_simultaneous_recording(recordings=[rows[i] for i in group])
            for group in _groups(tables["simultaneous_recordings"], "recordings")
        ]
        sequential = tables["sequential_recordings"]
        stimulus_types = table_columns(sequential).get("stimulus_type", [])
        for group, stimulus_type in zip(_groups(sequential, "simultaneous_recordings"), stimulus_types, strict=True):
            ctx.nwbfile.add_icephys_sequential_recording(
                simultaneous_recordings=[simultaneous[i] for i in group], stimulus_type=stimulus_type
            )
    lab_metadata_key = attributes.get("lab_metadata_key")
    if lab_metadata_key and ctx.metadata.get(lab_metadata_key):
        _add_dandi_icephys_metadata(ctx.nwbfile, ctx.metadata[lab_metadata_key])
    if not series:
        raise ConversionError(f"{obj.name}: no series")
    return Written(series[0], held)


def entry_at(metadata: dict[str, Any], key: str) -> dict[str, Any]:
    """The metadata entry at a "/"-separated key whose parts may index lists (`Icephys/Electrodes/0`)."""
    node: Any = metadata
    for part in key.split("/"):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part, {})
        else:
            return {}
    return node if isinstance(node, dict) else {}


def electrode(ctx: WriteContext, key: str) -> icephys.IntracellularElectrode:
    """The electrode the entry at `key` describes, made once per name, with its device: the one its `device`
    names (an `Icephys/Device` entry, else a bare device of that name), else NeuroConv's placeholder."""
    entry = entry_at(ctx.metadata, key)
    if not entry.get("name"):
        raise ConversionError(f"metadata {key}: no electrode `name`")
    nwbfile = ctx.nwbfile
    if entry["name"] in nwbfile.icephys_electrodes:
        return nwbfile.icephys_electrodes[entry["name"]]
    device_name = entry.get("device") or entry.get("device_name") or PLACEHOLDER_DEVICE
    listed = [d for d in (ctx.metadata.get("Icephys") or {}).get("Device", []) if d.get("name") == device_name]
    device = add_device(nwbfile, listed[0] if listed else {"name": device_name})
    return nwbfile.create_icephys_electrode(
        name=entry["name"],
        description=entry.get("description", "no description"),
        device=device,
        **{field: entry[field] for field in ELECTRODE_FIELDS if field in entry},
    )


def patch_clamp_series(
    ctx: WriteContext, obj: pb.NwbObject, plan: dict[str, Any], electrodes: list, data: dict[str, Any]
) -> icephys.PatchClampSeries:
    """One response (to acquisition) or stimulus (to stimulus); its metadata entry's name and description win."""
    cls = SERIES_TYPES.get(plan["neurodata_type"])
    if cls is None:
        raise ConversionError(f"{obj.name}: {plan['neurodata_type']} is not an icephys series type")
    entry = entry_at(ctx.metadata, plan["metadata_key"]) if plan.get("metadata_key") else {}
    if plan.get("timestamps"):
        timing: dict[str, Any] = {"timestamps": data[plan["timestamps"]]}
    else:
        timing = {"rate": plan["rate"], "starting_time": plan["starting_time"]}
    series = cls(
        name=entry.get("name", plan["name"]),
        description=entry.get("description", plan.get("description") or "no description"),
        data=data[plan["data"]],
        electrode=electrodes[plan["electrode"]],
        conversion=plan["conversion"],
        offset=plan.get("offset") or 0.0,
        gain=math.nan,
        **timing,
    )
    placement = "stimulus" if plan["neurodata_type"].endswith("StimulusSeries") else "acquisition"
    ctx.place(series, placement, metadata_key=plan.get("metadata_key", ""))
    return series


def add_rows(nwbfile: NWBFile, table: pb.Table, series: list) -> list[int]:
    """One intracellular-recordings row per sweep, with the run-level text columns NeuroConv adds: a column new to
    the file is backfilled with "" on earlier rows, and a column this run does not state gets ""."""
    values = {column.name: column_values(column) for column in table.columns}
    descriptions = column_descriptions(table)
    extra = [name for name in values if name not in ROW_FIELDS]
    recordings = nwbfile.get_intracellular_recordings()
    for name in extra:
        if name not in recordings.colnames:
            recordings.add_column(name=name, description=descriptions[name], data=[""] * len(recordings))
    known = [name for name in recordings.colnames if name not in ("electrode", "stimulus", "response")]
    added = []
    for row in range(len(values["response"])):
        response = series[int(values["response"][row])]
        arguments: dict[str, Any] = {
            "electrode": response.electrode,
            "response": response,
            "response_start_index": int(values["response_start_index"][row]),
            "response_index_count": int(values["response_index_count"][row]),
        }
        stimulus = int(values["stimulus"][row])
        if stimulus >= 0:
            arguments |= {
                "stimulus": series[stimulus],
                "stimulus_start_index": int(values["stimulus_start_index"][row]),
                "stimulus_index_count": int(values["stimulus_index_count"][row]),
            }
        arguments |= {name: values[name][row] if name in values else "" for name in known}
        added.append(nwbfile.add_intracellular_recording(**arguments))
    return added


def _groups(table: pb.Table, column_name: str) -> list[list[int]]:
    """A ragged column's rows: each row's run of values."""
    column = next((c for c in table.columns if c.name == column_name), None)
    if column is None:
        raise ConversionError(f"{table.name}: no {column_name} column")
    values = [int(v) for v in column_values(column)]
    ends = [int(i) for i in column.index]
    return [values[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def _add_dandi_icephys_metadata(nwbfile: NWBFile, entry: dict[str, Any]) -> None:
    """DANDI's icephys lab metadata (ndx-dandi-icephys), once per file, as NeuroConv adds it."""
    from ndx_dandi_icephys import DandiIcephysMetadata

    if "DandiIcephysMetadata" not in nwbfile.lab_meta_data:
        nwbfile.add_lab_meta_data(DandiIcephysMetadata(**{k: v for k, v in entry.items() if v is not None}))
