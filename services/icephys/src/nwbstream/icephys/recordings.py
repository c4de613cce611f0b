"""What every icephys interface describes: patch-clamp series made of sweeps, and the rows that address them.

An interface lists its series (`SeriesPlan`: one response or stimulus series, its sweeps, scaling and timing) and
its intracellular-recordings rows; `RecordingsObject.describe` turns them into one NWB_KIND_INTRACELLULAR_RECORDINGS
object. A series' samples are read sweep by sweep, so a selection of any size reads only the sweeps it covers.
Small series travel inline with the description (legacy ABF writes one series per sweep: hundreds of small
datasets, never hundreds of streams); larger ones stream as chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nwbstream.service import Column, DatasetSpec, Kind, NwbObjectSpec, Table

# A series at most this large goes inline, while the object's inline total stays under INLINE_BUDGET (one
# OpenSource reply carries at most 65 MiB).
INLINE_SERIES_BYTES = 4 << 20
INLINE_BUDGET = 32 << 20
# Stub mode: the first sweep of each run, cut to this many seconds.
STUB_SECONDS = 2.0
# NeuroConv's test for a regular series (calculate_regular_series_rate): no sample further than the stricter of
# 1 us and a tenth of a period from `first + i * period`.
REGULAR_TOLERANCE_SECONDS = 1e-6
# Volts or amperes per unit, as NeuroConv's get_conversion_from_unit reads a unit (anything else: 1).
UNIT_SCALE = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0}

# The NWB series types of each clamp mode.
RESPONSE_TYPES = {
    "voltage_clamp": "VoltageClampSeries",
    "current_clamp": "CurrentClampSeries",
    "izero": "IZeroClampSeries",
}
STIMULUS_TYPES = {"voltage_clamp": "VoltageClampStimulusSeries", "current_clamp": "CurrentClampStimulusSeries"}

# The run-level columns NeuroConv writes on every row (tools/icephys.py's descriptions).
RUN_COLUMNS = {
    "sequence": "Run identity grouping rows into a sequential recording (shared by the run's sweeps).",
    "stimulus_type": "Stimulus type of the run, carried up to its sequential recording when aggregated.",
    "repetition": "Repetition label grouping sequential recordings into a repetition.",
    "condition": "Experimental condition label grouping repetitions.",
}


def run_columns(**values: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The run-level columns a run states (`sequence` always, the others when given) and their descriptions."""
    stated = {name: value for name, value in values.items() if value is not None}
    return stated, {name: RUN_COLUMNS[name] for name in stated}


SweepReader = Callable[[int, int, int], np.ndarray]  # (sweep, start, stop) -> that sweep's samples [start, stop)


def unit_conversion(unit: str) -> float:
    """Volts or amperes per `unit` (pA, mV, uV, A, ...), as NeuroConv converts icephys units."""
    unit = (unit or "").strip().replace("µ", "u").replace("μ", "u")
    if len(unit) in (1, 2) and unit[-1] in "AV" and unit[:-1] in UNIT_SCALE:
        return UNIT_SCALE[unit[:-1]]
    return 1.0


@dataclass(frozen=True)
class Sweeps:
    """One signal cut into sweeps: each sweep's sample count and start time, read through `read`."""

    counts: tuple[int, ...]
    starts: tuple[float, ...]
    rate: float
    dtype: np.dtype
    read: SweepReader

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)

    def sweep(self, index: int, shift: float = 0.0) -> Sweeps:
        """Sweep `index` alone, its start moved by `shift` seconds."""

        def read(_: int, start: int, stop: int) -> np.ndarray:
            return self.read(index, start, stop)

        return Sweeps((self.counts[index],), (self.starts[index] + shift,), self.rate, self.dtype, read)

    def stub(self) -> Sweeps:
        """The first sweep, at most STUB_SECONDS long."""
        count = min(self.counts[0], max(1, int(STUB_SECONDS * self.rate)))
        return Sweeps((count,), self.starts[:1], self.rate, self.dtype, self.read)

    def values(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) of the sweeps laid end to end."""
        offsets = self.offsets
        pieces = []
        for sweep in range(len(self.counts)):
            low, high = max(start, offsets[sweep]), min(stop, offsets[sweep + 1])
            if low < high:
                pieces.append(self.read(sweep, int(low - offsets[sweep]), int(high - offsets[sweep])))
        return np.concatenate(pieces).astype(self.dtype, copy=False) if pieces else np.empty(0, self.dtype)

    def times(self, start: int, stop: int) -> np.ndarray:
        """The time of samples [start, stop): each sweep's start, then one period per sample."""
        offsets = self.offsets
        index = np.arange(start, stop)
        sweep = np.searchsorted(offsets, index, side="right") - 1
        return np.asarray(self.starts)[sweep] + (index - offsets[sweep]) / self.rate

    def regular_start(self) -> float | None:
        """The first sample's time when the sweeps are contiguous at `rate` (NeuroConv writes rate and start
        then), else None (it writes timestamps). Checked sweep by sweep: never the whole time axis at once."""
        total = int(sum(self.counts))
        if total < 2:
            return None
        first, last = self.times(0, 1)[0], self.times(total - 1, total)[0]
        period = (last - first) / (total - 1)
        if not period > 0:
            return None
        tolerance = min(0.1 * period, REGULAR_TOLERANCE_SECONDS)
        for sweep, offset in enumerate(self.offsets[:-1]):
            ends = np.array([offset, offset + self.counts[sweep] - 1])
            ideal = first + ends * period
            actual = self.starts[sweep] + (ends - offset) / self.rate
            if np.abs(ideal - actual).max() > tolerance:
                return None
        return float(first)

    def regular_rate(self) -> float:
        """NeuroConv's rate of a regular series: 1 / ((last - first) / (n - 1))."""
        total = int(sum(self.counts))
        first, last = self.times(0, 1)[0], self.times(total - 1, total)[0]
        return float(1.0 / ((last - first) / (total - 1)))


@dataclass(frozen=True)
class SeriesPlan:
    """One patch-clamp series (a response in acquisition, or a stimulus in stimulus) and how to read it."""

    name: str
    neurodata_type: str  # CurrentClampSeries, VoltageClampStimulusSeries, IZeroClampSeries, ...
    electrode: int  # index into the object's electrodes
    sweeps: Sweeps
    conversion: float
    offset: float = 0.0
    description: str = ""
    metadata_key: str = ""  # Icephys/PatchClampSeries/<key>: the user's name and description win
    nominal_rate: bool = False  # legacy ABF writes the file's sampling rate, not one measured from the times

    @property
    def is_stimulus(self) -> bool:
        return self.neurodata_type.endswith("StimulusSeries")


@dataclass(frozen=True)
class Recording:
    """One intracellular-recordings row: a response sweep and, when there is one, its stimulus sweep."""

    response: int  # index into the object's series
    start: int
    count: int
    stimulus: int = -1
    stimulus_start: int = -1
    stimulus_count: int = -1
    columns: dict[str, str] = field(default_factory=dict)  # run-level text columns (sequence, stimulus_type)


@dataclass(frozen=True)
class Hierarchy:
    """Simultaneous recordings (row indices of this object's recordings) grouped into sequential recordings."""

    simultaneous: list[list[int]]
    sequential: list[list[int]]
    stimulus_types: list[str]


@dataclass
class RecordingsObject:
    """Everything one run contributes, and how its bulk datasets are read (by dataset name)."""

    name: str
    electrodes: list[str]  # metadata keys: Icephys/IntracellularElectrodes/<key> or Icephys/Electrodes/<i>
    series: list[SeriesPlan]
    recordings: list[Recording]
    column_descriptions: dict[str, str] = field(default_factory=dict)
    hierarchy: Hierarchy | None = None
    lab_metadata_key: str = ""  # a metadata section written as DandiIcephysMetadata when the metadata has it
    readers: dict[str, Callable[[int, int], np.ndarray]] = field(default_factory=dict)

    def describe(self) -> NwbObjectSpec:
        datasets, series = [], []
        inline_total = 0
        for plan in self.series:
            entry: dict[str, Any] = {
                "name": plan.name,
                "neurodata_type": plan.neurodata_type,
                "electrode": plan.electrode,
                "conversion": plan.conversion,
                "offset": plan.offset,
                "description": plan.description,
                "metadata_key": plan.metadata_key,
                "data": f"{plan.name}/data",
            }
            start = plan.sweeps.regular_start()
            bulk = [(f"{plan.name}/data", plan.sweeps.dtype, plan.sweeps.values, False)]
            if start is None:
                entry["timestamps"] = f"{plan.name}/timestamps"
                bulk.append((entry["timestamps"], np.dtype("<f8"), plan.sweeps.times, True))
            else:
                rate = plan.sweeps.rate if plan.nominal_rate else plan.sweeps.regular_rate()
                entry |= {"rate": rate, "starting_time": start}
            series.append(entry)
            total = int(sum(plan.sweeps.counts))
            for name, dtype, read, time_valued in bulk:
                nbytes = total * dtype.itemsize
                if nbytes <= INLINE_SERIES_BYTES and inline_total + nbytes <= INLINE_BUDGET:
                    inline_total += nbytes
                    datasets.append(DatasetSpec.inline(name, read(0, total).astype(dtype), time_valued=time_valued))
                else:
                    datasets.append(DatasetSpec(name, dtype.newbyteorder("<"), (total,), time_valued=time_valued))
                    self.readers[name] = read
        return NwbObjectSpec(
            kind=Kind.INTRACELLULAR_RECORDINGS,
            name=self.name,
            metadata_key="Icephys",
            tables=self._tables(),
            datasets=datasets,
            attributes={
                "electrodes": self.electrodes,
                "series": series,
                **({"lab_metadata_key": self.lab_metadata_key} if self.lab_metadata_key else {}),
            },
        )

    def read(self, dataset_name: str, selection: Sequence[slice]) -> np.ndarray:
        (rows,) = selection
        return self.readers[dataset_name](rows.start or 0, rows.stop)

    def _tables(self) -> list[Table]:
        rows = self.recordings

        def integers(values: list[int]) -> np.ndarray:
            return np.asarray(values, dtype="<i8")

        columns = [
            Column("response", "series index of the response", integers([r.response for r in rows])),
            Column("response_start_index", "first sample of the sweep", integers([r.start for r in rows])),
            Column("response_index_count", "samples of the sweep", integers([r.count for r in rows])),
            Column("stimulus", "series index of the stimulus, -1: none", integers([r.stimulus for r in rows])),
            Column("stimulus_start_index", "first stimulus sample", integers([r.stimulus_start for r in rows])),
            Column("stimulus_index_count", "stimulus samples", integers([r.stimulus_count for r in rows])),
        ]
        for name, description in self.column_descriptions.items():
            columns.append(Column(name, description, [r.columns.get(name, "") for r in rows]))
        tables = [Table("intracellular_recordings", columns)]
        if self.hierarchy is not None:
            stimulus_types = Column("stimulus_type", "stimulus type", list(self.hierarchy.stimulus_types))
            sequential = self.hierarchy.sequential
            tables += [
                _ragged_table("simultaneous_recordings", "recordings", self.hierarchy.simultaneous),
                _ragged_table("sequential_recordings", "simultaneous_recordings", sequential, stimulus_types),
            ]
        return tables


def _ragged_table(name: str, column: str, groups: list[list[int]], *extra: Column) -> Table:
    """A table whose rows each group rows of the table before it (`column`, ragged), then `extra` columns."""
    values = np.asarray([i for group in groups for i in group], dtype="<i8")
    index = np.cumsum([len(group) for group in groups]).astype("<i8")
    return Table(name, [Column(column, f"the {column} rows each row groups", values, index=index), *extra])
