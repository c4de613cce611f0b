"""A test case of one interface on one source: what the value tests run and what docs/formats.md reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    interface: str
    source: dict[str, Any]
    read: Callable[[], Any]  # the field's reader on the same source
    fixture: str  # for docs/formats.md: "real: <what>" or "generated with <library>"
    expect: dict[str, Any] = field(default_factory=dict)  # what a test needs beyond the reader's values
    reader_name: str = ""  # when `read` is not a field reader's single call

    @property
    def reader(self) -> str:
        """The reader `read` calls, by name (an Extractor class or a read_* function), for docs/formats.md."""
        if self.reader_name:
            return self.reader_name
        names = [*self.read.__code__.co_names, *(c for c in self.read.__code__.co_consts if isinstance(c, str))]
        found = [n for n in names if n.endswith("Extractor") or n.startswith("read_")]
        return found[0] if found else ""
