"""What an Intan session holds, from its header alone: the neo streams of an .rhd/.rhs file (header-attached), or
of the info.rhd/info.rhs of a folder saved one file per signal type or per channel, with the files of each."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

from nwbstream.service import FolderListing
from nwbstream.service.detection import part_of

MAGIC = {".rhd": 0xC6912702, ".rhs": 0xD69127AC}
AMPLIFIER = {".rhd": "RHD2000 amplifier channel", ".rhs": "RHS2000 amplifier channel"}
DC_AMPLIFIER, STIM = "DC Amplifier channel", "Stim channel"
# neo's stream name of each channel signal_type the header lists (RHD and RHS number them differently).
SIGNAL_TYPES = {
    ".rhd": {
        0: AMPLIFIER[".rhd"],
        1: "RHD2000 auxiliary input channel",
        2: "RHD2000 supply voltage channel",
        3: "USB board ADC input channel",
        4: "USB board digital input channel",
        5: "USB board digital output channel",
    },
    ".rhs": {
        0: AMPLIFIER[".rhs"],
        3: "USB board ADC input channel",
        4: "USB board ADC output channel",
        5: "USB board digital input channel",
        6: "USB board digital output channel",
    },
}
# One file per signal type: the file of each stream beside info.rhd/info.rhs (Intan's names, as neo reads them).
SIGNAL_FILES = {
    "amplifier.dat": "amplifier",
    "auxiliary.dat": "RHD2000 auxiliary input channel",
    "supply.dat": "RHD2000 supply voltage channel",
    "analogin.dat": "USB board ADC input channel",
    "analogout.dat": "USB board ADC output channel",
    "digitalin.dat": "USB board digital input channel",
    "digitalout.dat": "USB board digital output channel",
    "dcamplifier.dat": DC_AMPLIFIER,
    "stim.dat": STIM,
}
# One file per channel: the name prefix of each stream's files.
CHANNEL_PREFIXES = {
    "amp-": "amplifier",
    "aux-": "RHD2000 auxiliary input channel",
    "vdd-": "RHD2000 supply voltage channel",
    "board-ANALOG-IN-": "USB board ADC input channel",
    "board-ANALOG-OUT-": "USB board ADC output channel",
    "board-DIGITAL-IN-": "USB board digital input channel",
    "board-DIGITAL-OUT-": "USB board digital output channel",
    "dc-": DC_AMPLIFIER,
    "stim-": STIM,
}
CHANNEL_INT16 = {".rhd": 10, ".rhs": 11}  # a channel's int16 fields after its names (.rhs adds command_stream)


@dataclass(frozen=True)
class IntanStream:
    """One neo stream of an Intan session: the file to give the interfaces, and the files holding the stream."""

    header: PurePosixPath  # the .rhd/.rhs (info.rhd when the data are in .dat files)
    stream_name: str
    files: tuple[str, ...]  # the stream's own data files; () when it is inside the header file
    rate: float


class _Reader:
    """Little-endian fields of a header, read in turn from its first bytes; struct.error past their end."""

    def __init__(self, data: bytes):
        self.data, self.position = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.position)
        self.position += struct.calcsize("<" + fmt)
        return values

    def qstring(self) -> None:
        (length,) = self.take("I")
        if length != 0xFFFFFFFF:
            self.position += length


def header_streams(head: bytes, suffix: str) -> tuple[float, list[str]] | None:
    """The sampling rate and the streams (neo's names) of the enabled channels the header lists; None when `head`
    is not an Intan header or ends before its channel list does."""
    try:
        reader = _Reader(head)
        magic, major, minor = reader.take("Ihh")
        if magic != MAGIC[suffix]:
            return None
        (rate,) = reader.take("f")
        if suffix == ".rhd":
            reader.take("h6fh2f")
        else:
            reader.take("h8fh2fhh3f")
        for _ in range(3):
            reader.qstring()
        if suffix == ".rhd":
            if (major, minor) >= (1, 1):
                reader.take("h")
            if (major, minor) >= (1, 3):
                reader.take("h")
            if major >= 2:
                reader.qstring()
            dc_saved = False
        else:
            (dc_saved,) = reader.take("h")
            reader.take("h")
            reader.qstring()
        (groups,) = reader.take("h")
        counts: dict[str, int] = {}
        for _ in range(groups):
            reader.qstring()
            reader.qstring()
            enabled, channels, _ = reader.take("hhh")
            for _ in range(channels if enabled else 0):
                reader.qstring()
                reader.qstring()
                ints = reader.take(f"{CHANNEL_INT16[suffix]}h2f")
                signal_type, channel_enabled = ints[2], ints[3]
                name = SIGNAL_TYPES[suffix].get(signal_type)
                if channel_enabled and name:
                    counts[name] = counts.get(name, 0) + 1
    except (struct.error, KeyError):
        return None
    streams = [name for name in SIGNAL_TYPES[suffix].values() if counts.get(name)]
    if suffix == ".rhs" and counts.get(AMPLIFIER[suffix]):
        streams += [DC_AMPLIFIER] * bool(dc_saved) + [STIM]
    return rate, streams


def intan_streams(listing: FolderListing) -> list[IntanStream]:
    """Every stream of every Intan file under the listing's folder, in each file's header order."""
    found = []
    for header in listing.with_suffix(".rhd", ".rhs"):
        suffix = header.suffix.lower()
        read = header_streams(listing.head(header, 65536), suffix)
        if read is None:
            continue
        rate, streams = read
        if header.stem.lower() != "info":
            found += [IntanStream(header, name, (), rate) for name in streams]
            continue
        beside = listing.in_folder(header.parent)
        by_stream = _data_files(beside, suffix)
        time = [str(f) for f in beside if f.name == "time.dat"]
        for name, files in by_stream.items():
            own = tuple(sorted(map(str, files))) + (tuple(time) if name == AMPLIFIER[suffix] else ())
            found.append(IntanStream(header, name, own, rate))
    return found


def _data_files(beside: list[PurePosixPath], suffix: str) -> dict[str, list[PurePosixPath]]:
    """The .dat files of each stream beside info.rhd/.rhs: one per signal type when any is there, else one per
    channel (as neo tells the layouts apart)."""
    per_signal = {f.name: f for f in beside if f.name in SIGNAL_FILES}
    chosen: dict[str, list[PurePosixPath]] = {}
    if per_signal:
        for name, file in per_signal.items():
            chosen.setdefault(_stream(SIGNAL_FILES[name], suffix), []).append(file)
        return chosen
    for file in beside:
        prefix = next((p for p in CHANNEL_PREFIXES if file.name.startswith(p)), None)
        if prefix and file.suffix == ".dat":
            chosen.setdefault(_stream(CHANNEL_PREFIXES[prefix], suffix), []).append(file)
    return chosen


def _stream(name: str, suffix: str) -> str:
    return AMPLIFIER[suffix] if name == "amplifier" else name


def stream_files(stream: IntanStream) -> tuple[str, ...]:
    """The files a stream's claim covers: its own .dat files, with info.rhd/.rhs for the amplifier stream; in a
    header-attached file, its part of the file (other interfaces read its other streams)."""
    if stream.files:
        return ((str(stream.header),) if stream.stream_name in AMPLIFIER.values() else ()) + stream.files
    return (part_of(stream.header, stream.stream_name),)


def describe(stream: IntanStream) -> str:
    held = f" in {', '.join(PurePosixPath(f).name for f in stream.files)}" if stream.files else ""
    return f"{stream.header}: Intan header lists {stream.stream_name!r} channels{held}, {stream.rate:g} Hz"
