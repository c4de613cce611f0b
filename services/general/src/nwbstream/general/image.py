"""Images embedded in the file (NeuroConv's ImageInterface): one GrayscaleImage, RGBImage or RGBAImage per file,
by Pillow's mode, its pixels streamed as chunks (decoded once per file, one file at a time)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal

import numpy as np
from nwbstream.service import DatasetSpec, Detection, FolderListing, NwbObjectSpec, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import GENERIC, relative

from .images import BaseImageInterface, decoded

# Pillow mode -> (bands, dtype) of what NeuroConv 0.10.2 writes; LA is written as RGBA (gray in R, G and B).
MODES: dict[str, tuple[tuple[int, ...], str]] = {
    "L": ((), "|u1"),
    "I;16": ((), "<u2"),
    "RGB": ((3,), "|u1"),
    "RGBA": ((4,), "|u1"),
    "LA": ((4,), "|u1"),
}


class ImageInterface(BaseImageInterface):
    """Images decoded with Pillow and stored in the file."""

    display_name = "Image Interface"
    associated_suffixes = (".png", ".jpg", ".jpeg", ".tiff", ".tif", ".webp")
    info = "Image files (png, jpeg, tiff, ...) decoded into an Images container."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder of image files, read whole (a guess: a video, imaging or behaviour claim on them wins)."""
        return [
            Detection(
                cls.__name__,
                {"folder_path": relative(folder)},
                tuple(map(str, files)),
                GENERIC,
                f"{relative(folder)}: {len(files)} image file(s) (by their first bytes)",
                name="images",
            )
            for folder, files in sorted(cls.image_folders(listing).items())
        ]

    def __init__(
        self,
        file_paths: list[Path] | None = None,
        folder_path: Path | None = None,
        images_location: Literal["acquisition", "stimulus"] | None = None,
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
        images_location : {"acquisition", "stimulus"}, optional
            Where the Images container goes (default acquisition). Deprecated in NeuroConv 0.10.2 for the
            conversion option parent_container, which nwbstream takes too.
        metadata_key : str, default: "Images"
            The entry under metadata["Images"] that names and describes this container.
        verbose : bool, default: True
            Accepted for NeuroConv's signature; nwbstream reports progress itself.
        """
        super().__init__(file_paths=file_paths, folder_path=folder_path, metadata_key=metadata_key, verbose=verbose)
        self.placement = images_location or "acquisition"
        self._lock = threading.Lock()
        self._decoded: tuple[str, np.ndarray] | None = None  # the last file decoded: its chunks come together

    def _check_image(self, path: Path, image_format: str, mode: str) -> None:
        if mode not in MODES:
            raise SourceError(f"{path}: image mode {mode} is not one NWB's image types hold ({', '.join(MODES)})")

    def _image_fields(self) -> dict[str, Any]:
        resolution = {"type": "number", "description": "Pixel resolution of the image, in pixels per centimeter."}
        return {**super()._image_fields(), "resolution": resolution}

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        """Every image, stub or not (NeuroConv has no preview of an image collection)."""
        datasets = []
        for image_id, (_, mode, (width, height)) in self.headers.items():
            bands, dtype = MODES[mode]
            datasets.append(DatasetSpec(image_id, np.dtype(dtype), (height, width, *bands)))
        return [self.images_object(datasets=datasets)]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        with self._lock:
            if self._decoded is None or self._decoded[0] != dataset_name:
                self._decoded = (dataset_name, self._pixels(dataset_name))
            return self._decoded[1][selection]

    def _pixels(self, image_id: str) -> np.ndarray:
        path = self.files[image_id]
        try:
            pixels = decoded(path)
        except OSError as error:
            raise SourceError(f"{path}: cannot decode the image: {error}") from None
        if self.headers[image_id][1] == "LA":
            gray, alpha = pixels[..., 0], pixels[..., 1]
            pixels = np.stack([gray, gray, gray, alpha], axis=-1)
        return pixels
