"""Neuralynx spike files (.nse single electrodes, .ntt tetrodes) of a Cheetah folder: one unit per cell number
of each file's channels, timed on the folder's clock as neo's NeuralynxRawIO times them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .neo_sorting import SpikeSeconds, sorting_from_seconds
from .neuralynx import NCS_HEADER_BYTES, NEURALYNX_MAGIC, neuralynx_files
from .sorting import BaseSortingInterface

# Record sizes of Neuralynx's spike files: timestamp, entity, cell, 8 features, then 32 (x 4 for a tetrode) samples
RECORD_SIZES = {".nse": 8 + 4 + 4 + 32 + 64, ".ntt": 8 + 4 + 4 + 32 + 256}


class NeuralynxSortingInterface(BaseSortingInterface):
    display_name = "Neuralynx Sorting"
    associated_suffixes = (".nse", ".ntt", ".nse", ".nev")
    info = "Interface for Neuralynx sorting data."
    differs_from_neuroconv = (
        "spike times are neo's, in seconds from the session's start: spikeinterface 0.105, hence NeuroConv, takes "
        "the Cheetah microsecond timestamps for sample indices (time = microseconds / rate); a folder without .ncs "
        "files converts when sampling_frequency is given; the session start time is the headers' opening time"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of .nse/.ntt files with Neuralynx headers; without .ncs beside them, the rate is asked."""
        spikes = neuralynx_files(listing, ".nse")
        for folder, files in neuralynx_files(listing, ".ntt").items():
            spikes.setdefault(folder, {}).update(files)
        continuous = neuralynx_files(listing, ".ncs")
        detections = []
        for folder, files in spikes.items():
            todo = {} if folder in continuous else {"sampling_frequency": "the rate spike times count in, in Hz"}
            names = ", ".join(f.name for f in files)
            detections.append(
                Detection(
                    cls.__name__,
                    {"folder_path": relative(folder)},
                    tuple(map(str, files)),
                    HEADER,
                    f"{relative(folder)}: spike files with Neuralynx headers ({names})",
                    todo=todo,
                )
            )
        return detections

    def __init__(
        self,
        folder_path: Path,
        sampling_frequency: float | None = None,
        verbose: bool = False,
        stream_id: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the session's Neuralynx files (.nse, .ntt, and the .ncs that give rate and start).
        sampling_frequency : float, optional
            Rate spike times are counted in; by default that of the .ncs stream (there must be one).
        stream_id : str, optional
            The .ncs stream whose rate to take when the folder has streams of several rates.
        """
        from neo.rawio import NeuralynxRawIO

        for path in sorted(Path(folder_path).iterdir()):
            if path.suffix.lower() in RECORD_SIZES:
                _check_spike_file(path, RECORD_SIZES[path.suffix.lower()])
        reader = NeuralynxRawIO(dirname=str(folder_path))
        reader.parse_header()
        if reader.header["spike_channels"].size == 0:
            raise SourceError(f"{folder_path}: no spikes (no .nse/.ntt file with records)")
        rate = float(sampling_frequency) if sampling_frequency else _stream_rate(reader, folder_path, stream_id)
        self.sorting = sorting_from_seconds(
            rate,
            np.arange(reader.header["spike_channels"].size),  # as spikeinterface numbers them
            [
                (float(reader.segment_t_start(0, index)), _times_in(reader, index))
                for index in range(reader.segment_count(0))
            ],
        )
        opened = [h["recording_opened"] for h in reader.file_headers.values() if "recording_opened" in h]
        self.opened = min(opened) if opened else None

    def get_metadata(self) -> dict[str, Any]:
        """The session starts when the first of its files was opened (Cheetah's headers carry no time zone)."""
        metadata = super().get_metadata()
        if self.opened is not None:
            metadata["NWBFile"]["session_start_time"] = self.opened.isoformat()
        return metadata


def _check_spike_file(path: Path, record_size: int) -> None:
    """Neuralynx's header text, then whole records: anything else is another format or a cut file."""
    with path.open("rb") as file:
        start = file.read(len(NEURALYNX_MAGIC))
    if start != NEURALYNX_MAGIC:
        raise SourceError(f"{path}: does not start with Neuralynx's header line (not a Neuralynx spike file)")
    size = path.stat().st_size
    if size < NCS_HEADER_BYTES or (size - NCS_HEADER_BYTES) % record_size:
        raise SourceError(
            f"{path}: truncated: {size} bytes is not the 16 kB header and whole {record_size}-byte records"
        )


def _stream_rate(reader: Any, folder_path: Path, stream_id: str | None) -> float:
    """The sampling rate of the .ncs stream asked for, or of the only rate the folder's streams have."""
    channels = reader.header["signal_channels"]
    rates = {str(s): float(r) for s, r in zip(channels["stream_id"], channels["sampling_rate"], strict=True)}
    if stream_id is not None:
        if stream_id not in rates:
            raise SourceError(f"{folder_path}: no stream {stream_id!r} (streams: {sorted(rates)})")
        return rates[stream_id]
    if len(set(rates.values())) != 1:
        raise SourceError(
            f"{folder_path}: pass sampling_frequency (or stream_id): the .ncs streams have rates "
            f"{sorted(set(rates.values()))}"
        )
    return next(iter(rates.values()))


def _times_in(reader: Any, segment: int) -> SpikeSeconds:
    """neo's times of a unit's spikes in one segment, in seconds from the session's start."""

    def seconds(unit: int) -> np.ndarray:
        stamps = reader.get_spike_timestamps(block_index=0, seg_index=segment, spike_channel_index=unit)
        return reader.rescale_spike_timestamp(stamps, dtype="float64")

    return seconds
