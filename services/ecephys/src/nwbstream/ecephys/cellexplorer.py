"""CellExplorer's `{session}.spikes.cellinfo.mat`: one unit per entry of its `spikes` struct."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from nwbstream.service.errors import SourceError

from .sorting import BaseSortingInterface

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

    def __init__(self, file_path: Path, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : Path
            Path to the session's .spikes.cellinfo.mat file.
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
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
