"""Phy and KiloSort output folders (params.py, spike_times.npy, spike_clusters.npy, cluster_*.tsv)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import LAYOUT, relative

from .params_file import read_params
from .sorting import BaseSortingInterface

PARAMS_AS_DATA = "params.py is read as literal assignments, never run (NeuroConv's reader exec()s it); code is refused"
# Column meanings as Kilosort's save_to_phy and phy's cluster views define them.
PHY_PROPERTIES = {
    "quality": "Quality label the curator gave the cluster in phy (good, mua, noise).",
    "original_cluster_id": "Cluster id as Kilosort/phy numbered it.",
    "KSLabel": "Kilosort's label: 'good' (refractory) or 'mua' (multi-unit activity).",
    "ContamPct": "Contamination: refractory-period violations relative to a Poisson process, in percent.",
    "Amplitude": "Per-template amplitude (L2 norm of the template).",
    "amp": "Largest amplitude of the template's waveforms across channels.",
    "ch": "Best channel of the unit.",
    "sh": "Shank of the best channel.",
    "depth": "Estimated depth of the unit, in micrometers.",
    "fr": "Average firing rate of the unit, in Hz.",
    "n_spikes": "Number of spikes of the unit.",
    "group": "Curation group of the cluster.",
}


# Files only phy's curation writes; Kilosort alone writes cluster_KSLabel.tsv and no cluster_group.tsv.
PHY_CURATION = ("cluster_group.tsv", "cluster_info.tsv")


def claim_sorting_folders(
    interface: str, listing: FolderListing, markers: tuple[str, ...], marked: float, unmarked: float
) -> list[Detection]:
    """Folders holding params.py beside spike_times.npy and spike_clusters.npy or spike_templates.npy, claimed with
    the files a sorting reader reads there; `markers` present there raise the confidence from `unmarked` to
    `marked`."""
    detections = []
    for params in listing.named("params.py"):
        folder = params.parent
        if listing.sibling(params, "spike_times.npy") is None:
            continue
        if not any(listing.sibling(params, n) for n in ("spike_clusters.npy", "spike_templates.npy")):
            continue
        files = [f for f in listing.in_folder(folder) if f.suffix in (".npy", ".tsv") or f.name == "params.py"]
        found = [n for n in markers if (folder / n) in files]
        evidence = " + ".join([f"{relative(folder)}: params.py", "spike_times.npy", *found])
        detections.append(
            Detection(
                interface,
                {"folder_path": relative(folder)},
                tuple(map(str, files)),
                marked if found else unmarked,
                evidence,
            )
        )
    return detections


class PhySortingInterface(BaseSortingInterface):
    display_name = "Phy Sorting"
    associated_suffixes = (".npy", ".tsv", ".py")
    info = "Spike sorting curated in Phy: units, spike times and cluster properties."
    property_descriptions: ClassVar[dict[str, str]] = PHY_PROPERTIES
    differs_from_neuroconv = PARAMS_AS_DATA

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A sorting folder; phy's curation files make it more certainly phy's than Kilosort's."""
        return claim_sorting_folders(cls.__name__, listing, PHY_CURATION, LAYOUT, LAYOUT - 0.1)

    def __init__(self, folder_path: Path, exclude_cluster_groups: list[str] | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        folder_path : Path
            Phy output folder (the one holding params.py).
        exclude_cluster_groups : list of str, optional
            Cluster groups to leave out, e.g. ["noise", "mua"].
        """
        from spikeinterface.extractors import read_phy

        require_readable_arrays(Path(folder_path))
        _read_params_as_data()
        self.sorting = read_phy(folder_path, exclude_cluster_groups=exclude_cluster_groups)


class KiloSortSortingInterface(BaseSortingInterface):
    display_name = "KiloSort Sorting"
    associated_suffixes = (".npy", ".tsv", ".py")
    info = "KiloSort output folders: units, spike times and cluster properties."
    property_descriptions: ClassVar[dict[str, str]] = PHY_PROPERTIES
    differs_from_neuroconv = PARAMS_AS_DATA

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A sorting folder; Kilosort's own label file makes it Kilosort's (phy, when curated, is preferred)."""
        return claim_sorting_folders(cls.__name__, listing, ("cluster_KSLabel.tsv",), LAYOUT - 0.05, LAYOUT - 0.15)

    def __init__(self, folder_path: Path, keep_good_only: bool = False, verbose: bool = False):
        """
        Parameters
        ----------
        folder_path : Path
            KiloSort output folder (the one holding params.py).
        keep_good_only : bool
            Keep only the units KiloSort labelled 'good'.
        """
        from spikeinterface.extractors import read_kilosort

        require_readable_arrays(Path(folder_path))
        _read_params_as_data()
        self.sorting = read_kilosort(folder_path, keep_good_only=keep_good_only)


def require_readable_arrays(folder: Path) -> None:
    """Every .npy of the folder opens as an array of the size its header states (mapped, not read), so that a cut
    or foreign file is named rather than reported as a failure of the folder."""
    for path in sorted(folder.glob("*.npy")):
        try:
            np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as error:
            raise SourceError(f"{path}: cannot be read as a NumPy array ({error})") from None


def _read_params_as_data() -> None:
    """spikeinterface's Phy/KiloSort reader takes params.py through its module's `read_python`, which runs the file:
    for this process, that name is the reader that only reads literals."""
    from spikeinterface.extractors import phykilosortextractors

    phykilosortextractors.read_python = read_params
