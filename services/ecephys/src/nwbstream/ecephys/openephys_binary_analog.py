"""The analog (ADC / NI-DAQ) channels of an Open Ephys binary recording, as one TimeSeries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER

from .analog import BaseRecordingAsTimeSeriesInterface
from .openephys_binary import _settings_xml, check_continuous_files, settings_start_time
from .openephys_layout import ADC_PART, binary_streams

NON_NEURAL_STREAMS = ("ADC", "NI-DAQ")  # what names a stream of analog inputs
ANALOG_CHANNELS = ("ADC", "AI", "AUX")  # what names an analog channel


class OpenEphysBinaryAnalogInterface(BaseRecordingAsTimeSeriesInterface):
    display_name = "OpenEphysBinary Analog Recording"
    associated_suffixes = (".dat", ".oebin", ".npy")
    info = "Interface for the analog input (ADC) channels of binary Open Ephys recordings, written as a TimeSeries."
    differs_from_neuroconv = (
        "without stream_name, the folder's one analog (ADC/NI-DAQ) stream is read (NeuroConv reads the first stream "
        "and fails when it is the neural one); the description lists the channel names as plain strings (NeuroConv's "
        "shows numpy's repr, np.str_('...'))"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The ADC channels structure.oebin lists in a stream (their part of its continuous.dat), and NI-DAQ
        streams whole."""
        detections = []
        for stream in binary_streams(listing):
            if stream.analog_stream:
                source, files, what = stream.source_data(), stream.files, "an NI-DAQ stream"
            elif stream.analog:
                source, files = stream.source_data(f"{stream.stream_name}_{ADC_PART}"), stream.analog
                what = f"{ADC_PART} channels in structure.oebin"
            else:
                continue
            evidence = f"{stream.evidence}: {what}"
            detections.append(Detection(cls.__name__, source, files, HEADER, evidence, name=f"{stream.short_name}_adc"))
        return detections

    def __init__(
        self,
        folder_path: Path,
        stream_name: str | None = None,
        block_index: int | None = None,
        verbose: bool = False,
        metadata_key: str = "open_ephys_analog",
        time_series_name: str = "TimeSeriesOpenEphysAnalog",
    ):
        """
        Parameters
        ----------
        folder_path : Path
            Folder holding settings.xml and the experiment<n>/recording<n> folders (a Record Node folder).
        stream_name : str, optional
            The analog stream (e.g. "Record Node 106#Acquisition_Board-100.Rhythm Data_ADC"); needed only when the
            folder has several analog streams.
        block_index : int, optional
            Recording block to read when the folder has several.
        metadata_key : str
            Key of the series' entry in metadata["TimeSeries"].
        time_series_name : str
            Name of the TimeSeries.
        """
        from spikeinterface.extractors.extractor_classes import OpenEphysBinaryRecordingExtractor

        folder = Path(folder_path)
        self.settings = _settings_xml(folder)
        for oebin in sorted(folder.rglob("structure.oebin")):
            check_continuous_files(oebin)
        streams, _ = OpenEphysBinaryRecordingExtractor.get_streams(folder_path=folder)
        analog_streams = [s for s in streams if any(mark in s for mark in NON_NEURAL_STREAMS)]
        if stream_name is None and len(analog_streams) != 1:
            raise SourceError(
                f"{folder}: {len(analog_streams)} analog streams {analog_streams}; pass stream_name "
                f"(the folder's streams: {streams})"
            )
        if stream_name is not None and stream_name not in analog_streams:
            raise SourceError(f"{folder}: {stream_name!r} is not one of the analog streams {analog_streams}")
        self.stream_name = stream_name or analog_streams[0]
        recording = OpenEphysBinaryRecordingExtractor(
            folder_path=folder, stream_name=self.stream_name, block_index=block_index
        )
        analog = [c for c in recording.get_channel_ids() if any(mark in str(c) for mark in ANALOG_CHANNELS)]
        if not analog:
            raise SourceError(f"{folder}: no analog (ADC) channel in stream {self.stream_name!r}")
        self.recording = recording.select_channels(analog)
        self.metadata_key = metadata_key
        self.time_series_name = time_series_name

    def session_start_time(self) -> datetime | None:
        return settings_start_time(self.settings)

    def time_series_entry(self) -> dict[str, str]:
        return {
            "name": self.time_series_name,
            "description": f"ADC data acquired with OpenEphys system. \n Channels are {self.channel_names()} in that "
            "order.",
        }
