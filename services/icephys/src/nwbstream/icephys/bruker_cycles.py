"""Bruker PrairieView's VoltageRecording cycles: per cycle a CSV (`Time(ms)` then one column per enabled signal)
and its `VRecSessionEntry` XML beside it (signals, units, scaling, amplifier, rate, start time).

The XML's `Enabled` flags say which signals the CSV's columns are, in SignalList order; the CSV header's names
are not trusted (published files carry wrong ones), only their count.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from nwbstream.service import SourceError

# "cell1-001_Cycle00001_VoltageRecording_001" -> "cell1-001": the acquisition stem a run's cycles share.
CYCLE_SUFFIX = re.compile(r"_Cycle\d+_VoltageRecording_\d+$")
# PrairieView writes .NET's round-trip time, whose fraction has as many digits as it needs (5 to 7).
FRACTION = re.compile(r"\.(\d+)")


@dataclass(frozen=True)
class Signal:
    """One SignalList entry (recorded or not)."""

    name: str
    enabled: bool
    unit: str
    multiplier: float
    divisor: float
    device: str  # PatchclampDevice; empty for the card's non-patch inputs (sync, photodiode)


@dataclass(frozen=True)
class Cycle:
    """What one cycle's XML and CSV header say, no samples read."""

    csv: Path
    xml: Path
    stem: str
    rate: float
    start: dt.datetime
    recorded: tuple[Signal, ...]
    signals: dict[str, Signal]
    n_samples: int

    def column(self, name: str) -> int:
        """The CSV column of a recorded signal: its place among the enabled signals, after the time column."""
        return [s.name for s in self.recorded].index(name) + 1

    def values(self, name: str) -> np.ndarray:
        """The signal's samples as the CSV holds them (unscaled)."""
        import pandas as pd

        return pd.read_csv(self.csv, usecols=[self.column(name)], dtype="float64").to_numpy().reshape(-1)


def read_cycle(csv: Path) -> Cycle:
    """One cycle's header; errors name the file and what is wrong with it."""
    xml = csv.with_suffix(".xml")
    if not xml.is_file():
        raise SourceError(f"{csv}: no VoltageRecording XML beside it ({xml.name}); it holds the units and start time")
    try:
        root = ElementTree.parse(xml).getroot()
    except ElementTree.ParseError as error:
        raise SourceError(f"{xml}: not an XML file: {error}") from error
    if root.tag != "VRecSessionEntry":
        raise SourceError(f"{xml}: root element {root.tag!r}, expected a VoltageRecording 'VRecSessionEntry'")
    signals = [_signal(element, xml) for element in root.findall(".//VRecSignal")]
    recorded = tuple(s for s in signals if s.enabled)
    names = [s.name for s in recorded]
    if len(set(names)) != len(names):
        raise SourceError(f"{xml}: two recorded signals share a name ({names})")
    header, interval_ms, n_samples = _csv_shape(csv)
    if len(header) != len(recorded):
        raise SourceError(f"{csv}: {len(header)} data columns but {xml.name} enables {len(recorded)} signals ({names})")
    # The CSV's time step wins over the XML's nominal Rate, as NeuroConv reads it.
    rate = 1000.0 / interval_ms if interval_ms else float(_text(root, ".//Rate", xml))
    start = dt.datetime.fromisoformat(
        FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), _text(root, "DateTime", xml))
    )
    return Cycle(
        csv=csv,
        xml=xml,
        stem=CYCLE_SUFFIX.sub("", _text(root, "DataFile", xml)),
        rate=rate,
        start=start,
        recorded=recorded,
        signals={s.name: s for s in signals},
        n_samples=n_samples,
    )


def _signal(element: ElementTree.Element, xml: Path) -> Signal:
    unit = element.find("Unit")
    if unit is None:
        raise SourceError(f"{xml}: a VRecSignal has no Unit block")
    return Signal(
        name=element.findtext("Name", "").strip(),
        enabled=element.findtext("Enabled", "").strip().lower() == "true",
        unit=(unit.findtext("UnitName") or "").strip(),
        multiplier=float(_text(unit, "Multiplier", xml)),
        divisor=float(_text(unit, "Divisor", xml)),
        device=(unit.findtext("PatchclampDevice") or "").strip(),
    )


def _text(element: ElementTree.Element, path: str, xml: Path) -> str:
    text = element.findtext(path)
    if text is None or not text.strip():
        raise SourceError(f"{xml}: no <{path.lstrip('./')}> element")
    return text.strip()


def _csv_shape(csv: Path) -> tuple[list[str], float | None, int]:
    """The data columns' header names, the first sampling interval (ms) and the number of samples."""
    with open(csv, encoding="utf-8") as file:
        header = [name.strip() for name in file.readline().split(",")]
        if not header[0].startswith("Time"):
            raise SourceError(f"{csv}: first column {header[0]!r}, expected the 'Time(ms)' of a VoltageRecording CSV")
        rows = [file.readline(), file.readline()]
        n_samples = sum(1 for row in rows if row.strip()) + sum(1 for row in file if row.strip())
    try:
        times = [float(row.split(",", 1)[0]) for row in rows if row.strip()]
    except ValueError as error:
        raise SourceError(f"{csv}: a time value is not a number: {error}") from error
    return header[1:], (times[1] - times[0]) if len(times) == 2 else None, n_samples
