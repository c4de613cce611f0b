"""pyPhotometry .ppd recordings: a 2-byte little-endian header length, a JSON header, then little-endian uint16
words cycling through the acquisition mode's slots; a word's top 15 bits are an analog sample (times the header's
volts per division of the slot's photodetector) and its low bit a digital line (digital input i rides on slot i).

The mode says the slots: which photodetector is read and which excitation source is lit in each. Signals are
named `detector_<d>_excitation_<e>` (from 1). In a pulsed mode slot i is sampled i timer ticks into the cycle
(the timer runs at rate x slots); in a continuous mode every signal starts at 0. Not read: the pre-JSON header of
2018 files, and header version >= 1.1 pulsed files, which store an LED-on and an LED-off sample per slot.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEAD_BYTES, HEADER, relative
from nwbstream.service.event_detection import detect, event_plan
from nwbstream.service.events import EventType

from .claims import companions_of, riding_along
from .events import BasePhotometryEventsInterface
from .photometry import BaseFiberPhotometryInterface

DIAGONAL = ((0, 0), (1, 1))
ONE_DETECTOR = ((0, 0), (0, 1))
THREE_SOURCES = ((0, 0), (1, 1), (0, 2))
MODES = {  # mode -> (slots as (detector, excitation), pulsed)
    "2EX_2EM_continuous": (DIAGONAL, False),
    "2EX_1EM_pulsed": (ONE_DETECTOR, True),
    "2EX_2EM_pulsed": (DIAGONAL, True),
    "3EX_2EM_pulsed": (THREE_SOURCES, True),
    "1 colour time div.": (ONE_DETECTOR, True),
    "2 colour time div.": (DIAGONAL, True),
    "2 colour continuous": (DIAGONAL, False),
    "GCaMP/RFP": (DIAGONAL, False),
    "GCaMP/iso": (ONE_DETECTOR, True),
    "GCaMP/RFP_dif": (DIAGONAL, True),
}
SEQUENTIAL_READ_NOTE = (
    "The board reads its analog inputs sequentially within one timer interrupt instead of sampling them "
    "simultaneously, so each signal is about 393 microseconds later than the one read before it. These "
    "timestamps do not include that offset."
)


def ppd_header(head: bytes) -> dict[str, Any]:
    """The JSON header at the start of a .ppd (after its 2-byte length); {} when the bytes are not one."""
    length = int.from_bytes(head[:2], "little")
    try:
        header = json.loads(head[2 : 2 + length].decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return header if isinstance(header, dict) else {}


@dataclass(frozen=True)
class Slot:
    words: np.ndarray  # this slot's words
    detector: int
    excitation: int
    start: float  # seconds


@dataclass(frozen=True)
class PPDFile:
    header: dict[str, Any]
    rate: float
    pulsed: bool
    slots: list[Slot]

    @classmethod
    def read(cls, file_path: str) -> PPDFile:
        raw = Path(file_path).read_bytes()
        length = int.from_bytes(raw[:2], "little")
        try:
            header = json.loads(raw[2 : 2 + length].decode())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError(f"{file_path}: the header is not JSON (pre-2019 .ppd headers are not read)") from None
        mode = header.get("mode")
        if mode not in MODES:
            raise ValueError(f"{file_path}: acquisition mode {mode!r} is not one of {sorted(MODES)}")
        layout, pulsed = MODES[mode]
        version = tuple(int(p) for p in str(header.get("version", "0")).split(".") if p.isdigit())
        if pulsed and version >= (1, 1):
            raise ValueError(
                f"{file_path}: version {header['version']} pulsed files (LED-on/off pairs) are not read yet"
            )
        payload = raw[2 + length :]
        words = np.frombuffer(payload[: len(payload) // 2 * 2], dtype="<u2")
        rate = float(header["sampling_rate"])
        slots = [
            Slot(words[i :: len(layout)], detector, excitation, i / (rate * len(layout)) if pulsed else 0.0)
            for i, (detector, excitation) in enumerate(layout)
        ]
        return cls(header, rate, pulsed, slots)

    def volts(self, slot: Slot) -> np.ndarray:
        per_division = self.header["volts_per_division"]
        scale = per_division if isinstance(per_division, int | float) else per_division[slot.detector]
        return (slot.words >> 1).astype(np.float64) * float(scale)

    def signals(self) -> dict[str, Slot]:
        return {f"detector_{s.detector + 1}_excitation_{s.excitation + 1}": s for s in self.slots}

    def digital_lines(self) -> dict[str, Slot]:
        count = min(int(self.header.get("n_digital_signals", 2)), len(self.slots))
        return {f"digital_{i + 1}": self.slots[i] for i in range(count)}

    def times(self, slot: Slot) -> np.ndarray:
        return slot.start + np.arange(len(slot.words)) / self.rate

    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"NWBFile": {}}
        if self.header.get("date_time"):
            metadata["NWBFile"]["session_start_time"] = dt.datetime.fromisoformat(self.header["date_time"]).isoformat()
        if self.header.get("subject_ID"):
            metadata["Subject"] = {"subject_id": self.header["subject_ID"]}
        return metadata


class PyPhotometryFiberPhotometryInterface(BaseFiberPhotometryInterface):
    """One signal of a pyPhotometry .ppd file as a response series."""

    display_name = "pyPhotometry Fiber Photometry"
    associated_suffixes = (".ppd",)
    info = "pyPhotometry recordings (.ppd) as fiber photometry response series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.ppd files whose JSON header names a known acquisition mode; one source per signal the mode records."""
        detections = []
        for file in listing.with_suffix(".ppd"):
            header = ppd_header(listing.head(file, HEAD_BYTES))
            mode = header.get("mode")
            if mode not in MODES:
                continue
            signals = [f"detector_{d + 1}_excitation_{e + 1}" for d, e in MODES[mode][0]]
            several = len(signals) > 1
            detections += riding_along(
                [
                    Detection(
                        cls.__name__,
                        {"file_path": relative(file), **({"stream_name": signal} if several else {})},
                        (str(file),),
                        HEADER,
                        f"{file}: pyPhotometry header, mode {mode}, {signal}",
                        name=f"pyphotometry_{signal}" if several else "",
                    )
                    for signal in signals
                ]
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        *,
        stream_name: str | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads one signal, in volts.

        Parameters
        ----------
        file_path : Path
            The .ppd file.
        stream_name : str, optional
            The signal, detector_<d>_excitation_<e>; default the file's first.
        metadata_key : str, optional
            Key under FiberPhotometry; default fiber_photometry_<stream name>.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.ppd = PPDFile.read(str(file_path))
        signals = self.ppd.signals()
        stream_name = stream_name or next(iter(signals))
        if stream_name not in signals:
            raise ValueError(f"{file_path}: no signal {stream_name!r}; it has {list(signals)}")
        self.use_streams(stream_name, metadata_key)

    def get_metadata(self) -> dict[str, Any]:
        metadata = {**super().get_metadata(), **self.ppd.metadata()}
        if not self.ppd.pulsed:
            metadata["FiberPhotometry"][self.metadata_key]["comments"] = SEQUENTIAL_READ_NOTE
        return metadata

    def stream_data(self, stream_name: str) -> np.ndarray:
        return self.ppd.volts(self.ppd.signals()[stream_name])

    def stream_timestamps(self, stream_name: str) -> np.ndarray:
        return self.ppd.times(self.ppd.signals()[stream_name])


class PyPhotometryEventsInterface(BasePhotometryEventsInterface):
    """The digital lines of a pyPhotometry .ppd file, read as events."""

    display_name = "pyPhotometryEvents"
    associated_suffixes = (".ppd",)
    info = "Data Interface for converting the digital inputs of pyPhotometry recordings to events."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The digital inputs of every .ppd the photometry interface claims, read from the same file."""
        return companions_of(
            PyPhotometryFiberPhotometryInterface.detect(listing), cls.__name__, "pyPhotometry digital inputs"
        )

    def __init__(
        self,
        file_path: Path,
        *,
        detection_configuration: dict | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Reads digital_1, digital_2 as events.

        Parameters
        ----------
        file_path : Path
            The .ppd file.
        detection_configuration : dict, optional
            {line: [spec, ...]} (NeuroConv's layout); default every line as a high_period.
        metadata_key : str, optional
            Key under Events; default pyphotometry_events.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.ppd = PPDFile.read(str(file_path))
        self.metadata_key = metadata_key or "pyphotometry_events"
        self.plan = event_plan(detection_configuration, list(self.ppd.digital_lines()))

    def get_metadata(self) -> dict[str, Any]:
        return {**super().get_metadata(), **self.ppd.metadata()}

    def read_events(self) -> dict[str, EventType]:
        lines = self.ppd.digital_lines()
        return {
            name: detect(lines[line].words & 1, self.ppd.times(lines[line]), spec) for name, line, spec in self.plan
        }
