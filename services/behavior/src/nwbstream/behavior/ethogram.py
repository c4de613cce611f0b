"""Behavior bouts and their catalogue (ndx-ethogram), as every labelling format describes them.

Syllables (keypoint-MoSeq), motifs (VAME) and scored behaviors (BORIS) all end as one NWB_KIND_ETHOGRAM object:
a `bouts` table (start, stop, label, then the format's own columns) and a `catalogue` table (one row per behavior
of the scheme). The times travel as inline time-valued datasets, so alignment can shift them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from nwbstream.service import Column, DatasetSpec, Kind, Link, NwbObjectSpec, Table

ETHOGRAMS = "Behavior/Ethograms"


@dataclass(frozen=True)
class Bouts:
    """Bout rows: times in seconds, the behavior of each, and any further columns (same length)."""

    start_time: np.ndarray
    stop_time: np.ndarray
    label: list[str]
    columns: tuple[Column, ...] = ()


def label_runs(labels: np.ndarray, timestamps: np.ndarray, frame_period: float) -> Bouts:
    """Runs of equal per-frame labels as bouts: a run over frames i..j spans [t_i, t_j + one frame period]."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return Bouts(np.zeros(0), np.zeros(0), [])
    starts = np.concatenate(([0], np.flatnonzero(np.diff(labels)) + 1))
    ends = np.concatenate((starts[1:], [labels.size]))
    return Bouts(
        start_time=np.asarray(timestamps[starts], dtype="<f8"),
        stop_time=np.asarray(timestamps[ends - 1] + frame_period, dtype="<f8"),
        label=[str(int(labels[i])) for i in starts],
    )


def numbered_catalogue(ids: list[int], definition: str, categories: dict[int, str] | None = None) -> list[Column]:
    """The catalogue of an unsupervised labelling: one row per integer id, its text as `behavior`."""
    columns = [
        Column("behavior", "", [str(i) for i in ids]),
        Column("definition", "", [definition] * len(ids)),
        Column("native_code", "", np.asarray(ids, dtype="<i8")),
    ]
    if categories:
        columns.append(Column("category", "", [categories.get(i, "") for i in ids]))
    return columns


def modal_categories(labels: np.ndarray, categories: np.ndarray) -> dict[int, str]:
    """The most frequent category of each label (a VAME motif's community), as text."""
    found = {}
    for label in np.unique(labels):
        values, counts = np.unique(categories[labels == label], return_counts=True)
        found[int(label)] = str(int(values[counts.argmax()]))
    return found


def ethogram_object(
    name: str,
    metadata_key: str,
    bouts: Bouts,
    catalogue: list[Column],
    attributes: dict[str, Any],
    links: tuple[Link, ...] = (),
) -> NwbObjectSpec:
    """One EthogramBouts and its Ethogram; `metadata_key` is its `Behavior/Ethograms/<key>` entry. Columns sent
    without a description get their type's (TimeIntervals' start and stop, ndx-ethogram's)."""
    bout_columns = [
        Column("start_time", "", dataset="start_time"),
        Column("stop_time", "", dataset="stop_time"),
        Column("label", "", bouts.label),
        *bouts.columns,
    ]
    return NwbObjectSpec(
        kind=Kind.ETHOGRAM,
        name=name,
        metadata_key=metadata_key,
        tables=[Table("bouts", bout_columns), Table("catalogue", catalogue)],
        datasets=[
            DatasetSpec.inline("start_time", bouts.start_time, time_valued=True),
            DatasetSpec.inline("stop_time", bouts.stop_time, time_valued=True),
        ],
        attributes=attributes,
        links=list(links),
        placement="processing/behavior",
    )


def ethograms_schema() -> dict[str, Any]:
    """`Behavior.Ethograms.<key>`: the bouts' and the catalogue's names and descriptions (NeuroConv's registry)."""
    named = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "description": {"type": "string"}},
        "additionalProperties": False,
    }
    entry = {
        "type": "object",
        "properties": {"EthogramBouts": named, "Ethogram": named},
        "additionalProperties": False,
    }
    return {"type": "object", "additionalProperties": entry}


def behavior_schema(base: dict[str, Any], **registries: dict[str, Any]) -> dict[str, Any]:
    """`base` with a Behavior block holding `Ethograms` and the format's own registries; other keys stay open."""
    schema = dict(base)
    schema["properties"] = {
        **base["properties"],
        "Behavior": {
            "type": "object",
            "properties": {"Ethograms": ethograms_schema(), **registries},
            "additionalProperties": True,
        },
    }
    return schema
