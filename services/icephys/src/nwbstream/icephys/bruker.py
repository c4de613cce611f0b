"""BrukerVoltageRecordingInterface: one electrode's PrairieView VoltageRecording cycles as one continuous
patch-clamp series on one timeline (each cycle at its own DateTime) and one intracellular-recordings row per
cycle, as NeuroConv 0.10.2 writes them."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative
from nwbstream.service.names import camel_case

from .base import BaseIcephysInterface, check_files
from .bruker_cycles import CYCLE_SUFFIX, Cycle, read_cycle
from .recordings import (
    RESPONSE_TYPES,
    Recording,
    RecordingsObject,
    SeriesPlan,
    Sweeps,
    run_columns,
    unit_conversion,
)

# Only the amplifier's primary output says the clamp mode: a recorded voltage is current clamp, a current voltage clamp.
MODE_SIGNAL = "Primary"
MODE_OF_UNIT = {"mV": "current_clamp", "pA": "voltage_clamp"}


class BrukerVoltageRecordingInterface(BaseIcephysInterface):
    """Intracellular electrophysiology recorded by Bruker PrairieView's VoltageRecording (CSV + XML per cycle)."""

    display_name = "Bruker VoltageRecording"
    associated_suffixes = (".csv", ".xml")
    info = "Bruker PrairieView voltage recordings (CSV + XML per cycle) as patch-clamp series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The VoltageRecording cycles of each run (files named <run>_Cycle<n>_VoltageRecording_<m>): each CSV
        with its VRecSessionEntry XML beside it, one detection per run."""
        runs: dict[PurePosixPath, list[tuple[PurePosixPath, PurePosixPath]]] = {}
        for csv in listing.with_suffix(".csv"):
            xml = listing.sibling(csv, f"{csv.stem}.xml")
            if not CYCLE_SUFFIX.search(csv.stem) or xml is None:
                continue
            if "<VRecSessionEntry" in listing.text_head(xml, 1024):
                runs.setdefault(csv.parent / CYCLE_SUFFIX.sub("", csv.stem), []).append((csv, xml))
        return [
            Detection(
                cls.__name__,
                {"file_paths": [relative(csv) for csv, _ in cycles]},
                tuple(str(f) for pair in cycles for f in pair),
                HEADER,
                f"{run}: {len(cycles)} VoltageRecording cycle(s), each CSV with its VRecSessionEntry XML",
            )
            for run, cycles in sorted(runs.items())
        ]

    def __init__(
        self,
        file_paths: list[Path],
        *,
        response_signal_name: str | None = None,
        mode: Literal["voltage_clamp", "current_clamp", "izero"] | None = None,
        stimulus_type: str | None = None,
        repetition: str | None = None,
        condition: str | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads each cycle's CSV with pandas and its XML with ElementTree.

        Parameters
        ----------
        file_paths : list of Path
            The cycle CSV files of one electrode, each with its VoltageRecording XML beside it.
        response_signal_name : str, optional
            The recorded signal that is the response (e.g. "Primary"); needed when several were recorded.
        mode : {"voltage_clamp", "current_clamp", "izero"}, optional
            The clamp mode; default from Primary's unit (mV: current clamp, pA: voltage clamp).
        stimulus_type : str, optional
            Written to the `stimulus_type` column of this run's rows.
        repetition : str, optional
            Label written to the `repetition` column of this run's rows.
        condition : str, optional
            Label written to the `condition` column of this run's rows.
        metadata_key : str, optional
            Key of the series in Icephys/PatchClampSeries; default <acquisition stem>_<signal>.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        paths = [Path(p) for p in file_paths]
        if not paths:
            raise SourceError("BrukerVoltageRecordingInterface: file_paths is empty; give at least one cycle CSV")
        check_files(paths, type(self).__name__)
        self.cycles = sorted((read_cycle(path) for path in paths), key=lambda cycle: cycle.start)
        first = self.cycles[0]
        self.signal_name = _response_signal(first, response_signal_name)
        self._check_cycles_agree()
        self.signal = first.signals[self.signal_name]
        self.mode = mode or _mode(self.signal, first)
        self.run = first.stem
        self.series_key = metadata_key or f"{self.run}_{self.signal_name}"
        self.stimulus_type, self.repetition, self.condition = stimulus_type, repetition, condition

    def _check_cycles_agree(self) -> None:
        """The cycles become one series with one conversion: a change of layout, unit or rate is refused."""
        first = self.cycles[0]
        reference = first.signals[self.signal_name]
        for cycle in self.cycles[1:]:
            if self.signal_name not in [s.name for s in cycle.recorded]:
                raise SourceError(
                    f"{cycle.csv}: did not record {self.signal_name!r}, so it is not a cycle of {first.csv}"
                )
            if cycle.column(self.signal_name) != first.column(self.signal_name):
                raise SourceError(f"{cycle.csv}: {self.signal_name!r} is in another column than in {first.csv}")
            signal = cycle.signals[self.signal_name]
            for label, ours, theirs in (
                ("sampling rate", first.rate, cycle.rate),
                ("unit", reference.unit, signal.unit),
                ("multiplier", reference.multiplier, signal.multiplier),
                ("divisor", reference.divisor, signal.divisor),
                ("amplifier", reference.device, signal.device),
            ):
                if ours != theirs:
                    raise SourceError(f"{cycle.csv}: {label} {theirs!r} differs from {first.csv}'s {ours!r}")

    def get_metadata(self) -> dict[str, Any]:
        device_key = self.signal.device.lower().replace(" ", "_")
        return {
            "NWBFile": {"session_start_time": self.cycles[0].start.isoformat()},
            "Devices": {
                device_key: {
                    "name": self.signal.device,
                    "description": "Patch-clamp amplifier (model as named by PrairieView).",
                }
            },
            "Icephys": {
                "IntracellularElectrodes": {
                    self.run: {
                        "name": f"IntracellularElectrode{camel_case(self.run)}",
                        "description": "Patch-clamp electrode.",
                        "device_metadata_key": device_key,
                    }
                },
                "PatchClampSeries": {
                    self.series_key: {
                        "name": self._series_name,
                        "description": f"Intracellular response ({self.mode}).",
                        "electrode_metadata_key": self.run,
                    }
                },
            },
        }

    @property
    def _series_name(self) -> str:
        return f"{RESPONSE_TYPES[self.mode]}{camel_case(self.series_key)}"

    def recordings(self, stub: bool) -> RecordingsObject:
        origin = self.cycles[0].start
        cache: dict[int, np.ndarray] = {}

        def read(sweep: int, start: int, stop: int) -> np.ndarray:
            if sweep not in cache:  # one cycle's CSV at a time
                cache.clear()
                cache[sweep] = self.cycles[sweep].values(self.signal_name)
            return cache[sweep][start:stop]

        sweeps = Sweeps(
            counts=tuple(cycle.n_samples for cycle in self.cycles),
            starts=tuple((cycle.start - origin).total_seconds() for cycle in self.cycles),
            rate=self.cycles[0].rate,
            dtype=np.dtype("<f8"),
            read=read,
        )
        sweeps = sweeps.stub() if stub else sweeps
        columns, descriptions = run_columns(
            sequence=self.run, stimulus_type=self.stimulus_type, repetition=self.repetition, condition=self.condition
        )
        series = SeriesPlan(
            name=self._series_name,
            neurodata_type=RESPONSE_TYPES[self.mode],
            electrode=0,
            sweeps=sweeps,
            conversion=self.signal.multiplier / self.signal.divisor * unit_conversion(self.signal.unit),
            description=f"Intracellular response ({self.mode}).",
            metadata_key=f"Icephys/PatchClampSeries/{self.series_key}",
        )
        rows = [
            Recording(0, int(start), int(count), columns=columns)
            for start, count in zip(sweeps.offsets[:-1], sweeps.counts, strict=True)
        ]
        return RecordingsObject(
            name=self._series_name,
            electrodes=[f"Icephys/IntracellularElectrodes/{self.run}"],
            series=[series],
            recordings=rows,
            column_descriptions=descriptions,
        )


def _response_signal(cycle: Cycle, name: str | None) -> str:
    """The response signal: the one recorded when none is named; never a signal without a patch-clamp amplifier."""
    recorded = [s.name for s in cycle.recorded]
    if name is None:
        if len(recorded) != 1:
            raise SourceError(f"{cycle.csv}: recorded {recorded}; say which is the response (response_signal_name)")
        name = recorded[0]
    elif name not in recorded:
        state = "declared but not enabled" if name in cycle.signals else "not declared"
        raise SourceError(f"{cycle.xml}: signal {name!r} is {state}; recorded signals: {recorded}")
    if not cycle.signals[name].device:
        raise SourceError(f"{cycle.xml}: signal {name!r} has no PatchclampDevice; it is not an intracellular signal")
    return name


def _mode(signal, cycle: Cycle) -> str:
    """The clamp mode Primary's unit says; anything else needs `mode`."""
    if signal.name != MODE_SIGNAL or signal.unit not in MODE_OF_UNIT:
        raise SourceError(
            f"{cycle.xml}: cannot tell the clamp mode from signal {signal.name!r} in {signal.unit!r}; pass mode"
        )
    return MODE_OF_UNIT[signal.unit]
