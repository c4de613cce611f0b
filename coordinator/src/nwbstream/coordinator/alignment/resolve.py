"""From a session's declared alignment to one clock map per aligned interface: shifts as given, timestamps read
from their file and checked, sync pulses read from the services (or files) and fitted.

Everything here happens before the file is laid out, so a bad alignment stops the conversion before any write.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..client import OpenedSource
from ..errors import ConversionError
from .apply import has_times, sample_count
from .declaration import ChannelPulses, FileTimes, PulsesFit, PulseSource, ShiftBy, TimestampsFrom, parse_alignment
from .fit import fit_clock_map
from .maps import ClockMap, Shift, Timestamps

TIMES_SUFFIXES = (".npy", ".csv", ".txt")


def resolve_alignment(alignment: Mapping[str, Any], opened: Mapping[str, OpenedSource]) -> dict[str, ClockMap]:
    """interface key -> the map from its clock to the reference's, for every interface the block names.
    `opened` is the session's sources in order (the first is the default reference); file paths are read as given
    (a spec's are joined with its data folder by declaration.with_data_folder)."""
    declared = parse_alignment(alignment, list(opened))
    maps: dict[str, ClockMap] = {}
    for key, method in declared.methods.items():
        where = f"alignment/{key}"
        if isinstance(method, ShiftBy):
            maps[key] = Shift(method.offset)
        elif isinstance(method, TimestampsFrom):
            path = Path(method.times.file_path)
            times = read_times_file(path)
            _check_increasing(times, f"{where}/timestamps: {path}")
            _check_one_series(opened[key], times.size, f"{where}/timestamps: {path}")
            maps[key] = Timestamps(times=tuple(times.tolist()), source=str(path))
        else:
            maps[key] = _fitted(method, opened[key], opened[declared.reference], where)
    return maps


def read_times_file(path: Path) -> np.ndarray:
    """One time per line (.csv, .txt: one column, an optional header line) or a 1-D .npy array, as float64."""
    if path.suffix not in TIMES_SUFFIXES:
        raise ConversionError(f"{path}: times are read from {', '.join(TIMES_SUFFIXES)} files, not {path.suffix!r}")
    if not path.is_file():
        raise ConversionError(f"{path}: no such file of times")
    try:
        times = np.load(path, allow_pickle=False) if path.suffix == ".npy" else _read_text_times(path)
        times = np.asarray(times, dtype=np.float64)
    except (ValueError, OSError) as error:
        raise ConversionError(f"{path}: not a file of times: {error}") from None
    if times.ndim == 2 and 1 in times.shape:
        times = times.ravel()
    if times.ndim != 1:
        raise ConversionError(f"{path}: expected one time per row, got an array of shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ConversionError(f"{path}: holds times that are not finite numbers")
    return times


def _read_text_times(path: Path) -> np.ndarray:
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if lines and not _is_number(lines[0].split(",")[0]):
        lines = lines[1:]  # a header
    rows = [line.split(",") for line in lines]
    if any(len(row) != 1 for row in rows):
        raise ValueError("expected one column")
    return np.array([float(row[0]) for row in rows])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fitted(method: PulsesFit, own: OpenedSource, reference: OpenedSource, where: str) -> ClockMap:
    own_times = _pulse_times(method.times, own, f"{where}/pulses/times")
    reference_times = _pulse_times(method.reference_times, reference, f"{where}/pulses/reference_times")
    try:
        return fit_clock_map(own_times, reference_times, method.fit, method.tolerance)
    except ConversionError as error:
        raise ConversionError(f"{where}: {error}") from None


def _pulse_times(source: PulseSource, opened: OpenedSource, where: str) -> np.ndarray:
    if isinstance(source, FileTimes):
        return read_times_file(Path(source.file_path))
    assert isinstance(source, ChannelPulses)
    try:
        return opened.service.read_sync_times(opened, source.channel, edge=source.edge, bit=source.bit)
    except ConversionError as error:
        raise ConversionError(f"{where}: {opened.interface_name}: {error}") from None


def _check_increasing(times: np.ndarray, where: str) -> None:
    steps = np.diff(times)
    if np.any(steps <= 0):
        first = int(np.flatnonzero(steps <= 0)[0])
        raise ConversionError(
            f"{where}: times must increase; the one at index {first + 1} ({times[first + 1]}) follows {times[first]}"
        )


def _check_one_series(opened: OpenedSource, count: int, where: str) -> None:
    """Timestamps replace the times of the interface's one timed series, so they must be one per sample."""
    series = [obj for obj in opened.objects if has_times(obj)]
    if len(series) != 1:
        names = [obj.name for obj in series]
        raise ConversionError(
            f"{where}: {opened.interface_name} has {len(series)} timed series {names}; timestamps from a file "
            "need exactly one"
        )
    samples = sample_count(where, series[0])
    if samples != count:
        raise ConversionError(f"{where}: {count} times for the {samples} samples of {series[0].name}")
