"""What several behavior formats' claims need from a folder listing: pose-table headers, HDF5 magic, a small file's
JSON, the videos beside a file, and a choice only a person can make (which session of several) as a TODO."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from nwbstream.service import FolderListing
from nwbstream.service.detection import HEAD_BYTES

from .videos import VIDEO_SUFFIXES


def pose_table_scorer(listing: FolderListing, file: PurePosixPath) -> str | None:
    """The scorer of a CSV in DeepLabCut's predictions layout (scorer / [individuals] / bodyparts / coords rows with
    a likelihood per keypoint), else None: labelled training frames have x, y and no likelihood."""
    rows = [line.split(",") for line in listing.text_head(file).splitlines()[:4]]
    names = [row[0].strip().lower() for row in rows]
    if len(rows) < 3 or names[0] != "scorer" or "bodyparts" not in names:
        return None
    coords = next((row for row, name in zip(rows, names, strict=True) if name == "coords"), [])
    if "likelihood" not in (cell.strip() for cell in coords):
        return None
    return rows[0][1].strip() if len(rows[0]) > 1 else None


def small_json(listing: FolderListing, file: PurePosixPath) -> Any:
    """A JSON document whole when the file fits in a head read, else None (never read further)."""
    size = listing.size(file)
    if not 0 < size <= HEAD_BYTES:
        return None
    try:
        return json.loads(listing.head(file, size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def videos(listing: FolderListing) -> list[PurePosixPath]:
    return listing.with_suffix(*VIDEO_SUFFIXES)


def video_named(listing: FolderListing, stem: str) -> PurePosixPath | None:
    """The one video of the folder whose stem is `stem` (the video a pose file was made from), if exactly one."""
    found = [v for v in videos(listing) if v.stem == stem]
    return found[0] if len(found) == 1 else None


def choose_one(
    argument: str, choices: list[Any], what: str, complete: bool = True
) -> tuple[dict[str, Any], dict[str, str]]:
    """(source_data, todo) for a selecting argument: the only choice filled in, or a TODO listing them (one NWB file
    holds one session, one subject: which is a person's choice). `complete` is False when the file held more than
    was read."""
    if complete and len(choices) == 1:
        return {argument: choices[0]}, {}
    listed = ", ".join(map(repr, choices[:10])) + (", ..." if len(choices) > 10 or not complete else "")
    return {}, {argument: f"{what}: one of {listed}" if choices else what}
