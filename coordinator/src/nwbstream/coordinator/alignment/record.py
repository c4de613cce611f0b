"""The alignment applied, as the NWB file keeps it and `nwbstream metadata` shows it.

The file gets a table processing/misc/ClockAlignment with one row per interface of the session and typed columns
(COLUMNS): which interface, the reference, the method ("reference", "own_clock" for an interface the block does
not name, "shift", "linear", "piecewise", "timestamps"), the fitted parameters and residuals, and where the times
came from. A column that no row of the session has a value for is left out; elsewhere an inapplicable value is NaN
(numbers), 0 (counts), "" (text) or an empty list (segments).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .declaration import parse_alignment
from .maps import ClockMap

if TYPE_CHECKING:
    from pynwb import NWBFile

MODULE = "misc"  # a processing module name nwbinspector knows
TABLE = "ClockAlignment"


@dataclass(frozen=True)
class Column:
    description: str
    missing: Any  # the value of a row the column does not apply to
    ragged: bool = False


COLUMNS = {
    "interface": Column("the interface's key in the session (the spec's source_data key)", ""),
    "interface_name": Column("the interface (NeuroConv's name) that read the stream", ""),
    "reference": Column("the interface whose clock is the session clock", ""),
    "method": Column(
        "how the interface's times were put on the session clock: reference, own_clock (left as read), shift, "
        "linear, piecewise or timestamps",
        "",
    ),
    "offset": Column("seconds: t_session = offset + (1 + drift) * t_own (shift, linear)", float("nan")),
    "drift": Column("the own clock's rate error: 2e-5 is 20 ppm (linear)", float("nan")),
    "segment_own_times": Column("piecewise: the matched pulses on the own clock (s), ends of the segments", [], True),
    "segment_reference_times": Column("piecewise: the same pulses on the reference clock (s)", [], True),
    "matched_pulses": Column("sync pulses paired across the two clocks", 0),
    "residual_rms": Column(
        "seconds: RMS of reference - map(own) at the matched pulses (linear), or of each inner pulse against the "
        "segment between its neighbours (piecewise)",
        float("nan"),
    ),
    "residual_max": Column("seconds: the largest absolute residual", float("nan")),
    "times_from": Column(
        "where the interface's pulse times or timestamps came from: 'channel=XD0 edge=rising' or 'file=<path>'", ""
    ),
    "reference_times_from": Column("where the reference's pulse times came from (same form)", ""),
    "tolerance": Column("seconds within which two pulses were paired", float("nan")),
    "follows": Column("a sorting the block does not name: the recording whose map its spike times took", ""),
}
# What maps.py's ClockMap.record() names differently here (a timestamps file is in times_from already).
RENAMED = {"own_times": "segment_own_times", "reference_times": "segment_reference_times"}
DROPPED = {"file_path", "count"}


@dataclass(frozen=True)
class AppliedAlignment:
    """One row per interface, in the session's order; a row holds the columns that apply to it."""

    reference: str
    rows: tuple[dict[str, Any], ...]


def applied_alignment(
    alignment: Mapping[str, Any],
    maps: Mapping[str, ClockMap],
    interface_names: Mapping[str, str],
    followers: Mapping[str, str] | None = None,
) -> AppliedAlignment | None:
    """What the file records for a session's alignment block (None when the session has none);
    `interface_names` maps each key to its interface, in the session's order; `followers`: sorting key -> the
    recording whose map it took."""
    followers = followers or {}
    if not alignment:
        return None
    declared = parse_alignment(alignment, list(interface_names))
    rows = []
    for key, interface_name in interface_names.items():
        row: dict[str, Any] = {"interface": key, "interface_name": interface_name, "reference": declared.reference}
        if key == declared.reference:
            row["method"] = "reference"
        elif key in maps:
            fitted = {RENAMED.get(name, name): value for name, value in maps[key].record().items()}
            row |= {name: value for name, value in fitted.items() if name not in DROPPED}
            if "segment_own_times" in row:  # a piecewise map's residuals leave out its end pulses
                row["matched_pulses"] = len(row["segment_own_times"])
            if key in followers:
                row["follows"] = followers[key]
            elif key in declared.methods:
                row |= declared.describe(key)
        else:
            row["method"] = "own_clock"
        rows.append(row)
    return AppliedAlignment(reference=declared.reference, rows=tuple(rows))


def describe(applied: AppliedAlignment | None) -> list[str]:
    """One line per interface, for people (`nwbstream metadata`)."""
    if applied is None:
        return []
    lines = [f"alignment: the session clock is {applied.reference}'s"]
    for row in applied.rows:
        lines.append(f"  {row['interface']} ({row['interface_name']}): {row['method']}{_summary(row)}")
    return lines


def _summary(row: Mapping[str, Any]) -> str:
    parts = []
    if "offset" in row:
        parts.append(f"offset {row['offset']:+.6f} s")
    if "drift" in row:
        parts.append(f"drift {row['drift'] * 1e6:+.3f} ppm")
    if "segment_own_times" in row:
        parts.append(f"{len(row['segment_own_times']) - 1} segments")
    if "matched_pulses" in row:
        parts.append(
            f"{row['matched_pulses']} matched pulses, residuals rms {row['residual_rms'] * 1e3:.3f} ms, "
            f"max {row['residual_max'] * 1e3:.3f} ms"
        )
    if "times_from" in row:
        parts.append(f"times from {row['times_from']}")
    return f" ({', '.join(parts)})" if parts else ""


def add_alignment_table(nwbfile: NWBFile, applied: AppliedAlignment) -> None:
    """The table described above, in processing/misc (created if no writer made it)."""
    from hdmf.common import DynamicTable

    table = DynamicTable(
        name=TABLE,
        description=f"How every stream's times were put on the session clock ({applied.reference}'s) by nwbstream",
    )
    used = [name for name in COLUMNS if any(name in row for row in applied.rows)]
    for name in used:
        table.add_column(name=name, description=COLUMNS[name].description, index=COLUMNS[name].ragged)
    for row in applied.rows:
        table.add_row(**{name: row.get(name, COLUMNS[name].missing) for name in used})
    module = nwbfile.processing.get(MODULE) or nwbfile.create_processing_module(
        name=MODULE, description="miscellaneous processed data"
    )
    module.add(table)
