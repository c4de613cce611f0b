"""Minian output (zarr folders A, C, S, b, f, ...), read by roiextractors' MinianSegmentationExtractor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .segmentation import BaseSegmentationInterface

DESCRIPTION = "Segmentation data acquired with Minian."


class MinianSegmentationInterface(BaseSegmentationInterface):
    display_name = "Minian Segmentation"
    associated_suffixes = (".zarr",)
    info = "Interface for Minian segmentation data."

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
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
        metadata_key : str, optional
            Key in the Ophys metadata; default "minian_segmentation".
        """
        from roiextractors import MinianSegmentationExtractor

        self.segmentation = MinianSegmentationExtractor(
            folder_path=folder_path, sampling_frequency=sampling_frequency, timestamps_path=timestamps_path
        )
        self.metadata_key = metadata_key or "minian_segmentation"

    def get_metadata(self) -> dict[str, Any]:
        return {
            "NWBFile": {"session_id": self.segmentation._get_session_id()},
            "Ophys": {
                "PlaneSegmentations": {self.metadata_key: {"description": "Segmentation data acquired with Minian."}}
            },
        }
