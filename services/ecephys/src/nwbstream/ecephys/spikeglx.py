"""SpikeGLX Neuropixels streams (AP and LF): one .bin of interleaved int16 plus its .meta."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Column, Detection, FolderListing, SourceError
from nwbstream.service.detection import HEAD_BYTES, HEADER, relative

from .recording import BaseRecordingInterface
from .sync_lines import recording_edge_times

META_NAME = re.compile(r"\.(imec\d*)\.(ap|lf)\.meta$", re.IGNORECASE)  # run_g0_t0.imec0.ap.meta
SYNC_CHANNEL = "SY0"  # an imec stream's status word, saved last
SYNC_BIT = 6  # where SpikeGLX puts its 1 Hz sync square wave in SY0


class SpikeGLXRecordingInterface(BaseRecordingInterface):
    display_name = "SpikeGLX Recording"
    associated_suffixes = (".imec", ".ap", ".lf", ".meta", ".bin")
    info = "Interface for SpikeGLX recording data (Neuropixels AP and LF streams)."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each imec stream whose .meta SpikeGLX wrote (it states imSampRate) has its .bin beside it."""
        return [
            Detection(
                cls.__name__,
                {"folder_path": relative(s.meta.parent), "stream_id": s.stream_id},
                (str(s.data), str(s.meta)),
                HEADER,
                f"{s.data} + {s.meta.name} (SpikeGLX meta with imSampRate)",
                name=s.stream_id.replace(".", "_"),
            )
            for s in imec_streams(listing)
        ]

    def __init__(
        self,
        folder_path: Path,
        stream_id: str,
        verbose: bool = False,
        es_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the stream's .bin and .meta files.
        stream_id : str
            Stream to read: 'imec0.ap', 'imec0.lf', 'imec1.ap', ...
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default: ElectricalSeriesAP / ElectricalSeriesLF).
        """
        if stream_id == "nidq" or "SYNC" in stream_id:
            raise SourceError(
                f"{folder_path}: stream {stream_id!r} is not a Neuropixels AP/LF stream; "
                "SpikeGLXRecordingInterface reads 'imecN.ap' and 'imecN.lf'"
            )
        from spikeinterface.extractors import read_spikeglx

        for meta_file in Path(folder_path).rglob(f"*.{stream_id}.meta"):
            _check_meta(meta_file)
        self.recording = read_spikeglx(folder_path, stream_id=stream_id)
        self.folder_path, self.stream_id = Path(folder_path), stream_id
        info = self.recording.neo_reader.signals_info_dict[(0, stream_id)]
        self.meta: dict[str, str] = info["meta"]
        self.band: str = info["stream_kind"]
        self.probe_name: str = info["device"].capitalize()
        self._has_companion = (0, f"{info['device']}.{'lf' if self.band == 'ap' else 'ap'}") in (
            self.recording.neo_reader.signals_info_dict
        )
        series = f"ElectricalSeries{self.band.upper()}"
        # NeuroConv adds the probe to the name unless the run says exactly one probe was enabled.
        if int(self.meta.get("typeImEnabled", 0)) != 1:
            series += self.probe_name
        self.es_key = es_key or series

    def sync_channels(self) -> list[str]:
        streams = self.recording.neo_reader.header["signal_streams"]["id"]
        return [SYNC_CHANNEL] if f"{self.stream_id}-SYNC" in streams else []

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        """SY0's bit `bit` (default the sync bit, 6), timed as this stream's samples (the word is saved with them)."""
        return sync_word_times(self._sync_recording, edge, bit, clock=self.recording)

    @cached_property
    def _sync_recording(self) -> Any:
        """The stream's SY0 word, read once for every request of its bits and edges."""
        return read_spikeglx_stream(self.folder_path, f"{self.stream_id}-SYNC")

    def device_metadata(self) -> dict[str, Any]:
        part = self.meta.get("imDatPrb_pn", "unknown part number")
        return {
            "name": f"Neuropixels{self.probe_name}",
            "description": f"Neuropixels probe {part}.",
            "manufacturer": "imec",
        }

    def session_start_time(self) -> datetime | None:
        created = self.meta.get("fileCreateTime")
        return datetime.fromisoformat(created) if created else None

    def group_names(self) -> list[str]:
        probe = self.recording.get_probe()
        if probe.get_shank_count() > 1:
            return [f"Neuropixels{self.probe_name}Shank{s}" for s in probe.shank_ids]
        return [f"Neuropixels{self.probe_name}"] * self.recording.get_num_channels()

    def channel_names(self) -> list[str]:
        """'AP0,LF0' when the probe has both bands, so AP and LF series share one electrodes row, as NeuroConv."""
        numbers = [str(c).split("#")[-1][2:] for c in self.recording.get_channel_ids()]
        if self._has_companion:
            return [f"AP{n},LF{n}" for n in numbers]
        return [f"{self.band.upper()}{n}" for n in numbers]

    def extra_electrode_columns(self) -> list[Column]:
        probe = self.recording.get_probe()
        columns = [
            *super().extra_electrode_columns(),
            Column("contact_shapes", "The shape of the electrode.", list(probe.contact_shapes)),
        ]
        if probe.get_shank_count() > 1:
            columns.append(Column("shank_ids", "The shank id of the electrode.", list(probe.shank_ids)))
        return columns


@dataclass(frozen=True)
class ImecStream:
    """An imec stream's files, as detection finds them, and what its .meta says."""

    meta: PurePosixPath
    data: PurePosixPath
    stream_id: str  # 'imec0.ap'
    meta_text: str  # the .meta's first bytes (a .meta is a few kB)

    def saved_count(self, key: str, index: int) -> int:
        """One of the counts of a `key=a,b,c` line (snsApLfSy: AP, LF and sync channels saved)."""
        match = re.search(rf"^{key}=([\d,]+)", self.meta_text, re.M)
        counts = match.group(1).split(",") if match else []
        return int(counts[index]) if index < len(counts) and counts[index] else 0


def imec_streams(listing: FolderListing) -> list[ImecStream]:
    """Each imec stream whose .meta SpikeGLX wrote (it states imSampRate) with its .bin beside it."""
    found = []
    for meta in listing.with_suffix(".ap.meta", ".lf.meta"):
        match = META_NAME.search(meta.name)
        data = listing.sibling(meta, meta.name[: -len(".meta")] + ".bin")
        text = listing.text_head(meta, HEAD_BYTES)
        if match is None or data is None or "imSampRate=" not in text:
            continue
        probe = match.group(1).lower()
        found.append(
            ImecStream(meta, data, f"{probe if probe[-1].isdigit() else probe + '0'}.{match.group(2).lower()}", text)
        )
    return found


def read_spikeglx_stream(folder_path: Path, stream_id: str) -> Any:
    """The stream, once its .bin is known to be as long as its .meta says."""
    from spikeinterface.extractors.extractor_classes import SpikeGLXRecordingExtractor

    for meta_file in folder_path.rglob(f"*.{stream_id.replace('-SYNC', '')}.meta"):
        _check_meta(meta_file)
    streams, _ = SpikeGLXRecordingExtractor.get_streams(folder_path=folder_path)
    if stream_id not in streams:
        raise SourceError(f"{folder_path}: no SpikeGLX stream {stream_id!r} (the folder's streams are {streams})")
    return SpikeGLXRecordingExtractor(folder_path=folder_path, stream_id=stream_id, all_annotations=True)


def sync_word_times(sync: Any, edge: str, bit: int | None, clock: Any | None = None) -> np.ndarray:
    """Edge times of bit `bit` (default SYNC_BIT) of an imec stream's sync word, `sync` its one-channel stream."""
    (channel,) = sync.get_channel_ids()
    return recording_edge_times(sync, channel, edge, SYNC_BIT if bit is None else bit, clock)


def _check_meta(meta_file: Path) -> None:
    """A .meta without the lines SpikeGLX always writes is not one; a .bin shorter or longer than its fileSizeBytes
    is truncated or damaged: say so before neo reads them."""
    text = meta_file.read_text(errors="replace")
    match = re.search(r"^fileSizeBytes=(\d+)", text, re.M)
    if not match or not re.search(r"^nSavedChans=\d+", text, re.M):
        raise SourceError(f"{meta_file}: not a SpikeGLX .meta file (no fileSizeBytes or nSavedChans line)")
    bin_file = meta_file.with_suffix(".bin")
    if not bin_file.exists():
        return
    expected, actual = int(match.group(1)), bin_file.stat().st_size
    if actual != expected:
        raise SourceError(
            f"{bin_file}: truncated or damaged: {actual} bytes on disk, the .meta says {expected} (fileSizeBytes)"
        )
