"""What an Open Ephys GUI folder holds, from its file names and structure.oebin: the streams of the binary format
(one continuous/<stream> folder per recording) and of the legacy format (.continuous files by channel type), named
as neo names them, with the files each stream's reader opens. Detection of the Open Ephys interfaces is built on it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from nwbstream.service import FolderListing
from nwbstream.service.detection import HEAD_BYTES, HEADER, Detection, part_of, relative

ADC_PART = "ADC"  # the analog input channels neo splits from a binary stream into "<stream>_ADC"
LEGACY_HEADER = b"header.format = 'Open Ephys Data Format'"  # first bytes of .continuous, .spikes and .events files
SPECIFIC = HEADER - 0.05  # a format's own interface: OpenEphysRecordingInterface, which dispatches, wins
LEGACY_SHARED = (".events", ".timestamps", "settings.xml", "structure.openephys")  # a legacy folder's common files


@dataclass(frozen=True)
class OpenEphysStream:
    """One stream of a folder: the reader's arguments, the files it reads, and what showed it."""

    folder: PurePosixPath  # the folder the reader is given (a Record Node folder, or the .continuous files' folder)
    stream_name: str
    block_index: int | None  # set when the folder holds several experiments
    files: tuple[str, ...]
    evidence: str
    analog: tuple[str, ...] = ()  # for a binary stream with ADC channels: its continuous.dat parts holding them
    analog_stream: bool = False  # a stream of analog inputs only (an NI-DAQ board)

    def source_data(self, stream_name: str | None = None) -> dict[str, object]:
        arguments: dict[str, object] = {
            "folder_path": relative(self.folder),
            "stream_name": stream_name or self.stream_name,
        }
        if self.block_index is not None:
            arguments["block_index"] = self.block_index
        return arguments

    @property
    def short_name(self) -> str:
        return re.sub(r"\W+", "_", self.stream_name.split("#")[-1]).strip("_")

    @property
    def series_name(self) -> str:
        """'ElectricalSeriesCH' (legacy "Signals CH"), 'ElectricalSeriesAcquisitionBoard100RhythmData'."""
        return "ElectricalSeries" + re.sub(
            r"[^A-Za-z0-9]", "", self.stream_name.split("#")[-1].removeprefix("Signals ")
        )


def binary_streams(listing: FolderListing) -> list[OpenEphysStream]:
    """Each continuous stream of each Record Node holding structure.oebin files (experiment<n>/recording<n>/)."""
    by_stream: dict[tuple[PurePosixPath, int | None, str], list[PurePosixPath]] = defaultdict(list)
    experiments: dict[PurePosixPath, set[str]] = defaultdict(set)
    oebins = [f for f in listing.named("structure.oebin") if len(f.parents) >= 3]
    for oebin in oebins:  # <node>/experiment<n>/recording<n>/structure.oebin
        experiments[oebin.parents[2]].add(oebin.parents[1].name)
    streams = []
    for node, names in sorted(experiments.items()):
        ordered = sorted(names, key=_number)
        for experiment in ordered:
            block = ordered.index(experiment) if len(ordered) > 1 else None
            for oebin in sorted(f for f in oebins if f.parents[2] == node and f.parents[1].name == experiment):
                for dat in listing.below(oebin.parent / "continuous"):
                    if dat.name == "continuous.dat":
                        by_stream[(node, block, dat.parent.name)].append(oebin)
        shared = [f for f in listing.below(node) if _node_wide(f, node)]
        for index, ((_, block, stream), recordings) in enumerate(
            sorted((key, value) for key, value in by_stream.items() if key[0] == node)
        ):
            files = [f for oebin in recordings for f in _stream_files(listing, oebin.parent, stream)]
            if index == 0:
                files += shared
            node_name = listing.path(node).name  # the root's own name when the listing is the node
            name = f"{node_name}#{stream}" if node_name.startswith("Record") else stream
            analog = tuple(
                part_of(oebin.parent / "continuous" / stream / "continuous.dat", ADC_PART)
                for oebin in recordings
                if _has_adc_channels(listing, oebin, stream)
            )
            evidence = f"{relative(node)}: structure.oebin lists continuous/{stream} ({len(recordings)} recording(s))"
            streams.append(
                OpenEphysStream(node, name, block, tuple(sorted(map(str, files))), evidence, analog, "NI-DAQ" in stream)
            )
    return streams


def legacy_streams(listing: FolderListing) -> list[OpenEphysStream]:
    """The .continuous files of each folder, one stream per channel type (CH, AUX, ADC), as neo splits them."""
    streams = []
    folders = sorted({f.parent for f in listing.with_suffix(".continuous")})
    for folder in folders:
        by_type: dict[str, list[PurePosixPath]] = defaultdict(list)
        for continuous in listing.in_folder(folder):
            if continuous.suffix == ".continuous" and listing.head(continuous, len(LEGACY_HEADER)) == LEGACY_HEADER:
                by_type[_channel_type(continuous)].append(continuous)
        shared = [f for f in listing.in_folder(folder) if f.name.endswith(LEGACY_SHARED)]
        for index, kind in enumerate(sorted(by_type, key=lambda k: (k != "CH", k))):
            files = by_type[kind] + (shared if index == 0 else [])
            evidence = f"{relative(folder)}: {len(by_type[kind])} {kind} .continuous file(s) with Open Ephys' header"
            streams.append(OpenEphysStream(folder, f"Signals {kind}", None, tuple(sorted(map(str, files))), evidence))
    return streams


def claim_streams(
    interface: str, streams: list[OpenEphysStream], confidence: float, format_name: str
) -> list[Detection]:
    """One detection per stream (the analog-only streams left to OpenEphysBinaryAnalogInterface); where a folder
    has several, each series is named after its stream (es_key), as one session cannot hold two of one name."""
    neural = [s for s in streams if not s.analog_stream]
    per_folder = Counter(s.folder for s in neural)
    return [
        Detection(
            interface,
            {**stream.source_data(), **({"es_key": stream.series_name} if per_folder[stream.folder] > 1 else {})},
            stream.files,
            confidence,
            f"{stream.evidence} ({format_name} format)",
            name=stream.short_name,
        )
        for stream in neural
    ]


def _stream_files(listing: FolderListing, recording: PurePosixPath, stream: str) -> list[PurePosixPath]:
    """A stream's continuous files and its events (TTL) in one recording folder."""
    return [*listing.below(recording / "continuous" / stream), *listing.below(recording / "events" / stream)]


def _node_wide(file: PurePosixPath, node: PurePosixPath) -> bool:
    """Files of a Record Node that belong to no one stream: settings, structure.oebin, sync messages, messages."""
    if file.parent == node:
        return file.suffix == ".xml"
    return file.name in ("structure.oebin", "sync_messages.txt") or "MessageCenter" in file.parts


def _has_adc_channels(listing: FolderListing, oebin: PurePosixPath, stream: str) -> bool:
    """structure.oebin says the stream records ADC channels."""
    try:
        entries = json.loads(listing.text_head(oebin, HEAD_BYTES)).get("continuous", [])
    except (ValueError, AttributeError):  # longer than a head, or not JSON: the stream is proposed without them
        return False
    return any(
        str(entry.get("folder_name", "")).strip("/") == stream
        and any(str(c.get("channel_name", "")).startswith(ADC_PART) for c in entry.get("channels", []))
        for entry in entries
    )


def _channel_type(continuous: PurePosixPath) -> str:
    """'100_CH3.continuous', '100_RhythmData-A_ADC1_2.continuous' -> 'CH', 'ADC' (neo's stream split)."""
    parts = [p for p in continuous.stem.split("_") if not p.isdigit()]
    name = parts[-1] if parts else ""
    return "CH" if name.startswith("CH") else name[:3]


def _number(name: str) -> int:
    digits = re.sub(r"\D", "", name)
    return int(digits) if digits else 0
