"""NeuroScope sessions (Buzsaki lab): the .xml that describes them, wide-band .dat, LFP .lfp/.eeg, .res/.clu units."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from xml.etree import ElementTree

from nwbstream.service import Column, Detection, FolderListing, SourceError
from nwbstream.service.detection import LAYOUT, relative

from .binary import check_whole_frames
from .recording import BaseRecordingInterface
from .sorting import BaseSortingInterface

SHANK_ELECTRODE_DESCRIPTION = "0-indexed channel within a shank."
LFP_SUFFIXES = (".lfp", ".eeg")
XML_ROOT = "<parameters"  # NeuroScope's session .xml root element
SHANK_FILE = re.compile(r"\.(res|clu)\.\d+$")  # spikes (.res.N) and their clusters (.clu.N) of shank N


class NeuroScopeXml:
    """What the session's .xml says: channel groups (shanks), spike-detection channels, date, LFP rate."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file (the NeuroScope .xml describing the session)")
        try:
            self.root = ElementTree.parse(self.path).getroot()
        except ElementTree.ParseError as error:
            raise SourceError(f"{self.path}: cannot be read as NeuroScope .xml: {error}") from error

    def anatomical_groups(self) -> list[list[int]]:
        groups = self.root.findall("anatomicalDescription/channelGroups/group")
        return [[int(c.text) for c in group.findall("channel")] for group in groups]

    def spike_detection_channels(self) -> list[int] | None:
        """Channels that belong to a spike-detection group (the probe's), or None when the .xml lists none."""
        groups = self.root.findall("spikeDetection/channelGroups/group")
        if not groups or any(group.find("channels") is None for group in groups):
            return None
        return [int(c.text) for group in groups for c in group.find("channels")]

    def number_of_channels(self) -> int:
        return int(self.root.findtext("acquisitionSystem/nChannels"))

    def lfp_rate(self) -> float | None:
        rate = self.root.findtext("fieldPotentials/lfpSamplingRate")
        return float(rate) if rate else None

    def session_start_time(self) -> datetime | None:
        from dateutil import parser

        date = self.root.findtext("generalInfo/date")
        return parser.parse(date) if date and date.strip() else None


def default_xml_path(data_path: Path) -> Path:
    """The .xml beside the data file with its name, else the one named after the session folder (NeuroConv's)."""
    beside = data_path.with_suffix(".xml")
    return beside if beside.is_file() else data_path.parent / f"{data_path.parent.name}.xml"


def session_xml(listing: FolderListing, data: PurePosixPath) -> PurePosixPath | None:
    """The NeuroScope .xml the reader would take for `data` (default_xml_path), when there is one."""
    for name in (f"{data.stem}.xml", f"{listing.path(data.parent).resolve().name}.xml"):
        xml = listing.sibling(data, name)
        if xml is not None and XML_ROOT in listing.text_head(xml, 1024):
            return xml
    return None


class NeuroScopeRecordingInterface(BaseRecordingInterface):
    display_name = "NeuroScope Recording"
    associated_suffixes = (".dat", ".xml")
    info = "Interface for converting NeuroScope recording data."
    differs_from_neuroconv = (
        "xml_file_path is also the .xml the traces are read with (NeuroConv reads the one named like the data "
        "file whatever xml_file_path says); a data file whose size is not a whole number of frames is refused"
    )
    default_es_key: ClassVar[str] = "ElectricalSeries"
    data_suffixes: ClassVar[tuple[str, ...]] = (".dat",)
    claims_xml: ClassVar[bool] = True  # the wide-band source claims the session's .xml; its LFP and units share it

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each data file with the session .xml the reader takes for it."""
        detections = []
        for data in listing.with_suffix(*cls.data_suffixes):
            xml = session_xml(listing, data)
            if xml is None:
                continue
            files = (str(data), str(xml)) if cls.claims_xml else (str(data),)
            evidence = f"{data}: beside the NeuroScope session file {xml.name}"
            detections.append(Detection(cls.__name__, {"file_path": relative(data)}, files, LAYOUT, evidence))
        return detections

    def __init__(
        self,
        file_path: Path,
        gain: float | None = None,
        xml_file_path: Path | None = None,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            Path to the .dat file (.lfp or .eeg for the LFP interface).
        gain : float, optional
            Microvolts per integer step, for every channel; the .xml's voltage range and amplification when
            not given (0.195 is Intan's).
        xml_file_path : Path, optional
            The session's .xml; by default the one named like the data file, else like its folder.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries.
        """
        from spikeinterface.extractors.extractor_classes import NeuroScopeRecordingExtractor

        path = Path(file_path)
        self.xml = NeuroScopeXml(Path(xml_file_path) if xml_file_path else default_xml_path(path))
        check_whole_frames(path, self.xml.number_of_channels())
        recording = NeuroScopeRecordingExtractor(file_path=path, xml_file_path=self.xml.path)
        recording = self._at_file_rate(recording, path)
        if gain:
            recording.set_channel_gains(gain)
        neural = self.xml.spike_detection_channels()
        if neural is not None:
            kept = [c for c in recording.get_channel_ids() if int(c) in neural]
            if len(kept) < recording.get_num_channels():
                recording = recording.select_channels(kept)
        self.recording = recording
        self.es_key = es_key or self.default_es_key
        self._groups = self._group_of_each_channel()

    def _at_file_rate(self, recording: Any, path: Path) -> Any:
        """The wide-band file is at the acquisition rate the reader takes; LFP files override it."""
        return recording

    def _group_of_each_channel(self) -> list[int]:
        """Each channel's anatomical group (shank), 0-based, from the .xml; a channel in none is refused."""
        group_of = {c: g for g, channels in enumerate(self.xml.anatomical_groups()) for c in channels}
        ungrouped = [c for c in self.recording.get_channel_ids() if int(c) not in group_of]
        if ungrouped:
            raise SourceError(f"{self.xml.path}: channels {ungrouped} are in no anatomical group")
        return [group_of[int(c)] for c in self.recording.get_channel_ids()]

    def group_names(self) -> list[str]:
        """NeuroConv names the groups Group1, Group2, ... after the .xml's anatomical groups."""
        return [f"Group{g + 1}" for g in self._groups]

    def extra_electrode_columns(self) -> list[Column]:
        seen: dict[int, int] = {}
        numbers = []
        for group in self._groups:
            numbers.append(seen.get(group, 0))
            seen[group] = numbers[-1] + 1
        return [Column("shank_electrode_number", SHANK_ELECTRODE_DESCRIPTION, numbers)]

    def session_start_time(self) -> datetime | None:
        return self.xml.session_start_time()


class NeuroScopeLFPInterface(NeuroScopeRecordingInterface):
    display_name = "NeuroScope LFP"
    associated_suffixes = (".lfp", ".eeg", ".xml")
    info = "Interface for converting NeuroScope LFP data."
    write_as = "lfp"
    default_es_key = "ElectricalSeriesLFP"
    data_suffixes = LFP_SUFFIXES
    claims_xml = False
    differs_from_neuroconv = (
        "the LFP rate is the .xml's lfpSamplingRate (NeuroConv, through neo, gives the .lfp the wide-band "
        "samplingRate, stretching its time axis); xml_file_path is also the .xml the traces are read with; "
        "a data file whose size is not a whole number of frames is refused"
    )

    def _at_file_rate(self, recording: Any, path: Path) -> Any:
        """The .lfp/.eeg is sampled at the .xml's lfpSamplingRate: the same samples and gains at that rate."""
        from spikeinterface.core import BinaryRecordingExtractor

        rate = self.xml.lfp_rate()
        if path.suffix.lower() not in LFP_SUFFIXES or rate is None or rate == recording.get_sampling_frequency():
            return recording
        at_rate = BinaryRecordingExtractor(
            file_paths=[path],
            sampling_frequency=rate,
            num_channels=recording.get_num_channels(),
            dtype="int16",
            gain_to_uV=recording.get_channel_gains(),
            offset_to_uV=recording.get_channel_offsets(),
            channel_ids=recording.get_channel_ids(),
        )
        at_rate.set_property("channel_name", recording.get_property("channel_name"))
        return at_rate


class NeuroScopeSortingInterface(BaseSortingInterface):
    display_name = "NeuroScope Sorting"
    associated_suffixes = (".res", ".clu", ".res.*", ".clu.*", ".xml")
    info = "Interface for converting NeuroScope sorting data (.res/.clu files)."
    differs_from_neuroconv = "a .clu whose cluster ids do not pair one to one with its .res spikes is refused"
    property_descriptions: ClassVar[dict[str, str]] = {"group": "The shank (N of .res.N/.clu.N) of the unit."}

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of .res.N/.clu.N files beside a NeuroScope session .xml (it gives the spikes' rate)."""
        folders: dict[PurePosixPath, list[PurePosixPath]] = {}
        for file in listing.files:
            if SHANK_FILE.search(file.name):
                folders.setdefault(file.parent, []).append(file)
        detections = []
        for folder, files in folders.items():
            xmls = [
                f for f in listing.in_folder(folder) if f.suffix == ".xml" and XML_ROOT in listing.text_head(f, 1024)
            ]
            if not xmls:
                continue
            evidence = (
                f"{relative(folder)}: {len(files)} .res/.clu files beside the NeuroScope session file {xmls[0].name}"
            )
            source = {"folder_path": relative(folder)}
            detections.append(Detection(cls.__name__, source, tuple(map(str, files)), LAYOUT, evidence))
        return detections

    def __init__(
        self,
        folder_path: Path,
        keep_mua_units: bool = True,
        exclude_shanks: list[int] | None = None,
        xml_file_path: Path | None = None,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding the .res.N and .clu.N files (and the session's .xml).
        keep_mua_units : bool
            Keep cluster 1 (multi-unit activity) of each shank as a unit.
        exclude_shanks : list of int, optional
            Shanks (the N of .res.N/.clu.N) to leave out.
        xml_file_path : Path, optional
            The session's .xml (its sampling rate times the spikes); by default the one .xml in the folder.
        """
        from spikeinterface.extractors.extractor_classes import NeuroScopeSortingExtractor

        folder = Path(folder_path)
        _check_res_clu_pairs(folder)
        self.sorting = NeuroScopeSortingExtractor(
            folder_path=folder,
            keep_mua_units=keep_mua_units,
            exclude_shanks=exclude_shanks,
            xml_file_path=xml_file_path,
        )
        xml = Path(xml_file_path) if xml_file_path else folder / f"{folder.name}.xml"
        self.xml = NeuroScopeXml(xml) if xml.is_file() else None

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        if self.xml is None:
            return metadata
        start = self.xml.session_start_time()
        if start is not None:
            metadata["NWBFile"]["session_start_time"] = start.isoformat()
        return metadata


def _check_res_clu_pairs(folder: Path) -> None:
    """Each .clu has its cluster count, then one id per spike of the .res of the same shank."""
    for res in sorted(folder.glob("*.res*")):
        if res.name.endswith("~"):
            continue
        clu = res.with_name(res.name.replace(".res", ".clu", 1))
        if not clu.is_file():
            continue
        n_spikes = sum(1 for line in res.open() if line.strip())
        n_ids = sum(1 for line in clu.open() if line.strip()) - 1
        if n_spikes != max(n_ids, 0):
            raise SourceError(f"{clu}: {n_ids} cluster ids for the {n_spikes} spikes of {res.name} (truncated?)")
