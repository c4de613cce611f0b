"""Femtonics MESc (.mesc, HDF5) recordings, read by roiextractors' FemtonicsImagingExtractor, which slices
the chosen channel's dataset lazily: only the frames asked for are read.

The file's own metadata (start time, UUID, experimenter, pixel size, frame duration, MESc version, PMT and
geometric settings) goes into get_metadata as NeuroConv 0.10.2 puts it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEADER, is_hdf5, relative

from .claims import riding_along
from .imaging import BaseImagingInterface

DEVICE_KEY = "femtonics_microscope"  # NeuroConv keys the device by the microscope, not by session/unit/channel


class FemtonicsImagingInterface(BaseImagingInterface):
    display_name = "Femtonics Imaging"
    associated_suffixes = (".mesc",)
    info = "Femtonics MESc two-photon sessions (.mesc), one unit and channel at a time."
    differs_from_neuroconv = "leaves session_start_time out when the file has none (NeuroConv sets it to None)"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """HDF5 .mesc files; one source per session, unit and channel, each argument given when there is a choice."""
        detections = []
        for file in listing.with_suffix(".mesc"):
            if not is_hdf5(listing, file):
                continue
            try:
                streams = mesc_streams(listing.path(file))
            except (OSError, ValueError, KeyError):
                listing.unreadable.append(f"{file}: HDF5 signature but no MSession/MUnit layout h5py can read")
                continue
            sessions = {s for s, _, _ in streams}
            units = {(s, u) for s, u, _ in streams}
            per_stream = []
            for session, unit, channel in streams:
                several_units = sum(1 for s, _ in units if s == session) > 1
                several_channels = sum(1 for s, u, _ in streams if (s, u) == (session, unit)) > 1
                chosen = {
                    **({"session_name": session} if len(sessions) > 1 else {}),
                    **({"munit_name": unit} if several_units else {}),
                    **({"channel_name": channel} if several_channels else {}),
                }
                per_stream.append(
                    Detection(
                        cls.__name__,
                        {"file_path": relative(file), **chosen},
                        (str(file),),
                        HEADER,
                        f"{file}: Femtonics MESc, {session}/{unit} channel {channel}",
                        name="_".join(["femtonics", *chosen.values()]) if chosen else "",
                    )
                )
            detections += riding_along(per_stream)
        return detections

    def __init__(
        self,
        file_path: Path,
        session_name: str | None = None,
        munit_name: str | None = None,
        channel_name: str | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .mesc file.
        session_name : str, optional
            The MSession to read ("MSession_0", ...); required when the file has several.
        munit_name : str, optional
            The MUnit (one imaging run) of that session ("MUnit_0", ...); required when it has several.
        channel_name : str, optional
            The channel to read ("UG", "UR", ...); required when the unit has several.
        metadata_key : str, optional
            Key of this series in the Ophys metadata; default "femtonics_imaging" followed by the session, unit
            and "channel_<name>" given.
        """
        from roiextractors import FemtonicsImagingExtractor

        imaging = FemtonicsImagingExtractor(
            file_path=file_path, session_name=session_name, munit_name=munit_name, channel_name=channel_name
        )
        self.channel_name = channel_name
        given = [session_name, munit_name, f"channel_{channel_name}" if channel_name is not None else None]
        default_key = "_".join(["femtonics_imaging", *(part for part in given if part is not None)])
        self.use_imaging(imaging, metadata_key or default_key, "TwoPhotonSeries")

    def get_metadata(self) -> dict[str, Any]:
        file = self.imaging._get_metadata()
        experimenter = file.get("experimenter_info") or {}
        start = file.get("session_start_time")
        metadata = super().get_metadata()
        nwbfile = metadata["NWBFile"]
        if start is not None:
            nwbfile["session_start_time"] = start.isoformat()
        if file.get("session_uuid"):
            nwbfile["session_id"] = file["session_uuid"]
        if experimenter.get("username"):
            nwbfile["experimenter"] = [experimenter["username"]]
        description = f"Session: {file.get('session_name')}, MUnit: {file.get('munit_name')}."
        if experimenter.get("hostname"):
            description += f" Session performed on workstation: {experimenter['hostname']}."
        nwbfile["session_description"] = description

        plane: dict[str, Any] = {}
        version = _version_text(file.get("mesc_version_info") or {})
        if version:
            metadata["Devices"] = {DEVICE_KEY: {"name": "Microscope", "description": f"Femtonics MESc ({version})"}}
            plane["device_metadata_key"] = DEVICE_KEY
        pixel = file.get("pixel_size_micrometers")
        if pixel and pixel.get("x_size") is not None and pixel.get("y_size") is not None:
            plane["grid_spacing"] = [float(pixel["x_size"]) * 1e-6, float(pixel["y_size"]) * 1e-6]
            plane["grid_spacing_unit"] = "meters"
        if file.get("sampling_frequency_hz") is not None:
            plane["imaging_rate"] = float(file["sampling_frequency_hz"])
        transformations = _transformations_text(file.get("geometric_transformations") or {})
        if transformations:
            plane["description"] = transformations
        series: dict[str, Any] = {}
        pmt = _pmt_text((file.get("pmt_settings") or {}).get(self.channel_name) or {})
        if pmt:
            series["description"] = pmt
        ophys: dict[str, Any] = {}
        if plane:
            ophys["ImagingPlanes"] = {self.metadata_key: plane}
            series["imaging_plane_metadata_key"] = self.metadata_key
        if series:
            ophys["MicroscopySeries"] = {self.metadata_key: series}
        if ophys:
            metadata["Ophys"] = ophys
        return metadata


def mesc_streams(file_path: Path) -> list[tuple[str, str, str]]:
    """(session, unit, channel name) of every imaging channel of a .mesc file, from its groups and attributes."""
    import h5py

    streams = []
    with h5py.File(file_path, "r") as file:
        for session in sorted(k for k in file if k.startswith("MSession_")):
            for unit in sorted(k for k in file[session] if k.startswith("MUnit_")):
                group = file[session][unit]
                for channel in sorted(k for k in group if k.startswith("Channel_")):
                    name = group.attrs.get(f"{channel}_Name", channel)
                    text = bytes(name).decode("utf-8", "replace").rstrip("\x00") if not isinstance(name, str) else name
                    streams.append((session, unit, text))
    return streams


def _version_text(version: dict[str, Any]) -> str:
    parts = [f"{name}: {version[name]}" for name in ("version", "revision") if version.get(name)]
    return ", ".join(parts)


def _transformations_text(transformations: dict[str, Any]) -> str:
    parts = [
        f"{name}: {transformations[name]}"
        for name in ("translation", "rotation", "labeling_origin")
        if transformations.get(name) is not None
    ]
    return "Geometric transformations: " + ", ".join(parts) if parts else ""


def _pmt_text(settings: dict[str, Any]) -> str:
    parts = []
    if settings.get("voltage") is not None:
        parts.append(f"PMT voltage: {settings['voltage']}V")
    if settings.get("warmup_time") is not None:
        parts.append(f"Warmup time: {settings['warmup_time']}s")
    return ", ".join(parts)
