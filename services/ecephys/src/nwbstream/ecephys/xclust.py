"""XClust (McNaughton lab) cluster files: one `{session type}~{cluster}.CEL` text file per unit."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .sorting import BaseSortingInterface

CEL_HEADER = b"%%BEGINHEADER"  # how XClust opens every .CEL file


class XClustSortingInterface(BaseSortingInterface):
    display_name = "XClust Sorting"
    associated_suffixes = (".CEL",)
    info = "Interface for XClust (.CEL) spike sorting data."
    differs_from_neuroconv = "a .CEL with a row cut short, or data before its Fields line, is refused"
    property_descriptions: ClassVar[dict[str, str]] = {
        "cluster_id": "The cluster number of the .CEL header (repeats across session types)."
    }

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of .CEL files that open with XClust's header; the sampling rate is in none of them."""
        detections = []
        for folder in sorted({f.parent for f in listing.with_suffix(".CEL")}):
            cells = [f for f in listing.in_folder(folder) if f.suffix == ".CEL"]  # the reader's glob is case-sensitive
            if not cells or not all(listing.head(f, len(CEL_HEADER)) == CEL_HEADER for f in cells):
                continue
            detections.append(
                Detection(
                    cls.__name__,
                    {"folder_path": relative(folder)},
                    tuple(map(str, cells)),
                    HEADER,
                    f"{relative(folder)}: {len(cells)} .CEL file(s) with XClust's header",
                    todo={"sampling_frequency": "the sampling rate (Hz) of the recording the clusters come from"},
                )
            )
        return detections

    def __init__(
        self,
        *,
        folder_path: Path | None = None,
        file_path_list: list[Path] | None = None,
        sampling_frequency: float,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        folder_path : Path, optional
            Folder holding the .CEL files (every one is a unit); give this or file_path_list.
        file_path_list : list of Path, optional
            The .CEL files, one per unit.
        sampling_frequency : float
            Sampling rate of the recording the clusters come from, in Hz.
        """
        from spikeinterface.extractors.xclustextractors import XClustSortingExtractor

        if (folder_path is None) == (file_path_list is None):
            raise SourceError("XClustSortingInterface: give either folder_path or file_path_list, not both or none")
        files = sorted(Path(folder_path).glob("*.CEL")) if folder_path is not None else map(Path, file_path_list)
        for path in files:
            _check_rows(path)
        sorting = XClustSortingExtractor(
            folder_path=folder_path, file_path_list=file_path_list, sampling_frequency=sampling_frequency
        )
        # NeuroConv names units by the reader's unit_name ("BL1_cluster_1"), not its ids ("BL1_1")
        self.sorting = sorting.rename_units(sorting.get_property("unit_name"))


def _check_rows(path: Path) -> None:
    """After the header, every row has as many values as the `% Fields:` line names (a cut row has fewer)."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    n_fields = None
    with path.open(errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if text.startswith("% Fields:"):
                n_fields = len(text.split(":", 1)[1].split())
            elif text and not text.startswith("%") and n_fields is None:
                raise SourceError(f"{path}: data before any '% Fields:' header line (not an XClust .CEL file)")
            elif text and not text.startswith("%") and len(text.split()) != n_fields:
                raise SourceError(
                    f"{path}: line {number} has {len(text.split())} values where the header names "
                    f"{n_fields} fields (truncated, or not an XClust .CEL file)"
                )
