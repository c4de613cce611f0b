"""NeuroConv 0.10's legacy MedPCInterface: one Med-PC session, written as ndx-events Events and IntervalSeries.

Which arrays become what is said in the metadata, not in the source arguments: `MedPC.medpc_name_to_info_dict`
names the arrays, `MedPC.Events` and `MedPC.IntervalSeries` pick events and (onset, duration) pairs. The service
never sees that metadata, so it sends every array of the session (they are small) as one NWB_KIND_NDX_EVENTS
object, and the coordinator's writer picks from them as NeuroConv does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, Detection, FolderListing, Kind, NwbObjectSpec
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import LAYOUT
from nwbstream.service.events import events_metadata_schema

from .medpc_file import HEADER_START, claim_sessions, read_session


class MedPCInterface(BaseDataInterface):
    """Behavior of a Med-PC session as NeuroConv's deprecated MedPCInterface writes it (ndx-events 0.2.2)."""

    display_name = "MedPC"
    associated_suffixes = (".txt",)
    info = "A Med-PC session's arrays as ndx-events Events and IntervalSeries (NeuroConv's legacy layout)."
    differs_from_neuroconv = (
        "every IntervalSeries goes into one BehavioralEpochs (NeuroConv makes one per interval and fails on a second); "
        "no set_aligned_timestamps, so metadata naming aligned_timestamp_names is refused"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A Med-PC file, offered in NeuroConv's legacy layout (MedPCArrayEventsInterface is preferred)."""
        todo = {
            "metadata_medpc_name_to_info_dict": 'the header lines to report, e.g. {"Start Date": {"name": '
            '"start_date", "is_array": false}}'
        }
        extra = {"start_variable": HEADER_START}
        return claim_sessions(cls.__name__, listing, "session_conditions", LAYOUT - 0.05, extra, todo)

    def __init__(
        self,
        file_path: Path,
        *args,
        session_conditions: dict,
        start_variable: str,
        metadata_medpc_name_to_info_dict: dict,
        aligned_timestamp_names: list[str] | None = None,
        verbose: bool = False,
    ):
        """Reads one session of the file.

        Parameters
        ----------
        file_path : Path
            The Med-PC output file.
        session_conditions : dict
            Lines naming the session to read ({"Start Date": "01/23/20", "Subject": "56"}); the first session
            matching all of them is read.
        start_variable : str
            The line a session starts at (e.g. "Start Date").
        metadata_medpc_name_to_info_dict : dict
            The single-line variables reported under MedPC in the metadata: {"Start Date": {"name": "start_date",
            "is_array": False}, ...}.
        aligned_timestamp_names : list of str, optional
            Names whose times NeuroConv takes from set_aligned_timestamps instead of the file; nwbstream has no
            such call, so metadata naming them is refused.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        if args:
            raise TypeError("MedPCInterface takes its arguments by keyword (NeuroConv deprecates positional ones)")
        self.session = read_session(file_path, session_conditions, start_variable)
        self.reported = metadata_medpc_name_to_info_dict
        self.aligned_timestamp_names = list(aligned_timestamp_names or [])

    def get_metadata(self) -> dict[str, Any]:
        """The reported variables under MedPC by their names (arrays as lists), as NeuroConv reports them."""
        reported = {}
        for medpc_name, info in self.reported.items():
            if info.get("is_array"):
                if medpc_name in self.session.arrays:
                    reported[info["name"]] = self.session.arrays[medpc_name].tolist()
            elif medpc_name in self.session.fields:
                reported[info["name"]] = self.session.fields[medpc_name]
        return {"NWBFile": {}, "MedPC": reported}

    def get_metadata_schema(self) -> dict[str, Any]:
        schema = events_metadata_schema("MedPC")
        text = {info["name"]: {"type": "string"} for info in self.reported.values() if not info.get("is_array")}
        schema["properties"]["MedPC"]["properties"] = text
        return schema

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """Every array of the session, one inline dataset each named by its MedPC variable (no stub: few values)."""
        return [
            NwbObjectSpec(
                kind=Kind.NDX_EVENTS,
                name="MedPC",
                metadata_key="MedPC",
                datasets=[DatasetSpec.inline(name, values) for name, values in self.session.arrays.items()],
                attributes={"aligned_timestamp_names": self.aligned_timestamp_names},
            )
        ]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        raise KeyError(f"{object_name}/{dataset_name}: MedPC arrays are sent whole with OpenSource")
