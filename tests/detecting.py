"""Detection as the detection tests call it: a folder's contents, once no interface's claim failed (a service skips
a claim that raises and only notes it, which would let a broken claim pass as one that found nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbstream.coordinator.detection import FolderContents, detect_folder


def detected(folder: Path, services) -> FolderContents:
    contents = detect_folder(folder, services)
    assert [note for note in contents.notes if "could not look" in note] == []
    return contents


def kept(folder: Path, services) -> list[tuple[str, dict[str, Any]]]:
    """The sources detection keeps in `folder`, as (interface, source_data)."""
    return [(s.interface, s.source_data) for s in detected(folder, services).sources]
