"""The base class every format interface derives from.

A format interface only reads and describes: it says which NWB objects its source contributes (kinds, tables,
dataset plans) and reads any selection of a bulk dataset. Writing lives once, in the coordinator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import numpy as np

from .chunks import Selection
from .contribution import NwbObjectSpec
from .detection import Detection, FolderListing
from .errors import SourceError
from .schemas import base_metadata_schema, schema_from_signature

PATH_ARGUMENTS = {"file_path": "file", "folder_path": "folder"}


class BaseDataInterface(ABC):
    """One source (a file or folder of one format) and what it contributes to an NWB file."""

    display_name: ClassVar[str] = ""
    associated_suffixes: ClassVar[tuple[str, ...]] = ()
    info: ClassVar[str] = ""
    # Where this interface deliberately writes or reads differently from NeuroConv 0.10.2 (docs/formats.md).
    differs_from_neuroconv: ClassVar[str] = ""

    source_data: dict[str, Any]

    @classmethod
    def get_source_schema(cls) -> dict[str, Any]:
        """Derived from `__init__`'s signature and docstring: one source of truth for the arguments."""
        return schema_from_signature(cls.__init__, title=cls.__name__)

    @classmethod
    def open(cls, source_data: dict[str, Any]) -> BaseDataInterface:
        """Validates `source_data`, checks its paths, then opens the source; errors name the file."""
        try:
            jsonschema.validate(source_data, cls.get_source_schema())
        except jsonschema.ValidationError as error:
            where = "/".join(str(p) for p in error.absolute_path) or "source_data"
            raise SourceError(f"{cls.__name__}: {where}: {error.message}") from None
        for argument, kind in PATH_ARGUMENTS.items():
            if argument in source_data:
                _check_path(Path(source_data[argument]), kind, cls.__name__)
        try:
            interface = cls(**source_data)
        except SourceError:
            raise
        except Exception as error:  # the readers raise anything; say which file and which format
            raise SourceError(
                f"{source_label(source_data)}: cannot be read as {cls.display_name or cls.__name__}: "
                f"{type(error).__name__}: {one_line(error)}"
            ) from error
        interface.source_data = dict(source_data)
        return interface

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """The sources of this format in a session folder, from names, companions and header bytes (never whole
        files). Every interface claims its own files; this default claims nothing."""
        return []

    def get_metadata(self) -> dict[str, Any]:
        """Metadata in NeuroConv's layout; formats add what their source knows."""
        return {"NWBFile": {}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return base_metadata_schema()

    @abstractmethod
    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """The NWB objects this source contributes; with `stub`, bulk datasets cut to a short preview."""

    @abstractmethod
    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        """The values of one bulk dataset at `selection` (one slice per axis), in the plan's dtype."""

    def warnings(self) -> list[str]:
        """Doubts about the source that do not stop its conversion, one line each naming the file: where a format
        states no length, a file that ends inside a record may be cut, yet what it holds is written. None by
        default; the coordinator reports them with the conversion."""
        return []

    def sync_channels(self) -> list[str]:
        """The channels `sync_times` reads pulses from (TTL lines, sync words, event lines); none by default."""
        return []

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        """Times (s, increasing, on the clock of this source's objects) of `channel`'s `edge`s ("rising", "falling",
        "both"), of bit `bit` when the channel is a word; `channel` is one of `sync_channels()`, read slab by slab."""
        raise SourceError(f"{source_label(self.source_data)}: {type(self).__name__} has no sync channels")

    def close(self) -> None:  # noqa: B027 - most readers hold nothing that needs releasing
        """Releases file handles; the default has nothing to release."""


def source_label(source_data: dict[str, Any]) -> str:
    """The file or folder a source is, for messages (its source_data when it names none)."""
    for argument in (*PATH_ARGUMENTS, "file_paths"):
        if argument in source_data and source_data[argument] is not None:
            value = source_data[argument]
            return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(source_data)


def _check_path(path: Path, kind: str, interface: str) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such {kind} (source of {interface})", not_found=True)
    if kind == "file" and not path.is_file():
        raise SourceError(f"{path}: is not a file (source of {interface})")
    if kind == "folder" and not path.is_dir():
        raise SourceError(f"{path}: is not a folder (source of {interface})")


def one_line(error: BaseException) -> str:
    """A reader's message on one line (C libraries and some readers write several, some end in a blank one)."""
    return " ".join(str(error).split())
