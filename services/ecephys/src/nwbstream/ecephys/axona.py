"""Axona DacqUSB LFP (.eeg, .eegN; .egf): every such file beside the one given is one channel of one LFP series."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import SourceError

from .recording import BaseRecordingInterface

DATA_START = b"data_start"
DATA_END = b"\r\ndata_end"
SAMPLE_TYPES = {1: np.dtype("i1"), 2: np.dtype(">i2")}  # .eeg holds one byte a sample, .egf two (big-endian)


def parse_header(text: bytes) -> dict[str, str]:
    """DacqUSB headers (.set, and .eeg/.N before "data_start") are lines of a key, a space, and its value."""
    lines = text.decode("latin-1").splitlines()
    return {key: value for key, _, value in (line.partition(" ") for line in lines if " " in line.strip())}


def read_lfp_file(path: Path) -> tuple[float, np.ndarray]:
    """The sampling rate and samples of one .eeg/.egf file: header text lines, "data_start", samples, "data_end"."""
    raw = path.read_bytes()
    start = raw.find(DATA_START)
    if start < 0:
        raise SourceError(f"{path}: cannot be read: no 'data_start' (not an Axona .eeg/.egf file)")
    header = parse_header(raw[:start])
    try:
        rate = float(header["sample_rate"].split()[0])
        sample_type = SAMPLE_TYPES[int(header["bytes_per_sample"])]
        count_key = "num_EEG_samples" if "num_EEG_samples" in header else "num_EGF_samples"
        n_samples = int(header[count_key])
    except (KeyError, ValueError) as error:
        raise SourceError(f"{path}: cannot be read: header field {error} missing or malformed") from error
    first = start + len(DATA_START)
    last = first + n_samples * sample_type.itemsize
    if raw[last : last + len(DATA_END)] != DATA_END:
        raise SourceError(
            f"{path}: truncated: the header says {n_samples} samples, but 'data_end' does not follow them "
            f"({len(raw) - first} bytes after data_start)"
        )
    return rate, np.frombuffer(raw[first:last], dtype=sample_type).astype(sample_type.newbyteorder("="))


def sibling_lfp_files(file_path: Path) -> list[Path]:
    """NeuroConv takes every file of the same kind (.eeg, .eeg2, ...) in the folder, in name order."""
    kind = file_path.suffix[:4]
    return sorted(p for p in file_path.parent.iterdir() if p.suffix[:4] == kind and p.is_file())


class AxonaLFPDataInterface(BaseRecordingInterface):
    display_name = "Axona LFP"
    associated_suffixes = (".bin", ".set")
    info = "Interface for Axona LFP data."
    write_as = "lfp"
    differs_from_neuroconv = (
        "a .eeg whose samples stop short of its header's count is refused (NeuroConv reads what is there); "
        "sibling files are taken from the folder itself, not its subfolders"
    )

    def __init__(self, file_path: Path):
        """
        Parameters
        ----------
        file_path : Path
            One .eeg (or .egf) file; every file of that kind in its folder is one channel.
        """
        from spikeinterface.core import NumpyRecording

        file_path = Path(file_path)
        if not file_path.is_file():
            raise SourceError(f"{file_path}: cannot be read: no such file")
        read = [read_lfp_file(p) for p in sibling_lfp_files(file_path)]
        rates = {rate for rate, _ in read}
        lengths = {len(samples) for _, samples in read}
        if len(rates) != 1 or len(lengths) != 1:
            raise SourceError(f"{file_path.parent}: the LFP files differ in rate {rates} or length {lengths}")
        traces = np.column_stack([samples for _, samples in read])
        self.recording = NumpyRecording(traces_list=[traces], sampling_frequency=rates.pop())
        self.es_key = "ElectricalSeriesLFP"

    def _scaling(self) -> dict[str, Any]:
        """NeuroConv writes the stored integers with no gain (conversion 1): the files do not carry one."""
        return {"conversion": 1.0, "offset": 0.0, "channel_conversion": None}
