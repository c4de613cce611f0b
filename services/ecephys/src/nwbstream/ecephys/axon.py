"""Axon Binary Format (.abf, ABF1 and ABF2) files as extracellular recordings: every sweep is one segment."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Column, Detection, FolderListing, claim_files
from nwbstream.service.detection import SUFFIX

from .recording import BaseRecordingInterface

DEVICE = {
    "name": "Axon Instruments",
    "description": "Axon Instruments (now Molecular Devices) data acquisition system (pCLAMP/AxoScope)",
}
SERIES_NAME = "ElectricalSeriesRaw"  # NeuroConv's name for this interface's series
ABF_MAGIC = (b"ABF ", b"ABF2")  # ABF1 and ABF2 files start so
ADC_DESCRIPTION = "The ADC input of the digitizer the channel was recorded on (the ABF header's nADCNum)."


class AxonRecordingInterface(BaseRecordingInterface):
    display_name = "Axon Recording"
    associated_suffixes = (".abf",)
    info = "Interface for extracellular data recorded in Axon Binary Format (ABF) recordings."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.abf files with an ABF header, as extracellular channels: most .abf files are patch clamp, so a
        patch-clamp reader's claim on the same file is preferred (this one's confidence is the suffix's)."""
        files = [f for f in listing.with_suffix(".abf") if listing.head(f, 4) in ABF_MAGIC]
        return claim_files(cls.__name__, files, SUFFIX, "ABF header, read as extracellular channels")

    def __init__(
        self,
        file_path: Path,
        verbose: bool = False,
        es_key: str | None = None,
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path
            The .abf file.
        es_key : str, optional
            Metadata key and name of the ElectricalSeries (default: key "ElectricalSeries", named
            "ElectricalSeriesRaw" as NeuroConv names it).
        """
        from spikeinterface.extractors.extractor_classes import AxonRecordingExtractor

        self.recording = AxonRecordingExtractor(file_path=file_path, all_annotations=True)
        self.es_key = es_key or "ElectricalSeries"
        self.series_name = es_key or SERIES_NAME

    def electrical_series_name(self) -> str:
        return self.series_name

    def extra_electrode_columns(self) -> list[Column]:
        """As NeuroConv: the ADC input of each channel."""
        adc = Column("nADCNum", ADC_DESCRIPTION, np.asarray(self.recording.get_property("nADCNum"), dtype=np.int64))
        return [*super().extra_electrode_columns(), adc]

    def session_start_time(self) -> datetime:
        """ABF2 keeps the start date and the time of day in ms (NeuroConv rounds it to the second); ABF1 only
        the datetime neo reads from its header, of which NeuroConv keeps whole seconds. No time zone is stored."""
        info = self.recording.neo_reader._axon_info
        if info.get("uFileStartDate") and "uFileStartTimeMS" in info:
            day = datetime.strptime(str(info["uFileStartDate"]), "%Y%m%d")
            return day + timedelta(seconds=round(info["uFileStartTimeMS"] / 1000))
        return info["rec_datetime"].replace(microsecond=0)

    def device_metadata(self) -> dict[str, Any]:
        return dict(DEVICE)

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        metadata["Ecephys"][self.es_key]["description"] = "Raw acquisition traces from Axon Binary Format file."
        return metadata
