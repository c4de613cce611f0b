"""Blackrock NSx continuous files (.ns1-.ns6) and NEV spike files (.nev)."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative
from nwbstream.service.sync import SyncRequestError, word_edge_times

from .recording import BaseRecordingInterface
from .sorting import BaseSortingInterface

PORTS = ("digital_input_port", "serial_input_port")  # neo's names of the .nev's 16-bit input port events
PORT_BITS = 16


class BlackrockRecordingInterface(BaseRecordingInterface):
    display_name = "Blackrock Recording"
    associated_suffixes = (".ns0", ".ns1", ".ns2", ".ns3", ".ns4", ".ns5", ".ns6")
    info = "Blackrock NSx continuous recordings (.ns1-.ns6) as ElectricalSeries."

    differs_from_neuroconv = (
        "electrode labels are cut at their first NUL, so files whose labels carry bytes after it convert "
        "(NeuroConv 0.10.2 fails on them); a file shorter than its data packets state is refused as truncated "
        "(NeuroConv reads what is there)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every .nsX whose header is an NSx header: each is a stream of its own (its number picks it). Streams of
        one session (the same name, .ns2 and .ns5) get series of their own names, ElectricalSeriesNs2, ..."""
        detections = []
        found = [
            (f, rate)
            for f in listing.with_suffix(*cls.associated_suffixes)
            if (rate := nsx_rate(listing.head(f, NSX_CHANNEL_COUNT)))
        ]
        for file, rate in found:
            evidence = f"{file}: {listing.head(file, 8).decode()} header, {rate / 1000:g} kHz"
            source = {"file_path": relative(file)}
            if sum(f.with_suffix("") == file.with_suffix("") for f, _ in found) > 1:
                source["es_key"] = f"ElectricalSeries{file.suffix[1:].capitalize()}"
            name = f"{file.stem}_{file.suffix[1:].lower()}"
            detections.append(Detection(cls.__name__, source, (str(file),), HEADER, evidence, name))
        return detections

    def __init__(
        self,
        file_path: Path,
        nsx_override: Path | None = None,
        verbose: bool = False,
        es_key: str = "ElectricalSeries",
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .nsX file to read (its number picks the stream: .ns5 is stream 5).
        nsx_override : Path, optional
            Read this .nsX file instead (e.g. when the .nev and .nsX names differ).
        es_key : str
            Metadata key and name of the ElectricalSeries.
        """
        from spikeinterface.extractors import read_blackrock

        path = Path(nsx_override or file_path)
        self._doubts = check_stated_length(path)
        self.recording = read_blackrock(file_path=path, stream_id=path.suffix[-1])
        self.es_key = es_key

    def warnings(self) -> list[str]:
        return list(self._doubts)

    def session_start_time(self) -> datetime | None:
        return self.recording.neo_reader.raw_annotations["blocks"][0].get("rec_datetime")

    def sync_channels(self) -> list[str]:
        """The input ports of the .nev of the same name, when the set has one (neo reads it with the .nsX)."""
        return port_channels(self.recording.neo_reader)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        return port_edge_times(self.recording.neo_reader, channel, edge, bit)


class BlackrockSortingInterface(BaseSortingInterface):
    display_name = "Blackrock Sorting"
    associated_suffixes = (".nev",)
    info = "Interface for Blackrock sorting data (spikes in the .nev file)."
    differs_from_neuroconv = "a .nev that ends inside a data packet is refused as truncated (NeuroConv reads it)"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Every .nev that starts as Blackrock's do (Neuralynx event files share the suffix, not the header). Without
        an .nsX of its name to take it from, the spikes' rate is the header's timestamp resolution."""
        detections = []
        for file in listing.with_suffix(".nev"):
            head = listing.head(file, NEV_TIMESTAMP_RATE + 4)
            if head[:8] != b"NEURALEV" or len(head) < NEV_TIMESTAMP_RATE + 4:
                continue
            source: dict[str, object] = {"file_path": relative(file)}
            evidence = f"{file}: NEURALEV header (Blackrock spike events)"
            if not any(f.stem == file.stem for f in listing.in_folder(file.parent) if f.suffix in NSX_SUFFIXES):
                (rate,) = struct.unpack_from("<I", head, NEV_TIMESTAMP_RATE)
                source["sampling_frequency"] = float(rate)
                evidence += f", timestamps at {rate} Hz (no .nsX of its name)"
            detections.append(Detection(cls.__name__, source, (str(file),), HEADER, evidence, f"{file.stem}_sorting"))
        return detections

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float | None = None,
        nsx_to_load: int | None = None,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .nev file.
        sampling_frequency : float, optional
            Rate of the spike timestamps; read from the file set when not given.
        nsx_to_load : int, optional
            Which .nsX of the set to load alongside (e.g. 2 for .ns2).
        """
        from spikeinterface.extractors import read_blackrock_sorting

        require_whole_packets(Path(file_path))
        self.sorting = read_blackrock_sorting(
            file_path=file_path, sampling_frequency=sampling_frequency, nsx_to_load=nsx_to_load
        )

    def sync_channels(self) -> list[str]:
        """The .nev's input ports: pulses on the clock of its spike times."""
        return port_channels(self.sorting.neo_reader)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        return port_edge_times(self.sorting.neo_reader, channel, edge, bit)


def port_channels(reader) -> list[str]:
    names = list(reader.header["event_channels"]["name"])
    return [port for port in PORTS if port in names]


def port_edge_times(reader, port: str, edge: str, bit: int | None) -> np.ndarray:
    """Edges of bit `bit` (none: any line) of an input port, whose .nev events each give the port's new value; the
    port is taken as low before its first event. Times are neo's, the clock of the .nsX samples and the spikes."""
    if bit is not None and not 0 <= bit < PORT_BITS:
        raise SyncRequestError(f"{port}: bit {bit} is not one of its {PORT_BITS} bits (0-{PORT_BITS - 1})")
    index = list(reader.header["event_channels"]["name"]).index(port)
    times, words = [np.empty(0)], [np.empty(0, np.int64)]
    for segment in range(reader.segment_count(0)):
        ticks, _, labels = reader.get_event_timestamps(block_index=0, seg_index=segment, event_channel_index=index)
        times.append(reader.rescale_event_timestamp(ticks, "float64", index))
        words.append(labels.astype(np.int64))
    return word_edge_times(np.concatenate(times), np.concatenate(words), edge, bit)


def require_whole_packets(path: Path) -> None:
    """A .nev holds fixed-size packets after its headers; a file ending inside one was cut short, and neo would
    read what is there without a word."""
    with open(path, "rb") as file:
        head = file.read(20)
    if len(head) < 20 or head[:8] != b"NEURALEV":
        return  # not a NEV file: the reader says so
    header_bytes, packet_bytes = struct.unpack("<II", head[12:20])
    extra = (path.stat().st_size - header_bytes) % packet_bytes if packet_bytes else 0
    if extra:
        raise SourceError(f"{path}: truncated (ends {extra} bytes into a {packet_bytes}-byte data packet)")


NSX_21_HEADER = 32  # "NEURALSG", label, period, channel count; then one uint32 id per channel
NSX_CHANNEL_COUNT = 310  # offset of the channel count in a spec 2.2+ basic header


NSX_SUFFIXES = BlackrockRecordingInterface.associated_suffixes
NEV_TIMESTAMP_RATE = 20  # where a NEV basic header states its timestamps' resolution (ticks per second)
NSX_PERIOD = {b"NEURALSG": 24, b"NEURALCD": 286, b"BRSMPGRP": 286}  # where each header states its sample period
NSX_CLOCK_FIELD = 290  # where a spec 2.2+ header states the clock the period counts in
NSX_21_CLOCK = 30000  # a spec 2.1 (NEURALSG) period counts 30 kHz ticks


def nsx_rate(head: bytes) -> float | None:
    """The sampling rate an NSx header states (clock / period), None when `head` is no NSx header."""
    kind = head[:8]
    if kind not in NSX_PERIOD or len(head) < NSX_PERIOD[kind] + 8:
        return None
    (period,) = struct.unpack_from("<I", head, NSX_PERIOD[kind])
    clock = NSX_21_CLOCK if kind == b"NEURALSG" else struct.unpack_from("<I", head, NSX_CLOCK_FIELD)[0]
    return clock / period if period else None


def check_stated_length(path: Path) -> list[str]:
    """An .nsX cut short is refused where the file states its length: spec 2.2+ data packets each state their number
    of samples (neo reads a cut file as a shorter recording without a word). A spec 2.1 file states none: one
    ending inside a sample is read up to it, and the doubt returned (the conversion's warnings)."""
    if not path.is_file():
        return []  # the reader says what is wrong
    size = path.stat().st_size
    with open(path, "rb") as file:
        head = file.read(NSX_CHANNEL_COUNT + 4)
    if head[:8] == b"NEURALSG" and len(head) >= NSX_21_HEADER:
        channels = struct.unpack("<I", head[28:32])[0]
        extra = (size - NSX_21_HEADER - 4 * channels) % (2 * channels) if channels else 0
        if extra:  # no stated length to refuse it by: files written whole end so too (neo's test file does)
            return [
                f"{path}: ends {extra} bytes into a sample of {channels} channels: cut short? (spec 2.1 states no "
                "length; the whole samples before it are written)"
            ]
    elif head[:8] in (b"NEURALCD", b"BRSMPGRP") and len(head) == NSX_CHANNEL_COUNT + 4:
        header_bytes = struct.unpack("<I", head[10:14])[0]
        channels = struct.unpack("<I", head[NSX_CHANNEL_COUNT:])[0]
        _check_packets(path, size, header_bytes, 2 * channels, stamp_bytes=8 if head[8] >= 3 else 4)
    return []


def _check_packets(path: Path, size: int, position: int, sample_bytes: int, stamp_bytes: int) -> None:
    """Walk the data packets (header byte 1, timestamp, number of samples, the samples) to the end of the file."""
    head_bytes = 1 + stamp_bytes + 4
    with open(path, "rb") as file:
        while position < size:
            file.seek(position)
            head = file.read(head_bytes)
            if len(head) < head_bytes:
                raise SourceError(f"{path}: truncated (ends inside the header of the data packet at byte {position})")
            if head[0] != 1:
                raise SourceError(f"{path}: corrupt (no data packet starts at byte {position})")
            samples = struct.unpack("<I", head[-4:])[0]
            if samples == 0:
                return  # a recording stopped unexpectedly leaves 0 here: the packet runs to the end of the file
            packet = head_bytes + samples * sample_bytes
            if samples == 1:  # one sample a packet (precision time stamps): whole packets to the end
                extra = (size - position) % packet
                if extra:
                    raise SourceError(f"{path}: truncated (ends {extra} bytes into a {packet}-byte data packet)")
                return
            if position + packet > size:
                held = (size - position - head_bytes) // sample_bytes
                raise SourceError(
                    f"{path}: truncated (its data packet at byte {position} states {samples} samples, "
                    f"the file holds {held})"
                )
            position += packet
