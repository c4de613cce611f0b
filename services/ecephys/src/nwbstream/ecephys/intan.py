"""Intan RHD/RHS amplifier channels (one .rhd/.rhs file, or info.rhd of the one-file-per-signal-type layout)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Column, Detection, FolderListing
from nwbstream.service.detection import HEADER, relative

from .intan_digital import digital_streams, line_edge_times, lines_of
from .intan_layout import AMPLIFIER, describe, intan_streams, stream_files
from .recording import BaseRecordingInterface

AMPLIFIER_STREAM = "0"  # neo's stream id of the RHD2000/RHS2000 amplifier channels
DEVICE_DESCRIPTIONS = {".rhd": "RHD Recording System", ".rhs": "RHS Stim/Recording System"}
PORT_DESCRIPTION = "Intan headstage port the channel was recorded on."


class IntanRecordingInterface(BaseRecordingInterface):
    display_name = "Intan Amplifier"
    associated_suffixes = (".rhd", ".rhs")
    info = "Interface for converting Intan amplifier data."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The amplifier channels of each Intan header (a whole .rhd/.rhs, or info.rhd with its .dat files)."""
        return [
            Detection(cls.__name__, {"file_path": relative(s.header)}, stream_files(s), HEADER, describe(s))
            for s in intan_streams(listing)
            if s.stream_name in AMPLIFIER.values()
        ]

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
        ignore_integrity_checks: bool = False,
        saved_files_are_split: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .rhd or .rhs file (info.rhd for the one-file-per-signal-type layout); with
            saved_files_are_split, any file of the session folder.
        es_key : str, optional
            Metadata key of the ElectricalSeries (default "ElectricalSeries"); the series is named ElectricalSeries.
        ignore_integrity_checks : bool
            Read the file even when its timestamps are not continuous.
        saved_files_are_split : bool
            The session was saved as several rotated files: concatenate every .rhd/.rhs of the file's folder
            in file name order.
        """
        from spikeinterface.extractors.extractor_classes import (
            IntanRecordingExtractor,
            IntanSplitFilesRecordingExtractor,
        )

        options: dict[str, Any] = {
            "stream_id": AMPLIFIER_STREAM,
            "all_annotations": True,
            "ignore_integrity_checks": ignore_integrity_checks,
        }
        path = Path(file_path)
        if saved_files_are_split:
            self.recording = IntanSplitFilesRecordingExtractor(folder_path=path.parent, **options)
        else:
            self.recording = IntanRecordingExtractor(file_path=path, **options)
        self.suffix = path.suffix.lower()
        self.saved_files_are_split = saved_files_are_split
        self.es_key = es_key or "ElectricalSeries"

    def sync_channels(self) -> list[str]:
        """The file's digital lines ('DIGITAL-IN-01', ...): pulses on the amplifier channels' clock."""
        return list(self.digital_lines)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        return line_edge_times(self.digital_lines, channel, edge, bit)

    @functools.cached_property
    def digital_lines(self) -> dict[str, tuple[Any, Any]]:
        """Read when pulses are first asked for: most conversions never do."""
        return lines_of(digital_streams(Path(self.source_data["file_path"]), self.saved_files_are_split))

    def electrical_series_name(self) -> str:
        return "ElectricalSeries"

    def device_metadata(self) -> dict[str, Any]:
        return {"name": "Intan", "description": DEVICE_DESCRIPTIONS[self.suffix]}

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        if self.ports():
            for group in metadata["Ecephys"]["ElectrodeGroup"]:
                group["description"] = f"Amplifier channels recorded on Intan headstage port {group['name']}."
        return metadata

    def ports(self) -> list[str] | None:
        """spikeinterface reads the headstage port of each amplifier channel (A, B, ...) into `group_names`."""
        ports = self.recording.get_property("group_names")
        return None if ports is None else [str(p) for p in ports]

    def group_names(self) -> list[str]:
        """NeuroConv names the electrode groups after the headstage ports."""
        return self.ports() or super().group_names()

    def extra_electrode_columns(self) -> list[Column]:
        ports = self.ports()
        port = [Column("port", PORT_DESCRIPTION, ports)] if ports else []
        return super().extra_electrode_columns() + port
