"""Blackrock NSx continuous files (.ns1-.ns6) and NEV spike files (.nev)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .recording import BaseRecordingInterface
from .sorting import BaseSortingInterface


class BlackrockRecordingInterface(BaseRecordingInterface):
    display_name = "Blackrock Recording"
    associated_suffixes = (".ns0", ".ns1", ".ns2", ".ns3", ".ns4", ".ns5", ".ns6")
    info = "Blackrock NSx continuous recordings (.ns1-.ns6) as ElectricalSeries."

    def __init__(
        self,
        file_path: Path,
        nsx_override: Path | None = None,
        verbose: bool = False,
        es_key: str = "ElectricalSeries",
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .nsX file to read (its number picks the stream: .ns5 is stream 5).
        nsx_override : Path, optional
            Read this .nsX file instead (e.g. when the .nev and .nsX names differ).
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
        es_key : str
            Metadata key and name of the ElectricalSeries.
        """
        from spikeinterface.extractors import read_blackrock

        path = Path(nsx_override or file_path)
        self.recording = read_blackrock(file_path=path, stream_id=path.suffix[-1])
        self.es_key = es_key

    def session_start_time(self) -> datetime | None:
        return self.recording.neo_reader.raw_annotations["blocks"][0].get("rec_datetime")


class BlackrockSortingInterface(BaseSortingInterface):
    display_name = "Blackrock Sorting"
    associated_suffixes = (".nev",)
    info = "Interface for Blackrock sorting data (spikes in the .nev file)."

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float | None = None,
        nsx_to_load: int | None = None,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .nev file.
        sampling_frequency : float, optional
            Rate of the spike timestamps; read from the file set when not given.
        nsx_to_load : int, optional
            Which .nsX of the set to load alongside (e.g. 2 for .ns2).
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
        """
        from spikeinterface.extractors import read_blackrock_sorting

        self.sorting = read_blackrock_sorting(
            file_path=file_path, sampling_frequency=sampling_frequency, nsx_to_load=nsx_to_load
        )
