"""CNMF-E output as saved by CIAtah (MATLAB v7.3 .mat), read by roiextractors' CnmfeSegmentationExtractor:
image masks (extractedImages), one raw trace per ROI (extractedSignals), the correlation image (Cn); the rate is
frames / time.totalTime."""

from __future__ import annotations

from pathlib import Path

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, claim_files

from .claims import hdf5_keys
from .segmentation import BaseSegmentationInterface


class CnmfeSegmentationInterface(BaseSegmentationInterface):
    display_name = "CNMFE Segmentation"
    associated_suffixes = (".mat",)
    info = "CNMF-E results (.mat): ROIs and traces."
    plane_segmentation_description = "Segmentation data acquired with CNMF-E."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        files = [f for f in listing.with_suffix(".mat") if "cnmfeAnalysisOutput" in hdf5_keys(listing, f)]
        return claim_files(cls.__name__, files, HEADER, "MATLAB 7.3 file with `cnmfeAnalysisOutput`")

    def __init__(self, file_path: Path, verbose: bool = False, metadata_key: str | None = None):
        """
        Parameters
        ----------
        file_path : Path
            The CNMF-E output .mat file (MATLAB v7.3).
        metadata_key : str, optional
            Key in the Ophys metadata; default "cnmfe_segmentation".
        """
        from roiextractors import CnmfeSegmentationExtractor

        self.segmentation = CnmfeSegmentationExtractor(file_path=file_path)
        self.metadata_key = metadata_key or "cnmfe_segmentation"
