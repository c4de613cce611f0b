"""Behavior bouts and the catalogue they draw their labels from (ndx-ethogram EthogramBouts + Ethogram).

The names and descriptions come from the object's `Behavior/Ethograms/<key>` entry (`EthogramBouts`, `Ethogram`),
as NeuroConv keeps them. A catalogue is shared by name: a second contribution naming a catalogue already in the
module reuses it when it declares the same behaviors, and is refused otherwise (one catalogue, one scheme).
Links: `source` names the faithful object of the same source the bouts were derived from; the entry at
`attributes_json["links_entry"]` may give `pose_estimation_metadata_key` (a `Pose/PoseEstimations` entry) and
`video_metadata_key` (a `Behavior/InternalVideos` or `ExternalVideos` entry), found by name in the file.
A contribution with no bout writes its catalogue only. `attributes_json["module_description"]` describes the behavior
module when this contribution creates it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hdmf.common import VectorData, VectorIndex
from hdmf.container import AbstractContainer
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext, link_of
from .registry import Contribution, Written, writes
from .tables import column_values, row_count, table_vectors

BOUT_ATTRIBUTES = ("labeling_method", "source_software", "annotator", "parameters")


@writes(pb.NWB_KIND_ETHOGRAM)
def add_ethogram(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_ethogram import Ethogram, EthogramBouts

    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    entry = ctx.entry(obj.metadata_key)
    tables = {table.name: table for table in obj.tables}
    module = ctx.module("behavior", attributes.get("module_description", ""))

    catalogue_entry = entry.get("Ethogram", {})
    catalogue_name = catalogue_entry.get("name") or attributes.get("catalogue_name") or "Ethogram"
    catalogue = module.data_interfaces.get(catalogue_name)
    behaviors = [str(v) for v in _column(tables["catalogue"], "behavior")]
    if catalogue is None:
        catalogue = _table(
            Ethogram,
            catalogue_name,
            catalogue_entry.get("description") or attributes.get("catalogue_description", "Behavior catalogue."),
            tables["catalogue"],
            contribution.data,
            **({"exclusive": attributes["exclusive"]} if attributes.get("exclusive") is not None else {}),
        )
        module.add(catalogue)
    elif not isinstance(catalogue, Ethogram) or list(catalogue["behavior"].data) != behaviors:
        raise ConversionError(
            f"{obj.name}: processing/behavior already holds {catalogue_name!r}, another scheme than this one's "
            f"{behaviors}; give this catalogue another name in metadata {obj.metadata_key}/Ethogram/name"
        )

    if not row_count(tables["bouts"]):  # no bout to list: the catalogue alone says what could have been scored
        return Written(catalogue)
    bouts_entry = entry.get("EthogramBouts", {})
    bouts = _table(
        EthogramBouts,
        bouts_entry.get("name") or obj.name,
        bouts_entry.get("description") or attributes.get("description", "Behavior bouts."),
        tables["bouts"],
        contribution.data,
        ethogram=catalogue,
        **{name: attributes[name] for name in BOUT_ATTRIBUTES if attributes.get(name) is not None},
        **_upstream_links(ctx, contribution, attributes.get("links_entry", "")),
    )
    _add_meanings(bouts, attributes.get("meanings", {}))
    ctx.place(bouts, "processing/behavior", metadata_key=f"{obj.metadata_key}/EthogramBouts")
    return Written(bouts)


def _table(cls: type, name: str, description: str, table: pb.Table, data: dict[str, Any], **fields: Any) -> Any:
    """A DynamicTable subtype from the sent columns, in their order; a predefined column sent without a description
    gets its spec's. A JSON column whose cells are lists is ragged, lists of lists doubly ragged."""
    predefined = {column["name"]: column["description"] for column in cls.__columns__}
    vectors: list[VectorData] = []
    for column in table.columns:
        about = column.description or predefined.get(column.name, "")
        cells = None if column.index or column.dtype or column.dataset else column_values(column)
        if cells and isinstance(cells[0], list):
            vectors += _nested(column.name, about, cells)
        else:
            vectors += table_vectors(pb.Table(columns=[column]), data, {column.name: about})[0]
    ids = list(range(row_count(table))) if table.columns else []
    return cls(name=name, description=description, columns=vectors or None, id=ids or None, **fields)


def _nested(name: str, description: str, cells: list[Any]) -> list[VectorData]:
    """A column of lists (of lists): its values end to end and one VectorIndex per level, outermost first."""
    levels = [cells]
    while levels[-1] and all(isinstance(cell, list) for cell in levels[-1]):
        levels.append([value for cell in levels[-1] for value in cell])
    target = VectorData(name=name, description=description, data=[str(value) for value in levels[-1]])
    vectors = [target]
    for depth, level in enumerate(reversed(levels[:-1]), start=1):
        ends = np.cumsum([len(cell) for cell in level], dtype=np.int64)
        target = VectorIndex(name=f"{name}{'_index' * depth}", data=ends, target=target)
        vectors.insert(0, target)
    return vectors


def _add_meanings(table: Any, meanings: dict[str, Any]) -> None:
    """`meanings`: column -> {description, values: {value: meaning}}, one MeaningsTable per column."""
    from hdmf.common import MeaningsTable

    for column, given in meanings.items():
        if not given.get("values"):
            continue
        found = MeaningsTable(target=table[column], description=given["description"])
        for value, meaning in given["values"].items():
            found.add_row(value=value, meaning=meaning)
        table.add_meanings_table(found)


def _column(table: pb.Table, name: str) -> list[Any]:
    return next((list(column_values(c)) for c in table.columns if c.name == name), [])


def _upstream_links(ctx: WriteContext, contribution: Contribution, links_entry: str) -> dict[str, Any]:
    """`source` (an object of the same source), `source_pose` and `source_video` (named by metadata)."""
    found: dict[str, Any] = {}
    if link_of(contribution.obj, "source") is not None:
        found["source"] = ctx.linked_object(contribution.source, contribution.obj, "source")
    pose = upstream_object(
        ctx, links_entry, "pose_estimation_metadata_key", ("Pose/PoseEstimations",), "PoseEstimation"
    )
    if pose is not None:
        found["source_pose"] = pose
    video_registries = ("Behavior/InternalVideos", "Behavior/ExternalVideos")
    video = upstream_object(ctx, links_entry, "video_metadata_key", video_registries, "ImageSeries")
    if video is not None:
        found["source_video"] = video
    return found


def upstream_object(
    ctx: WriteContext, entry_key: str, field: str, registries: tuple[str, ...], type_name: str
) -> AbstractContainer | None:
    """The object another interface wrote whose registry key the entry at `entry_key` gives in `field`; None when
    the entry gives none. The object is found by its name (the registry entry's `name`) and its NWB type."""
    key = ctx.entry(entry_key).get(field) if entry_key else None
    if not key:
        return None
    registered = next((ctx.entry(f"{registry}/{key}") for registry in registries if ctx.entry(f"{registry}/{key}")), {})
    if not registered.get("name"):
        raise ConversionError(f"{entry_key}/{field}: {key!r} is not an entry of {' or '.join(registries)}")
    for candidate in ctx.nwbfile.all_children():  # not `objects`: pynwb caches it on first use
        if candidate.name == registered["name"] and _is_a(candidate, type_name):
            return candidate
    raise ConversionError(
        f"{entry_key}/{field}: no {type_name} named {registered['name']!r} in the file (the interface writing it "
        "must come first)"
    )


def _is_a(container: AbstractContainer, type_name: str) -> bool:
    return any(cls.__name__ == type_name for cls in type(container).__mro__)
