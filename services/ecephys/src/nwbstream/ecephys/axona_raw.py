"""Axona DacqUSB raw recordings (.set + .bin): the active tetrodes' channels, grouped by tetrode."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Column, Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .axona import trial_set
from .recording import BaseRecordingInterface

PACKET_BYTES = 432  # DacqUSB raw packet: 32-byte header, 3 samples x 64 channels of int16, 16-byte trailer
SAMPLES_PER_PACKET = 3
TETRODE_DESCRIPTION = "The tetrode (1-based, as DacqUSB numbers them) the channel belongs to."


def trial_start(set_header: dict[str, str]) -> datetime:
    """The trial's date ("Tuesday, 14 Dec 2010") and time ("10:44:07") as the .set gives them, with no zone."""
    date = re.search(r"\d+ \w+ \d{4}$", set_header["trial_date"].strip()).group(0)
    return datetime.strptime(f"{date} {set_header['trial_time'].strip()}", "%d %b %Y %H:%M:%S")


def trial_metadata(set_header: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the .set says about the session and the system, as NeuroConv takes it: (NWBFile fields, Device)."""
    nwbfile: dict[str, Any] = {"session_start_time": trial_start(set_header).isoformat()}
    if set_header.get("comments", "").strip():
        nwbfile["session_description"] = set_header["comments"].strip()
    if set_header.get("experimenter", "").strip():
        nwbfile["experimenter"] = [set_header["experimenter"].strip()]
    device = {
        "name": "Axona",
        "description": f"Axona DacqUSB, sw_version={set_header.get('sw_version', '').strip()}",
        "manufacturer": "Axona",
        "model_name": "DacqUSB",
    }
    return nwbfile, device


class BaseAxonaTrialInterface(BaseRecordingInterface):
    """A recording of one DacqUSB trial: its channels grouped by tetrode, its session and system from the .set.
    Formats set `self.set_header` (the .set's fields) and `self.tetrodes` (each channel's tetrode number)."""

    set_header: dict[str, str]
    tetrodes: list[int]

    def group_names(self) -> list[str]:
        """NeuroConv groups the channels by tetrode, named by the tetrode's number."""
        return [str(t) for t in self.tetrodes]

    def extra_electrode_columns(self) -> list[Column]:
        tetrodes = Column("tetrode_id", TETRODE_DESCRIPTION, np.asarray(self.tetrodes, dtype=np.int64))
        return [*super().extra_electrode_columns(), tetrodes]

    def session_start_time(self) -> datetime:
        return trial_start(self.set_header)

    def device_metadata(self) -> dict[str, Any]:
        return trial_metadata(self.set_header)[1]

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        metadata["NWBFile"].update(trial_metadata(self.set_header)[0])
        return metadata


class AxonaRecordingInterface(BaseAxonaTrialInterface):
    display_name = "Axona Recording"
    associated_suffixes = (".bin", ".set")
    info = "Interface for Axona recording data."
    differs_from_neuroconv = (
        "a .bin that ends inside a packet or holds less than the .set's duration is refused (neo reads what is there)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A .bin beside a DacqUSB trial's .set of its name. The .set describes every file of the trial (raw, units,
        LFP, position): no claim takes it, so that each of them is a source of its own."""
        return [
            Detection(
                cls.__name__,
                {"file_path": relative(data)},
                (str(data),),
                HEADER,
                f"{data}: raw data of the DacqUSB trial {found.name}",
            )
            for data in listing.with_suffix(".bin")
            if (found := trial_set(listing, data)) is not None
        ]

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The trial's .bin file (its .set beside it).
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import AxonaRecordingExtractor

        try:
            self.recording = AxonaRecordingExtractor(file_path=file_path)
        except KeyError as error:  # neo reads the rate, gains and tetrodes from the .set
            raise SourceError(
                f"{Path(file_path).with_suffix('.set')}: cannot be read: {error} missing (not a DacqUSB .set)"
            ) from error
        self.es_key = es_key or "ElectricalSeries"
        reader = self.recording.neo_reader
        if reader.bin_file is None:
            raise SourceError(f"{Path(file_path).with_suffix('.bin')}: no such file (Axona raw data is the .bin)")
        self.set_header = reader.file_parameters["set"]["file_header"]
        self.tetrodes = [t for t in reader.get_active_tetrode() for _ in range(4)]
        _check_bin_length(reader.bin_file, self.set_header)


def _check_bin_length(bin_file: Path, set_header: dict[str, str]) -> None:
    """The .bin is whole packets, and the .set's duration of them: that duration is in whole seconds, so a .bin
    more than half a second shorter is cut."""
    size = bin_file.stat().st_size
    rate = int(set_header["rawRate"])
    samples = size // PACKET_BYTES * SAMPLES_PER_PACKET
    expected = int(float(set_header.get("duration", "0").split()[0]) * rate)
    if size % PACKET_BYTES or samples < expected - rate // 2:
        raise SourceError(
            f"{bin_file}: truncated: {size} bytes ({samples} samples in whole {PACKET_BYTES}-byte packets) for a "
            f"trial of {set_header.get('duration', '?').strip()} s at {rate} Hz"
        )
