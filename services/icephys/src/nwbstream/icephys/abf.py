"""AbfInterface, NeuroConv's legacy ABF interface (neo's AxonIO): one series per sweep and channel, every file
one sequential recording of simultaneous recordings, named and scaled as NeuroConv 0.10.2's add_neo_to_nwb."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .abf_file import AbfFile, abf_files
from .base import BaseIcephysInterface, check_files
from .recordings import (
    RESPONSE_TYPES,
    STIMULUS_TYPES,
    Hierarchy,
    Recording,
    RecordingsObject,
    SeriesPlan,
    unit_conversion,
)

DANDI_FIELDS = ("cell_id", "slice_id", "targeted_layer", "inferred_layer")
DANDI_KEY = "ndx-dandi-icephys"
# The clamp mode a response channel's unit implies when the metadata gives none (NeuroConv stops there).
MODE_OF_UNIT = {"V": "current_clamp", "A": "voltage_clamp"}


class AbfInterface(BaseIcephysInterface):
    """ABF intracellular electrophysiology (legacy): several ABF files of one cell into one NWB file."""

    display_name = "ABF Icephys"
    associated_suffixes = (".abf",)
    info = "Axon ABF patch-clamp files as one series per sweep with the icephys tables (NeuroConv's legacy layout)."
    differs_from_neuroconv = (
        "An ABF2 file whose icephys_experiment_type the metadata does not give converts with the clamp mode its "
        "response unit implies (V: current clamp, A: voltage clamp) instead of stopping; Icephys/Sessions edited "
        "in the spec's metadata are not applied (give them in icephys_metadata)."
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A folder's ABF files together, in name order, as NeuroConv takes one cell's files (one session cannot
        hold two of these interfaces: their series' names repeat); each file alone is the alternative, for a folder
        of several cells, as is AxonIntracellularInterface, one electrode at a time."""
        files = abf_files(listing)
        alone = [
            Detection(cls.__name__, {"file_paths": [relative(f)]}, (str(f),), HEADER, f"{f}: ABF signature")
            for f in files
        ]
        together = []
        for folder in sorted({f.parent for f in files}):
            members = [f for f in files if f.parent == folder]
            if len(members) > 1:
                evidence = f"{relative(folder)}: {len(members)} files with an ABF signature, taken as one cell's"
                source = {"file_paths": [relative(f) for f in members]}
                together.append(Detection(cls.__name__, source, tuple(map(str, members)), HEADER, evidence))
        return [*together, *alone]

    def __init__(
        self,
        file_paths: list[Path],
        *,
        icephys_metadata: dict | None = None,
        icephys_metadata_file_path: Path | None = None,
    ):
        """Reads each ABF file with neo's AxonIO.

        Parameters
        ----------
        file_paths : list of Path
            The ABF files to convert into one NWB file, in order (the first one's start is the session's).
        icephys_metadata : dict, optional
            Icephys metadata: cell_id, slice_id, targeted_layer, inferred_layer, and recording_sessions (one entry
            per file: abf_file_name, icephys_experiment_type, stimulus_type).
        icephys_metadata_file_path : Path, optional
            A JSON file holding that metadata (used when icephys_metadata is not given).
        """
        paths = [Path(p) for p in file_paths]
        check_files(paths, type(self).__name__)
        if icephys_metadata is None and icephys_metadata_file_path is not None:
            check_files([Path(icephys_metadata_file_path)], type(self).__name__)
            try:
                icephys_metadata = json.loads(Path(icephys_metadata_file_path).read_text(encoding="utf-8"))
            except ValueError as error:
                raise SourceError(f"{icephys_metadata_file_path}: not a JSON file: {error}") from error
        self.icephys_metadata = icephys_metadata or {}
        self.files = [AbfFile(path) for path in paths]
        self.sessions = [self._session(abf) for abf in self.files]

    def _session(self, abf: AbfFile) -> dict[str, Any]:
        """The file's Icephys/Sessions entry; `recordings` comes with get_metadata."""
        given = [
            s
            for s in self.icephys_metadata.get("recording_sessions", [])
            if Path(s.get("abf_file_name", "")).name == abf.path.name
        ]
        extra = given[0] if given else {}
        delta = abf.start_to_the_second - self.files[0].start_to_the_second
        return {
            "name": abf.path.name,
            "relative_session_start_time": float(delta.seconds),  # NeuroConv's: whole seconds, days dropped
            "icephys_experiment_type": extra.get("icephys_experiment_type"),
            "stimulus_type": extra.get("stimulus_type", "not described"),
        }

    def get_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "NWBFile": {"session_start_time": self.files[0].start_to_the_second.strftime("%Y-%m-%dT%H:%M:%S%z")},
            "Icephys": {
                "Device": [{"name": "DeviceIcephys", "description": "no description"}],
                "Electrodes": [
                    {"name": f"electrode-{i}", "description": "no description", "device": "DeviceIcephys"}
                    for i in range(len(self.files[0].channels))
                ],
                "Sessions": [],
            },
        }
        if any(key in self.icephys_metadata for key in DANDI_FIELDS):
            metadata[DANDI_KEY] = {
                "cell_id": self.icephys_metadata.get("cell_id"),
                "slice_id": self.icephys_metadata.get("slice_id"),
                "targeted_layer": self.icephys_metadata.get("targeted_layer", ""),
                "inferred_layer": self.icephys_metadata.get("inferred_layer", ""),
            }
        row = simultaneous = 0
        for sequential, (abf, session) in enumerate(zip(self.files, self.sessions, strict=True)):
            rows = []
            for _ in range(abf.n_sweeps):
                for _ in range(len(abf.channels)):
                    rows.append(
                        {
                            "intracellular_recordings_table_ind": row,
                            "simultaneous_recordings_table_ind": simultaneous,
                            "sequential_recordings_table_ind": sequential,
                        }
                    )
                    row += 1
                simultaneous += 1
            metadata["Icephys"]["Sessions"].append({**session, "recordings": rows})
        return metadata

    def recordings(self, stub: bool) -> RecordingsObject:
        n_electrodes = len(self.files[0].channels)
        series: list[SeriesPlan] = []
        rows: list[Recording] = []
        simultaneous: list[list[int]] = []
        sequential: list[list[int]] = []
        for abf, session in zip(self.files, self.sessions, strict=True):
            mode = self._mode(abf, session)
            stimulus_type = session["stimulus_type"]
            group = []
            for sweep in range(1 if stub else abf.n_sweeps):
                number = len(simultaneous) + 1
                members = []
                for channel in range(min(len(abf.channels), n_electrodes)):
                    sweeps = abf.channel_sweeps(channel).sweep(sweep, session["relative_session_start_time"])
                    sweeps = sweeps.stub() if stub else sweeps
                    conversion, _ = abf.channel_conversion(channel)
                    response = len(series)
                    series.append(
                        SeriesPlan(
                            name=f"{mode}-response-{number:02}-ch-{channel}",
                            neurodata_type=RESPONSE_TYPES[mode],
                            electrode=channel,
                            sweeps=sweeps,
                            conversion=conversion,
                            description=f"Response to: {stimulus_type}",
                            nominal_rate=True,
                        )
                    )
                    stimulus = (-1, -1, -1)
                    if mode != "izero":
                        series.append(self._stimulus(abf, sweep, channel, mode, number, session, stub))
                        stimulus = (len(series) - 1, 0, series[-1].sweeps.counts[0])
                    members.append(len(rows))
                    rows.append(Recording(response, 0, sweeps.counts[0], *stimulus))
                group.append(len(simultaneous))
                simultaneous.append(members)
            sequential.append(group)
        return RecordingsObject(
            name=self.files[0].path.stem,
            electrodes=[f"Icephys/Electrodes/{i}" for i in range(n_electrodes)],
            series=series,
            recordings=rows,
            hierarchy=Hierarchy(simultaneous, sequential, [s["stimulus_type"] for s in self.sessions]),
            lab_metadata_key=DANDI_KEY,
        )

    @staticmethod
    def _stimulus(
        abf: AbfFile, sweep: int, channel: int, mode: str, number: int, session: dict[str, Any], stub: bool
    ) -> SeriesPlan:
        """NeuroConv pairs channel i with DAC i of the protocol, in that DAC's unit."""
        sweeps = abf.command_sweeps(channel).sweep(sweep, session["relative_session_start_time"])
        return SeriesPlan(
            name=f"stimulus-{number:02}-ch-{channel}",
            neurodata_type=STIMULUS_TYPES[mode],
            electrode=channel,
            sweeps=sweeps.stub() if stub else sweeps,
            conversion=unit_conversion(abf.protocol[2][channel]),
            description=f"Stim type: {session['stimulus_type']}",
            nominal_rate=True,
        )

    @staticmethod
    def _mode(abf: AbfFile, session: dict[str, Any]) -> str:
        """izero without a protocol (ABF1, or no command); else the metadata's type, else the unit's."""
        if abf.version < 2 or len(abf.protocol[0]) == 0:
            return "izero"
        if len(abf.protocol[0]) != abf.n_sweeps:
            raise SourceError(f"{abf.path}: {abf.n_sweeps} sweeps but {len(abf.protocol[0])} protocol commands")
        mode = session["icephys_experiment_type"]
        if mode is None:
            unit = str(abf.channels[0]["units"]).strip()
            mode = MODE_OF_UNIT.get(unit[-1:]) if unit else None
            if mode is None:
                raise SourceError(
                    f"{abf.path}: no icephys_experiment_type in icephys_metadata's recording_sessions and the "
                    f"response unit {unit!r} does not say the clamp mode"
                )
        if mode not in RESPONSE_TYPES:
            raise SourceError(f"{abf.path}: icephys_experiment_type {mode!r} is not one of {sorted(RESPONSE_TYPES)}")
        return mode
