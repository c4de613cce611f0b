"""One Axon Binary Format file read with neo's AxonRawIO: its channels, its sweeps (neo's segments), the
protocol's command waveforms, and what its header says about the session (start time, amplifier, protocol)."""

from __future__ import annotations

import datetime as dt
import threading
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
from nwbstream.service import FolderListing, SourceError

from .recordings import Sweeps, unit_conversion

# The amplifiers of the ABF File Support Pack's nTelegraphInstrument codes NeuroConv names.
TELEGRAPH_AMPLIFIERS = {15: "Axopatch 200B", 24: "MultiClamp 700", 27: "Axoclamp 900"}
ABF_SIGNATURES = (b"ABF ", b"ABF2")  # the first four bytes of ABF1 and ABF2 files
GAP_FREE = 3  # nOperationMode of a gap-free acquisition
# neo's modules import each other circularly: two threads importing them at once (the service's preload and a
# first OpenSource) can see a partly initialized module, so every import of neo goes through this lock.
_NEO_IMPORT = threading.Lock()


def abf_files(listing: FolderListing) -> list[PurePosixPath]:
    """The folder's .abf files that start with an ABF signature."""
    return [f for f in listing.with_suffix(".abf") if listing.head(f, 4) in ABF_SIGNATURES]


def axon_raw_io() -> type:
    """neo's AxonRawIO class, imported once under the lock."""
    with _NEO_IMPORT:
        from neo.rawio import AxonRawIO

    return AxonRawIO


class AbfFile:
    """An ABF file's header parsed; samples read only when asked, one sweep at a time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.reader = axon_raw_io()(filename=str(path))
        try:
            self.reader.parse_header()
        except Exception as error:  # neo raises anything on a truncated or foreign file
            raise SourceError(
                f"{path}: cannot be read as an ABF file (header corrupt, truncated or not ABF): "
                f"{type(error).__name__}: {error}"
            ) from error
        self.info = self.reader._axon_info
        self.channels = self.reader.header["signal_channels"]
        self.n_sweeps = int(self.reader.header["nb_segment"][0])
        self.rate = float(self.reader.get_signal_sampling_rate())
        self.version = float(self.info["fFileVersionNumber"])

    @property
    def channel_names(self) -> list[str]:
        """NeuroConv's names: neo's, interior spaces removed (neo 0.15 says `IN 0`, older `IN0`), `ch<i>` if empty."""
        return [str(channel["name"]).replace(" ", "") or f"ch{i}" for i, channel in enumerate(self.channels)]

    @property
    def command_names(self) -> list[str]:
        """The protocol's DAC command names (`cmd<i>` when blank); none in an ABF1 file."""
        if self.version < 2:
            return []
        names = []
        for i, dac in enumerate(self.info.get("listDACInfo", [])):
            raw = dac["DACChNames"]
            name = (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)).strip()
            names.append(name or f"cmd{i}")
        return names

    def channel_index(self, name: str) -> int:
        names = self.channel_names
        if name.replace(" ", "") not in names:
            raise SourceError(f"{self.path}: no recorded channel {name!r}; its channels are {names}")
        return names.index(name.replace(" ", ""))

    def command_index(self, name: str) -> int:
        names = self.command_names
        if name not in names:
            raise SourceError(f"{self.path}: no DAC command {name!r}; its commands are {names}")
        return names.index(name)

    def sweep_counts(self) -> tuple[int, ...]:
        return tuple(int(self.reader.get_signal_size(0, sweep, 0)) for sweep in range(self.n_sweeps))

    def sweep_starts(self) -> tuple[float, ...]:
        return tuple(float(self.reader.get_signal_t_start(0, sweep, 0)) for sweep in range(self.n_sweeps))

    def channel_sweeps(self, channel: int) -> Sweeps:
        """One recorded channel, raw (unscaled) in its on-disk dtype."""

        def read(sweep: int, start: int, stop: int) -> np.ndarray:
            chunk = self.reader.get_analogsignal_chunk(0, sweep, start, stop, stream_index=0, channel_indexes=[channel])
            return np.asarray(chunk).reshape(-1)

        dtype = np.dtype(self.channels[channel]["dtype"])
        return Sweeps(self.sweep_counts(), self.sweep_starts(), self.rate, dtype, read)

    def channel_conversion(self, channel: int) -> tuple[float, float]:
        """(conversion, offset) to volts or amperes: neo's gain and offset times the unit's scale."""
        scale = unit_conversion(str(self.channels[channel]["units"]))
        return float(self.channels[channel]["gain"]) * scale, float(self.channels[channel]["offset"]) * scale

    @cached_property
    def protocol(self) -> tuple[list[list[np.ndarray]], list[str], list[str]]:
        """neo's read_raw_protocol: per sweep, per DAC, the command waveform; the DAC names and units."""
        return self.reader.read_raw_protocol()

    def command_sweeps(self, dac: int) -> Sweeps:
        """One DAC's command waveform, sweep by sweep, as neo reconstructs it from the protocol."""
        waveforms = self.protocol[0]
        dtype = np.asarray(waveforms[0][dac]).dtype

        def read(sweep: int, start: int, stop: int) -> np.ndarray:
            return np.asarray(waveforms[sweep][dac]).reshape(-1)[start:stop]

        return Sweeps(self.sweep_counts(), self.sweep_starts(), self.rate, dtype, read)

    @property
    def amplifier(self) -> str | None:
        """The amplifier the telegraph header names, None when it names none (ABF1, manual telegraphs)."""
        adc = self.info.get("listADCInfo")
        code = int(adc[0].get("nTelegraphInstrument", 0)) if adc else 0
        return TELEGRAPH_AMPLIFIERS.get(code)

    @property
    def recording_start(self) -> dt.datetime | None:
        """neo's rec_datetime (a real date for ABF2; ABF1 keeps only a time of day)."""
        return self.info.get("rec_datetime")

    @property
    def start_to_the_second(self) -> dt.datetime:
        """Legacy AbfInterface's start time: uFileStartDate plus uFileStartTimeMS rounded to the second."""
        if "uFileStartDate" in self.info and "uFileStartTimeMS" in self.info:
            day = dt.datetime.strptime(str(self.info["uFileStartDate"]), "%Y%m%d")
            return day + dt.timedelta(seconds=round(self.info["uFileStartTimeMS"] / 1000))
        return self.info["rec_datetime"]

    @property
    def stimulus_type(self) -> str:
        """NeuroConv's label: `gap-free`, else the protocol file's stem, else `not described`."""
        mode = self.info.get("protocol", {}).get("nOperationMode", self.info.get("nOperationMode"))
        if mode == GAP_FREE:
            return "gap-free"
        path = self.info.get("sProtocolPath")
        if path:
            stem = PureWindowsPath(path.decode(errors="replace") if isinstance(path, bytes) else str(path)).stem
            if stem:
                return stem
        return "not described"
