"""Bruker Prairie View T-series (one OME-TIFF per frame and channel, beside <folder name>.xml), read by roiextractors'
BrukerTiffImagingExtractor (BrukerTiffImagingInterface) and its deprecated per-stream extractors
BrukerTiffSinglePlaneImagingExtractor / BrukerTiffMultiPlaneImagingExtractor (the other two interfaces).

The XML gives the start (PVScan@date), the software version and system, the pixel size (micronsPerPixel), the scan
line period and the stage position (positionCurrent). NeuroConv 0.10.2 writes the same values from either kind of
interface, with two differences kept here: the per-stream interfaces speak its old list layout (given here in the
dict layout, keyed by the names NeuroConv's translator gives them: the device, plane and series names) and label
their micrometer origin_coords with NWB's default unit, meters; the unified one says "micrometers".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from xml.etree import ElementTree

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import LAYOUT, relative

from .claims import is_tiff
from .imaging import BaseImagingInterface
from .microscope import microscope_metadata

DEVICE_NAME = "BrukerFluorescenceMicroscope"
PLANE_DESCRIPTION = "The imaging plane origin_coords units are in the microscope reference frame."
SERIES_DESCRIPTION = "Imaging data acquired from the Bruker Two-Photon Microscope."
CHANNEL_IN_NAME = re.compile(r"_(Ch\d+)_(\d+)\.ome\.tiff?$", re.IGNORECASE)  # ..._Cycle00001_Ch2_000001.ome.tif
VOLUME_SEQUENCE = 'type="TSeries ZSeries Element"'  # a T-series of Z stacks; timed elements are planar
PER_STREAM = LAYOUT - 0.05  # the deprecated per-stream interfaces, offered as alternatives to the unified one
VOLUME_DESCRIPTION = "The volumetric imaging data acquired from the Bruker Two-Photon Microscope."


class BrukerTiffImagingInterface(BaseImagingInterface):
    display_name = "Bruker TIFF Imaging"
    associated_suffixes = (".ome", ".tif", ".xml", ".env")
    info = "Bruker PrairieView OME-TIFF imaging, every channel and plane the XML lists."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each channel of each T-series, channel_name given when there are several."""
        return [
            Detection(
                cls.__name__,
                {"folder_path": s.folder, **({"channel_name": s.channel} if s.several else {})},
                s.files,
                LAYOUT,
                s.evidence,
                name=f"bruker_{s.channel}" if s.several else "",
            )
            for s in bruker_channels(listing)
        ]

    def __init__(
        self,
        folder_path: Path,
        channel_name: str | None = None,
        plane_index: int | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        folder_path : Path
            The T-series folder: the .ome.tif files and <folder name>.xml.
        channel_name : str, optional
            The channel to read (e.g. Ch1, Ch2); required when the series has several.
        plane_index : int, optional
            One plane of a volumetric series, written as a planar series; default the whole volume (frames x width
            x height x planes).
        metadata_key : str, optional
            Key in the Ophys metadata; default "bruker_tiff_imaging", suffixed "_<channel_name>" and
            "_plane<plane_index>" when given.
        """
        from roiextractors import BrukerTiffImagingExtractor

        self.series = BrukerTiffImagingExtractor(folder_path=folder_path, channel_name=channel_name)
        imaging = self.series.select_plane(plane_index) if plane_index is not None else self.series
        if metadata_key is None:
            metadata_key = "bruker_tiff_imaging"
            metadata_key += f"_{channel_name}" if channel_name is not None else ""
            metadata_key += f"_plane{plane_index}" if plane_index is not None else ""
        self.use_imaging(imaging, metadata_key, "TwoPhotonSeries")
        self.channel_name = channel_name
        self.plane_index = plane_index

    def get_metadata(self) -> dict[str, Any]:
        xml = self.series._bruker_xml_metadata
        root = self.series._xml_root
        device_key, device = microscope_device(xml, root)
        volumetric = self.imaging.is_volumetric
        grid_spacing, field_of_view = planar_geometry(xml, self.imaging.get_frame_shape())
        origin = stage_position(root)
        depths = plane_depths(root) if volumetric or self.plane_index is not None else []
        if self.plane_index is not None and self.plane_index < len(depths):
            origin.append(depths[self.plane_index])
        elif volumetric and depths:
            origin.append(depths[0])
        if volumetric and len(depths) >= 2:
            grid_spacing.append(abs(depths[1] - depths[0]) / 1e6)
            field_of_view.append(abs(depths[-1] - depths[0]) / 1e6)

        suffix = (self.channel_name or "") + (f"Plane{self.plane_index}" if self.plane_index is not None else "")
        plane = {
            "name": f"ImagingPlane{suffix}",
            "description": PLANE_DESCRIPTION,
            "device_metadata_key": device_key,
            "imaging_rate": float(self.imaging.get_sampling_frequency()),
            "grid_spacing": grid_spacing,
            "grid_spacing_unit": "meters",
            "origin_coords": origin,
            "origin_coords_unit": "micrometers",
        }
        series = {
            "name": f"TwoPhotonSeries{suffix}",
            "description": VOLUME_DESCRIPTION if volumetric else SERIES_DESCRIPTION,
            "field_of_view": field_of_view,
        }
        if "scanLinePeriod" in xml:
            series["scan_line_rate"] = 1 / float(xml["scanLinePeriod"])
        return microscope_metadata(self.metadata_key, plane, series, {device_key: device}, start_time(xml))


class BaseBrukerStreamInterface(BaseImagingInterface):
    """One stream (channel, or channel and plane) of a T-series, read by roiextractors' deprecated per-stream
    extractors. NeuroConv gives these no metadata_key and speaks its old list layout for them; the same entries are
    given here in the dict layout, keyed by their names as NeuroConv's translator keys them (the series' name is
    its metadata_key). Fields whose value is the writer's placeholder (NaN wavelengths, "unknown" indicator and
    location, the default optical channel) are left to the writer, which fills the same ones."""

    series_description: ClassVar[str]

    def use_stream(self, imaging: Any, folder_path: Path, streams: dict[str, Any]) -> None:
        folder_path = Path(folder_path)
        self.root = ElementTree.parse(folder_path / f"{folder_path.name}.xml").getroot()
        self.streams = streams
        suffix = imaging.stream_name.replace("_", "") if self.names_stream() else ""
        self.plane_name = f"ImagingPlane{suffix}"
        self.use_imaging(imaging, f"TwoPhotonSeries{suffix}", "TwoPhotonSeries")

    def names_stream(self) -> bool:
        """Whether objects carry the stream name (the series has more than this one stream)."""
        return len(self.streams["channel_streams"]) > 1

    def depth(self) -> list[float]:
        """The third origin coordinate NeuroConv reads for this kind of stream, if any."""
        return []

    def get_metadata(self) -> dict[str, Any]:
        xml = self.imaging.xml_metadata
        grid_spacing, field_of_view = planar_geometry(xml, self.imaging.get_frame_shape())
        origin = stage_position(self.root) + self.depth()
        if len(origin) == 3 and self.streams["plane_streams"]:  # the depth is an axis only for a volume's streams
            grid_spacing.append(abs(origin[-1]) / 1e6)
            field_of_view.append(abs(origin[-1]) / 1e6)
        plane = {
            "name": self.plane_name,
            "description": PLANE_DESCRIPTION,
            "device_metadata_key": DEVICE_NAME,
            "imaging_rate": self.imaging.get_sampling_frequency(),
            "grid_spacing": grid_spacing,
            "origin_coords": origin,
        }
        series = {
            "name": self.metadata_key,
            "description": self.series_description,
            "unit": "n.a.",
            "dimension": [int(n) for n in self.imaging.get_sample_shape()],
            "scan_line_rate": 1 / float(xml["scanLinePeriod"]),
            "field_of_view": field_of_view,
        }
        device = {"name": DEVICE_NAME, "description": f"Version {xml['version']}"}
        metadata = microscope_metadata(self.plane_name, plane, series, {DEVICE_NAME: device}, start_time(xml))
        ophys = metadata["Ophys"]
        ophys["MicroscopySeries"] = {self.metadata_key: ophys["MicroscopySeries"][self.plane_name]}
        return metadata


class BrukerTiffSinglePlaneImagingInterface(BaseBrukerStreamInterface):
    display_name = "Bruker TIFF Imaging (single channel, single plane)"
    associated_suffixes = (".ome", ".tif", ".xml", ".env")
    info = "One channel and one plane of a Bruker PrairieView OME-TIFF session."
    series_description = SERIES_DESCRIPTION

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The channels of planar T-series, as an alternative to BrukerTiffImagingInterface."""
        return stream_claims(cls.__name__, [s for s in bruker_channels(listing) if not s.volumetric])

    def __init__(self, folder_path: Path, stream_name: str | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        folder_path : Path
            The T-series folder: the .ome.tif files and <folder name>.xml.
        stream_name : str, optional
            The stream to read (e.g. Ch2, or Ch2_000001 for one plane of a volume); required when there are
            several.
        """
        from roiextractors import BrukerTiffMultiPlaneImagingExtractor, BrukerTiffSinglePlaneImagingExtractor

        imaging = BrukerTiffSinglePlaneImagingExtractor(folder_path=folder_path, stream_name=stream_name)
        streams = BrukerTiffMultiPlaneImagingExtractor.get_streams(folder_path=folder_path)
        self.use_stream(imaging, folder_path, streams)

    def names_stream(self) -> bool:
        return len(self.streams["channel_streams"]) > 1 or bool(self.streams["plane_streams"])

    def depth(self) -> list[float]:
        """The Z positions of the stream's first frame that moved from the default Z position."""
        stream = self.imaging.stream_name
        frames = [f for f in self.root.iter("Frame") if f.find(f"File[@channelName='{stream}']") is not None]
        frames = frames or [f for f in self.root.iter("Frame") if stream in file_names(f)]
        return moved_depths(self.root, frames[0])


class BrukerTiffMultiPlaneImagingInterface(BaseBrukerStreamInterface):
    display_name = "Bruker TIFF Imaging (single channel, multiple planes)"
    associated_suffixes = (".ome", ".tif", ".xml", ".env")
    info = "One channel of a multi-plane Bruker PrairieView OME-TIFF session."
    series_description = VOLUME_DESCRIPTION

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The channels of volumetric T-series, as an alternative to BrukerTiffImagingInterface."""
        return stream_claims(cls.__name__, [s for s in bruker_channels(listing) if s.volumetric])

    def __init__(self, folder_path: Path, stream_name: str | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        folder_path : Path
            The T-series folder: the .ome.tif files and <folder name>.xml.
        stream_name : str, optional
            The stream to read (e.g. Ch2_000001); required when there are several channels.
        """
        from roiextractors import BrukerTiffMultiPlaneImagingExtractor

        imaging = BrukerTiffMultiPlaneImagingExtractor(folder_path=folder_path, stream_name=stream_name)
        streams = BrukerTiffMultiPlaneImagingExtractor.get_streams(folder_path=folder_path)
        self.use_stream(imaging, folder_path, streams)

    def depth(self) -> list[float]:
        """NeuroConv's reading: the span between the first and last plane that moved from the default Z position,
        or, with fewer than two such planes, the last Z value it read (that of the last plane's first frame)."""
        channel = self.streams["channel_streams"][0]
        moved: list[float] = []
        last: list[float] = []
        for plane_stream in self.streams["plane_streams"][channel]:
            first_frame = next(f for f in self.root.iter("Frame") if plane_stream in file_names(f))
            moved += moved_depths(self.root, first_frame)
            last = z_values(first_frame)[-1:]
        return [abs(moved[0] - moved[-1])] if len(moved) > 1 else last


def file_names(frame: Any) -> str:
    return " ".join(file.attrib["filename"] for file in frame.findall("File"))


def z_values(element: Any) -> list[float]:
    """The Z positions (one per Z device) an element's positionCurrent holds."""
    found = element.find(".//PVStateValue[@key='positionCurrent']/SubindexedValues[@index='ZAxis']")
    return [float(value.attrib["value"]) for value in found] if found is not None else []


def moved_depths(root: Any, frame: Any) -> list[float]:
    """A frame's Z positions that differ from the series' default ones."""
    default = z_values(root)  # the first positionCurrent: the series' own, before any frame's
    return [z for index, z in enumerate(z_values(frame)) if index >= len(default) or default[index] != z]


def start_time(xml: dict[str, Any]) -> datetime | None:
    from dateutil.parser import parse

    return parse(xml["date"]) if "date" in xml else None


def microscope_device(xml: dict[str, Any], root: Any) -> tuple[str, dict[str, Any]]:
    """The Devices key and entry of the system that acquired the series (keyed by its SystemID number, so that
    series from one rig share one device)."""
    system = system_identity(root)
    key = f"bruker_device_{system['number']}" if "number" in system else "bruker_device"
    device: dict[str, Any] = {"name": DEVICE_NAME}
    if "id" in system:
        device["serial_number"] = system["id"]
    about = [f"Version {xml['version']}"] if "version" in xml else []
    about += [system["description"]] if "description" in system else []
    if about:
        device["description"] = ". ".join(about)
    return key, device


def system_identity(root: Any) -> dict[str, str]:
    """The SystemIDs element: the system's id, its number and site description."""
    element = root.find("SystemIDs")
    if element is None:
        return {}
    identity = {"id": element.attrib["SystemID"]} if "SystemID" in element.attrib else {}
    child = element.find("SystemID")
    if child is not None:
        if "SystemID" in child.attrib:
            identity["number"] = child.attrib["SystemID"]
        if child.attrib.get("Description"):
            identity["description"] = child.attrib["Description"]
    return identity


def planar_geometry(xml: dict[str, Any], frame_shape: tuple[int, int]) -> tuple[list[float], list[float]]:
    """Grid spacing (Y, X pixel size) and field of view, in meters, as NeuroConv computes them: the Y size times
    the columns, the X size times the rows."""
    microns_per_pixel = xml["micronsPerPixel"]
    x_size = float(microns_per_pixel[0]["XAxis"]) / 1e6
    y_size = float(microns_per_pixel[1]["YAxis"]) / 1e6
    rows, columns = frame_shape
    return [y_size, x_size], [y_size * columns, x_size * rows]


def stage_position(root: Any) -> list[float]:
    """positionCurrent's Y and X values (micrometers, microscope frame); 0 for an axis it lacks."""
    position = root.find(".//PVStateValue[@key='positionCurrent']")
    if position is None:
        return [0.0, 0.0]
    values: list[float] = []
    for axis in ("YAxis", "XAxis"):
        axis_values = position.find(f"./SubindexedValues[@index='{axis}']")
        values += [float(v.attrib["value"]) for v in axis_values] if axis_values is not None else [0.0]
    return values


def plane_depths(root: Any) -> list[float]:
    """The distinct focal depths of a volume's planes, in acquisition order: the zDevice's Z position per frame,
    else the first Z value that moved from the default."""
    z_device = root.find(".//PVStateValue[@key='zDevice']")
    device_index = int(z_device.attrib["value"]) if z_device is not None else None
    depths: list[float] = []
    for frame in root.iter("Frame"):
        values = z_values(frame)
        if not values:
            continue
        if device_index is not None and device_index < len(values):
            depth = values[device_index]
        else:
            moved = moved_depths(root, frame)
            if not moved:
                continue
            depth = moved[0]
        if depth not in depths:
            depths.append(depth)
    return depths


@dataclass(frozen=True)
class BrukerChannel:
    """One channel of a T-series folder: its .ome.tif files (and the folder's XML, with the first channel)."""

    folder: str
    channel: str
    several: bool  # the series has other channels
    volumetric: bool
    first_plane: str  # the stream of its first plane, as the multi-plane interface names it (Ch2_000001)
    files: tuple[str, ...]
    evidence: str


def bruker_channels(listing: FolderListing) -> list[BrukerChannel]:
    """Folders holding <folder name>.xml written by Prairie View (<PVScan>) beside their .ome.tif files."""
    found = []
    for xml in listing.with_suffix(".xml"):
        folder = xml.parent
        name = folder.name or listing.root.name
        if xml.name != f"{name}.xml" or "<PVScan" not in listing.text_head(xml):
            continue
        volumetric = VOLUME_SEQUENCE in listing.text_head(xml, 65536)
        channels: dict[str, list[PurePosixPath]] = {}
        planes: dict[str, set[str]] = {}
        for page in listing.in_folder(folder):
            match = CHANNEL_IN_NAME.search(page.name)
            if match and is_tiff(listing, page):
                channels.setdefault(match.group(1), []).append(page)
                planes.setdefault(match.group(1), set()).add(match.group(2))
        environment = listing.sibling(xml, f"{name}.env")
        series_files = [xml, *([environment] if environment else [])]
        for index, (channel, pages) in enumerate(sorted(channels.items())):
            # the series' own files (XML, .env) go to one channel: claims must not share them
            files = [*pages, *(series_files if index == 0 else [])]
            kind = "volumetric" if volumetric else "planar"
            evidence = (
                f"{relative(folder)}: Prairie View {xml.name} ({kind} T-series) + {len(pages)} {channel} OME-TIFFs"
            )
            found.append(
                BrukerChannel(
                    relative(folder),
                    channel,
                    len(channels) > 1,
                    volumetric,
                    f"{channel}_{min(planes[channel])}",
                    tuple(map(str, files)),
                    evidence,
                )
            )
    return found


def stream_claims(interface: str, channels: list[BrukerChannel]) -> list[Detection]:
    """The per-stream interfaces' claims, stream_name given when the series has several channels: the channel for a
    planar series, its first plane's stream for a volume (the multi-plane reader gathers the others)."""
    return [
        Detection(
            interface,
            {
                "folder_path": s.folder,
                **({"stream_name": s.first_plane if s.volumetric else s.channel} if s.several else {}),
            },
            s.files,
            PER_STREAM,
            s.evidence,
            name=f"bruker_{s.channel}" if s.several else "",
        )
        for s in channels
    ]
