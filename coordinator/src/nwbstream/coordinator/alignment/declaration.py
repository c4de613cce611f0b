"""A session's `alignment` block read and checked (the spec's and `Converter(alignment=...)`'s, the same dict):

    alignment:
      reference: ap                                   # default: the session's first interface
      pose: {shift: 1.25}
      video: {timestamps: {file_path: video/frame_times.npy}}
      nidq:
        pulses:
          times: {channel: XD0, edge: rising}         # or {file_path: ...}
          reference_times: {channel: SY0, bit: 6}     # or {file_path: ...}
          tolerance: 0.01                             # optional: seconds within which two pulses pair up
        fit: linear                                   # or piecewise

Every unknown interface, method or key is an error naming it; nothing here reads a file or a service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConversionError
from .fit import DEFAULT_TOLERANCE, FITS, Fit

EDGES = ("rising", "falling", "both")
METHODS = ("shift", "timestamps", "pulses")
REFERENCE = "reference"


@dataclass(frozen=True)
class ChannelPulses:
    """Pulse times read by the interface's service from one of its sync channels."""

    channel: str
    edge: str = "rising"
    bit: int | None = None


@dataclass(frozen=True)
class FileTimes:
    """Times in a .npy, .csv or .txt file (one per line), relative paths joined with the data folder."""

    file_path: str


PulseSource = ChannelPulses | FileTimes


@dataclass(frozen=True)
class ShiftBy:
    offset: float


@dataclass(frozen=True)
class TimestampsFrom:
    times: FileTimes


@dataclass(frozen=True)
class PulsesFit:
    times: PulseSource
    reference_times: PulseSource
    fit: Fit = "linear"
    tolerance: float = DEFAULT_TOLERANCE


Method = ShiftBy | TimestampsFrom | PulsesFit


@dataclass(frozen=True)
class Alignment:
    """The session clock is `reference`'s; each interface of `methods` is put on it, the others keep theirs."""

    reference: str
    methods: dict[str, Method]

    def describe(self, key: str) -> dict[str, Any]:
        """Where `key`'s times came from, as the file records it: `times_from` and `reference_times_from` are
        "channel=XD0 edge=rising bit=6" or "file=<path>"."""
        method = self.methods[key]
        if isinstance(method, ShiftBy):
            return {}
        if isinstance(method, TimestampsFrom):
            return {"times_from": _text(method.times)}
        return {
            "times_from": _text(method.times),
            "reference_times_from": _text(method.reference_times),
            "tolerance": method.tolerance,
        }


def parse_alignment(raw: Mapping[str, Any] | None, interfaces: Sequence[str], where: str = "alignment") -> Alignment:
    """The checked block; `interfaces` are the session's interface keys in order (the first is the default
    reference). Raises ConversionError naming the first problem found and where it is."""
    raw = _mapping(raw or {}, where)
    if not interfaces:
        if raw:
            raise ConversionError(f"{where}: the session has no interface to align")
        return Alignment(reference="", methods={})
    reference = raw.get(REFERENCE, interfaces[0])
    if reference not in interfaces:
        raise ConversionError(f"{where}/reference: {reference!r} is not an interface of the session {list(interfaces)}")
    methods: dict[str, Method] = {}
    for key, body in raw.items():
        if key == REFERENCE:
            continue
        if key not in interfaces:
            raise ConversionError(
                f"{where}: {key!r} is not an interface of the session {list(interfaces)} (nor 'reference')"
            )
        if key == reference:
            raise ConversionError(f"{where}/{key}: {key!r} is the reference; its clock is the session clock")
        methods[key] = _method(_mapping(body, f"{where}/{key}"), f"{where}/{key}")
    return Alignment(reference=reference, methods=methods)


def with_data_folder(raw: Mapping[str, Any], data_folder: Path) -> dict[str, Any]:
    """The block with every relative `file_path` joined with `data_folder` (as source_data's paths are)."""

    def joined(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                k: str(data_folder / v) if k == "file_path" and isinstance(v, str) else joined(v)
                for k, v in value.items()
            }
        return value

    return joined(raw)


def _method(body: Mapping[str, Any], where: str) -> Method:
    named = [name for name in METHODS if name in body]
    unknown = set(body) - {*METHODS, "fit"}
    if unknown:
        raise ConversionError(f"{where}: {sorted(unknown)} unknown; give one of {list(METHODS)}")
    if len(named) != 1:
        raise ConversionError(f"{where}: give exactly one of {list(METHODS)}, not {named or 'none'}")
    method = named[0]
    if "fit" in body and method != "pulses":
        raise ConversionError(f"{where}: 'fit' goes with 'pulses' only, not with {method!r}")
    value = body[method]
    if method == "shift":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConversionError(f"{where}/shift: {value!r} is not a number of seconds")
        return ShiftBy(float(value))
    if method == "timestamps":
        source = _pulse_source(value, f"{where}/timestamps")
        if not isinstance(source, FileTimes):
            raise ConversionError(f"{where}/timestamps: give {{file_path: ...}}, a file of one time per sample")
        return TimestampsFrom(source)
    fit = body.get("fit", "linear")
    if fit not in FITS:
        raise ConversionError(f"{where}/fit: {fit!r} unknown; choose one of {list(FITS)}")
    pulses = _mapping(value, f"{where}/pulses")
    unknown = set(pulses) - {"times", "reference_times", "tolerance"}
    missing = {"times", "reference_times"} - set(pulses)
    if unknown or missing:
        problem = f"{sorted(unknown)} unknown" if unknown else f"{sorted(missing)} missing"
        raise ConversionError(f"{where}/pulses: {problem}; it takes times, reference_times and tolerance (optional)")
    tolerance = pulses.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance <= 0:
        raise ConversionError(f"{where}/pulses/tolerance: {tolerance!r} is not a positive number of seconds")
    return PulsesFit(
        times=_pulse_source(pulses["times"], f"{where}/pulses/times"),
        reference_times=_pulse_source(pulses["reference_times"], f"{where}/pulses/reference_times"),
        fit=fit,
        tolerance=float(tolerance),
    )


def _pulse_source(value: Any, where: str) -> PulseSource:
    body = _mapping(value, where)
    if "file_path" in body:
        if set(body) != {"file_path"} or not isinstance(body["file_path"], str):
            raise ConversionError(f"{where}: a file of times is {{file_path: <path>}} alone, not {dict(body)}")
        return FileTimes(body["file_path"])
    unknown = set(body) - {"channel", "edge", "bit"}
    if unknown:
        raise ConversionError(f"{where}: {sorted(unknown)} unknown; give channel (edge, bit) or file_path")
    if not isinstance(body.get("channel"), str):
        raise ConversionError(f"{where}: give channel (a name, e.g. XD0 or SY0) or file_path")
    edge = body.get("edge", "rising")
    if edge not in EDGES:
        raise ConversionError(f"{where}/edge: {edge!r} unknown; choose one of {list(EDGES)}")
    bit = body.get("bit")
    if bit is not None and (isinstance(bit, bool) or not isinstance(bit, int) or bit < 0):
        raise ConversionError(f"{where}/bit: {bit!r} is not a bit number (0, 1, ...)")
    return ChannelPulses(channel=body["channel"], edge=edge, bit=bit)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConversionError(f"{where}: expected a mapping of keys, got {value!r}")
    return value


def _text(source: PulseSource) -> str:
    if isinstance(source, FileTimes):
        return f"file={source.file_path}"
    bit = "" if source.bit is None else f" bit={source.bit}"
    return f"channel={source.channel} edge={source.edge}{bit}"
