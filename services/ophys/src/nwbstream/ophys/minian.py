"""Minian output (zarr folders A, C, S, b, f, ...), read by roiextractors' MinianSegmentationExtractor.

Two things roiextractors 0.10 (and so NeuroConv 0.10.2) gets wrong on real Minian output, which nwbstream reads
as Minian wrote it (docs/formats.md): `save_minian` writes one zarr store per variable and no group above them,
where roiextractors asks the folder itself to be a group ("nothing found at path ''"); and the order of A's axes
is whatever its xarray `_ARRAY_DIMENSIONS` say (this 2019 output: height, width, unit_id), where roiextractors
assumes unit_id first.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import LAYOUT, relative

from .segmentation import BaseSegmentationInterface

DESCRIPTION = "Segmentation data acquired with Minian."


class MinianSegmentationInterface(BaseSegmentationInterface):
    display_name = "Minian Segmentation"
    associated_suffixes = (".zarr",)
    info = "Minian results (zarr stores): ROIs, traces and summary images."
    differs_from_neuroconv = (
        "reads Minian's per-variable zarr stores and A's named dimensions, which NeuroConv cannot open; "
        "leaves the background trace off the ROI table"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A folder of Minian's zarr stores (A.zarr spatial footprints and C.zarr traces, at least)."""
        folders = {
            PurePosixPath(*f.parts[: f.parts.index("A.zarr")]) for f in listing.files if "A.zarr" in f.parts[:-1]
        }
        detections = []
        for folder in sorted(f for f in folders if listing.below(f / "C.zarr")):
            files = listing.below(folder)
            stores = sorted({f.parts[len(folder.parts)] for f in files if f.parent != folder})
            todo = {}
            if (folder / "timeStamps.csv") not in files:
                todo = {"sampling_frequency": "frames per second (no timeStamps.csv beside the zarr stores)"}
            detections.append(
                Detection(
                    cls.__name__,
                    {"folder_path": relative(folder)},
                    tuple(map(str, files)),
                    LAYOUT,
                    f"{relative(folder)}: Minian zarr stores {', '.join(stores)}",
                    todo=todo,
                )
            )
        return detections

    def __init__(
        self,
        folder_path: Path,
        sampling_frequency: float | None = None,
        timestamps_path: Path | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            The Minian output folder (holding A.zarr, C.zarr, ...).
        sampling_frequency : float, optional
            Frames per second; else derived from timeStamps.csv.
        timestamps_path : Path, optional
            The timeStamps.csv file; default folder_path/timeStamps.csv.
        metadata_key : str, optional
            Key in the Ophys metadata; default "minian_segmentation".
        """
        self.segmentation = _minian_extractor()(
            folder_path=folder_path, sampling_frequency=sampling_frequency, timestamps_path=timestamps_path
        )
        self.metadata_key = metadata_key or "minian_segmentation"
        self.timestamps_path = Path(timestamps_path or Path(folder_path) / "timeStamps.csv")

    def frame_times(self) -> np.ndarray | None:
        """From timeStamps.csv when Minian's folder has one; otherwise the sampling frequency gives the times."""
        return super().frame_times() if self.timestamps_path.exists() else None

    def get_metadata(self) -> dict[str, Any]:
        return {
            "NWBFile": {"session_id": self.segmentation._get_session_id()},
            "Ophys": {
                "PlaneSegmentations": {self.metadata_key: {"description": "Segmentation data acquired with Minian."}}
            },
        }


def _minian_extractor() -> type:
    """roiextractors' extractor, finding each variable's store on disk rather than inside a top-level group."""
    import zarr
    from roiextractors import MinianSegmentationExtractor

    class MinianFolderExtractor(MinianSegmentationExtractor):
        def _read_zarr_group(self, zarr_group: str):
            store = Path(self.folder_path) / zarr_group.strip("/")
            return zarr.open(str(store), mode="r") if store.exists() else None

        def _read_roi_image_mask_from_zarr(self):
            """A as (height, width, unit_id), whatever order its named dimensions are stored in."""
            group = self._read_zarr_group("/A.zarr")
            if group is None or "A" not in group:
                raise ValueError(f"{self.folder_path}: no image masks (A.zarr/A)")
            masks = group["A"]
            dims = list(masks.attrs.get("_ARRAY_DIMENSIONS", ["unit_id", "height", "width"]))
            return np.transpose(masks[:], [dims.index(d) for d in ("height", "width", "unit_id")])

    return MinianFolderExtractor
