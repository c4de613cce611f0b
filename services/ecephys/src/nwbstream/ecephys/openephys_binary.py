"""Open Ephys GUI recordings in the binary format (structure.oebin, continuous.dat per stream)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.sync import SyncRequestError

from .openephys_layout import SPECIFIC, binary_streams, claim_streams
from .openephys_ttl import ttl_edge_times, ttl_files, ttl_lines
from .recording import BaseRecordingInterface, require_stream


class OpenEphysBinaryRecordingInterface(BaseRecordingInterface):
    display_name = "OpenEphys Binary Recording"
    associated_suffixes = (".dat", ".oebin", ".npy")
    info = "Interface for converting binary OpenEphys recording data."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each continuous stream of a Record Node; OpenEphysRecordingInterface is preferred."""
        return claim_streams(cls.__name__, binary_streams(listing), SPECIFIC, "binary")

    def __init__(
        self,
        folder_path: Path,
        stream_name: str | None = None,
        block_index: int | None = None,
        stub_test: bool = False,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding settings.xml and the experiment<n>/recording<n> folders (a Record Node folder).
        stream_name : str, optional
            Stream to read when the folder has several (e.g. "Record Node 106#Acquisition_Board-100.Rhythm Data").
        block_index : int, optional
            Recording block to read when the folder has several.
        stub_test : bool
            Accepted for NeuroConv compatibility; the conversion's stub option cuts the data.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default "ElectricalSeries").
        """
        from spikeinterface.extractors.extractor_classes import OpenEphysBinaryRecordingExtractor

        self.settings = _settings_xml(Path(folder_path))
        for oebin in sorted(Path(folder_path).rglob("structure.oebin")):
            check_continuous_files(oebin)
        streams, _ = OpenEphysBinaryRecordingExtractor.get_streams(folder_path=folder_path)
        require_stream(folder_path, stream_name, streams)
        recording = OpenEphysBinaryRecordingExtractor(
            folder_path=folder_path, stream_name=stream_name, block_index=block_index
        )
        neural = [c for c in recording.get_channel_ids() if "ADC" not in str(c)]
        # As NeuroConv: analog input (ADC) channels are not electrodes (OpenEphysBinaryAnalogInterface reads them).
        self.ttl = ttl_files(recording)
        self.recording = recording if len(neural) == recording.get_num_channels() else recording.select_channels(neural)
        self.es_key = es_key or "ElectricalSeries"

    def electrical_series_name(self) -> str:
        return "ElectricalSeries"

    def session_start_time(self) -> datetime | None:
        return settings_start_time(self.settings)

    def sync_channels(self) -> list[str]:
        """The TTL lines of the stream's events ('TTL1', ...) that changed during the recording."""
        return ttl_lines(self.ttl)

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        if bit is not None:
            raise SyncRequestError(f"{channel} is one TTL line, not a word: it has no bit {bit}")
        return ttl_edge_times(self.ttl, channel, edge)


def settings_start_time(settings: Path) -> datetime | None:
    """When the recording started, as settings.xml says (INFO/DATE, local time without a zone)."""
    date = ElementTree.parse(settings).getroot().findtext("./INFO/DATE")
    return None if date is None else datetime.strptime(date, "%d %b %Y %H:%M:%S")


def _settings_xml(folder: Path) -> Path:
    """The one settings.xml under the folder, which says when the recording started."""
    found = sorted(folder.rglob("settings.xml"))
    if len(found) != 1:
        raise SourceError(
            f"{folder}: {len(found)} settings.xml files; expected one (pass the Record Node folder, holding "
            "settings.xml and experiment<n>/recording<n>/continuous)"
        )
    return found[0]


def check_continuous_files(oebin: Path) -> None:
    """structure.oebin must be JSON, and each continuous.dat it lists a whole number of samples of its channels
    (a cut .dat fails in neo with a message about data-type sizes that names no file)."""
    try:
        structure = json.loads(oebin.read_text(errors="replace"))
    except json.JSONDecodeError as error:
        raise SourceError(f"{oebin}: not an Open Ephys structure.oebin (not JSON: {error})") from None
    for stream in structure.get("continuous", []):
        dat = oebin.parent / "continuous" / stream.get("folder_name", "").strip("/") / "continuous.dat"
        sample_bytes = 2 * int(stream.get("num_channels", 0))
        if not (dat.exists() and sample_bytes):
            continue
        if dat.stat().st_size % sample_bytes:
            raise SourceError(
                f"{dat}: truncated: {dat.stat().st_size} bytes is not a whole number of {sample_bytes}-byte samples"
            )
        stated = _stated_samples(dat.with_name("sample_numbers.npy"))
        if stated is not None and dat.stat().st_size // sample_bytes < stated:
            raise SourceError(
                f"{dat}: truncated: holds {dat.stat().st_size // sample_bytes} samples, its sample_numbers.npy "
                f"states {stated}"
            )


def _stated_samples(numbers: Path) -> int | None:
    """The length sample_numbers.npy states in its header (one number a sample); None when it has none to read
    (the reader then says what is wrong)."""
    try:
        with open(numbers, "rb") as file:
            version = np.lib.format.read_magic(file)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, _ = read(file)
    except (OSError, ValueError):
        return None
    return int(shape[0]) if shape else None
