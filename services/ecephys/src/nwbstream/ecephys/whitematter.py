"""WhiteMatter .bin files: interleaved int16 samples after a short header, read as spikeinterface reads them."""

from __future__ import annotations

import re
from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import LAYOUT, relative

from .recording import BaseRecordingInterface

# How WhiteMatter's software names a recording: HSW_<date>__<time>__<length>__hsamp_<channels>ch_<rate>sps.bin
RECORDING_NAME = re.compile(r"_(\d+)ch_(\d+(?:\.\d+)?)sps\.bin$")


class WhiteMatterRecordingInterface(BaseRecordingInterface):
    display_name = "WhiteMatter Recording"
    associated_suffixes = (".bin",)
    info = "Interface for WhiteMatter binary recordings (interleaved int16 samples)."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.bin files named as WhiteMatter names them, the channel count and rate read from the name."""
        detections = []
        for data in listing.with_suffix(".bin"):
            match = RECORDING_NAME.search(data.name)
            if match is None:
                continue
            channels, rate = int(match.group(1)), float(match.group(2))
            source = {"file_path": relative(data), "sampling_frequency": rate, "num_channels": channels}
            evidence = f"{data}: WhiteMatter's file name ({channels} channels at {rate:g} samples/s)"
            detections.append(Detection(cls.__name__, source, (str(data),), LAYOUT, evidence))
        return detections

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float,
        num_channels: int,
        channel_ids: list[str | int] | None = None,
        is_filtered: bool | None = None,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .bin file.
        sampling_frequency : float
            Samples per second per channel: the file does not carry it.
        num_channels : int
            Channels interleaved in the file: the file does not carry it.
        channel_ids : list, optional
            One id per channel (default 0 .. num_channels - 1).
        is_filtered : bool, optional
            Whether the traces were filtered before they were saved.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import WhiteMatterRecordingExtractor

        extractor = WhiteMatterRecordingExtractor
        if channel_ids is not None and len(channel_ids) != num_channels:
            raise SourceError(f"{file_path}: {len(channel_ids)} channel_ids given for num_channels={num_channels}")
        _check_whole_frames(Path(file_path), extractor.FILE_OFFSET, num_channels * 2)
        self.recording = extractor(
            file_path=file_path,
            sampling_frequency=sampling_frequency,
            num_channels=num_channels,
            channel_ids=channel_ids,
            is_filtered=is_filtered,
        )
        self.es_key = es_key or "ElectricalSeries"


def _check_whole_frames(path: Path, header_bytes: int, frame_bytes: int) -> None:
    """The file has no length field: a size that is not the header plus whole frames is the only sign that
    it was cut short, or is not a recording of that many channels."""
    size = path.stat().st_size
    if size < header_bytes or (size - header_bytes) % frame_bytes:
        raise SourceError(
            f"{path}: {size} bytes is not a {header_bytes}-byte header plus whole frames of {frame_bytes} bytes "
            "(int16 x num_channels): the file is truncated or is not a WhiteMatter recording of that many channels"
        )
