"""What every output must pass before it is done: the NWB schema (pynwb's validator) and nwbinspector's checks.

A job keeps the whole report; it passes (`ok`) with no schema error and no CRITICAL inspector message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import ConversionError


@dataclass(frozen=True)
class InspectorFinding:
    """One nwbinspector message."""

    importance: str  # CRITICAL, BEST_PRACTICE_VIOLATION, BEST_PRACTICE_SUGGESTION, ERROR (a check that failed)
    check: str
    message: str
    object_type: str
    object_name: str
    location: str


@dataclass(frozen=True)
class ValidationReport:
    path: str
    pynwb: tuple[str, ...]
    nwbinspector: tuple[InspectorFinding, ...]

    def critical(self, waive: frozenset[str] = frozenset()) -> list[InspectorFinding]:
        """CRITICAL findings, less the checks named in `waive`."""
        return [f for f in self.nwbinspector if f.importance == "CRITICAL" and f.check not in waive]

    @property
    def ok(self) -> bool:
        return not self.pynwb and not self.critical()

    def to_json(self) -> dict[str, Any]:
        return {"pynwb": list(self.pynwb), "nwbinspector": [asdict(f) for f in self.nwbinspector]}

    def summary(self) -> str:
        """One line: the verdict and the counts, and the first problem that fails the file."""
        counts: dict[str, int] = {}
        for finding in self.nwbinspector:
            counts[finding.importance] = counts.get(finding.importance, 0) + 1
        inspector = ", ".join(f"{n} {importance}" for importance, n in sorted(counts.items())) or "no message"
        verdict = "valid" if self.ok else "INVALID"
        line = f"{self.path}: {verdict}: {len(self.pynwb)} schema error(s); nwbinspector {inspector}"
        first = self.pynwb[0] if self.pynwb else next((f.message for f in self.critical()), None)
        return f"{line}; first: {first}" if first else line


def validate_nwbfile(path: str | Path) -> ValidationReport:
    """An HDF5 file or a Zarr store (a folder), read back as any NWB reader would. A file pynwb cannot read at all
    is reported invalid with the reason; only a missing path is an error."""
    from hdmf_zarr.nwb import NWBZarrIO
    from nwbinspector import inspect_nwbfile_object
    from pynwb import NWBHDF5IO, validate
    from pynwb.validation import get_cached_namespaces_to_validate

    path = Path(path)
    if not path.exists():
        raise ConversionError(f"{path}: no such NWB file to validate")
    io_class = NWBZarrIO if path.is_dir() else NWBHDF5IO
    try:
        with io_class(str(path), mode="r") as io:
            # Validate with the namespaces cached in the file, not the process's: with an extension imported earlier
            # (ndx-fiber-photometry by the photometry writers), pynwb 4.2 validates the cached extension namespace
            # without the core types ("data type 'NWBFile' not found in namespace ndx-fiber-photometry").
            _, manager, _ = get_cached_namespaces_to_validate(io=io)
        with io_class(str(path), mode="r", manager=manager) as io:
            # once each: an error in a core type is reported again for every cached extension namespace
            schema_errors = tuple(dict.fromkeys(str(error) for error in validate(io=io)))
        with io_class(str(path), mode="r") as io:
            findings = tuple(_finding(message) for message in inspect_nwbfile_object(io.read()) if message is not None)
    except Exception as error:  # whatever stops pynwb reading the file makes it invalid, and the report says why
        return ValidationReport(str(path), (f"cannot be read as NWB: {type(error).__name__}: {error}",), ())
    return ValidationReport(str(path), schema_errors, findings)


def _finding(message: Any) -> InspectorFinding:
    return InspectorFinding(
        importance=message.importance.name,
        check=message.check_function_name or "",
        message=message.message,
        object_type=message.object_type or "",
        object_name=message.object_name or "",
        location=message.location or "",
    )
