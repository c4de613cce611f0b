"""What a session folder holds: every service's claims, overlaps resolved, one source per stream.

Each service's interfaces claim files (DetectSources). Two claims overlap when they share a file; the stronger
one (confidence, then the number of files it covers) is kept and the others are listed as its alternatives, so a
curated Phy folder goes to Phy with KiloSort offered, while a Blackrock `.ns5` recording and its `.nev` sorting,
which claim different files, are both kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ConversionError
from .services import ServiceSet


@dataclass
class ProposedSource:
    """One source of the session: an interface, its source_data (paths relative to the folder) and why."""

    interface: str
    modality: str
    source_data: dict[str, Any]
    files: tuple[str, ...]
    confidence: float
    evidence: str
    name: str = ""
    todo: dict[str, str] = field(default_factory=dict)  # required source arguments no file states -> what to give
    key: str = ""  # its key in the spec's data_interfaces, unique in the session
    alternatives: list[ProposedSource] = field(default_factory=list)  # claims on its files it was preferred over

    def absolute(self, folder: Path) -> dict[str, Any]:
        """source_data with its paths joined with `folder`, as a spec's data folder joins them."""
        return self._joined(lambda p: str(folder / p))

    def relative_to(self, base: PurePosixPath) -> dict[str, Any]:
        """source_data with its paths joined with a relative `base` ("." leaves them as they are)."""
        return self._joined(lambda p: str(base / p))

    def _joined(self, join: Callable[[str], str]) -> dict[str, Any]:
        joined = dict(self.source_data)
        for argument in ("file_path", "folder_path"):
            if isinstance(joined.get(argument), str):
                joined[argument] = join(joined[argument])
        if isinstance(joined.get("file_paths"), list):
            joined["file_paths"] = [join(p) for p in joined["file_paths"]]
        return joined


@dataclass
class FolderContents:
    folder: Path
    sources: list[ProposedSource]
    unrecognised: list[str]  # files no kept claim covers
    notes: list[str]  # what the services could not look at


def detect_folder(folder: Path, services: ServiceSet) -> FolderContents:
    """Asks every service of `services` what it recognises under `folder` and resolves the overlaps."""
    if not folder.is_dir():
        raise ConversionError(f"{folder}: no such folder" if not folder.exists() else f"{folder}: is not a folder")
    claims: list[ProposedSource] = []
    notes: list[str] = []
    for modality, client in sorted(services.clients.items()):
        found, said = client.detect_sources(folder.resolve())
        notes += said  # every service walks the same folder: the same notes, kept once
        claims += [
            ProposedSource(
                d.interface_name,
                modality,
                json.loads(d.source_data_json),
                tuple(d.files),
                d.confidence,
                d.evidence,
                d.name,
                dict(d.todo),
            )
            for d in found
        ]
    kept = resolve_overlaps(claims)
    _name_keys(kept)
    covered = {f.split("#")[0] for source in kept for f in source.files}  # "<file>#<part>": a part of the file
    listed = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return FolderContents(folder, kept, [f for f in listed if f not in covered], list(dict.fromkeys(notes)))


def resolve_overlaps(claims: list[ProposedSource]) -> list[ProposedSource]:
    """The strongest claim on any file wins it; a claim sharing a file with a kept one becomes its alternative."""
    kept: list[ProposedSource] = []
    owner: dict[str, ProposedSource] = {}
    for claim in sorted(claims, key=lambda c: (-c.confidence, -len(c.files), c.interface, c.files)):
        holder = next((owner[f] for f in claim.files if f in owner), None)
        if holder is not None:
            holder.alternatives.append(claim)
            continue
        kept.append(claim)
        owner.update(dict.fromkeys(claim.files, claim))
    return sorted(kept, key=lambda s: (s.modality, s.files, s.interface))


def _name_keys(sources: list[ProposedSource]) -> None:
    """Keys as a person writes them: the stream's name, else the interface's without "Interface"; repeats
    numbered."""
    seen: dict[str, int] = {}
    for source in sources:
        base = source.name or re.sub(r"Interface$", "", source.interface)
        seen[base] = seen.get(base, 0) + 1
        source.key = base if seen[base] == 1 else f"{base}{seen[base]}"
