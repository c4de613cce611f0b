"""EDF/EDF+ (and BDF) files read with neo (pyedflib): the channels as an ElectricalSeries (EDFRecordingInterface) or,
for auxiliary signals, as a TimeSeries (EDFAnalogInterface). A stream is the channels of one sampling rate."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import HEADER, part_of, relative

from .analog import BaseRecordingAsTimeSeriesInterface
from .recording import BaseRecordingInterface, require_stream

# pyedflib refuses to open a file that is open already, and neo opens it for every chunk it reads: two interfaces
# of one file (recording and analog channels, read in parallel) take turns, one lock per file.
FILE_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
BDF_MAGIC = b"\xffBIOSEMI"  # how a BDF file (24-bit samples) starts; an EDF file starts with "0       "
EDF_VERSION = b"0       "  # an EDF/EDF+ header's first field
ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")  # EDF+/BDF+ annotation signals: not a stream
SIGNAL_HEADER_BYTES = 256  # per signal: label 16, transducer 80, dimension and 4 ranges 40, filter 80, samples 8, 32
SAMPLES_FIELD = 216  # where, in units of the signal count, the signals' samples-per-record fields start
TIME_UNITS = 10_000_000  # pyedflib counts a record's duration in units of 100 ns
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def read_edf_stream(file_path: Path, stream_name: str | None) -> Any:
    """One stream of the file, channels named by their labels; several streams need `stream_name`."""
    from spikeinterface.extractors.extractor_classes import EDFRecordingExtractor

    with FILE_LOCKS[str(file_path)]:
        streams, _ = EDFRecordingExtractor.get_streams(file_path=str(file_path))
    require_stream(file_path, stream_name, streams, several="channels of several sampling rates")
    with FILE_LOCKS[str(file_path)]:
        recording = EDFRecordingExtractor(
            file_path=str(file_path), stream_name=stream_name, all_annotations=True, use_names_as_ids=True
        )
    with open(file_path, "rb") as file:
        if file.read(len(BDF_MAGIC)) == BDF_MAGIC:
            return with_24_bit_samples(recording, file_path)
    return recording


def header_streams(head: bytes) -> dict[float, list[str]] | None:
    """The streams of an EDF/BDF file as neo makes them, read off its header: {rate: channel labels}, a stream per
    sampling rate in the order signals first use it (pyedflib's rate: samples per record over the record's
    duration). None when `head` is not such a header, is an EDF+D (discontinuous) file, or ends before the signal
    headers."""
    if head[:8] not in (EDF_VERSION, BDF_MAGIC) or head[192:197] == b"EDF+D":
        return None
    try:
        duration = round(float(head[244:252].decode("ascii")) * TIME_UNITS) / TIME_UNITS
        count = int(head[252:256].decode("ascii"))
        if duration <= 0 or count <= 0 or len(head) < SIGNAL_HEADER_BYTES * (count + 1):
            return None
        labels = [head[256 + 16 * i : 272 + 16 * i].decode("latin-1").strip() for i in range(count)]
        start = 256 + SAMPLES_FIELD * count
        samples = [int(head[start + 8 * i : start + 8 * (i + 1)].decode("ascii")) for i in range(count)]
    except ValueError:
        return None
    streams: dict[float, list[str]] = {}
    for label, n in zip(labels, samples, strict=True):
        if label not in ANNOTATION_LABELS:
            streams.setdefault(n / duration, []).append(label)
    return streams


def neo_stream_name(rate: float) -> str:
    """neo's name of the stream of the channels sampled at `rate` (it formats a one-element tuple)."""
    return f"stream ({(rate,)} Hz)"


def claim_streams(interface: str, listing: FolderListing, confidence: float, series_key: str = "") -> list[Detection]:
    """One claim per stream of every EDF/BDF file; when a file has several, each names its stream_name and, when
    `series_key` is given, a series of its own under that argument (ElectricalSeries200Hz, ...)."""
    detections = []
    for file in listing.with_suffix(".edf", ".bdf"):
        streams = header_streams(listing.head(file, 65536)) or {}
        for rate, labels in streams.items():
            source: dict[str, str] = {"file_path": relative(file)}
            if len(streams) > 1:
                source["stream_name"] = neo_stream_name(rate)
                if series_key:
                    source[series_key] = f"ElectricalSeries{rate:g}Hz"
            kind = "BDF" if file.suffix.lower() == ".bdf" else "EDF"
            evidence = f"{file}: {kind} header, {rate:g} Hz: {', '.join(labels)}"
            part = part_of(file, neo_stream_name(rate))
            detections.append(Detection(interface, source, (part,), confidence, evidence))
    return detections


def with_24_bit_samples(recording: Any, file_path: Path) -> Any:
    """A BDF stream read as int32: neo 0.14.6 reads BDF's 24-bit samples into int16 (wrapping every sample beyond
    +-32767), so the samples come from pyedflib directly; names, rate and scaling stay neo's."""
    from spikeinterface.core import BaseRecording, BaseRecordingSegment

    reader = recording.neo_reader
    signals = reader.stream_idx_to_chidx[reader.header["signal_streams"]["id"].tolist().index(recording.stream_id)]

    class Segment(BaseRecordingSegment):
        def get_num_samples(self) -> int:
            return recording.get_num_samples()

        def get_traces(self, start_frame, end_frame, channel_indices):
            from pyedflib import EdfReader

            start, stop = start_frame or 0, recording.get_num_samples() if end_frame is None else end_frame
            chosen = signals[channel_indices if channel_indices is not None else slice(None)]
            traces = np.empty((stop - start, len(chosen)), dtype=np.int32)
            edf = EdfReader(str(file_path))
            try:
                for column, signal in enumerate(chosen):
                    buffer = np.empty(stop - start, dtype=np.int32)
                    edf.read_digital_signal(int(signal), start, stop - start, buffer)
                    traces[:, column] = buffer
            finally:
                edf.close()
            return traces

    wide = BaseRecording(recording.get_sampling_frequency(), recording.get_channel_ids(), np.int32)
    recording.copy_metadata(wide)
    wide.add_recording_segment(Segment(sampling_frequency=recording.get_sampling_frequency(), t_start=0.0))
    wide.neo_reader = reader
    return wide


def birth_date(text: str) -> str | None:
    """An EDF+ birthdate ('30 jun 1969') as an ISO date; None when the header states none ('X') or no date."""
    parts = text.strip().split()
    if len(parts) != 3 or parts[1].lower() not in MONTHS or not (parts[0].isdigit() and parts[2].isdigit()):
        return None
    try:
        return date(int(parts[2]), MONTHS.index(parts[1].lower()) + 1, int(parts[0])).isoformat()
    except ValueError:
        return None


class EDFRecordingInterface(BaseRecordingInterface):
    display_name = "EDF Recording"
    associated_suffixes = (".edf",)
    info = "Interface for European Data Format (EDF) recording data."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every stream of an EDF/BDF file, as electrode channels (EEG files mostly are)."""
        return claim_streams(cls.__name__, listing, HEADER, series_key="es_key")

    differs_from_neuroconv = (
        "a BDF file's 24-bit samples are written as int32, read with pyedflib (NeuroConv, through neo 0.14.6, wraps "
        "them into int16)"
    )

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
        channels_to_skip: list[str] | None = None,
        stream_name: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .edf (or .bdf) file; EDF and continuous EDF+ (EDF+C).
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        channels_to_skip : list, optional
            Channel labels left out (e.g. non-neural signals, for EDFAnalogInterface).
        stream_name : str, optional
            The stream (channels of one sampling rate) to read when the file has several.
        """
        self.file_path = Path(file_path)
        recording = read_edf_stream(self.file_path, stream_name)
        self.header: dict[str, Any] = recording.neo_reader.edf_header
        self.recording = recording.remove_channels(channels_to_skip) if channels_to_skip else recording
        self.es_key = es_key or "ElectricalSeries"

    def electrical_series_name(self) -> str:
        return self.es_key

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        with FILE_LOCKS[str(self.file_path)]:
            return super().read(object_name, dataset_name, selection)

    def session_start_time(self) -> datetime | None:
        return self.header.get("startdate")

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        if self.header.get("technician"):
            metadata["NWBFile"]["experimenter"] = [self.header["technician"]]
        sex = {"male": "M", "female": "F"}.get((self.header.get("sex") or self.header.get("gender") or "").lower())
        subject = {
            "subject_id": self.header.get("patientcode"),
            "sex": sex,
            "date_of_birth": birth_date(self.header.get("birthdate") or ""),
        }
        subject = {field: value for field, value in subject.items() if value}
        if subject:
            metadata["Subject"] = subject
        return metadata


class EDFAnalogInterface(BaseRecordingAsTimeSeriesInterface):
    display_name = "EDF Analog"
    associated_suffixes = (".edf",)
    info = "Interface for the auxiliary (non-electrode) signals of EDF files, written as a TimeSeries."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every stream of an EDF/BDF file, offered as auxiliary signals beside the recording's claim."""
        return claim_streams(cls.__name__, listing, HEADER - 0.1)

    differs_from_neuroconv = (
        "a BDF file's 24-bit samples are written as int32, read with pyedflib (NeuroConv, through neo 0.14.6, wraps "
        "them into int16)"
    )

    def __init__(
        self,
        file_path: Path,
        channels_to_include: list[str] | None = None,
        verbose: bool = False,
        metadata_key: str = "edf_analog",
        stream_name: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .edf (or .bdf) file.
        channels_to_include : list of str, optional
            Channel labels to write (default every channel of the stream).
        metadata_key : str
            Key of the series' entry in metadata["TimeSeries"].
        stream_name : str, optional
            The stream (channels of one sampling rate) to read when the file has several.
        """
        path = Path(file_path)
        recording = read_edf_stream(path, stream_name)
        labels = [str(c) for c in recording.get_channel_ids()]
        missing = sorted(set(channels_to_include or []) - set(labels))
        if missing:
            raise SourceError(f"{path}: no channel(s) {missing} (the stream's channels are {labels})")
        self.recording = recording.select_channels(channels_to_include) if channels_to_include else recording
        self.metadata_key = metadata_key
        self.file_path = path

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        with FILE_LOCKS[str(self.file_path)]:
            return super().read(object_name, dataset_name, selection)

    def time_series_entry(self) -> dict[str, str]:
        return {
            "name": "TimeSeriesAnalogEDF",
            "description": f"Auxiliary signals from the EDF format. Channels: {', '.join(self.channel_names())}",
        }
