"""A NeuroConv YAML spec drafted from a folder's detected sources, with a TODO for each required field no file has.

The draft is NeuroConv's own format (data_interfaces, one experiment, one session, paths relative to the folder),
so `nwbstream convert SPEC --data-folder FOLDER` and NeuroConv both run it once its TODOs are filled.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .converter import Converter
from .detection import FolderContents, detect_folder
from .errors import ConversionError
from .metadata import deep_update, merge_metadata
from .services import ServiceSet

# What a session needs that only a person may know: NWB requires the start time, DANDI the subject's fields.
REQUIRED: dict[tuple[str, str], str] = {
    ("NWBFile", "session_start_time"): "when the session started, ISO 8601 with its time zone "
    "(e.g. 2024-03-01T14:05:00-05:00)",
    ("Subject", "subject_id"): "the animal's identifier in your lab",
    ("Subject", "species"): "Latin binomial or NCBI taxonomy link (e.g. Mus musculus)",
    ("Subject", "sex"): "M, F, U (unknown) or O (other)",
    ("Subject", "age"): "ISO 8601 duration at the session (e.g. P90D), or give date_of_birth instead",
}
SESSION_GROUPS = ("NWBFile", "Subject")  # the draft's metadata; `nwbstream metadata SPEC` prints the rest
TODO = "__nwbstream_todo__"
HERE = PurePosixPath(".")


@dataclass
class SessionDraft:
    contents: FolderContents
    metadata: dict[str, Any]  # the files' metadata, merged, with the user's given on top
    schema: dict[str, Any]  # the merged metadata JSON schema of the detected sources

    @property
    def missing(self) -> list[str]:
        """Required fields (Group.field, or source_data.KEY.argument) neither the files nor the user supplied."""
        arguments = [f"source_data.{s.key}.{a}" for s in self.contents.sources for a in s.todo]
        return arguments + [f"{group}.{name}" for group, name in REQUIRED if not self._has(group, name)]

    @property
    def name(self) -> str:
        """The session's (and the output file's) name: the folder's, as a file name."""
        return re.sub(r"[^\w.-]+", "_", self.contents.folder.resolve().name).strip("._") or "session"

    def spec_text(self, base: PurePosixPath = HERE) -> str:
        """The spec as YAML, its comments saying what was detected and what to fill; its paths are relative to the
        folder, or joined with `base` (the folder as a submitted spec names it: relative to a lab's data root)."""
        # The session's own groups only: what the interfaces add (devices, groups, series) comes from the same files
        # at conversion, and NeuroConv's spec schema refuses some of its own get_metadata layouts (a dict
        # Ecephys.ElectricalSeries, Events), so a draft holding them would not run in NeuroConv unchanged.
        metadata = {group: self.metadata[group] for group in SESSION_GROUPS if group in self.metadata}
        for group, name in REQUIRED:
            if not self._has(group, name):
                metadata = deep_update(metadata, {group: {name: TODO}})
        spec = {
            "data_interfaces": {s.key: s.interface for s in self.contents.sources},
            "experiments": {
                "experiment": {
                    "sessions": [
                        {
                            "nwbfile_name": self.name,
                            "source_data": {
                                s.key: {**s.relative_to(base), **dict.fromkeys(s.todo, TODO)}
                                for s in self.contents.sources
                            },
                            "metadata": metadata,
                        }
                    ]
                }
            },
        }
        body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)
        for source in self.contents.sources:
            for argument, hint in source.todo.items():
                body = body.replace(
                    f"{argument}: {TODO}\n", f"{argument}:  # TODO: required ({source.key}); {hint}\n", 1
                )
        for (group, name), hint in REQUIRED.items():
            body = body.replace(f"{name}: {TODO}\n", f"{name}:  # TODO: required ({group}); {hint}\n", 1)
        start = self.metadata.get("NWBFile", {}).get("session_start_time")
        if isinstance(start, str) and dt.datetime.fromisoformat(start).tzinfo is None:
            line = yaml.safe_dump({"session_start_time": start}).strip()
            zone = "the file states no time zone: add the lab's (e.g. -05:00), else the converting machine's is used"
            body = body.replace(f"{line}\n", f"{line}  # TODO: {zone}\n", 1)
        return self._header(base) + body

    def report(self) -> str:
        """What `detect` prints: each source with its arguments, confidence and evidence; the alternatives; what was
        not recognised; the required fields still missing."""
        lines = []
        for source in self.contents.sources:
            lines.append(f"{source.key}: {source.interface} [{source.modality}] confidence {source.confidence:.2f}")
            lines.append(f"    source_data: {json.dumps(source.source_data)}")
            lines.append(f"    evidence: {source.evidence}")
            lines += [f"    todo {argument}: {hint}" for argument, hint in source.todo.items()]
            lines += [f"    alternative: {a.interface} ({a.confidence:.2f}) {a.evidence}" for a in source.alternatives]
        if self.contents.unrecognised:
            lines.append(f"not recognised: {', '.join(self.contents.unrecognised)}")
        lines += [f"note: {note}" for note in self.contents.notes]
        if self.missing:
            lines.append(f"missing (no file supplies them): {', '.join(self.missing)}")
        return "".join(f"{line}\n" for line in lines)

    def _has(self, group: str, name: str) -> bool:
        value = self.metadata.get(group, {}).get(name)
        return value not in (None, "", TODO)

    def _header(self, base: PurePosixPath) -> str:
        """The report as comments, between where the draft comes from and how to run it once filled."""
        lines = [f"Drafted by `nwbstream detect` from {self.contents.folder if base == HERE else base}:"]
        lines += self.report().splitlines()
        lines.append(
            "Metadata: NWBFile and Subject as the files state them; the interfaces add their devices, groups and "
            "series from the same files (`nwbstream metadata THIS_FILE` prints everything, to edit here)."
        )
        lines.append(f"Fill every TODO ({', '.join(self.missing)}), then run:" if self.missing else "Run:")
        if base == HERE:
            lines.append(f"  nwbstream convert THIS_FILE --data-folder {self.contents.folder}")
        else:  # drafted by a conversion service: its paths are the lab's
            lines.append("  nwbstream submit THIS_FILE")
        return "".join(f"# {line}\n" for line in lines)


def draft_session(folder: Path, services: ServiceSet, given: Mapping[str, Any] | None = None) -> SessionDraft:
    """Detects `folder`'s sources and reads the metadata they carry (headers: opening a source reads no bulk data);
    `given`: metadata a person supplied, merged on top. Recognising nothing is an error that says what was seen."""
    contents = detect_folder(folder, services)
    if not contents.sources:
        seen = contents.unrecognised
        listed = ", ".join(seen[:10]) + (f" and {len(seen) - 10} more" if len(seen) > 10 else "")
        notes = "".join(f"; {note}" for note in contents.notes)
        raise ConversionError(
            f"{folder}: no interface recognised anything here ({len(seen)} files{': ' + listed if seen else ''})"
            f"{notes}; `nwbstream interfaces` lists what each reads"
        )
    openable = {s.key: (s.interface, s.absolute(folder)) for s in contents.sources if not s.todo}
    with Converter(openable, services) as converter:  # one missing an argument carries no metadata yet
        metadata = merge_metadata([converter.get_metadata()], given or {})
        schema = converter.get_metadata_schema()
    return SessionDraft(contents, metadata, schema)
