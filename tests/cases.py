"""A test case of one interface on one source: what the value tests run and what docs/formats.md reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Case:
    interface: str
    source: dict[str, Any]
    read: Callable[[], Any]  # the field's reader on the same source
    fixture: str  # for docs/formats.md: "real: <what>", "written with <library>" or "generated: <what>"
    expect: dict[str, Any] = field(default_factory=dict)  # what a test needs beyond the reader's values
    reader_name: str = ""  # when `read` is not a field reader's single call
    # For the ecephys suite (tests/test_ecephys_suite.py); other suites leave these empty.
    kind: str = ""  # "recording", "sorting", "analog" (a TimeSeries) or "digital" (events)
    make: Callable[[], Any] | None = None  # writes a generated fixture (idempotent) before the case runs
    # Bad copies made in a test's tmp folder: (the source to pass, the file or folder the error must name).
    truncate: Callable[[Path], tuple[dict[str, Any], Path]] | None = None  # the source cut short
    wrong_format: Callable[[Path], tuple[dict[str, Any], Path]] | None = None  # another format under this name
    check: Callable[[Any, Any], None] | None = None  # format-specific asserts: check(nwbfile, what `read` returned)

    @property
    def reader(self) -> str:
        """The reader `read` calls, by name (an Extractor class or a read_* function), for docs/formats.md."""
        if self.reader_name:
            return self.reader_name
        names = [*self.read.__code__.co_names, *(c for c in self.read.__code__.co_consts if isinstance(c, str))]
        found = [n for n in names if n.endswith("Extractor") or n.startswith("read_")]
        return found[0] if found else ""
