"""AxonIntracellularInterface: one electrode of one ABF file as one continuous patch-clamp series (its sweeps
end to end), an optional stimulus series, and one intracellular-recordings row per sweep, as NeuroConv 0.10.2."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from nwbstream.service import Detection, FolderListing, SourceError, claim_files
from nwbstream.service.detection import HEADER
from nwbstream.service.names import camel_case

from .abf_file import AbfFile, abf_files
from .base import BaseIcephysInterface
from .recordings import (
    RESPONSE_TYPES,
    STIMULUS_TYPES,
    Recording,
    RecordingsObject,
    SeriesPlan,
    run_columns,
    unit_conversion,
)

Mode = Literal["voltage_clamp", "current_clamp", "izero"]


class AxonIntracellularInterface(BaseIcephysInterface):
    """Intracellular electrophysiology in Axon Binary Format (.abf), one electrode per interface."""

    display_name = "Axon Intracellular"
    associated_suffixes = (".abf",)
    info = "One Axon ABF file's response channel, with its stimulus, as patch-clamp series and icephys rows."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each ABF file, one electrode at a time; which channel is the response, and the clamp mode, are the
        user's choice. AbfInterface, which takes a folder's files whole, is preferred."""
        todo = {
            "response_channel_name": "the ABF channel holding the electrode's response (e.g. 'Voltage0')",
            "mode": "the clamp mode: voltage_clamp, current_clamp or izero",
        }
        return [
            Detection(d.interface, d.source_data, d.files, d.confidence, d.evidence, todo=todo)
            for d in claim_files(cls.__name__, abf_files(listing), HEADER - 0.05, "ABF signature")
        ]

    def __init__(
        self,
        file_path: Path,
        *,
        response_channel_name: str,
        mode: Mode,
        stimulus_channel_name: str | None = None,
        stimulus_command: str | None = None,
        repetition: str | None = None,
        condition: str | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads one ABF file with neo's AxonRawIO.

        Parameters
        ----------
        file_path : Path
            The Axon Binary Format (.abf) file.
        response_channel_name : str
            The recorded (ADC) channel holding this electrode's response, e.g. "IN0" or "_Ipatch" (spaces ignored).
        mode : {"voltage_clamp", "current_clamp", "izero"}
            The clamp mode, which picks the series types; ABF's own clamp-mode metadata is not reliable.
        stimulus_channel_name : str, optional
            A recorded channel holding the delivered stimulus (a command monitor); not with stimulus_command.
        stimulus_command : str, optional
            A DAC command (e.g. "Cmd 0") whose waveform neo rebuilds from the protocol (ABF2 only).
        repetition : str, optional
            Label written to the `repetition` column of this run's rows.
        condition : str, optional
            Label written to the `condition` column of this run's rows.
        metadata_key : str, optional
            Key of the response series in Icephys/PatchClampSeries; default <file stem>_<channel>.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        if stimulus_channel_name is not None and stimulus_command is not None:
            raise SourceError(f"{file_path}: give stimulus_channel_name or stimulus_command, not both")
        if mode == "izero" and (stimulus_channel_name is not None or stimulus_command is not None):
            raise SourceError(f"{file_path}: mode 'izero' has no stimulus; remove stimulus_channel_name/command")
        self.abf = AbfFile(Path(file_path))
        self.response_channel = self.abf.channel_index(response_channel_name)
        self.mode = mode
        self.stimulus_channel = None if stimulus_channel_name is None else self.abf.channel_index(stimulus_channel_name)
        if stimulus_command is not None and self.abf.version < 2:
            raise SourceError(f"{file_path}: stimulus_command needs ABF2 (a protocol); use stimulus_channel_name")
        self.stimulus_command = None if stimulus_command is None else self.abf.command_index(stimulus_command)
        self.repetition, self.condition = repetition, condition
        run = self.abf.path.stem
        self.electrode_key = f"{run}_{self.abf.channel_names[self.response_channel]}"
        self.series_key = metadata_key or self.electrode_key
        self.run = run

    @property
    def has_stimulus(self) -> bool:
        return self.stimulus_channel is not None or self.stimulus_command is not None

    def get_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"NWBFile": {}, "Icephys": {}}
        if self.abf.recording_start is not None:
            metadata["NWBFile"]["session_start_time"] = self.abf.recording_start.isoformat()
        suffix = camel_case(self.electrode_key)
        electrode: dict[str, Any] = {"name": f"IntracellularElectrode{suffix}", "description": "Patch-clamp electrode."}
        amplifier = self.abf.amplifier
        if amplifier is not None:
            device_key = amplifier.lower().replace(" ", "_")
            metadata["Devices"] = {
                device_key: {"name": amplifier, "description": "Axon Instruments amplifier (telegraph-reported model)."}
            }
            electrode["device_metadata_key"] = device_key
        metadata["Icephys"]["IntracellularElectrodes"] = {self.electrode_key: electrode}
        metadata["Icephys"]["PatchClampSeries"] = {
            self.series_key: {
                "name": f"{RESPONSE_TYPES[self.mode]}{suffix}",
                "description": f"Intracellular response ({self.mode}).",
                "electrode_metadata_key": self.electrode_key,
            }
        }
        if self.has_stimulus:
            metadata["Icephys"]["PatchClampStimulusSeries"] = {
                self.series_key: {
                    "name": f"{STIMULUS_TYPES[self.mode]}{suffix}",
                    "description": f"Intracellular stimulus ({self.mode}).",
                }
            }
        return metadata

    def recordings(self, stub: bool) -> RecordingsObject:
        suffix = camel_case(self.electrode_key)
        response = self.abf.channel_sweeps(self.response_channel)
        response = response.stub() if stub else response
        conversion, offset = self.abf.channel_conversion(self.response_channel)
        series = [
            SeriesPlan(
                name=f"{RESPONSE_TYPES[self.mode]}{suffix}",
                neurodata_type=RESPONSE_TYPES[self.mode],
                electrode=0,
                sweeps=response,
                conversion=conversion,
                offset=offset,
                description=f"Intracellular response ({self.mode}).",
                metadata_key=f"Icephys/PatchClampSeries/{self.series_key}",
            )
        ]
        if self.has_stimulus:
            series.append(self._stimulus(suffix, stub))
        columns, descriptions = run_columns(
            sequence=self.run,
            stimulus_type=self.abf.stimulus_type,
            repetition=self.repetition,
            condition=self.condition,
        )
        rows = []
        for start, count in zip(response.offsets[:-1], response.counts, strict=True):
            stimulus = (1, int(start), int(count)) if self.has_stimulus else (-1, -1, -1)
            rows.append(Recording(0, int(start), int(count), *stimulus, columns=columns))
        return RecordingsObject(
            name=f"{RESPONSE_TYPES[self.mode]}{suffix}",
            electrodes=[f"Icephys/IntracellularElectrodes/{self.electrode_key}"],
            series=series,
            recordings=rows,
            column_descriptions=descriptions,
        )

    def _stimulus(self, suffix: str, stub: bool) -> SeriesPlan:
        """The recorded command monitor as is, or the DAC command neo rebuilds from the protocol (offset 0)."""
        if self.stimulus_command is not None:
            sweeps = self.abf.command_sweeps(self.stimulus_command)
            conversion, offset = unit_conversion(self.abf.protocol[2][self.stimulus_command]), 0.0
        else:
            sweeps = self.abf.channel_sweeps(self.stimulus_channel)
            conversion, offset = self.abf.channel_conversion(self.stimulus_channel)
        kind = STIMULUS_TYPES[self.mode]
        return SeriesPlan(
            name=f"{kind}{suffix}",
            neurodata_type=kind,
            electrode=0,
            sweeps=sweeps.stub() if stub else sweeps,
            conversion=conversion,
            offset=offset,
            description=f"Intracellular stimulus ({self.mode}).",
            metadata_key=f"Icephys/PatchClampStimulusSeries/{self.series_key}",
        )
