"""WAV recordings as ndx-sound AcousticWaveformSeries, one per file, as NeuroConv 0.10.2's AudioInterface writes
them: samples as the file stores them ((samples,) or (samples, channels)), rate from the header, in `stimulus`
unless `parent_container` says `acquisition`. Samples are read through scipy's memory map (24-bit files, which
scipy cannot map, are read whole, as in NeuroConv).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import (
    BaseDataInterface,
    DatasetSpec,
    Detection,
    FolderListing,
    Kind,
    NwbObjectSpec,
    SourceError,
    Timing,
)
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import HEADER, relative

from .videos import behavior_metadata_schema

STUB_SAMPLES = 1000  # NeuroConv's stub_frames
SERIES_NAME = "AcousticWaveformSeries"
BITS_PER_SAMPLE_OFFSET = 34  # of a canonical RIFF/WAVE header (after the 'fmt ' chunk's format fields)


class AudioInterface(BaseDataInterface):
    display_name = "Wav Audio"
    associated_suffixes = (".wav",)
    info = "WAV sound files, one AcousticWaveformSeries each (ndx-sound)."
    differs_from_neuroconv = (
        "several files take their start from each Behavior/Audio entry's starting_time (NeuroConv 0.10.2 asks for "
        "set_aligned_segment_starting_times in Python)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The RIFF/WAVE files of each folder, in name order, as one source (a series per file)."""
        by_folder: dict[PurePosixPath, list[PurePosixPath]] = {}
        for wav in listing.with_suffix(".wav"):
            head = listing.head(wav, 12)
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
                by_folder.setdefault(wav.parent, []).append(wav)
        return [
            Detection(
                cls.__name__,
                {"file_paths": [relative(f) for f in files]},
                tuple(map(str, files)),
                HEADER,
                f"{', '.join(map(str, files))}: RIFF/WAVE header",
                name="audio",
            )
            for files in by_folder.values()
        ]

    def __init__(self, file_paths: list[Path], verbose: bool = False):
        """
        Parameters
        ----------
        file_paths : list of Path
            The .wav files, in the order they were recorded.
        """
        if not file_paths:
            raise SourceError("AudioInterface: file_paths is empty")
        self.file_paths = [Path(p) for p in file_paths]
        self.recordings: list[tuple[int, np.ndarray]] = [_read_wav(path) for path in self.file_paths]

    def series_names(self) -> list[str]:
        """NeuroConv's: AcousticWaveformSeries, then AcousticWaveformSeries1, 2, ... for further files."""
        return [SERIES_NAME + (str(i) if i else "") for i in range(len(self.file_paths))]

    def get_metadata(self) -> dict[str, Any]:
        entries = [{"name": name, "description": "Acoustic waveform series."} for name in self.series_names()]
        return {"NWBFile": {}, "Behavior": {"Audio": entries}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_metadata_schema()

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        objects = []
        for index, (name, (rate, samples)) in enumerate(zip(self.series_names(), self.recordings, strict=True)):
            length = min(len(samples), STUB_SAMPLES) if stub else len(samples)
            data = DatasetSpec("data", samples.dtype.newbyteorder("<"), (length, *samples.shape[1:]))
            objects.append(
                NwbObjectSpec(
                    kind=Kind.ACOUSTIC_WAVEFORM_SERIES,
                    name=name,
                    metadata_key="Behavior/Audio",
                    timing=Timing(rate=float(rate)),
                    datasets=[data],
                    attributes={"metadata_index": index, "files": len(self.file_paths)},
                    placement="stimulus",
                )
            )
        return objects

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        _, samples = self.recordings[self.series_names().index(object_name)]
        return np.asarray(samples[selection])


def _read_wav(path: Path) -> tuple[int, np.ndarray]:
    """(rate, samples) of one file; refuses what is not a WAV file, naming it."""
    from scipy.io import wavfile

    if path.suffix != ".wav":
        raise SourceError(f"{path}: not a .wav file; the audio interface reads WAV only")
    if not path.is_file():
        raise SourceError(f"{path}: no such file", not_found=True)
    try:
        return wavfile.read(path, mmap=_bits_per_sample(path) != 24)
    except (ValueError, EOFError, OSError) as error:
        raise SourceError(f"{path}: cannot be read as WAV: {error}") from error


def _bits_per_sample(path: Path) -> int:
    with open(path, "rb") as file:
        file.seek(BITS_PER_SAMPLE_OFFSET)
        return int.from_bytes(file.read(2), "little")
