"""Inscopix cell sets (.isxd written by IDPS / isx), read by roiextractors' InscopixSegmentationExtractor.

Each cell's image is written as an image mask and its status (accepted, rejected, undecided) as the `cell_status`
column. The cell traces are not written: roiextractors 0.10 does not expose them as traces, so NeuroConv 0.10.2
writes no Fluorescence for a cell set, and neither does nwbstream. The metadata is NeuroConv's: the session and
microscope from the file's acquisition info, and the subject when the file names one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, claim_files

from .claims import tail
from .metadata import snake_case
from .segmentation import BaseSegmentationInterface

PROBE_FIELDS = (
    "Probe Diameter (mm)",
    "Probe Flip",
    "Probe Length (mm)",
    "Probe Pitch",
    "Probe Rotation (degrees)",
    "Probe Type",
)
SEX = {"m": "M", "male": "M", "f": "F", "female": "F", "u": "U", "unknown": "U"}


ISXD_TYPE = re.compile(rb'"type"\s*:\s*(\d+)')


class InscopixSegmentationInterface(BaseSegmentationInterface):
    display_name = "Inscopix Segmentation"
    associated_suffixes = (".isxd",)
    info = "Inscopix cell sets (.isxd): ROIs and traces."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        return claim_isxd(listing, cls.__name__, 1, "cell set")

    def __init__(self, file_path: Path, verbose: bool = False, metadata_key: str | None = None):
        """
        Parameters
        ----------
        file_path : Path
            Path to the .isxd Inscopix cell set.
        metadata_key : str, optional
            Key in the Ophys metadata; default "inscopix_segmentation".
        """
        from roiextractors import InscopixSegmentationExtractor

        self.segmentation = InscopixSegmentationExtractor(file_path=file_path)
        self.metadata_key = metadata_key or "inscopix_segmentation"

    def get_metadata(self) -> dict[str, Any]:
        found = self.segmentation._get_metadata()
        session, device = found.get("session", {}), found.get("device", {})
        analysis, probe = found.get("analysis", {}), found.get("probe", {}) or {}
        nwbfile: dict[str, Any] = {}
        if found.get("session_start_time"):
            nwbfile["session_start_time"] = found["session_start_time"].isoformat()
        if session.get("experimenter_name"):
            nwbfile["experimenter"] = [session["experimenter_name"]]
        if session.get("session_name"):
            nwbfile["session_id"] = session["session_name"]
        serial = device.get("device_serial_number")
        device_key = f"inscopix_{snake_case(str(serial))}" if serial else "inscopix_microscope"
        device_entry: dict[str, Any] = {"name": device.get("device_name") or "Microscope"}
        notes = [f"Serial: {serial}"] if serial else []
        if device.get("acquisition_software_version"):
            notes.append(f"Software: {device['acquisition_software_version']}")
        notes += [f"{field}: {probe[field]}" for field in PROBE_FIELDS if probe.get(field) is not None]
        if notes:
            device_entry["description"] = f"Inscopix Microscope ({', '.join(notes)})"
        description = "Inscopix cell segmentation"
        if analysis.get("cell_identification_method"):
            description += f" using {analysis['cell_identification_method']}"
        if analysis.get("trace_units"):
            description += f" with traces in {analysis['trace_units']}"
        key = self.metadata_key
        metadata: dict[str, Any] = {
            "NWBFile": nwbfile,
            "Devices": {device_key: device_entry},
            "Ophys": {
                "ImagingPlanes": {key: {"device_metadata_key": device_key}},
                "PlaneSegmentations": {key: {"description": description, "imaging_plane_metadata_key": key}},
            },
        }
        subject = subject_metadata(found.get("subject", {}))
        if subject:
            metadata["Subject"] = subject
        return metadata


def claim_isxd(listing: FolderListing, interface: str, kind: int, what: str) -> list[Detection]:
    """The .isxd files whose JSON footer says `"type": kind` (Inscopix writes it last: 0 a movie, 1 a cell set)."""
    files = []
    for file in listing.with_suffix(".isxd"):
        types = ISXD_TYPE.findall(tail(listing, file))
        if types and int(types[-1]) == kind:
            files.append(file)
    return claim_files(interface, files, HEADER, f"Inscopix {what} (footer type {kind})")


def subject_metadata(subject: dict[str, Any]) -> dict[str, Any]:
    """NeuroConv's reading of the animal fields: a binomial ("Mus musculus") is the species, anything else
    (a genotype such as "CaMKIICre") the strain; sex mapped to M/F/U, and "U" when the file gives other
    fields but no sex."""
    found: dict[str, Any] = {}
    if subject.get("animal_id"):
        found["subject_id"] = subject["animal_id"]
    species = subject.get("species")
    if species:
        words = species.split()
        binomial = " " in species and species[0].isupper() and words[1][0].islower()
        found["species" if binomial else "strain"] = species
    if subject.get("sex"):
        found["sex"] = SEX.get(subject["sex"].lower(), "U")
    for field in ("description", "date_of_birth"):
        if subject.get(field):
            found[field] = subject[field]
    if subject.get("weight") and subject["weight"] > 0:
        found["weight"] = subject["weight"]
    if found:
        found.setdefault("sex", "U")
    return found
