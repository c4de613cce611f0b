"""A collection of image files written into one `Images` container, as NeuroConv 0.10.2's image interfaces
write it: the files of `file_paths`, or those of `folder_path` with the interface's suffixes, each image named
by its file's stem, with NeuroConv's metadata (`Images/<metadata_key>`: the container's `name` and
`description`, and one block per image under `images`, keyed by the file's path).

Formats say which files they take (`_check_image`) and what each becomes (`describe`, through `images_object`);
finding the files, their headers, the metadata and the object are shared.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import BaseDataInterface, DatasetSpec, FolderListing, Kind, NwbObjectSpec, SourceError
from nwbstream.service.schemas import base_metadata_schema

_TEXT = {"type": "string"}
# How each image format's files begin (webp: a RIFF file whose form type, at byte 8, is WEBP).
SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"RIFF")


class BaseImageInterface(BaseDataInterface):
    """`self.files` maps each image's id (see `_image_ids`) to its file, `self.headers` to Pillow's (format, mode,
    size) of it."""

    placement: str = "acquisition"

    def __init__(
        self,
        file_paths: list[Path] | None = None,
        folder_path: Path | None = None,
        metadata_key: str = "Images",
        verbose: bool = True,
    ):
        """
        Parameters
        ----------
        file_paths : list of str, optional
            The image files, one image each.
        folder_path : str, optional
            A folder whose image files are read instead (suffix by suffix, by name); give this or file_paths.
        metadata_key : str, default: "Images"
            The entry under metadata["Images"] that names and describes this container.
        verbose : bool, default: True
            Accepted for NeuroConv's signature; nwbstream reports progress itself.
        """
        self.metadata_key = metadata_key
        self.files = _image_ids(self._paths(file_paths, folder_path))
        self.headers = {image_id: self._read_header(path) for image_id, path in self.files.items()}
        for image_id, (image_format, mode, _) in self.headers.items():
            self._check_image(self.files[image_id], image_format, mode)

    @classmethod
    def image_folders(cls, listing: FolderListing) -> dict[PurePosixPath, list[PurePosixPath]]:
        """Each folder's files the folder reading takes (the interface's suffixes, as they are spelled), those
        whose first bytes are an image's."""
        found: dict[PurePosixPath, list[PurePosixPath]] = {}
        for suffix in cls.associated_suffixes:
            for file in sorted(f for f in listing.files if f.name.endswith(suffix)):
                head = listing.head(file, 12)
                if head.startswith(SIGNATURES) and (not head.startswith(b"RIFF") or head[8:12] == b"WEBP"):
                    found.setdefault(file.parent, []).append(file)
        return found

    def _paths(self, file_paths: list[Path] | None, folder_path: Path | None) -> list[Path]:
        if (file_paths is None) == (folder_path is None):
            raise SourceError(f"{type(self).__name__}: give either file_paths or folder_path (exactly one)")
        if folder_path is not None:
            folder = Path(folder_path)
            # NeuroConv globs suffix by suffix; within a suffix the file system's order, sorted here.
            found = [path for suffix in self.associated_suffixes for path in sorted(folder.glob(f"*{suffix}"))]
            if not found:
                raise SourceError(f"{folder}: no image files ({', '.join(self.associated_suffixes)})")
            return found
        paths = [Path(p) for p in file_paths]
        for path in paths:
            if not path.is_file():
                raise SourceError(f"{path}: no such file (source of {type(self).__name__})", not_found=True)
        return paths

    def _read_header(self, path: Path) -> tuple[str, str, tuple[int, int]]:
        """(format, mode, (width, height)) as Pillow reads them from the header; a file Pillow cannot open is a
        SourceError naming it."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                return image.format, image.mode, image.size
        except (UnidentifiedImageError, OSError) as error:
            raise SourceError(f"{path}: not an image Pillow can read: {error}") from None

    @abstractmethod
    def _check_image(self, path: Path, image_format: str, mode: str) -> None:
        """Raises SourceError, naming the file, for an image this interface cannot write."""

    def _image_fields(self) -> dict[str, Any]:
        """What one image's metadata block may set (JSON schema properties); formats add their type's fields."""
        return {
            "name": {"type": "string", "description": "Name of the image in the container."},
            "description": {"type": "string", "description": "Description of the image."},
        }

    def get_metadata(self) -> dict[str, Any]:
        container = {
            "name": self.metadata_key,
            "description": self.container_description,
            "images": {str(path): {"name": path.stem} for path in self.files.values()},
        }
        return {"NWBFile": {}, "Images": {self.metadata_key: container}}

    @property
    def container_description(self) -> str:
        return f"Images loaded through {type(self).__name__}"

    def get_metadata_schema(self) -> dict[str, Any]:
        schema = base_metadata_schema()
        image = {"type": "object", "properties": self._image_fields(), "additionalProperties": False}
        container = {
            "type": "object",
            "properties": {
                "name": _TEXT,
                "description": _TEXT,
                "images": {"type": "object", "additionalProperties": image},
            },
            "additionalProperties": False,
        }
        schema["properties"]["Images"] = {"type": "object", "properties": {self.metadata_key: container}}
        return schema

    def images_object(
        self, datasets: list[DatasetSpec] | None = None, external: dict[str, dict[str, str]] | None = None
    ) -> NwbObjectSpec:
        """The Images object: embedded images as `datasets`, external ones (by image id) as attributes, and for
        each image id the file whose metadata block names and describes it."""
        attributes: dict[str, Any] = {
            "description": self.container_description,
            "images": {image_id: str(path) for image_id, path in self.files.items()},
        }
        if external:
            attributes["external_images"] = external
        return NwbObjectSpec(
            kind=Kind.IMAGES,
            name=self.metadata_key,
            metadata_key=f"Images/{self.metadata_key}",
            placement=self.placement,
            datasets=datasets or [],
            attributes=attributes,
        )


def _image_ids(paths: list[Path]) -> dict[str, Path]:
    """Image id -> path: the file's stem, or for a stem several files share, its position and file name (their
    written names must then differ in the metadata). The same file twice is an error."""
    if len(set(paths)) != len(paths):
        twice = sorted({str(p) for p in paths if paths.count(p) > 1})
        raise SourceError(f"{', '.join(twice)}: given twice")
    stems = [p.stem for p in paths]
    return {(p.stem if stems.count(p.stem) == 1 else f"{i}_{p.name}"): p for i, p in enumerate(paths)}


def decoded(path: Path) -> np.ndarray:
    """The file's pixels as Pillow decodes them."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image)
