"""The alignment applied, as the NWB file keeps it and `nwbstream metadata` shows it.

The file gets a table processing/misc/ClockAlignment, one row per interface of the session: `interface` (the
spec's key), `interface_name`, `reference` (the key whose clock is the session clock), `method` ("reference",
"own_clock" for an interface the block does not name, "shift", "linear", "piecewise", "timestamps") and
`parameters`, a JSON object: the fitted map (offset, drift, the piecewise segments' pulse times, matched_pulses,
residual_rms, residual_max in seconds) and where its times came from (channels, files, tolerance).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .declaration import parse_alignment
from .maps import ClockMap

if TYPE_CHECKING:
    from pynwb import NWBFile

MODULE = "misc"  # a processing module name nwbinspector knows
TABLE = "ClockAlignment"
COLUMNS = {
    "interface": "the interface's key in the session (the spec's source_data key)",
    "interface_name": "the interface (NeuroConv's name) that read the stream",
    "reference": "the interface whose clock is the session clock",
    "method": "how the interface's times were put on the session clock: reference, own_clock (left as read), "
    "shift, linear, piecewise or timestamps",
    "parameters": "JSON: the fitted map (seconds; drift as a rate error) with its residuals at the matched pulses, "
    "and where its times came from",
}


@dataclass(frozen=True)
class AppliedAlignment:
    """One row per interface, in the session's order."""

    reference: str
    rows: tuple[dict[str, str], ...]


def applied_alignment(
    alignment: Mapping[str, Any], maps: Mapping[str, ClockMap], interface_names: Mapping[str, str]
) -> AppliedAlignment | None:
    """What the file records for a session's alignment block (None when the session has none);
    `interface_names` maps each key to its interface, in the session's order."""
    if not alignment:
        return None
    declared = parse_alignment(alignment, list(interface_names))
    rows = []
    for key, interface_name in interface_names.items():
        if key == declared.reference:
            method, parameters = "reference", {}
        elif key in maps:
            parameters = {**maps[key].record(), **declared.describe(key)}
            method = parameters.pop("method")
        else:
            method, parameters = "own_clock", {}
        rows.append(
            {
                "interface": key,
                "interface_name": interface_name,
                "reference": declared.reference,
                "method": method,
                "parameters": json.dumps(parameters),
            }
        )
    return AppliedAlignment(reference=declared.reference, rows=tuple(rows))


def describe(applied: AppliedAlignment | None) -> list[str]:
    """One line per interface, for people (`nwbstream metadata`)."""
    if applied is None:
        return []
    lines = [f"alignment: the session clock is {applied.reference}'s"]
    for row in applied.rows:
        parameters = json.loads(row["parameters"])
        lines.append(f"  {row['interface']} ({row['interface_name']}): {row['method']}{_summary(parameters)}")
    return lines


def _summary(parameters: Mapping[str, Any]) -> str:
    parts = []
    if "offset" in parameters:
        parts.append(f"offset {parameters['offset']:+.6f} s")
    if "drift" in parameters:
        parts.append(f"drift {parameters['drift'] * 1e6:+.3f} ppm")
    if "own_times" in parameters:
        parts.append(f"{len(parameters['own_times']) - 1} segments")
    if "count" in parameters:
        parts.append(f"{parameters['count']} times from {parameters['file_path']}")
    if "matched_pulses" in parameters:
        parts.append(
            f"{parameters['matched_pulses']} matched pulses, residuals rms {parameters['residual_rms'] * 1e3:.3f} ms, "
            f"max {parameters['residual_max'] * 1e3:.3f} ms"
        )
    return f" ({', '.join(parts)})" if parts else ""


def add_alignment_table(nwbfile: NWBFile, applied: AppliedAlignment) -> None:
    """The table described above, in processing/misc (created if no writer made it)."""
    from hdmf.common import DynamicTable

    table = DynamicTable(
        name=TABLE,
        description=f"How every stream's times were put on the session clock ({applied.reference}'s) by nwbstream",
    )
    for name, description in COLUMNS.items():
        table.add_column(name=name, description=description)
    for row in applied.rows:
        table.add_row(**row)
    module = nwbfile.processing.get(MODULE) or nwbfile.create_processing_module(
        name=MODULE, description="miscellaneous processed data"
    )
    module.add(table)
