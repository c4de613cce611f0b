"""Plexon .plx files: the continuous channels of one stream (wideband or low-pass), and the sorted units of the
spike channels."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, part_of, relative

from .plexon_header import COUNTS_AT, PLX_MAGIC, plx_contents
from .recording import BaseRecordingInterface
from .sorting import BaseSortingInterface


class PlexonSortingInterface(BaseSortingInterface):
    display_name = "Plexon Sorting"
    associated_suffixes = (".plx",)
    info = "Interface for Plexon sorting data (sorted units of a .plx file)."
    differs_from_neuroconv = "a .plx holding fewer spikes than its header counts is refused (neo reads what is there)"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each .plx whose header counts spike timestamps (the recordings claim their streams' parts of it)."""
        detections = []
        for plx in listing.with_suffix(".plx"):
            contents = plx_contents(listing, plx)
            if contents is not None and contents.spike_timestamps:
                evidence = f"{plx}: PLEX header counting {contents.spike_timestamps} spike timestamps"
                detections.append(Detection(cls.__name__, {"file_path": relative(plx)}, (str(plx),), HEADER, evidence))
        return detections

    def __init__(self, file_path: Path, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : Path
            Path to the plexon spiking data (.plx file).
        """
        from spikeinterface.extractors import read_plexon_sorting

        _check_plx(Path(file_path))
        self.sorting = read_plexon_sorting(file_path=file_path)
        _check_spike_counts(Path(file_path), self.sorting.neo_reader)


# neo names each stream after the prefix of its channel names; NeuroConv refuses the other interface's streams.
WIDEBAND, LOW_PASS = "WB-Wideband", "FPl-Low Pass Filtered"
HIGH_PASS, AUXILIARY = "SPKC-High Pass Filtered", "AI-Auxiliary Input"


# Known reader defect, kept as NeuroConv has it: neo 0.14.6's PlexonRawIO returns zeros for the part of a read that
# falls in a channel's last data block when the read ends at the stream's last sample (its cut at the block's end is
# empty), so the last block of every channel is written as zeros, by NeuroConv and here alike.
class PlexonRecordingInterface(BaseRecordingInterface):
    display_name = "Plexon Recording"
    associated_suffixes = (".plx",)
    info = "Interface for Plexon recording data (the wideband continuous channels of a .plx file)."
    refused_streams: ClassVar[tuple[str, ...]] = (LOW_PASS, HIGH_PASS, AUXILIARY)
    default_es_key: ClassVar[str] = "ElectricalSeries"
    stream_prefix: ClassVar[str] = "WB"  # what the names of this interface's channels start with

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each .plx whose header names slow channels of this interface's stream; claims that stream's part of
        the file. Channel headers past the bytes detection reads (files with many spike channels) are not seen."""
        detections = []
        for plx in listing.with_suffix(".plx"):
            contents = plx_contents(listing, plx)
            if contents is None or cls.stream_prefix not in contents.stream_prefixes():
                continue
            evidence = f"{plx}: PLEX header names {cls.stream_prefix} continuous channels"
            detections.append(
                Detection(
                    cls.__name__, {"file_path": relative(plx)}, (part_of(plx, cls.stream_prefix),), HEADER, evidence
                )
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
        stream_name: str = WIDEBAND,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .plx file.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        stream_name : str
            The stream of the wideband channels: change it only when the file's channel prefixes were renamed.
        """
        from spikeinterface.extractors.extractor_classes import PlexonRecordingExtractor

        path = Path(file_path)
        if stream_name in self.refused_streams:
            raise SourceError(f"{path}: stream {stream_name!r} is not read by {type(self).__name__}")
        _check_plx(path)
        try:
            self.recording = PlexonRecordingExtractor(file_path=path, stream_name=stream_name, all_annotations=True)
        except AssertionError as error:  # spikeinterface asserts the stream exists, naming the ones found
            raise SourceError(
                f"{path}: no continuous data in stream {stream_name!r} ({error}; slow channels without data "
                "blocks form no stream)"
            ) from None
        _check_blocks_in_file(path, self.recording.neo_reader)
        self.es_key = es_key or self.default_es_key

    def session_start_time(self) -> datetime | None:
        """The file header's recording date and time (local, no zone)."""
        return self.recording.neo_reader.raw_annotations["blocks"][0].get("rec_datetime")


class PlexonLFPInterface(PlexonRecordingInterface):
    display_name = "Plexon LFP Recording"
    info = "Interface for Plexon low-pass filtered data (the FP continuous channels of a .plx file)."
    write_as = "lfp"
    refused_streams = (WIDEBAND, HIGH_PASS, AUXILIARY)
    default_es_key = "ElectricalSeriesLF"
    stream_prefix = "FP"

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
        stream_name: str = LOW_PASS,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .plx file.
        es_key : str, optional
            Metadata key of the LFP ElectricalSeries (default "ElectricalSeriesLF"); the series is named
            ElectricalSeriesLF.
        stream_name : str
            The stream of the low-pass filtered channels: change it only when the file's channel prefixes were
            renamed.
        """
        super().__init__(file_path, es_key=es_key, stream_name=stream_name)

    def electrical_series_name(self) -> str:
        return "ElectricalSeriesLF"


def _check_plx(path: Path) -> None:
    with open(path, "rb") as file:
        magic = file.read(len(PLX_MAGIC))
    if magic != PLX_MAGIC:
        raise SourceError(f"{path}: not a Plexon .plx file (starts with {magic!r}, not {PLX_MAGIC!r})")


def _check_blocks_in_file(path: Path, reader) -> None:
    """neo indexes the data blocks from their headers and reads a block cut by the end of the file as zeros:
    refuse a file whose last block ends past its end."""
    size = path.stat().st_size
    ends = [
        int((blocks["pos"] + blocks["size"]).max())
        for kind in reader._data_blocks.values()
        for blocks in kind.values()
        if blocks.size
    ]
    if ends and max(ends) > size:
        raise SourceError(f"{path}: truncated: {size} bytes, but its last data block ends at byte {max(ends)}")


HEADER_COUNTED = (130, 5)  # the .plx header counts the timestamps of channels 0-129, units 0-4 (TSCounts)


def _check_spike_counts(path: Path, reader) -> None:
    """The file header counts each channel's and unit's spike timestamps: a file cut after its last whole block
    holds fewer, which neo reads without a word."""
    with open(path, "rb") as file:
        file.seek(COUNTS_AT)
        counted = np.fromfile(file, dtype="<i4", count=np.prod(HEADER_COUNTED)).reshape(HEADER_COUNTED)
    found = np.zeros(HEADER_COUNTED, dtype=np.int64)
    for channel, blocks in reader._data_blocks.get(1, {}).items():
        if channel >= HEADER_COUNTED[0]:
            continue
        units, counts = np.unique(blocks["unit_id"], return_counts=True)
        inside = units < HEADER_COUNTED[1]
        found[channel, units[inside]] = counts[inside]
    if (found < counted).any():
        raise SourceError(
            f"{path}: truncated: {int(found.sum())} spike timestamps where its header counts {int(counted.sum())}"
        )
