"""CaImAn's saved estimates (HDF5 written by `Estimates.save`), read by roiextractors' CaimanSegmentationExtractor.

Masks are CaImAn's sparse spatial footprints, written as pixel masks (NeuroConv's choice); the table carries
`is_accepted` (from idx_components) and the quality metrics CaImAn stored (snr, r_values, cnn_preds); the traces
are raw (C + YrA), dff (F_dff), denoised (C) and deconvolved (S). Background components are left out, as in
NeuroConv.
"""

from __future__ import annotations

from pathlib import Path

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, claim_files

from .claims import hdf5_keys
from .segmentation import BaseSegmentationInterface


class CaimanSegmentationInterface(BaseSegmentationInterface):
    display_name = "CaImAn Segmentation"
    associated_suffixes = (".hdf5",)
    info = "CaImAn results (.hdf5): ROIs, traces and summary images."
    plane_segmentation_description = "Segmentation data acquired with CaImAn."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        files = [f for f in listing.with_suffix(".hdf5") if "estimates" in hdf5_keys(listing, f)]
        return claim_files(cls.__name__, files, HEADER, "HDF5 with CaImAn's `estimates` group")

    def __init__(self, file_path: Path, verbose: bool = False, metadata_key: str | None = None):
        """
        Parameters
        ----------
        file_path : Path
            Path to .hdf5 file (CaImAn's saved estimates).
        metadata_key : str, optional
            Key in the Ophys metadata; default "caiman_segmentation".
        """
        from roiextractors import CaimanSegmentationExtractor

        self.segmentation = CaimanSegmentationExtractor(file_path=file_path)
        self.metadata_key = metadata_key or "caiman_segmentation"
