"""Neuralynx continuous channels (.ncs files of a folder), with the session facts their headers share."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .neuralynx_ttl import ttl_edge_times, ttl_ports
from .recording import BaseRecordingInterface


class NeuralynxRecordingInterface(BaseRecordingInterface):
    display_name = "Neuralynx Recording"
    associated_suffixes = (".ncs", ".nse", ".ntt", ".nev")
    info = "Interface for Neuralynx recording data."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of .ncs files with Neuralynx headers, with its .nev events (read for TTL pulses); channels
        of several rates or input ranges are several streams, of which the person names one."""
        detections = []
        for folder, channels in neuralynx_files(listing, ".ncs").items():
            events = neuralynx_files(listing, ".nev").get(folder, {})
            kinds = {(h.get("SamplingFrequency"), h.get("InputRange")) for h in channels.values()}
            todo = (
                {"stream_name": f"channels of {len(kinds)} rates/ranges: the stream to read"} if len(kinds) > 1 else {}
            )
            rates = ", ".join(sorted({f"{rate} Hz" for rate, _ in kinds}))
            evidence = f"{relative(folder)}: {len(channels)} .ncs file(s) with Neuralynx headers ({rates})"
            files = tuple(map(str, [*channels, *events]))
            detections.append(
                Detection(cls.__name__, {"folder_path": relative(folder)}, files, HEADER, evidence, todo=todo)
            )
        return detections

    def __init__(
        self,
        folder_path: Path,
        stream_name: str | None = None,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the Neuralynx files (.ncs, .nse, .ntt, .nev).
        stream_name : str, optional
            Stream to read when the folder has several (channels of one rate and range form a stream).
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import NeuralynxRecordingExtractor

        for ncs in sorted(Path(folder_path).glob("*.ncs")):
            _check_ncs_header(ncs)
        self.recording = NeuralynxRecordingExtractor(folder_path=folder_path, stream_name=stream_name)
        self.es_key = es_key or "ElectricalSeries"
        self.header = _shared_header(self.recording.neo_reader.file_headers)

    def session_start_time(self) -> datetime | None:
        return self.header.get("recording_opened")

    def sync_channels(self) -> list[str]:
        """The digital ports of the folder's .nev TTL input events ('board 0 port 1', ...)."""
        return ttl_ports(self.recording.neo_reader)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        return ttl_edge_times(self.recording.neo_reader, channel, edge, bit)

    def device_metadata(self) -> dict[str, Any]:
        """The acquisition system the headers name, described by the application that recorded."""
        name = self.header.get("AcquisitionSystem") or self.header.get("HardwareSubSystemType")
        if name is None:
            return super().device_metadata()
        device = {"name": str(name)}
        if "ApplicationName" in self.header or "ApplicationVersion" in self.header:
            device["description"] = (
                f"{self.header.get('ApplicationName', '')} {self.header.get('ApplicationVersion', '')}"
            )
        return device

    def get_metadata(self) -> dict[str, Any]:
        """As NeuroConv: the session UUID as session_id, the other shared header fields as JSON notes."""
        metadata = super().get_metadata()
        nwbfile = metadata["NWBFile"]
        if "SessionUUID" in self.header:
            nwbfile["session_id"] = str(self.header["SessionUUID"])
        described = {"SessionUUID", "recording_opened", "AcquisitionSystem", "ApplicationName", "ApplicationVersion"}
        if "AcquisitionSystem" not in self.header:
            described -= {"ApplicationName", "ApplicationVersion"}
            if "HardwareSubSystemType" in self.header:
                described |= {"HardwareSubSystemType", "ApplicationName", "ApplicationVersion"}
        notes = {k: str(v) for k, v in self.header.items() if k not in described}
        nwbfile["notes"] = json.dumps(notes, ensure_ascii=True)
        return metadata


def _shared_header(file_headers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The header fields every .ncs file has with the same value (DSP settings left out), the earliest opening
    time and the latest closing time."""
    headers = [h for name, h in file_headers.items() if str(name).lower().endswith(".ncs")]
    if not headers:
        return {}
    first = headers[0]
    shared = {
        key: value
        for key, value in first.items()
        if not key.lower().startswith("dsp") and all(key in h and h[key] == value for h in headers[1:])
    }
    for key, pick in (("recording_opened", min), ("recording_closed", max)):
        if key not in shared and all(key in h for h in headers):
            shared[key] = pick(h[key] for h in headers)
    return shared


NCS_HEADER_BYTES = 16 * 1024
NEURALYNX_MAGIC = b"######## Neuralynx Data File Header"  # how Cheetah's and Pegasus' headers start


def neuralynx_files(listing: FolderListing, suffix: str) -> dict[PurePosixPath, dict[PurePosixPath, dict[str, str]]]:
    """The files ending in `suffix` that open with a Neuralynx header, by folder, each with its header fields
    ("-SamplingFrequency 2000" lines)."""
    found: dict[PurePosixPath, dict[PurePosixPath, dict[str, str]]] = {}
    for file in listing.with_suffix(suffix):
        head = listing.head(file, NCS_HEADER_BYTES)
        if head.startswith(NEURALYNX_MAGIC):
            lines = head.rstrip(b"\0").decode("latin-1").splitlines()
            fields = dict(line[1:].partition(" ")[::2] for line in lines if line.startswith("-"))
            found.setdefault(file.parent, {})[file] = {k: v.strip() for k, v in fields.items()}
    return found


def _check_ncs_header(path: Path) -> None:
    """Every Neuralynx file opens with a 16 KiB text header; neo passes over a file without one, which would
    drop its channel from the recording without a word."""
    with open(path, "rb") as file:
        head = file.read(NCS_HEADER_BYTES)
    if len(head) < NCS_HEADER_BYTES or not head.startswith(b"######"):
        raise SourceError(f"{path}: not a Neuralynx .ncs file (no 16 KiB '######' header)")
