"""Neurophotometrics stimuli files: a headerless two-column CSV, onset time then event label; one event type per
distinct label (in order of first appearance), timestamps only, on the recording's own clock."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import SUFFIX, claim_files
from nwbstream.service.events import EventType

from .claims import csv_rows, is_number
from .events import BasePhotometryEventsInterface
from .photometry import TIME_UNITS


class NPMEventsInterface(BasePhotometryEventsInterface):
    """Events of a Neurophotometrics (Bonsai) stimuli CSV."""

    display_name = "NPMEvents"
    associated_suffixes = ("csv",)
    info = "Neurophotometrics event logs (.csv) into EventsTables."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Headerless two-column CSVs whose first rows are a time then a text label."""
        files = []
        for file in listing.with_suffix(".csv"):
            rows = csv_rows(listing, file, count=5)
            if rows and all(len(r) == 2 and is_number(r[0]) and not is_number(r[1]) for r in rows):
                files.append(file)
        return claim_files(cls.__name__, files, SUFFIX, "headerless CSV of onset times and event labels")

    def __init__(
        self,
        file_path: Path,
        *,
        time_unit: Literal["seconds", "milliseconds", "microseconds"] = "seconds",
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads the onsets of each label as one event type.

        Parameters
        ----------
        file_path : Path
            The headerless CSV: onset time, event label.
        time_unit : {"seconds", "milliseconds", "microseconds"}, default: "seconds"
            The unit of the onset times.
        metadata_key : str, optional
            Key under Events; default the file's stem.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        import pandas as pd

        self.file_path = str(file_path)
        self.time_unit = time_unit
        self.metadata_key = metadata_key or Path(file_path).stem
        width = pd.read_csv(self.file_path, header=None, nrows=1).shape[1]
        if width > 2:
            raise ValueError(f"{file_path}: {width} columns; an NPM stimuli file has two (onset time, event label)")

    def read_events(self) -> dict[str, EventType]:
        import pandas as pd

        table = pd.read_csv(self.file_path, header=None, keep_default_na=False, float_precision="round_trip")
        times = pd.to_numeric(table[0], errors="coerce").to_numpy(dtype="float64") / TIME_UNITS[self.time_unit]
        labels = table[1].to_numpy()[~np.isnan(times)]
        times = times[~np.isnan(times)]
        return {str(label): EventType(times[labels == label]) for label in pd.unique(labels)}
