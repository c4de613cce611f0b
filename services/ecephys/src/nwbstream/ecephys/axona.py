"""Axona DacqUSB LFP (.eeg, .eegN; .egf): every such file beside the one given is one channel of one LFP series."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .recording import BaseRecordingInterface

DATA_START = b"data_start"
DATA_END = b"\r\ndata_end"
SAMPLE_TYPES = {1: np.dtype("i1"), 2: np.dtype(">i2")}  # .eeg holds one byte a sample, .egf two (big-endian)


def parse_header(text: bytes) -> dict[str, str]:
    """DacqUSB headers (.set, and .eeg/.N before "data_start") are lines of a key, a space, and its value."""
    lines = text.decode("latin-1").splitlines()
    return {key: value for key, _, value in (line.partition(" ") for line in lines if " " in line.strip())}


def read_set(set_file: Path) -> dict[str, str]:
    """A trial's .set: DacqUSB writes every setting of the trial, the raw sampling rate (`rawRate`) among its last
    lines, so a .set without `trial_date`, `ADC_fullscale_mv` or `rawRate` is another file or a cut one."""
    if not set_file.is_file():
        raise SourceError(f"{set_file}: no such file (an Axona trial is described by its .set)")
    header = parse_header(set_file.read_bytes())
    missing = [key for key in ("trial_date", "ADC_fullscale_mv", "rawRate") if key not in header]
    if missing:
        raise SourceError(f"{set_file}: cannot be read: no {', '.join(missing)} (not a DacqUSB .set, or cut)")
    return header


def dacq_header(listing: FolderListing, file: PurePosixPath, *fields: str) -> dict[str, str] | None:
    """The header of a DacqUSB file (its text before "data_start", or a whole .set) when it has every one of
    `fields`, else None."""
    head = listing.head(file, 65536)
    header = parse_header(head.split(DATA_START, 1)[0])
    return header if all(f in header for f in fields) else None


def trial_set(listing: FolderListing, file: PurePosixPath) -> PurePosixPath | None:
    """The trial's .set beside `file` (same name), when DacqUSB wrote it (it states the trial's date)."""
    found = listing.sibling(file, f"{file.stem}.set")
    return found if found is not None and dacq_header(listing, found, "trial_date") is not None else None


class DataFile:
    """A DacqUSB data file (.eeg, .egf, tetrode .N): header text lines, "data_start", binary data, "data_end"."""

    def __init__(self, path: Path, kind: str):
        self.path = path
        self.raw = path.read_bytes()
        start = self.raw.find(DATA_START)
        if start < 0:
            raise SourceError(f"{path}: cannot be read: no 'data_start' (not an Axona {kind} file)")
        self.header = parse_header(self.raw[:start])
        self.first = start + len(DATA_START)

    def field(self, key: str) -> str:
        if key not in self.header:
            raise SourceError(f"{self.path}: cannot be read: header field '{key}' missing")
        return self.header[key]

    def data(self, n_bytes: int, count: str) -> bytes:
        """The `n_bytes` after "data_start", which "data_end" must follow (`count` says what the header counts)."""
        last = self.first + n_bytes
        if self.raw[last : last + len(DATA_END)] != DATA_END:
            raise SourceError(
                f"{self.path}: truncated: the header says {count}, but 'data_end' does not follow them "
                f"({len(self.raw) - self.first} bytes after data_start)"
            )
        return self.raw[self.first : last]


def read_lfp_file(path: Path) -> tuple[float, np.ndarray]:
    """The sampling rate and samples of one .eeg/.egf file."""
    file = DataFile(path, ".eeg/.egf")
    count_key = "num_EEG_samples" if "num_EEG_samples" in file.header else "num_EGF_samples"
    try:
        rate = float(file.field("sample_rate").split()[0])
        sample_type = SAMPLE_TYPES[int(file.field("bytes_per_sample"))]
        n_samples = int(file.field(count_key))
    except (KeyError, ValueError) as error:
        raise SourceError(f"{path}: cannot be read: header field {error} malformed") from error
    data = file.data(n_samples * sample_type.itemsize, f"{n_samples} samples")
    return rate, np.frombuffer(data, dtype=sample_type).astype(sample_type.newbyteorder("="))


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
        "a .eeg whose samples stop short of its header's count, or that has no trial .set beside it, is refused "
        "(NeuroConv reads what is there); "
        "sibling files are taken from the folder itself, not its subfolders"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The .eeg (and .egf) files of a folder whose DacqUSB header counts LFP samples, a source per kind: the
        reader takes every file of the kind beside the first."""
        kinds: dict[tuple[PurePosixPath, str], list[PurePosixPath]] = {}
        for file in listing.files:
            if file.suffix[:4] in (".eeg", ".egf"):
                kinds.setdefault((file.parent, file.suffix[:4]), []).append(file)
        detections = []
        for (_, kind), files in kinds.items():
            first = min(files, key=lambda f: f.name)
            header = dacq_header(listing, first, "sample_rate", f"num_{kind[1:].upper()}_samples")
            if header is None:
                continue
            evidence = f"{first}: DacqUSB {kind} header, {header['sample_rate'].strip()}; {len(files)} channel file(s)"
            source = {"file_path": relative(first)}
            detections.append(Detection(cls.__name__, source, tuple(map(str, files)), HEADER, evidence))
        return detections

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
        read_set(file_path.with_suffix(".set"))  # the trial the files belong to, whole
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
