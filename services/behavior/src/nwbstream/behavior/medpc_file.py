"""Med-PC output files (MED-PC IV and V text): the one reader behind every MedPC interface.

A file holds one session per run of the program, separated by blank lines. A session opens with the header MED-PC
writes ("Start Date: 01/23/20", "Subject: 56", ..., "MSN: <program>"), then the program's variables: a scalar on
its own line ("R:       0.000"), or an array, its name alone ("A:") followed by rows of values, each row led by
the index of its first value ("     5:     1.000    2.000 ..."). A line opening with a backslash is a comment;
text after a tab on a line is not data. MED-PC pads an array with zeros up to its dimensioned length, so trailing
zeros are padding, not values (a zero inside an array is kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing
from nwbstream.service.detection import HEAD_BYTES, relative

from .claims import choose_one

ARRAY_ROW = re.compile(r"^\s*\d+:(.*)$")
HEADER_START = "Start Date"
SESSION_NAMES = ("Start Date", "Subject")  # the header lines a claim tells a file's sessions apart by


@dataclass(frozen=True)
class MedPCSession:
    """One session: its `name: value` lines (header and scalars) and its arrays, trailing padding removed."""

    path: str
    fields: dict[str, str]
    arrays: dict[str, np.ndarray]
    decimals: dict[str, int]  # digits printed after the point in each array (the program's DISKFORMAT)

    def array(self, name: str) -> np.ndarray:
        if name not in self.arrays:
            raise ValueError(f"{self.path}: the selected session has no array {name!r} (it has {sorted(self.arrays)})")
        return self.arrays[name]


def read_session(path: str | Path, conditions: Mapping[str, Any], start_variable: str = HEADER_START) -> MedPCSession:
    """The first session whose `name: value` lines match every condition (values compared as trimmed text, so
    " 9:47:07" matches "9:47:07" and a YAML number matches its text), read from its `start_variable` line on."""
    blocks = _blocks(Path(path).read_text(encoding="utf-8").splitlines())
    starts = [block for block in blocks if _start_index(block, start_variable) is not None]
    if not starts:
        raise ValueError(f"{path}: no line starts with {start_variable!r}: not a Med-PC output file")
    for block in starts:
        if all(_has_field(block, name, value) for name, value in conditions.items()):
            return _parse(str(path), block[_start_index(block, start_variable) :])
    raise ValueError(f"{path}: none of its {len(starts)} sessions has {dict(conditions)}")


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return blocks


def _start_index(block: list[str], start_variable: str) -> int | None:
    found = [i for i, line in enumerate(block) if line.strip().startswith(f"{start_variable}:")]
    return found[-1] if found else None


def _has_field(block: list[str], name: str, value: Any) -> bool:
    prefix = f"{name}:"
    return any(
        line.strip().startswith(prefix) and line.strip()[len(prefix) :].strip() == str(value).strip() for line in block
    )


def _parse(path: str, lines: list[str]) -> MedPCSession:
    fields: dict[str, str] = {}
    tokens: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        if line.lstrip().startswith("\\"):
            continue
        row = ARRAY_ROW.match(line)
        if row:
            if current is None:
                raise ValueError(f"{path}: array row {line.strip()!r} has no array name above it")
            tokens[current].extend(row.group(1).split("\t")[0].split())
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"{path}: line {line.strip()!r} is neither 'name: value' nor an array row")
        name, value = name.strip(), value.split("\t")[0].strip()
        fields[name] = value
        current = name if value == "" else None
        if current is not None:
            tokens[current] = []
    arrays = {name: _values(path, name, values) for name, values in tokens.items()}
    decimals = {name: max((len(t.partition(".")[2]) for t in values), default=0) for name, values in tokens.items()}
    return MedPCSession(path, fields, arrays, decimals)


def _values(path: str, name: str, tokens: list[str]) -> np.ndarray:
    try:
        values = np.array([float(token) for token in tokens], dtype=np.float64)
    except ValueError as error:
        raise ValueError(f"{path}: array {name!r}: {error}") from None
    return np.trim_zeros(values, trim="b")


def session_headers(listing: FolderListing, file: PurePosixPath) -> tuple[list[dict[str, str]], bool] | None:
    """The Start Date and Subject of each session a Med-PC file's head shows, and whether that head is the whole
    file; None when the file does not open as MED-PC writes one (a Start Date line soon, an MSN line after)."""
    if HEADER_START.encode() not in listing.head(file, 512):
        return None
    text = listing.text_head(file, HEAD_BYTES)
    if "\nMSN:" not in text:
        return None
    sessions: list[dict[str, str]] = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == HEADER_START:
            sessions.append({})
        if sessions and name in SESSION_NAMES and name not in sessions[-1]:
            sessions[-1][name] = value.strip()
    complete = listing.size(file) <= HEAD_BYTES
    return (sessions if complete else sessions[:-1]), complete


def claim_sessions(
    interface: str,
    listing: FolderListing,
    argument: str,
    confidence: float,
    extra: dict[str, Any],
    todo: dict[str, str],
) -> list[Detection]:
    """Every Med-PC file, the session to read filled in when it holds one (else a TODO listing them), with the
    interface's other arguments (`extra`, `todo`: what only the person who wrote the program knows)."""
    detections = []
    for file in listing.files:
        found = session_headers(listing, file)
        if found is None:
            continue
        sessions, complete = found
        chosen, choice = choose_one(argument, sessions, "the session to read (its header lines)", complete)
        count = f"{len(sessions)}{'' if complete else '+'}"
        detections.append(
            Detection(
                interface,
                {"file_path": relative(file), **extra, **chosen},
                (str(file),),
                confidence,
                f"{file}: Med-PC output (Start Date ... MSN header), {count} session(s)",
                name="medpc",
                todo={**choice, **todo},
            )
        )
    return detections
