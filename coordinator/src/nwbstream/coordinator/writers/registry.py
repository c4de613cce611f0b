"""One writer per NWB kind, registered by kind: a new kind is one writer module and one enum value.

A writer turns one contribution (an `NwbObject` and its datasets: layout-only placeholders for bulk ones,
arrays for inline ones) into pynwb objects, and says which pynwb object holds each bulk dataset, so the
chunks can be stored once the file is laid out. Session-wide parts (the one electrodes table) are built by a
kind's `prepare`, which sees every object of that kind before any is added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hdmf.container import AbstractContainer
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext


@dataclass(frozen=True)
class Contribution:
    """One object to write: where it comes from, what it is, and its datasets by name."""

    source: str  # the source's id: links by object name resolve within it
    obj: pb.NwbObject
    data: dict[str, Any]  # DataIO placeholder (bulk) or numpy array (inline)


@dataclass
class Written:
    """What a writer made: the object others may link to, and the holder of each bulk dataset
    (the pynwb object whose `field` is the dataset; an empty field means the object is the dataset)."""

    container: AbstractContainer
    datasets: dict[str, tuple[AbstractContainer, str]] = field(default_factory=dict)


AddFn = Callable[[WriteContext, Contribution], Written]
PrepareFn = Callable[[WriteContext, Sequence[pb.NwbObject]], None]


@dataclass(frozen=True)
class KindWriter:
    add: AddFn
    prepare: PrepareFn | None = None


WRITERS: dict[int, KindWriter] = {}


def writes(kind: int, prepare: PrepareFn | None = None) -> Callable[[AddFn], AddFn]:
    """Registers the decorated function as the writer of `kind`."""

    def register(add: AddFn) -> AddFn:
        if kind in WRITERS:
            raise RuntimeError(f"NWB kind {pb.NwbKind.Name(kind)} has two writers")
        WRITERS[kind] = KindWriter(add, prepare)
        return add

    return register


def writer_for(obj: pb.NwbObject) -> KindWriter:
    writer = WRITERS.get(obj.kind)
    if writer is None:
        raise ConversionError(f"{obj.name}: NWB kind {obj.kind} has no writer in this coordinator")
    return writer
