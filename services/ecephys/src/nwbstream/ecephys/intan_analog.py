"""Intan channels that are not electrodes, as TimeSeries: the analog streams of an .rhd/.rhs file (auxiliary,
supply voltage, board ADC in/out, DC amplifier) and the stimulation currents of an .rhs file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .analog import BaseRecordingAsTimeSeriesInterface
from .intan_layout import STIM, IntanStream, describe, intan_streams, stream_files

# neo's name of each analog stream: the TimeSeries NeuroConv writes it as, and what the stream holds.
ANALOG_STREAMS = {
    "RHD2000 auxiliary input channel": (
        "TimeSeriesIntanAuxiliary",
        "RHD2000 auxiliary input channels (e.g., accelerometer data)",
    ),
    "RHD2000 supply voltage channel": ("TimeSeriesIntanSupplyVoltage", "RHD2000 supply voltage channels"),
    "USB board ADC input channel": (
        "TimeSeriesIntanADCInput",
        "USB board ADC input channels (analog signals -10V to +10V)",
    ),
    "USB board ADC output channel": (
        "TimeSeriesIntanADCOutput",
        "USB board ADC output channels (analog signals -10V to +10V)",
    ),
    "DC Amplifier channel": ("TimeSeriesIntanDC", "DC amplifier channels (RHS system)"),
}
STIM_STREAM = "Stim channel"
STIM_SETTINGS = {  # the .rhs header's stimulation settings, as the series description lists them
    "stim_step_size": ("Stim step size", "A"),
    "charge_recovery_mode": ("charge recovery mode", ""),
    "amp_settle_mode": ("amplifier settle mode", ""),
    "recovery_current_limit": ("recovery current limit", "A"),
    "recovery_target_voltage": ("recovery target voltage", "V"),
}


def read_intan_stream(file_path: Path, stream_name: str, saved_files_are_split: bool) -> Any:
    """One neo stream of an Intan file (or of every rotated file of its folder), with the file's annotations."""
    from spikeinterface.extractors import get_neo_streams, read_intan, read_split_intan_files

    streams, _ = get_neo_streams("intan", file_path=str(file_path))
    if stream_name not in streams:
        raise SourceError(f"{file_path}: no stream {stream_name!r} in this Intan file (its streams are {streams})")
    if saved_files_are_split:
        return read_split_intan_files(folder_path=file_path.parent, stream_name=stream_name, all_annotations=True)
    recording = read_intan(file_path=file_path, stream_name=stream_name, all_annotations=True)
    reader = recording.neo_reader
    if reader.file_format != "header-attached":  # a .dat per signal type: neo reads a short one without a word
        samples, expected = recording.get_num_samples(), len(reader.get_intan_timestamps())
        if samples != expected:
            raise SourceError(
                f"{file_path}: truncated: the {stream_name!r} file holds {samples} samples, the timestamps {expected}"
            )
    return recording


class IntanAnalogInterface(BaseRecordingAsTimeSeriesInterface):
    display_name = "Intan Analog"
    associated_suffixes = (".rhd", ".rhs")
    info = "Interface for the non-amplifier analog streams of Intan .rhd/.rhs files, written as a TimeSeries."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each analog stream an Intan header lists, named as its series (e.g. IntanAuxiliary); when a file has
        several, each takes a metadata key of its own (intan_auxiliary, ...), as their series share one otherwise."""
        streams = [s for s in intan_streams(listing) if s.stream_name in ANALOG_STREAMS]
        detections = []
        for stream in streams:
            series = ANALOG_STREAMS[stream.stream_name][0]
            arguments = {"stream_name": stream.stream_name}
            if sum(s.header == stream.header for s in streams) > 1:
                arguments["metadata_key"] = f"intan_{series.removeprefix('TimeSeriesIntan').lower()}"
            detections.append(_stream_detection(cls.__name__, stream, arguments, series))
        return detections

    differs_from_neuroconv = (
        "the description lists the channel names as plain strings (NeuroConv's shows numpy's repr, np.str_('...'))"
    )

    def __init__(
        self,
        file_path: Path,
        stream_name: str,
        verbose: bool = False,
        metadata_key: str = "intan_analog",
        saved_files_are_split: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .rhd or .rhs file; with saved_files_are_split, any file of the session folder.
        stream_name : str
            The analog stream: 'RHD2000 auxiliary input channel', 'RHD2000 supply voltage channel',
            'USB board ADC input channel', 'USB board ADC output channel' or 'DC Amplifier channel' (RHS only).
        metadata_key : str
            Key of the series' entry in metadata["TimeSeries"].
        saved_files_are_split : bool
            The session was saved as several rotated files: concatenate every .rhd/.rhs of the file's folder
            in file name order.
        """
        if stream_name not in ANALOG_STREAMS:
            raise SourceError(
                f"{file_path}: {stream_name!r} is not an Intan analog stream (one of {list(ANALOG_STREAMS)})"
            )
        self.stream_name = stream_name
        self.metadata_key = metadata_key
        self.recording = read_intan_stream(Path(file_path), stream_name, saved_files_are_split)

    def time_series_entry(self) -> dict[str, str]:
        name, holds = ANALOG_STREAMS[self.stream_name]
        return {"name": name, "description": f"{holds}. Channels are {self.channel_names()} in that order."}


class IntanStimInterface(BaseRecordingAsTimeSeriesInterface):
    display_name = "Intan Stimulation"
    associated_suffixes = (".rhs",)
    info = "Interface for the stimulation currents of Intan .rhs files, written as a TimeSeries in stimulus."
    parent_container = "stimulus"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The stimulation currents of each .rhs file (its header lists amplifier channels, each stimulable)."""
        streams = [s for s in intan_streams(listing) if s.stream_name == STIM]
        return [_stream_detection(cls.__name__, s, {}, "TimeSeriesIntanStim") for s in streams]

    differs_from_neuroconv = (
        "the description lists the channel names as plain strings (NeuroConv's shows numpy's repr, np.str_('...'))"
    )

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        metadata_key: str = "intan_stim",
        saved_files_are_split: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .rhs file (stimulation exists only in the RHS system); with saved_files_are_split, any file of
            the session folder.
        metadata_key : str
            Key of the series' entry in metadata["TimeSeries"].
        saved_files_are_split : bool
            The session was saved as several rotated files: concatenate every .rhs of the file's folder in file
            name order.
        """
        self.metadata_key = metadata_key
        self.recording = read_intan_stream(Path(file_path), STIM_STREAM, saved_files_are_split)

    def time_series_entry(self) -> dict[str, str]:
        annotations = self.recording.get_annotation_keys()
        settings = ", ".join(
            f"{label}: {self.recording.get_annotation(key) if key in annotations else None}"
            + (f" {unit}" if unit else "")
            for key, (label, unit) in STIM_SETTINGS.items()
        )
        return {
            "name": "TimeSeriesIntanStim",
            "description": "Electrical stimulation current channels (RHS Stim/Recording System). "
            f"Data are in Amperes. Channels are {self.channel_names()} in that order. {settings}.",
        }


def _stream_detection(interface: str, stream: IntanStream, arguments: dict[str, str], series: str) -> Detection:
    """A claim on one non-amplifier stream, keyed by the series it writes without "TimeSeries"."""
    source = {"file_path": relative(stream.header), **arguments}
    name = series.removeprefix("TimeSeries")
    return Detection(interface, source, stream_files(stream), HEADER, describe(stream), name=name)
