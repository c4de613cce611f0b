"""ThorImageLS sessions (OME-TIFF pages beside Experiment.xml), read by roiextractors' ThorTiffImagingExtractor.

Experiment.xml gives the start (Date@uTime, UTC), the software version, the pixel size and the field of view
(LSM@pixelSizeUM, widthUM, heightUM, in micrometers); objects are named after the channel as NeuroConv 0.10.2
names them ("TwoPhotonSeriesChanA", or "...Default" without a channel_name).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import LAYOUT, relative

from .claims import tiff_files
from .imaging import BaseImagingInterface
from .microscope import microscope_metadata
from .tiff_pages import check_complete

THOR_PAGE = re.compile(r"^(Chan[A-Z])_\d+_\d+_\d+_\d+\.tiff?$")  # ChanA_001_001_001_001.tif
DEVICE_KEY = "thor_microscope"  # one microscope images every channel, each channel its own interface


class ThorImagingInterface(BaseImagingInterface):
    display_name = "ThorLabs TIFF Imaging"
    associated_suffixes = (".tif", ".tiff")
    info = "ThorImageLS OME-TIFF acquisitions with their Experiment.xml."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """ChanX_001_001_001_001.tif pages beside an Experiment.xml of ThorImageLS; one source per channel."""
        detections = []
        for experiment in listing.named("Experiment.xml"):
            if "<ThorImageExperiment" not in listing.text_head(experiment):
                continue
            channels: dict[str, list[PurePosixPath]] = {}
            for page in tiff_files(listing):
                found = THOR_PAGE.match(page.name)
                if page.parent == experiment.parent and found:
                    channels.setdefault(found.group(1), []).append(page)
            several = len(channels) > 1
            detections += [
                Detection(
                    cls.__name__,
                    {"file_path": relative(pages[0]), **({"channel_name": channel} if several else {})},
                    tuple(map(str, [*pages, *([experiment] if index == 0 else [])])),  # the XML to one channel
                    LAYOUT,
                    f"{pages[0]} ({len(pages)} {channel} pages) beside ThorImageLS's {experiment.name}",
                    name=f"thor_{channel}" if several else "",
                )
                for index, (channel, pages) in enumerate(sorted(channels.items()))
            ]
        return detections

    def __init__(
        self,
        file_path: Path,
        channel_name: str | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The first OME-TIFF of the session (e.g. ChanA_001_001_001_001.tif), beside Experiment.xml.
        channel_name : str, optional
            The channel to read, as Experiment.xml names it (e.g. ChanA); default the first.
        metadata_key : str, optional
            Key in the Ophys metadata; default "thor_imaging" (or "thor_imaging_channel_<channel_name>").
        """
        from roiextractors import ThorTiffImagingExtractor

        check_complete([file_path])
        imaging = ThorTiffImagingExtractor(file_path=file_path, channel_name=channel_name)
        default_key = f"thor_imaging_channel_{channel_name}" if channel_name is not None else "thor_imaging"
        self.use_imaging(imaging, metadata_key or default_key, "TwoPhotonSeries")
        self.channel_name = channel_name

    def get_metadata(self) -> dict[str, Any]:
        experiment = self.imaging._experiment_xml_dict["ThorImageExperiment"]
        dates = experiment["Date"] if isinstance(experiment["Date"], list) else [experiment["Date"]]
        start = datetime.fromtimestamp(float(next(d for d in dates if "@date" in d)["@uTime"]), tz=UTC)
        lsm = experiment["LSM"]
        pixel_size = float(lsm["@pixelSizeUM"])
        channel = camel_case(self.channel_name)
        device = {
            "name": "ThorMicroscope",
            "description": f"ThorLabs 2P Microscope running ThorImageLS {experiment['Software']['@version']}",
        }
        plane = {
            "name": f"ImagingPlane{channel}",
            "device_metadata_key": DEVICE_KEY,
            "optical_channel": [{"name": channel}],
            "grid_spacing": [pixel_size * 1e-6, pixel_size * 1e-6],
            "grid_spacing_unit": "meters",
        }
        series = {
            "name": f"TwoPhotonSeries{channel}",
            "field_of_view": [float(lsm["@widthUM"]) * 1e-6, float(lsm["@heightUM"]) * 1e-6],
        }
        return microscope_metadata(self.metadata_key, plane, series, {DEVICE_KEY: device}, start)


def camel_case(channel_name: str | None) -> str:
    """NeuroConv's object suffix for a channel: chan_a_b -> chanAB; "Default" when there is none."""
    if not channel_name:
        return "Default"
    first, *rest = channel_name.split("_")
    return first + "".join(part.title() for part in rest)
