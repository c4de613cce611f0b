"""Micro-Manager OME-TIFF stacks (a folder of *.ome.tif with DisplaySettings.json), read by roiextractors'
MicroManagerTiffImagingExtractor. The start time is the Summary's StartTime, the rate DisplaySettings' PlaybackFPS;
the file names no microscope, so NeuroConv's placeholder device is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import LAYOUT, relative

from .claims import is_tiff
from .imaging import BaseImagingInterface
from .microscope import microscope_metadata
from .tiff_pages import check_complete


class MicroManagerTiffImagingInterface(BaseImagingInterface):
    display_name = "Micro-Manager TIFF Imaging"
    associated_suffixes = (".ome", ".tif", ".json")
    info = "Micro-Manager OME-TIFF acquisitions as an imaging series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """OME-TIFFs whose summary metadata names Micro-Manager, beside DisplaySettings.json."""
        detections = []
        for settings in listing.named("DisplaySettings.json"):
            stacks = [
                f
                for f in listing.in_folder(settings.parent)
                if f.name.lower().endswith(".ome.tif") and is_tiff(listing, f)
            ]
            if not stacks or b"MicroManagerVersion" not in listing.head(stacks[0], 65536):
                continue
            detections.append(
                Detection(
                    cls.__name__,
                    {"folder_path": relative(settings.parent)},
                    tuple(map(str, [*stacks, settings])),
                    LAYOUT,
                    f"{relative(settings.parent)}: {len(stacks)} Micro-Manager OME-TIFF(s) + DisplaySettings.json",
                )
            )
        return detections

    def __init__(self, folder_path: Path, verbose: bool = False, metadata_key: str | None = None):
        """
        Parameters
        ----------
        folder_path : Path
            The folder holding the OME-TIFF files (*.ome.tif) and DisplaySettings.json.
        metadata_key : str, optional
            Key in the Ophys metadata; default "micromanager_imaging".
        """
        from roiextractors import MicroManagerTiffImagingExtractor

        check_complete(sorted(Path(folder_path).glob("*.ome.tif")))
        imaging = MicroManagerTiffImagingExtractor(folder_path=folder_path)
        self.use_imaging(imaging, metadata_key or "micromanager_imaging", "TwoPhotonSeries")

    def get_metadata(self) -> dict[str, Any]:
        from dateutil.parser import parse

        plane = {"imaging_rate": self.imaging.get_sampling_frequency()}
        series = {"description": "Imaging data acquired with Micro-Manager.", "unit": "px", "format": "tiff"}
        start = parse(self.imaging.micromanager_metadata["Summary"]["StartTime"])
        return microscope_metadata(self.metadata_key, plane, series, start=start)
