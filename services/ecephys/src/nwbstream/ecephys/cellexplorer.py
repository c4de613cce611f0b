"""CellExplorer sessions: the `{session}.session.mat` that describes the `.dat`/`.lfp` binaries beside it, and
the `{session}.spikes.cellinfo.mat` whose `spikes` struct holds one unit per entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import Column, Detection, FolderListing
from nwbstream.service.detection import LAYOUT, relative
from nwbstream.service.errors import SourceError

from .binary import check_whole_frames
from .recording import BaseRecordingInterface
from .sorting import BaseSortingInterface

SPIKES_SUFFIX = ".spikes.cellinfo.mat"
CELL_CLASS_SUFFIX = ".CellClass.cellinfo.mat"
RICHER_THAN_NEUROSCOPE = 0.05  # a session.mat describes the .dat/.lfp more than NeuroScope's .xml: its claim wins
CELL_TYPES = {"pE": "excitatory", "pI": "inhibitory", "[]": "unclassified"}  # CellExplorer's CellClass labels


class CellExplorerSortingInterface(BaseSortingInterface):
    display_name = "CellExplorer Sorting"
    associated_suffixes = (".mat", ".sessionInfo", ".spikes", ".cellinfo")
    info = "Interface for CellExplorer sorting data (the session's spikes.cellinfo.mat)."
    property_descriptions: ClassVar[dict[str, str]] = {
        "clu_id": "0-indexed id of cluster identified from the shank.",
        "group_id": "The electrode group ID that each unit was identified by.",
        "location": "Brain region where each unit was detected.",
        "cell_type": "Type of cell this has been classified as.",
    }

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each {session}.spikes.cellinfo.mat, with the session's CellClass file (its cell types) when there."""
        detections = []
        for spikes in listing.with_suffix(SPIKES_SUFFIX):
            session = spikes.name[: -len(SPIKES_SUFFIX)]
            cell_class = listing.sibling(spikes, session + CELL_CLASS_SUFFIX)
            files = (str(spikes),) + ((str(cell_class),) if cell_class else ())
            evidence = f"{spikes}: CellExplorer spikes file of session {session}"
            detections.append(Detection(cls.__name__, {"file_path": relative(spikes)}, files, LAYOUT, evidence))
        return detections

    def __init__(self, file_path: Path, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : Path
            Path to the session's .spikes.cellinfo.mat file.
        """
        from pymatreader import read_mat
        from spikeinterface.extractors import read_cellexplorer

        path = Path(file_path)
        spikes = read_mat(str(path)).get("spikes")
        if spikes is None:
            raise SourceError(
                f"{path}: has no 'spikes' struct (CellExplorer sortings are {{session}}.spikes.cellinfo.mat)"
            )
        # the rate comes from spikes.sr, else the session's .session.mat / .sessionInfo.mat, as NeuroConv finds it
        self.sorting = read_cellexplorer(file_path=path)
        self.session_id = path.parent.stem
        self._set_properties(spikes, path.parent / f"{self.session_id}.CellClass.cellinfo.mat", read_mat)

    def _set_properties(self, spikes: dict[str, Any], cell_class_path: Path, read_mat: Any) -> None:
        """The unit properties NeuroConv 0.10.2 takes from the spikes struct and the session's CellClass file."""
        ids = self.sorting.get_unit_ids()
        if "cluID" in spikes:
            self.sorting.set_property("clu_id", [int(x) for x in spikes["cluID"]], ids=ids)
        if "shankID" in spikes:
            self.sorting.set_property("group_id", [f"Group{x}" for x in spikes["shankID"]], ids=ids)
        if "region" in spikes:
            self.sorting.set_property("location", [str(x) for x in spikes["region"]], ids=ids)
        labels = read_mat(str(cell_class_path)).get("CellClass", {}).get("label") if cell_class_path.is_file() else None
        if labels is not None:
            self.sorting.set_property("cell_type", [CELL_TYPES[str(x)] for x in labels], ids=ids)

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        metadata["NWBFile"]["session_id"] = self.session_id
        return metadata


class CellExplorerRecordingInterface(BaseRecordingInterface):
    display_name = "CellExplorer Recording"
    associated_suffixes = (".dat", ".session", ".sessionInfo", ".mat")
    info = "Interface for CellExplorer recording data (the session's .dat described by its session.mat)."
    differs_from_neuroconv = (
        "the traces are scaled by session.mat's leastSignificantBit (NeuroConv 0.10.2 with spikeinterface 0.105 "
        "writes conversion 1: a binary reader without offsets has no scaleable traces there); a binary whose size "
        "is not a whole number of frames is refused; Kilosort's chanMap.mat is not read"
    )
    rate_key: ClassVar[str] = "sr"  # the session.mat field with this binary's sampling rate
    suffix: ClassVar[str] = ".dat"
    default_es_key: ClassVar[str] = "ElectricalSeries"
    claims_session_file: ClassVar[bool] = True  # the wide-band source claims session.mat; the LFP shares it

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A folder holding {folder name}.session.mat and the binary of this interface named like it."""
        detections = []
        for session in listing.with_suffix(".session.mat"):
            name = listing.path(session.parent).resolve().name  # the folder's own name, also at the root
            binary = listing.sibling(session, f"{name}{cls.suffix}")
            if session.name != f"{name}.session.mat" or binary is None:
                continue
            files = (str(binary), str(session)) if cls.claims_session_file else (str(binary),)
            evidence = f"{binary}: described by the CellExplorer session file {session.name}"
            confidence = LAYOUT + RICHER_THAN_NEUROSCOPE
            detections.append(
                Detection(cls.__name__, {"folder_path": relative(session.parent)}, files, confidence, evidence)
            )
        return detections

    def __init__(
        self,
        folder_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            The session folder: it holds `{folder name}.session.mat` and the binary named like it.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries.
        """
        from pymatreader import read_mat
        from spikeinterface.core import BinaryRecordingExtractor

        folder = Path(folder_path)
        session_file = folder / f"{folder.name}.session.mat"
        if not session_file.is_file():
            raise SourceError(f"{session_file}: no such file (a CellExplorer session folder holds one)")
        skipped = ["animal", "behavioralTracking", "timeSeries", "spikeSorting", "epochs"]
        try:
            session = read_mat(str(session_file), ignore_fields=skipped).get("session")
        except Exception as error:  # scipy/h5py say many things about a file that is not a MAT file
            raise SourceError(
                f"{session_file}: cannot be read as a MAT file: {type(error).__name__}: {error}"
            ) from error
        if not isinstance(session, dict) or "extracellular" not in session:
            raise SourceError(f"{session_file}: has no session.extracellular struct (not a CellExplorer session)")
        extracellular = session["extracellular"]
        n_channels = int(extracellular["nChannels"])
        dtype = np.dtype(str(extracellular["precision"]))
        binary = folder / f"{folder.name}{self.suffix}"
        check_whole_frames(binary, n_channels, dtype)
        self.recording = BinaryRecordingExtractor(
            file_paths=[binary],
            sampling_frequency=float(extracellular[self.rate_key]),
            num_channels=n_channels,
            dtype=dtype,
            gain_to_uV=np.full(n_channels, float(extracellular["leastSignificantBit"])),
            offset_to_uV=np.zeros(n_channels),
            channel_ids=[str(c + 1) for c in range(n_channels)],  # CellExplorer numbers channels from 1
        )
        self.es_key = es_key or self.default_es_key
        self._set_channel_properties(extracellular, session.get("brainRegions", {}))

    def _set_channel_properties(self, extracellular: dict[str, Any], regions: dict[str, Any]) -> None:
        """Positions (chanCoords), groups (electrodeGroups: "Group 1", ...) and brain regions, as NeuroConv reads
        them; a channel in several regions gets their names joined by " - "."""
        recording = self.recording
        if "chanCoords" in extracellular:
            coordinates = extracellular["chanCoords"]
            positions = np.column_stack([coordinates["x"], coordinates["y"]]).astype("float32")
            # spikeinterface keeps positions on a probe: one of bare contacts at chanCoords
            recording.set_dummy_probe_from_locations(positions)
        if "electrodeGroups" in extracellular:
            channels = extracellular["electrodeGroups"]["channels"]
            channels = channels if isinstance(channels, list) else [channels]
            ids = [str(int(c)) for group in channels for c in np.atleast_1d(group)]
            labels = [f"Group {g + 1}" for g, group in enumerate(channels) for _ in np.atleast_1d(group)]
            recording.set_property("group_name", labels, ids=ids)
        area: dict[str, str] = {}
        for region_id, region in regions.items():
            name = region.get("brainRegion", region_id)
            for channel in np.atleast_1d(region["channels"]):
                key = str(int(channel))
                area[key] = f"{area[key]} - {name}" if key in area else name
        if area:
            recording.set_property("brain_area", list(area.values()), ids=list(area))

    def extra_electrode_columns(self) -> list[Column]:
        """The probe is only chanCoords' positions: its contact ids are not CellExplorer's, so no electrode_name."""
        return []


class CellExplorerLFPInterface(CellExplorerRecordingInterface):
    display_name = "CellExplorer LFP"
    associated_suffixes = (".lfp", ".session", ".mat")
    info = "Interface for CellExplorer LFP recording data (the session's .lfp at its srLfp rate)."
    write_as = "lfp"
    rate_key = "srLfp"
    suffix = ".lfp"
    claims_session_file = False
    default_es_key = "ElectricalSeriesLFP"
    differs_from_neuroconv = (
        "NeuroConv 0.10.2 cannot write it (its add_to_nwbfile passes starting_time, which its base no longer takes); "
    ) + CellExplorerRecordingInterface.differs_from_neuroconv
