"""Intan digital lines (board digital inputs and outputs of an .rhd/.rhs file) as events: NWB 2.9 EventsTables,
one per line, read off the lines' edges as NeuroConv 0.10's IntanDigitalInterface reads them."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative
from nwbstream.service.event_detection import detect_in_slabs, event_plan, plan_metadata
from nwbstream.service.events import BaseEventsInterface, EventType
from nwbstream.service.sync import SyncRequestError

from .intan_analog import read_intan_stream
from .intan_layout import IntanStream, describe, intan_streams, stream_files
from .sync_lines import recording_edge_times

DIGITAL_STREAMS = ("USB board digital input channel", "USB board digital output channel")


class IntanDigitalInterface(BaseEventsInterface):
    display_name = "Intan Digital"
    associated_suffixes = (".rhd", ".rhs")
    info = "Interface for Intan digital TTL lines, written as events (edge times)."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The digital input and output lines of each Intan header, together (one interface reads both)."""
        by_header: dict[str, list[IntanStream]] = {}
        for stream in intan_streams(listing):
            if stream.stream_name in DIGITAL_STREAMS:
                by_header.setdefault(relative(stream.header), []).append(stream)
        return [
            Detection(
                cls.__name__,
                {"file_path": header},
                tuple(f for s in streams for f in stream_files(s)),
                HEADER,
                "; ".join(describe(s) for s in streams),
            )
            for header, streams in by_header.items()
        ]

    def __init__(
        self,
        file_path: Path,
        detection_configuration: dict | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
        saved_files_are_split: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .rhd or .rhs file; with saved_files_are_split, any file of the session folder.
        detection_configuration : dict, optional
            {line name as the header names it (e.g. 'DIGITAL-IN-01'): [spec, ...]} (NeuroConv's layout); default
            every line of the file as a 'high_period' (onset at the rising edge, duration to the falling one).
        metadata_key : str, optional
            Key of this interface's entry in metadata["Events"] (default 'intan_digital').
        saved_files_are_split : bool
            The session was saved as several rotated files: concatenate every .rhd/.rhs of the file's folder
            in file name order.
        """
        path = Path(file_path)
        self.recordings = digital_streams(path, saved_files_are_split)
        self.line_of = lines_of(self.recordings)
        if not self.line_of:
            raise SourceError(
                f"{path}: no digital channels (the header lists only the lines enabled at acquisition; "
                f"this file has no {' or '.join(DIGITAL_STREAMS)} stream)"
            )
        try:
            self.plan = event_plan(detection_configuration, list(self.line_of))
        except ValueError as error:
            raise SourceError(f"{path}: {error}") from None
        self.metadata_key = metadata_key or "intan_digital"

    def get_metadata(self) -> dict[str, Any]:
        return {"NWBFile": {}, "Events": plan_metadata(self.metadata_key, self.plan)}

    def sync_channels(self) -> list[str]:
        return list(self.line_of)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        return line_edge_times(self.line_of, channel, edge, bit)

    def read_events(self) -> dict[str, EventType]:
        found: dict[str, EventType] = {}
        for recording in self.recordings.values():
            plan = [(name, line, spec) for name, line, spec in self.plan if self.line_of[line][0] is recording]
            found |= detect_in_slabs(
                _line_reader(recording, sorted({line for _, line, _ in plan})),
                recording.get_num_samples(segment_index=0),
                partial(recording.sample_index_to_time, segment_index=0),
                plan,
            )
        return {name: found[name] for name, _, _ in self.plan}


def digital_streams(path: Path, saved_files_are_split: bool) -> dict[str, Any]:
    """The file's digital input and output streams (those it has), by neo's stream name."""
    from spikeinterface.extractors import get_neo_streams

    streams, _ = get_neo_streams("intan", file_path=str(path))
    return {name: read_intan_stream(path, name, saved_files_are_split) for name in DIGITAL_STREAMS if name in streams}


def lines_of(recordings: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Each digital line by the name the header gives it ('DIGITAL-IN-01'): its stream and channel id."""
    return {
        str(channel): (recording, channel)
        for recording in recordings.values()
        for channel in recording.get_channel_ids()
    }


def line_edge_times(line_of: dict[str, tuple[Any, Any]], line: str, edge: str, bit: int | None) -> np.ndarray:
    """Edge times of one 0/1 digital line, on the clock of the file's samples (every stream of a file shares it)."""
    if bit is not None:
        raise SyncRequestError(f"{line} is one digital line, not a word: it has no bit {bit}")
    recording, channel = line_of[line]
    return recording_edge_times(recording, channel, edge, 0)


def _line_reader(recording: Any, lines: list[str]) -> Callable[[str, int, int], np.ndarray]:
    """Samples of one line of a digital word: the word's lines are read together, a slab at a time, and the slab
    read last is kept for the next line asking for it (one read of the word per slab, not one per line)."""
    column = {line: index for index, line in enumerate(lines)}

    @lru_cache(maxsize=1)
    def slab(start: int, stop: int) -> np.ndarray:
        return recording.get_traces(segment_index=0, start_frame=start, end_frame=stop, channel_ids=lines)

    return lambda line, start, stop: slab(start, stop)[:, column[line]]
