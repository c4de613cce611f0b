"""UCLA Miniscope (DAQ-QT software, V4) recordings: a device folder of 0.avi, 1.avi, ... with metaData.json and
timeStamps.csv, read by roiextractors' MiniscopeImagingExtractor, which seeks each video to the frames asked for.

Frame times are the DAQ's receive times (timeStamps.csv, ms), which jitter: as in NeuroConv 0.10.2 they are
written as a `timestamps` dataset unless evenly spaced. The device settings of metaData.json become NeuroConv's
ndx-miniscope `Miniscope` device entry (`type: Miniscope`) and its deviceType a `DeviceModels` entry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import LAYOUT, relative

from .imaging import BaseImagingInterface
from .metadata import snake_case

TEXT_SETTINGS = ("compression", "deviceType", "frameRate", "gain")  # ndx-miniscope text fields
INTEGER_SETTINGS = ("excitation", "framesPerFile", "led0", "msCamExposure")  # ndx-miniscope integer fields
IDENTIFIERS = ("deviceDirectory", "deviceID", "deviceName")  # name the device, say nothing about it


MINISCOPE_DEVICE = re.compile(r'"deviceType"\s*:\s*"(Miniscope[^"]*)"', re.IGNORECASE)


class MiniscopeImagingInterface(BaseImagingInterface):
    display_name = "Miniscope Imaging"
    associated_suffixes = (".avi", ".csv", ".json")
    info = "One Miniscope recording (its .avi files and timeStamps.csv) as a one-photon series."
    differs_from_neuroconv = (
        "names the video whose first frame cannot be decoded, and refuses fewer timestamps than frames"
    )
    series_name = "OnePhotonSeries"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A Miniscope device folder: videos with timeStamps.csv and a metaData.json whose deviceType is a Miniscope
        (a behaviour camera's folder looks the same but says BehavCam)."""
        detections = []
        for configuration in listing.named("metaData.json"):
            videos = [f for f in listing.in_folder(configuration.parent) if f.suffix.lower() == ".avi"]
            times = listing.sibling(configuration, "timeStamps.csv")
            device = MINISCOPE_DEVICE.search(listing.text_head(configuration))
            if not videos or times is None or device is None:
                continue
            detections.append(
                Detection(
                    cls.__name__,
                    {"folder_path": relative(configuration.parent)},
                    tuple(map(str, [*videos, configuration, times])),
                    LAYOUT,
                    f"{relative(configuration.parent)}: {len(videos)} .avi + timeStamps.csv, {device.group(1)}",
                )
            )
        return detections

    def __init__(
        self,
        folder_path: Path | None = None,
        file_paths: list[Path] | None = None,
        configuration_file_path: Path | None = None,
        timeStamps_file_path: Path | None = None,  # noqa: N803 - NeuroConv's argument name
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path, optional
            The device folder (0.avi, 1.avi, ..., metaData.json, timeStamps.csv); its parent holds the session's
            metaData.json.
        file_paths : list of Path, optional
            The .avi files (0.avi, 1.avi, ...) when not given folder_path; with configuration_file_path.
        configuration_file_path : Path, optional
            The device's metaData.json, when given file_paths (NeuroConv deprecates it).
        timeStamps_file_path : Path, optional
            The timeStamps.csv; default the one beside the videos.
        metadata_key : str, optional
            Key of this series in the Ophys metadata; default "miniscope_imaging".
        """
        from roiextractors import MiniscopeImagingExtractor

        if folder_path is None and (file_paths is None or configuration_file_path is None):
            raise SourceError("MiniscopeImagingInterface: give folder_path, or file_paths and configuration_file_path")
        if folder_path is not None and (file_paths is not None or configuration_file_path is not None):
            raise SourceError(
                "MiniscopeImagingInterface: give folder_path alone, or file_paths with their configuration"
            )
        device_folder = Path(folder_path) if folder_path is not None else Path(configuration_file_path).parent
        legacy = [*device_folder.rglob("settings_and_notes.dat"), *device_folder.rglob("timestamp.dat")]
        if legacy:
            raise SourceError(f"{legacy[0]}: a Miniscope V3 recording; only V4 (metaData.json, timeStamps.csv) is read")
        self.device_folder = device_folder
        videos = file_paths if file_paths is not None else sorted(device_folder.glob("*.avi"))
        for video in videos:
            _check_decodes(Path(video))
        imaging = MiniscopeImagingExtractor(
            folder_path=folder_path, file_paths=file_paths, timestamps_path=timeStamps_file_path
        )
        self.use_imaging(imaging, metadata_key or "miniscope_imaging", "OnePhotonSeries")

    def frame_times(self):
        """timeStamps.csv's times (seconds); refused when it has fewer rows than the videos have frames."""
        times = super().frame_times()
        frames = self.imaging.get_num_samples()
        if times is not None and len(times) < frames:
            raise SourceError(
                f"{self.imaging._timestamps_path}: {len(times)} timestamps for {frames} frames in the videos"
            )
        return times

    def get_metadata(self) -> dict[str, Any]:
        from roiextractors import MiniscopeImagingExtractor

        metadata = super().get_metadata()
        start = MiniscopeImagingExtractor._get_session_start_time(miniscope_folder_path=self.device_folder.parent)
        if start is not None:
            metadata["NWBFile"]["session_start_time"] = start.isoformat()
        configuration_path = self.device_folder / "metaData.json"
        configuration = None
        if configuration_path.exists():
            configuration = MiniscopeImagingExtractor._read_device_folder_metadata(str(configuration_path))
        name = (configuration or {}).get("deviceName", "Miniscope")
        device_key = snake_case(name)
        device: dict[str, Any] = {"type": "Miniscope", "name": name}
        if configuration is not None:
            device = miniscope_device(configuration, name)
            if "deviceType" in configuration:
                model = {"name": str(configuration["deviceType"])}
                device["device_model_metadata_key"] = snake_case(model["name"])
                metadata["DeviceModels"] = {device["device_model_metadata_key"]: model}
        metadata["Devices"] = {device_key: device}
        metadata["Ophys"] = {
            "ImagingPlanes": {
                self.metadata_key: {
                    "name": "ImagingPlane",
                    "device_metadata_key": device_key,
                    "imaging_rate": self.imaging.get_sampling_frequency(),
                }
            },
            "MicroscopySeries": {
                self.metadata_key: {
                    "name": "OnePhotonSeries",
                    "unit": "px",
                    "imaging_plane_metadata_key": self.metadata_key,
                    "description": "Imaging data acquired with a Miniscope.",
                }
            },
        }
        return metadata


def miniscope_device(configuration: dict[str, Any], name: str) -> dict[str, Any]:
    """The ndx-miniscope `Miniscope` entry NeuroConv makes of a device's metaData.json: the schema's fields
    coerced to its types, ROI as [height, width], and every other setting named in the description."""
    device: dict[str, Any] = {"type": "Miniscope", "name": name}
    device |= {field: str(configuration[field]) for field in TEXT_SETTINGS if field in configuration}
    device |= {field: int(configuration[field]) for field in INTEGER_SETTINGS if field in configuration}
    mapped = {"name", "ROI", *TEXT_SETTINGS, *INTEGER_SETTINGS, *IDENTIFIERS}
    unmapped = {key: value for key, value in configuration.items() if key not in mapped}
    region = configuration.get("ROI")
    if region is not None:
        device["ROI"] = [region["height"], region["width"]]
        unmapped |= {f"ROI.{key}": value for key, value in region.items() if key not in ("height", "width")}
    if unmapped:
        settings = ", ".join(f"{key}: {value}" for key, value in sorted(unmapped.items()))
        device["description"] = (
            "Settings recorded by the Miniscope DAQ software that the ndx-miniscope schema has no field for: "
            f"{settings}."
        )
    return device


def _check_decodes(video: Path) -> None:
    """The reader takes a video's size from its first frame; say which file has none to give."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        readable, _ = capture.read()
    finally:
        capture.release()
    if not readable:
        raise SourceError(f"{video}: no frame can be decoded (truncated, or not a video)")
