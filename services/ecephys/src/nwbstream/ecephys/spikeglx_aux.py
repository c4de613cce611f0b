"""SpikeGLX channels that are not electrodes: the NIDQ board (analog XA/MA channels as TimeSeries, the digital
word XD as events, one interface for both as NeuroConv has it) and an imec stream's sync word SY0 (a TimeSeries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, NwbObjectSpec, SourceError
from nwbstream.service.detection import HEAD_BYTES, HEADER, part_of, relative
from nwbstream.service.event_detection import detect_in_slabs, event_plan, plan_metadata
from nwbstream.service.events import BaseEventsInterface, EventType
from nwbstream.service.names import camel_case
from nwbstream.service.sync import SyncRequestError

from .analog import BaseRecordingAsTimeSeriesInterface, time_series_metadata_schema
from .recording import start_fields
from .spikeglx import SYNC_CHANNEL, imec_streams, read_spikeglx_stream, sync_word_times
from .sync_lines import recording_edge_times

DEFAULT_ANALOG_GROUP = "nidq_analog"
BOARD_KEY = "spikeglx_nidq_device"  # NeuroConv's key of the board in metadata["Devices"]
BOARD = {"name": "NIDQBoard", "description": "A NIDQ board used in conjunction with SpikeGLX."}
SYNC_DESCRIPTION = (
    "Synchronization channel (SY0) from Neuropixel probe {probe} {kind} stream (stream: {stream}). Contains a 16-bit "
    "status word where bit 6 carries a 1 Hz square wave (toggling between 0 and 1 every 0.5 seconds) used for "
    "sub-millisecond timing alignment across acquisition devices and data streams. The other bits carry hardware "
    "status and error flags. For NP1.0 probes, the sync channel appears identically in both AP and LF files. The "
    "sync signal can be generated internally by the Imec module (PXIe or OneBox) or externally by an NI-DAQ device "
    "acting as the master sync generator for multi-device setups."
)


def file_create_time(meta: dict[str, str]) -> datetime | None:
    """The .meta's fileCreateTime (local time, no zone); None when absent or blanked (0000-00-00, de-identified)."""
    created = meta.get("fileCreateTime", "")
    return None if not created or created.startswith("0000-00-00") else datetime.fromisoformat(created)


class SpikeGLXNIDQInterface(BaseRecordingAsTimeSeriesInterface, BaseEventsInterface):
    display_name = "NIDQ Recording"
    associated_suffixes = (".nidq", ".meta", ".bin")
    info = "Interface for the SpikeGLX NIDQ board: analog channels as TimeSeries, digital lines as events."
    differs_from_neuroconv = (
        "the NIDQBoard device is written with the analog series (none when analog_channel_groups is {}); metadata "
        "of the deprecated digital_channel_groups is given in the layout the events are written from (Events."
        "EventTables), not NeuroConv's older per-group layout"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each .nidq.meta SpikeGLX wrote (it states niSampRate) with its .nidq.bin beside it."""
        detections = []
        for meta in listing.with_suffix(".nidq.meta"):
            data = listing.sibling(meta, meta.name[: -len(".meta")] + ".bin")
            if data is None or "niSampRate=" not in listing.text_head(meta, HEAD_BYTES):
                continue
            evidence = f"{data} + {meta.name} (SpikeGLX meta with niSampRate)"
            source = {"folder_path": relative(meta.parent)}
            detections.append(Detection(cls.__name__, source, (str(data), str(meta)), HEADER, evidence, name="nidq"))
        return detections

    def __init__(
        self,
        folder_path: Path,
        verbose: bool = False,
        metadata_key: str = "spikeglx_nidq",
        analog_channel_groups: dict | None = None,
        digital_channel_groups: dict | None = None,
        detection_configuration: dict | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the .nidq.bin and .nidq.meta files.
        metadata_key : str
            Key of this board's entries in metadata["TimeSeries"] and metadata["Events"].
        analog_channel_groups : dict, optional
            {group key: {"channels": ["XA0", ...]}}: one TimeSeries per group; default every analog channel
            (XA, MA) in one TimeSeriesNIDQ; {} writes none.
        digital_channel_groups : dict, optional
            Deprecated in NeuroConv (use detection_configuration): {group key: {"channels": {"XD5": {"labels_map":
            {0: "off label", 1: "on label"}}}}}: each group's line as its rising and falling edges in one table.
        detection_configuration : dict, optional
            {"XD0": [{"signal_conditioning": {"bits": [n]}, "detection": ...}, ...], "XA0": [...]} (NeuroConv's
            layout); default every line of the digital word as a 'high_period'; {} writes no events.
        """
        if digital_channel_groups is not None and detection_configuration is not None:
            raise SourceError(
                f"{folder_path}: pass detection_configuration or the deprecated digital_channel_groups, not both"
            )
        self.recording = read_spikeglx_stream(Path(folder_path), "nidq")
        info = self.recording.neo_reader.signals_info_dict[(0, "nidq")]
        self.meta: dict[str, str] = info["meta"]
        self.metadata_key = metadata_key
        handles = {str(c).split("#")[-1]: c for c in self.recording.get_channel_ids()}
        self.analog = {h: c for h, c in handles.items() if h.startswith(("XA", "MA"))}
        self.words = {h: c for h, c in handles.items() if h.startswith("XD")}
        bits = sorted(int(str(line)[2:]) for line in info["digital_channels"])
        self.lines = [f"XD{bit}" for bit in bits]
        if len(self.words) > 1 or (bits and max(bits) > 15):
            raise SourceError(
                f"{folder_path}: the digital lines {bits} span {len(self.words)} 16-bit words; nwbstream (as "
                "NeuroConv) reads one word of lines 0-15"
            )
        self.groups = self._analog_groups(analog_channel_groups, Path(folder_path))
        self.legacy_tables: dict[str, dict[str, str]] = {}  # digital_channel_groups: table entry by group key
        self.legacy_types: dict[str, dict[str, str]] = {}  # and each edge's event type entry, by its id
        if digital_channel_groups is not None:
            detection_configuration = self._legacy_configuration(digital_channel_groups, Path(folder_path))
        if detection_configuration is None:
            detection_configuration = {
                word: [{"signal_conditioning": {"bits": [bit]}, "detection": "high_period"} for bit in bits]
                for word in self.words
            }
        detection_configuration = {str(k).split("#")[-1]: v for k, v in detection_configuration.items()}
        try:
            self.plan = (
                event_plan(detection_configuration, [*self.words, *self.analog]) if detection_configuration else []
            )
        except ValueError as error:
            raise SourceError(f"{folder_path}: {error}") from None

    def _legacy_configuration(self, groups: dict, folder: Path) -> dict[str, list[dict]]:
        """NeuroConv's reading of the deprecated digital_channel_groups: a group's line gives a rising edge event
        (labelled labels_map[1]) and a falling one (labels_map[0]), rows of one table named after the group."""
        if groups and not self.words:
            raise SourceError(f"{folder}: digital_channel_groups given, but the board saved no digital word")
        specs = []
        for key, group in groups.items():
            channel, settings = next(iter(group["channels"].items()))
            line_name = str(channel).split("#")[-1]
            labels = {int(value): str(label) for value, label in (settings.get("labels_map") or {}).items()}
            name = f"EventsNIDQDigitalChannel{line_name}" if key.startswith("nidq#") else camel_case(key)
            self.legacy_tables[key] = {"table_name": name, "description": f"On and Off Events from channel {line_name}"}
            for detection, label in (("rising", labels.get(1, f"{key}_on")), ("falling", labels.get(0, f"{key}_off"))):
                event_id = f"{key}_{label}"
                bits = {"bits": [int(line_name[2:])]}
                specs.append({"signal_conditioning": bits, "detection": detection, "event_name": event_id})
                self.legacy_types[event_id] = {"event_name": label, "table_metadata_key": key}
        return {next(iter(self.words)): specs} if specs else {}

    def _analog_groups(self, groups: dict | None, folder: Path) -> dict[str, list[Any]]:
        if groups is None:
            return {DEFAULT_ANALOG_GROUP: list(self.analog.values())} if self.analog else {}
        resolved = {}
        for key, group in groups.items():
            names = [str(c).split("#")[-1] for c in group.get("channels", [])]
            unknown = [n for n in names if n not in self.analog]
            if unknown or not names:
                raise SourceError(
                    f"{folder}: analog_channel_groups[{key!r}] names {unknown or 'no channels'}; the board's analog "
                    f"channels are {list(self.analog)}"
                )
            resolved[key] = [self.analog[n] for n in names]
        return resolved

    def session_start_time(self) -> datetime | None:
        return file_create_time(self.meta)

    def group_entry(self, key: str) -> dict[str, str]:
        names = [str(c).split("#")[-1] for c in self.groups[key]]
        if key == DEFAULT_ANALOG_GROUP:
            return {
                "name": "TimeSeriesNIDQ",
                "description": f"Analog data from the NIDQ board. Channels are {names} in that order.",
            }
        return {
            "name": camel_case(key),
            "description": f"Analog data from NIDQ board, group '{key}'. Channels are {names} in that order.",
        }

    def get_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "NWBFile": start_fields(self.session_start_time()),
            "Devices": {BOARD_KEY: dict(BOARD)},
        }
        if self.groups:
            metadata["TimeSeries"] = {self.metadata_key: {key: self.group_entry(key) for key in self.groups}}
        if self.legacy_tables:
            events = {"EventTables": self.legacy_tables, self.metadata_key: {"event_types": self.legacy_types}}
            metadata["Events"] = events
        elif self.plan:
            metadata["Events"] = plan_metadata(self.metadata_key, self.plan)
        return metadata

    def get_metadata_schema(self) -> dict[str, Any]:
        schema = time_series_metadata_schema([], "Events", "Devices")
        entries = time_series_metadata_schema(list(self.groups))["properties"]["TimeSeries"]
        schema["properties"]["TimeSeries"]["properties"][self.metadata_key] = entries
        return schema

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        series = [
            replace(spec, attributes={**spec.attributes, "device_metadata_key": BOARD_KEY})
            for key, channels in self.groups.items()
            for spec in self.time_series(
                self.recording.select_channels(channels), f"{self.metadata_key}/{key}", self.group_entry(key), stub
            )
        ]
        return series + (BaseEventsInterface.describe(self, stub) if self.plan else [])

    def sync_channels(self) -> list[str]:
        """The digital lines ('XD0' is line 0, 'XD5' line 5 of the word) and the analog channels (a TTL cut at its
        midpoint)."""
        return [*self.lines, *self.analog]

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        """A line's edges; `bit` names the line within the word XD0 instead ('XD0' with bit 5 is line 5)."""
        if channel in self.analog:
            if bit is not None:
                raise SyncRequestError(f"{channel} is an analog channel, not a word: it has no bit {bit}")
            return recording_edge_times(self.recording, self.analog[channel], edge, None)
        if bit is not None and channel != "XD0":
            raise SyncRequestError(f"{channel} is one digital line; give a bit only with the word, XD0")
        line = int(channel[2:]) if bit is None else bit
        if f"XD{line}" not in self.lines:
            raise SyncRequestError(f"the board saved no digital line {line} (its lines are {self.lines})")
        (word,) = self.words.values()
        return recording_edge_times(self.recording, word, edge, line)

    def read_events(self) -> dict[str, EventType]:
        return detect_in_slabs(
            partial(_channel_samples, self.recording, {**self.words, **self.analog}),
            self.recording.get_num_samples(segment_index=0),
            partial(self.recording.sample_index_to_time, segment_index=0),
            self.plan,
        )


def _channel_samples(recording: Any, channel_of: dict[str, Any], handle: str, start: int, stop: int) -> Any:
    """Raw samples: a word's value is its bit pattern, so no gain is applied (nor to an analog channel, whose
    binarize cut NeuroConv states in stored values too)."""
    return recording.get_traces(segment_index=0, start_frame=start, end_frame=stop, channel_ids=[channel_of[handle]])[
        :, 0
    ]


class SpikeGLXSyncChannelInterface(BaseRecordingAsTimeSeriesInterface):
    display_name = "SpikeGLX Sync Channel"
    associated_suffixes = (".imec", ".ap", ".lf", ".meta", ".bin")
    info = "Interface for the sync channel (SY0) of a SpikeGLX Neuropixels stream, written as a TimeSeries."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The sync word each probe saves (snsApLfSy counts it), claimed as its part of the .bin: the AP stream's,
        or the LF stream's for a probe saved without AP (an NP1 probe writes the same word in both)."""
        streams = [s for s in imec_streams(listing) if s.saved_count("snsApLfSy", 2)]
        with_ap = {(s.meta.parent, s.stream_id.split(".")[0]) for s in streams if s.stream_id.endswith(".ap")}
        return [
            Detection(
                cls.__name__,
                {"folder_path": relative(s.meta.parent), "stream_id": f"{s.stream_id}-SYNC"},
                (part_of(s.data, SYNC_CHANNEL),),
                HEADER,
                f"{s.meta}: snsApLfSy saves the {SYNC_CHANNEL} sync word",
                name=f"{s.stream_id.replace('.', '_')}_sync",
            )
            for s in streams
            if s.stream_id.endswith(".ap") or (s.meta.parent, s.stream_id.split(".")[0]) not in with_ap
        ]

    def __init__(self, folder_path: Path, stream_id: str, verbose: bool = False, metadata_key: str = "spikeglx_sync"):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the imec stream's .bin and .meta files.
        stream_id : str
            The sync stream: the imec stream's id with '-SYNC' ('imec0.ap-SYNC', 'imec1.lf-SYNC').
        metadata_key : str
            Key of the series' entry in metadata["TimeSeries"].
        """
        if "-SYNC" not in stream_id or "obx" in stream_id:
            raise SourceError(
                f"{folder_path}: stream_id {stream_id!r} is not an imec sync stream ('imec0.ap-SYNC', 'imec1.lf-SYNC')"
            )
        self.stream_id = stream_id
        self.metadata_key = metadata_key
        self.recording = read_spikeglx_stream(Path(folder_path), stream_id)
        base = stream_id.replace("-SYNC", "")
        self.meta: dict[str, str] = self.recording.neo_reader.signals_info_dict[(0, base)]["meta"]
        device, _, kind = base.partition(".")
        self.probe = device.replace("imec", "")
        self.kind = kind.upper()

    def session_start_time(self) -> datetime | None:
        return file_create_time(self.meta)

    def sync_channels(self) -> list[str]:
        return [SYNC_CHANNEL]

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        """SY0's bit `bit` (default the sync bit, 6)."""
        return sync_word_times(self.recording, edge, bit)

    def time_series_entry(self) -> dict[str, str]:
        description = SYNC_DESCRIPTION.format(probe=self.probe, kind=self.kind, stream=self.stream_id)
        return {"name": f"TimeSeriesImec{self.probe}Sync", "description": description}
