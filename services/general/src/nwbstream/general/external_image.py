"""Images written by reference (NeuroConv's ExternalImageInterface): one ExternalImage per file, holding its path,
its format and its colour mode as Pillow reads them from the header; the pixels stay in the files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, NwbObjectSpec, SourceError
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import GENERIC, relative

from .images import BaseImageInterface

# NWB's ExternalImage takes these formats only, spelled as Pillow spells them.
FORMATS = ("PNG", "JPEG", "GIF")
# Pillow's modes pass as they are, but for its two grayscale spellings (as NeuroConv 0.10.2 maps them).
GRAYSCALE_MODES = {"L": "grayscale", "I;16": "grayscale"}


class ExternalImageInterface(BaseImageInterface):
    """Images written as references to their files."""

    display_name = "External Image Interface"
    associated_suffixes = (".png", ".jpg", ".jpeg", ".gif")
    info = "Image files referenced by path from an Images container; the pixels stay in the files."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Each folder's PNG, JPEG and GIF files, by reference: the alternative to embedding them (ImageInterface)."""
        return [
            Detection(
                cls.__name__,
                {"file_paths": [relative(f) for f in files]},
                tuple(map(str, files)),
                GENERIC - 0.05,
                f"{relative(folder)}: {len(files)} image file(s) (by their first bytes), referenced by path",
                name="external_images",
            )
            for folder, files in sorted(cls.image_folders(listing).items())
        ]

    def _check_image(self, path: Path, image_format: str, mode: str) -> None:
        if image_format not in FORMATS:
            raise SourceError(
                f"{path}: a {image_format} image; NWB's ExternalImage takes {', '.join(FORMATS)} only "
                "(ImageInterface embeds the pixels of any format Pillow reads)"
            )

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        external = {
            image_id: {
                "data": str(self.files[image_id]),
                "image_format": image_format,
                "image_mode": GRAYSCALE_MODES.get(mode, mode),
            }
            for image_id, (image_format, mode, _) in self.headers.items()
        }
        return [self.images_object(external=external)]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        raise SourceError(f"{object_name}: external images have no dataset to read ({dataset_name})")
