"""Scanbox recordings (.sbx raw frames beside the .mat holding `info`), read by roiextractors'
SbxImagingExtractor, which memory-maps the .sbx: only the frames asked for are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import LAYOUT, relative

from .imaging import BaseImagingInterface, PhotonSeriesType

DEVICE_KEY = "scanbox_microscope"  # NeuroConv keys the device by the microscope, shared by every Scanbox series


class SbxImagingInterface(BaseImagingInterface):
    display_name = "Scanbox Imaging"
    associated_suffixes = (".sbx",)
    info = "Scanbox recordings (.sbx + .mat) as a two-photon series."
    differs_from_neuroconv = (
        "refuses a .sbx cut mid-frame, where NeuroConv drops the partial frame silently, and a .sbx without its .mat"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A .sbx beside the .mat of the same name that Scanbox writes with it."""
        detections = []
        for data in listing.with_suffix(".sbx"):
            info = listing.sibling(data, data.stem + ".mat")
            if info is not None:
                evidence = f"{data} + {info.name} (Scanbox data and info)"
                detections.append(
                    Detection(cls.__name__, {"file_path": relative(data)}, (str(data), str(info)), LAYOUT, evidence)
                )
        return detections

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float | None = None,
        verbose: bool = False,
        photon_series_type: PhotonSeriesType = "TwoPhotonSeries",
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .sbx file (or its .mat), the other one beside it with the same name.
        sampling_frequency : float, optional
            Frames per second; else computed from the .mat's `info` (resfreq, lines, scanmode) as Scanbox does.
        photon_series_type : str
            TwoPhotonSeries or OnePhotonSeries.
        metadata_key : str, optional
            Key of this series in the Ophys metadata; default "sbx_imaging".
        """
        from roiextractors import SbxImagingExtractor

        for pair in (Path(file_path).with_suffix(".sbx"), Path(file_path).with_suffix(".mat")):
            if not pair.is_file():
                raise SourceError(f"{pair}: no such file; a Scanbox recording is a .sbx and a .mat of the same name")
        imaging = SbxImagingExtractor(file_path=file_path, sampling_frequency=sampling_frequency)
        _check_whole_frames(imaging)
        self.use_imaging(imaging, metadata_key or "sbx_imaging", photon_series_type)

    def get_metadata(self) -> dict[str, Any]:
        return {
            "NWBFile": {},
            "Devices": {DEVICE_KEY: {"name": "Microscope", "description": "Scanbox imaging"}},
            "Ophys": {
                "ImagingPlanes": {self.metadata_key: {"device_metadata_key": DEVICE_KEY}},
                "MicroscopySeries": {
                    self.metadata_key: {
                        "description": "Imaging data acquired with Scanbox.",
                        "imaging_plane_metadata_key": self.metadata_key,
                    }
                },
            },
        }


def _check_whole_frames(imaging: Any) -> None:
    """The .sbx holds no frame count: it is the file size over the frame size, so a file cut mid-frame (an
    interrupted copy) would silently lose its last frame; refuse it instead. (Scanbox 2 and later: older files
    are counted in buffers, which this does not check.)"""
    if imaging._info.get("scanbox_version", -1) < 2:
        return
    path = Path(imaging.sbx_file_path)
    frame_bytes = int(imaging._info["nsamples"]) * int(imaging._info["nplanes"])
    size = path.stat().st_size
    if size % frame_bytes:
        raise SourceError(
            f"{path}: truncated: {size} bytes is not a whole number of {frame_bytes}-byte frames "
            f"({size // frame_bytes} whole frames)"
        )
