"""ScanImage TIFFs: ScanImage >= 2016 BigTIFFs (channels, planes, several files) read by roiextractors'
ScanImageImagingExtractor, and ScanImage 3.8 TIFFs read by its ScanImageLegacyImagingExtractor.

Names and values follow NeuroConv 0.10.2: the plane and series are suffixed with the channel and plane asked for
("ImagingPlaneChannel2Plane1"), grid spacing is the scan field's sizeXY / pixelResolutionXY taken as micrometers,
frames keep the times ScanImage stamped on them (frameTimestamps_sec).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, claim_files, relative

from .claims import riding_along, tiff_files
from .imaging import BaseImagingInterface
from .microscope import microscope_metadata
from .tiff_pages import check_complete

HEADER_VERSIONS = (3, 4, 5)  # ScanImage >= 2016 BigTIFF header versions; older files are "legacy"
DEVICE_KEY = "scan_image_microscope"  # one microscope for every channel and plane of an acquisition
SCANIMAGE_MAGIC = 117637889  # the uint32 ScanImage writes after the BigTIFF header
ACQUISITION_FILE = re.compile(r"^(?P<stem>.+)_(?P<number>\d+)\.tiff?$", re.IGNORECASE)  # name_00001.tif, ...
CHANNELS_SAVED = re.compile(r"SI\.hChannels\.channelSave\s*=\s*\[?([\d\s;]+)\]?")
LEGACY_VERSION = re.compile(rb"state\.software\.version\s*=\s*3")
EPOCH = re.compile(r"epoch\s*=\s*\[([^\]]+)\]")


class ScanImageImagingInterface(BaseImagingInterface):
    display_name = "ScanImage Imaging"
    associated_suffixes = (".tif", ".tiff")
    info = "ScanImage TIFF files (2016 and later) with the metadata ScanImage embeds."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """BigTIFFs with ScanImage's magic number and header version; an acquisition's numbered files together,
        one source per channel saved."""
        acquisitions: dict[tuple[PurePosixPath, str], tuple[int, list[PurePosixPath]]] = {}
        for file in tiff_files(listing):
            head = listing.head(file, 24)
            magic, version = (int.from_bytes(head[i : i + 4], "little") for i in (16, 20))
            if magic != SCANIMAGE_MAGIC or version not in HEADER_VERSIONS:
                continue
            numbered = ACQUISITION_FILE.match(file.name)
            key = (file.parent, numbered["stem"] if numbered else file.name)
            acquisitions.setdefault(key, (version, []))[1].append(file)
        detections = []
        for version, files in acquisitions.values():
            first = files[0]
            source = {"file_path": relative(first)} if len(files) == 1 else {"file_paths": [relative(f) for f in files]}
            saved = CHANNELS_SAVED.search(listing.text_head(first, 65536))
            channels = saved.group(1).replace(";", " ").split() if saved else []
            evidence = f"{first}: ScanImage BigTIFF, header version {version}" + (
                f", {len(files)} files" if len(files) > 1 else ""
            )
            if len(channels) <= 1:
                detections.append(Detection(cls.__name__, source, tuple(map(str, files)), HEADER, evidence))
                continue
            per_channel = [
                Detection(
                    cls.__name__,
                    {**source, "channel_name": f"Channel {n}"},
                    tuple(map(str, files)),
                    HEADER,
                    f"{evidence}, channel {n} of {len(channels)} saved",
                    name=f"scanimage_channel{n}",
                )
                for n in channels
            ]
            detections += riding_along(per_channel)
        return detections

    def __init__(
        self,
        file_path: Path | None = None,
        channel_name: str | None = None,
        slice_sample: int | None = None,
        plane_index: int | None = None,
        file_paths: list[Path] | None = None,
        interleave_slice_samples: bool | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path, optional
            The ScanImage TIFF; with a multi-file acquisition, only this file is read (as NeuroConv 0.10.2 does);
            give `file_paths` for all of them.
        channel_name : str, optional
            The channel to read ("Channel 1", ...); required when the file saved several.
        slice_sample : int, optional
            Which frame of each slice to keep when a volume has several frames per slice.
        plane_index : int, optional
            The plane of a volume to read as a planar series; default the whole volume (frames x width x height x
            planes).
        file_paths : list of Path, optional
            The acquisition's files in order, instead of `file_path`.
        interleave_slice_samples : bool, optional
            With several frames per slice and no `slice_sample`: keep them all as successive samples.
        metadata_key : str, optional
            Key in the Ophys metadata; default "scan_image_imaging", suffixed with the channel ("_channel_2") and
            plane ("_plane_1") when given.
        """
        from roiextractors import ScanImageImagingExtractor

        if file_path is None and not file_paths:
            raise SourceError("ScanImageImagingInterface: give file_path or file_paths")
        paths = [Path(file_path)] if file_path is not None else [Path(p) for p in file_paths or []]
        version = header_version(paths[0])
        if version not in HEADER_VERSIONS:
            raise SourceError(
                f"{paths[0]}: ScanImage header version {version} is not one of {HEADER_VERSIONS}; a ScanImage 3.x "
                "file is read by ScanImageLegacyImagingInterface"
            )
        check_complete(paths)
        imaging = ScanImageImagingExtractor(
            file_path=file_path,
            channel_name=channel_name,
            file_paths=paths,
            slice_sample=slice_sample,
            plane_index=plane_index,
            interleave_slice_samples=bool(interleave_slice_samples),
        )
        if metadata_key is None:
            parts = ["scan_image_imaging"]
            if channel_name is not None:
                parts.append(channel_name.replace(" ", "_").lower())
            if plane_index is not None:
                parts.append(f"plane_{plane_index}")
            metadata_key = "_".join(parts)
        self.use_imaging(imaging, metadata_key, "TwoPhotonSeries")
        self.channel_name = channel_name
        self.plane_index = plane_index
        self.first_file = paths[0]

    def get_metadata(self) -> dict[str, Any]:
        header = self.imaging._general_metadata
        frame_data = header.get("FrameData", {})
        suffix = (self.channel_name or "").replace(" ", "").capitalize()
        suffix += f"Plane{self.plane_index}" if self.plane_index is not None else ""
        plane: dict[str, Any] = {
            "name": f"ImagingPlane{suffix}",
            "device_metadata_key": DEVICE_KEY,
            "imaging_rate": float(self.imaging.get_sampling_frequency()),
        }
        plane.update(scan_field_geometry(header.get("RoiGroups", {})))
        series: dict[str, Any] = {
            "name": f"{self.photon_series_type}{suffix}",
            "description": "Imaging data acquired using ScanImage"
            + (f" for {self.channel_name}" if self.channel_name is not None else ""),
        }
        if "SI.hRoiManager.linePeriod" in frame_data:
            series["scan_line_rate"] = 1 / float(frame_data["SI.hRoiManager.linePeriod"])
        elif "SI.hScan2D.scannerFrequency" in frame_data:
            series["scan_line_rate"] = frame_data["SI.hScan2D.scannerFrequency"]
        device = {"name": "Microscope", "description": "Microscope controlled by ScanImage"}
        if "SI.VERSION_MAJOR" in frame_data:
            version = ".".join(str(frame_data.get(f"SI.VERSION_{part}", "")) for part in ("MAJOR", "MINOR", "UPDATE"))
            device["description"] = f"Microscope and acquisition data with ScanImage (version {version})"
        start = acquisition_start(self.first_file)
        return microscope_metadata(self.metadata_key, plane, series, {DEVICE_KEY: device}, start)


class ScanImageLegacyImagingInterface(BaseImagingInterface):
    display_name = "ScanImage Imaging"
    associated_suffixes = (".tif",)
    info = "ScanImage 3.8 TIFF files."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """TIFFs whose first page description is ScanImage 3's state (state.software.version=3.x)."""
        files = [f for f in tiff_files(listing) if LEGACY_VERSION.search(listing.head(f, 65536))]
        return claim_files(cls.__name__, files, HEADER, "ScanImage 3 header (state.software.version)")

    def __init__(
        self,
        file_path: Path,
        fallback_sampling_frequency: float | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The ScanImage 3.8 TIFF.
        fallback_sampling_frequency : float, optional
            Frames per second, used when the header has no state.acq.frameRate.
        metadata_key : str, optional
            Key in the Ophys metadata; default "scan_image_legacy_imaging".
        """
        from roiextractors import ScanImageLegacyImagingExtractor
        from roiextractors.extractors.tiffimagingextractors.scanimagetiff_utils import extract_extra_metadata

        check_complete([file_path])
        self.header = extract_extra_metadata(file_path=file_path)
        for key in ("state.acq.frameRate", "SI.hRoiManager.scanFrameRate"):
            if key in self.header:
                rate = float(self.header[key])
                break
        else:
            if fallback_sampling_frequency is None:
                raise SourceError(
                    f"{file_path}: no frame rate in the ScanImage header; give fallback_sampling_frequency"
                )
            rate = fallback_sampling_frequency
        imaging = ScanImageLegacyImagingExtractor(file_path=file_path, sampling_frequency=rate)
        self.use_imaging(imaging, metadata_key or "scan_image_legacy_imaging", "TwoPhotonSeries")

    def get_metadata(self) -> dict[str, Any]:
        """NeuroConv keeps the whole header, JSON-encoded, as the series description."""
        from dateutil.parser import parse

        device = {"name": "Microscope", "description": "Microscope controlled by ScanImage (legacy v3.8)"}
        plane = {"device_metadata_key": DEVICE_KEY, "imaging_rate": float(self.imaging.get_sampling_frequency())}
        series = {"description": json.dumps(self.header)} if self.header else {}
        trigger = self.header.get("state.internal.triggerTimeString")
        start = parse(trigger) if trigger else None
        return microscope_metadata(self.metadata_key, plane, series, {DEVICE_KEY: device}, start)


def header_version(file_path: Path) -> int:
    """The ScanImage header version, the uint32 after the BigTIFF header and ScanImage's magic number."""
    with open(file_path, "rb") as file:
        file.seek(20)
        return int.from_bytes(file.read(4), byteorder="little")


def scan_field_geometry(roi_groups: dict[str, Any]) -> dict[str, Any]:
    """Grid spacing (sizeXY / pixelResolutionXY) and origin (centerXY) of the imaging scan field, in meters,
    reading ScanImage's sizeXY and centerXY as micrometers as NeuroConv 0.10.2 does."""
    scanfields = roi_groups.get("imagingRoiGroup", {}).get("rois", {})
    scanfields = scanfields.get("scanfields", {}) if isinstance(scanfields, dict) else {}
    geometry: dict[str, Any] = {}
    if "sizeXY" in scanfields and "pixelResolutionXY" in scanfields:
        spacing = np.array(scanfields["sizeXY"]) / np.array(scanfields["pixelResolutionXY"])
        geometry |= {"grid_spacing": (spacing * 1e-6).tolist(), "grid_spacing_unit": "meters"}
    if "centerXY" in scanfields:
        geometry |= {
            "origin_coords": [float(c) * 1e-6 for c in scanfields["centerXY"]],
            "origin_coords_unit": "meters",
        }
    return geometry


def acquisition_start(file_path: Path) -> datetime | None:
    """The `epoch` ScanImage writes in the first frame's description (local time, no zone), if any."""
    import tifffile

    with tifffile.TiffFile(file_path) as tiff:
        description = tiff.pages[0].tags["ImageDescription"].value
    match = EPOCH.search(description)
    values = match.group(1).split() if match else []
    if len(values) != 6:
        return None
    year, month, day, hour, minute, seconds = map(float, values)
    whole = int(seconds)
    return datetime(int(year), int(month), int(day), int(hour), int(minute), whole, int((seconds - whole) * 1e6))
