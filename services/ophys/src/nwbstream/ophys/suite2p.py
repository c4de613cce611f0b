"""Suite2p output folders (plane#/stat.npy, F.npy, Fneu.npy, spks.npy, iscell.npy, ops.npy), one plane and
channel per interface, read by roiextractors' Suite2pSegmentationExtractor."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import LAYOUT, relative

from .segmentation import BaseSegmentationInterface

PLANE_FOLDER = re.compile(r"^plane\d+$")
SECOND_CHANNEL = "_chan2.npy"  # F_chan2.npy, Fneu_chan2.npy: the second channel's traces beside the first's


class Suite2pSegmentationInterface(BaseSegmentationInterface):
    display_name = "Suite2p Segmentation"
    associated_suffixes = (".npy",)
    info = "Suite2p output folders: ROIs, traces, summary images, per plane and channel."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Suite2p folders (planeN/stat.npy + ops.npy); one source per plane and channel, both named when the folder
        has more than one. The first channel claims the plane's files, the second its *_chan2.npy traces."""
        planes: dict[PurePosixPath, list[PurePosixPath]] = {}
        for stat in listing.named("stat.npy"):
            if PLANE_FOLDER.match(stat.parent.name) and listing.sibling(stat, "ops.npy"):
                planes.setdefault(stat.parent.parent, []).append(stat.parent)
        detections = []
        for folder, plane_folders in sorted(planes.items()):
            streams = []
            for plane in sorted(plane_folders, key=lambda p: int(p.name[len("plane") :])):
                files = listing.in_folder(plane)
                second = [f for f in files if f.name.endswith(SECOND_CHANNEL)]
                streams.append((plane.name, "chan1", [f for f in files if f not in second]))
                if second:
                    streams.append((plane.name, "chan2", second))
            several = len(streams) > 1
            for plane, channel, files in streams:
                detections.append(
                    Detection(
                        cls.__name__,
                        {
                            "folder_path": relative(folder),
                            **({"channel_name": channel, "plane_name": plane} if several else {}),
                        },
                        tuple(map(str, files)),
                        LAYOUT,
                        f"{relative(folder)}/{plane}: Suite2p stat.npy + ops.npy, {channel}",
                        name=f"suite2p_{plane}_{channel}" if several else "",
                    )
                )
        return detections

    def __init__(
        self,
        folder_path: Path,
        channel_name: str | None = None,
        plane_name: str | None = None,
        plane_segmentation_name: str | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            The Suite2p output folder (holding plane0, plane1, ...).
        channel_name : str, optional
            chan1 or chan2; default the first.
        plane_name : str, optional
            plane0, plane1, ...; default the first.
        plane_segmentation_name : str, optional
            Name of the PlaneSegmentation (NeuroConv deprecates it for the metadata's `name`).
        metadata_key : str, optional
            Key in the Ophys metadata; default "suite2p_segmentation_<channel>_<plane>".
        """
        from roiextractors import Suite2pSegmentationExtractor

        self.segmentation = Suite2pSegmentationExtractor(
            folder_path=folder_path, channel_name=channel_name, plane_name=plane_name
        )
        channels = Suite2pSegmentationExtractor.get_available_channels(folder_path=folder_path)
        planes = Suite2pSegmentationExtractor.get_available_planes(folder_path=folder_path)
        self.metadata_key = metadata_key or f"suite2p_segmentation_{channel_name or 'chan1'}_{plane_name or 'plane0'}"
        if plane_segmentation_name is None:
            channel = self.segmentation.channel_name.capitalize()
            plane = self.segmentation.plane_name.capitalize()
            single = len(planes) == 1 and len(channels) == 1
            plane_segmentation_name = "PlaneSegmentation" if single else f"PlaneSegmentation{channel}{plane}"
        self.plane_segmentation_name = plane_segmentation_name

    def get_metadata(self) -> dict[str, Any]:
        """As NeuroConv names Suite2p's objects: a suffix per plane and channel when the folder has several."""
        suffix = self.plane_segmentation_name.replace("PlaneSegmentation", "")
        traces = self.segmentation.get_traces_dict()
        images = self.segmentation.get_images_dict()
        trace_names = {"raw": "RoiResponseSeries", "neuropil": "Neuropil", "deconvolved": "Deconvolved"}
        trace_names["dff"] = "DfOverF"
        image_names = {"correlation": "CorrelationImage", "mean": "MeanImage"}
        key = self.metadata_key
        ophys: dict[str, Any] = {
            "ImagingPlanes": {
                key: {
                    "name": f"ImagingPlane{suffix}",
                    "imaging_rate": float(self.segmentation.get_sampling_frequency()),
                }
            },
            "PlaneSegmentations": {
                key: {
                    "name": self.plane_segmentation_name,
                    "description": "Segmentation data from Suite2p.",
                    "imaging_plane_metadata_key": key,
                }
            },
        }
        responses = {t: {"name": f"{n}{suffix}"} for t, n in trace_names.items() if traces.get(t) is not None}
        pictures = {i: {"name": f"{n}{suffix}"} for i, n in image_names.items() if images.get(i) is not None}
        if responses:
            ophys["RoiResponses"] = {key: responses}
        if pictures:
            ophys["SegmentationImages"] = {key: pictures}
        return {"NWBFile": {}, "Ophys": ophys}
