"""Inscopix .isxd movies, read by roiextractors' InscopixImagingExtractor (Inscopix's own `isx` package),
which reads frame by frame: only the frames asked for are read.

What the file's acquisition info holds (device, serial, software, exposure, gain, focus, LED power, session,
experimenter, animal) goes into get_metadata as NeuroConv 0.10.2 puts it. Always a OnePhotonSeries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing, SourceError

from .imaging import BaseImagingInterface
from .inscopix_cellset import claim_isxd, subject_metadata
from .metadata import snake_case

PLANE_SETTINGS = {  # NeuroConv's label for each acquisition setting stated in the plane description
    "Exposure Time (ms)": "Exposure Time (ms)",
    "Microscope Gain": "Gain",
    "Microscope Focus": "Focus",
    "efocus": "eFocus",
    "Microscope EX LED Power (mw/mm^2)": "EX LED Power (mw/mm^2)",
    "Microscope OG LED Power (mw/mm^2)": "OG LED Power (mw/mm^2)",
}


class InscopixImagingInterface(BaseImagingInterface):
    display_name = "Inscopix Imaging"
    associated_suffixes = (".isxd",)
    info = "Inscopix movies (.isxd) as a one-photon series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        return claim_isxd(listing, cls.__name__, 0, "movie")

    def __init__(self, file_path: Path, verbose: bool = False, metadata_key: str | None = None):
        """
        Parameters
        ----------
        file_path : Path
            The .isxd movie.
        metadata_key : str, optional
            Key of this series in the Ophys metadata; default "inscopix_imaging".
        """
        from roiextractors import InscopixImagingExtractor

        if is_multiplane(Path(file_path)):
            raise SourceError(
                f"{file_path}: a multiplane Inscopix recording; its planes are interleaved frames that the reader "
                "cannot separate (NeuroConv 0.10.2 refuses it too)"
            )
        imaging = InscopixImagingExtractor(file_path=file_path)
        self.use_imaging(imaging, metadata_key or "inscopix_imaging", "OnePhotonSeries")

    def get_metadata(self) -> dict[str, Any]:
        acquisition = self.imaging.movie.get_acquisition_info() or {}
        metadata = super().get_metadata()
        nwbfile = metadata["NWBFile"]
        start = self.imaging._get_session_start_time()
        if start is not None:
            nwbfile["session_start_time"] = start.isoformat()
        if acquisition.get("Session Name"):
            nwbfile["session_id"] = acquisition["Session Name"]
        if acquisition.get("Experimenter Name"):
            nwbfile["experimenter"] = [acquisition["Experimenter Name"]]

        serial = acquisition.get("Microscope Serial Number")
        device_key = f"inscopix_{snake_case(str(serial))}" if serial else "inscopix_microscope"
        device: dict[str, Any] = {"name": acquisition.get("Microscope Type") or "Microscope"}
        identity = [
            f"{label}: {acquisition[field]}"
            for field, label in (("Microscope Serial Number", "Serial"), ("Acquisition SW Version", "Software"))
            if acquisition.get(field)
        ]
        if identity:
            device["description"] = f"Inscopix Microscope ({', '.join(identity)})"
        metadata["Devices"] = {device_key: device}
        plane: dict[str, Any] = {"device_metadata_key": device_key}
        settings = [
            f"{label}: {acquisition[field]}" for field, label in PLANE_SETTINGS.items() if acquisition.get(field)
        ]
        if settings:
            plane["description"] = f"The plane or volume being imaged by the microscope. ({'; '.join(settings)})"
        metadata["Ophys"] = {
            "ImagingPlanes": {self.metadata_key: plane},
            "MicroscopySeries": {
                self.metadata_key: {
                    "description": "Imaging data acquired with Inscopix nVista.",
                    "imaging_plane_metadata_key": self.metadata_key,
                }
            },
        }
        subject = subject_metadata(self.imaging._get_subject_info())
        if "weight" in subject:
            subject["weight"] = str(subject["weight"])  # NeuroConv's imaging interface writes it as text
        if subject:
            metadata["Subject"] = subject
        return metadata


def is_multiplane(file_path: Path) -> bool:
    """The `extraProperties.microscope.multiplane.enabled` flag of the JSON block at the end of an .isxd file
    (after it: a NUL byte and the block's length as a little-endian uint64). Files without it are single-plane."""
    with open(file_path, "rb") as file:
        file.seek(-8, 2)
        length = int.from_bytes(file.read(8), "little")
        file.seek(-(length + 1 + 8), 2)
        tail = json.loads(file.read(length).decode("utf-8"))
    microscope = (tail.get("extraProperties") or {}).get("microscope") or {}
    return bool((microscope.get("multiplane") or {}).get("enabled"))
