"""EXTRACT output (MATLAB v7.3 .mat), read by roiextractors' ExtractSegmentationExtractor, which picks the reader
by the file's info.version (>= 1.0: struct `output` with spatial_weights / temporal_weights, traces are dF/F when
config.preprocess is 1; older: struct `extractAnalysisOutput` with filters / traces). The file records no rate:
it is an argument."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, claim_files

from .claims import hdf5_keys
from .segmentation import BaseSegmentationInterface


class ExtractSegmentationInterface(BaseSegmentationInterface):
    display_name = "EXTRACT Segmentation"
    associated_suffixes = (".mat",)
    info = "EXTRACT results (.mat): ROIs and traces."
    plane_segmentation_description = "Segmentation data acquired with EXTRACT."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """MATLAB 7.3 files holding EXTRACT's output struct; the frame rate is not in them."""
        files = [f for f in listing.with_suffix(".mat") if hdf5_keys(listing, f) & {"output", "extractAnalysisOutput"}]
        todo = {"sampling_frequency": "frames per second of the movie EXTRACT segmented (the file does not state it)"}
        return [
            replace(c, todo=todo) for c in claim_files(cls.__name__, files, HEADER, "MATLAB 7.3 with EXTRACT's output")
        ]

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float,
        output_struct_name: str | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The EXTRACT output .mat file (MATLAB v7.3).
        sampling_frequency : float
            Frames per second (EXTRACT does not record it).
        output_struct_name : str, optional
            Name of the output struct in the file; default "output", else "extractAnalysisOutput" (older EXTRACT).
        metadata_key : str, optional
            Key in the Ophys metadata; default "extract_segmentation".
        """
        from roiextractors import ExtractSegmentationExtractor

        self.segmentation = ExtractSegmentationExtractor(
            file_path=file_path, sampling_frequency=sampling_frequency, output_struct_name=output_struct_name
        )
        self.metadata_key = metadata_key or "extract_segmentation"
