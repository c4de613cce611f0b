"""An Images container, one image per dataset: the summary images of a segmentation (mean, correlation, ...) or
the files of NeuroConv's ImageInterface; and the ExternalImages of its ExternalImageInterface, which hold a path."""

from __future__ import annotations

import json
from typing import Any

from hdmf.container import AbstractContainer
from nwbstream.v1 import modality_pb2 as pb
from pynwb.base import ExternalImage, Images
from pynwb.image import GrayscaleImage, RGBAImage, RGBImage

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes

# NeuroConv's names for the images every segmenter calls the same; any other image is named by its key.
DEFAULT_NAMES = {"correlation": "correlation_image", "mean": "mean_image"}
SEGMENTATION_DESCRIPTION = "Summary images for segmentation."
FILE_IMAGE_FIELDS = ("name", "description", "resolution")


@writes(pb.NWB_KIND_IMAGES)
def add_images(ctx: WriteContext, contribution: Contribution) -> Written:
    """Each dataset is an image, whose type follows its shape: (y, x) gray, (y, x, 3|4) colour; each entry of
    `attributes_json.external_images` (`data`: the path, `image_format`, `image_mode`) is an ExternalImage.
    The entry at `metadata_key` gives the container's `name` and `description`, and each image's own block (see
    `_image_fields`) its `name`, `description` and `resolution`. Sources that name the same container at the
    same place share it, as NeuroConv's segmentations share SegmentationImages."""
    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    entry = ctx.entry(obj.metadata_key)
    container_name = entry.get("name", obj.name)
    placement = obj.placement or "processing/ophys"
    existing = _held_at(ctx, placement).get(container_name)
    images = existing if isinstance(existing, Images) else None
    if images is None:
        description = entry.get("description", attributes.get("description", SEGMENTATION_DESCRIPTION))
        images = Images(name=container_name, description=description)
    held = {}
    for plan in obj.datasets:
        fields, where = _image_fields(obj, entry, attributes, plan.name)
        image = _image_type(obj, plan)(**fields, data=contribution.data[plan.name])
        _add(images, image, where)
        held[plan.name] = (image, "")
    for key, external in attributes.get("external_images", {}).items():
        fields, where = _image_fields(obj, entry, attributes, key)
        _add(images, ExternalImage(**{k: v for k, v in fields.items() if k != "resolution"}, **external), where)
    if images is not existing:
        ctx.place(images, placement, metadata_key=obj.metadata_key)
    return Written(images, held)


def _image_fields(
    obj: pb.NwbObject, entry: dict[str, Any], attributes: dict[str, Any], key: str
) -> tuple[dict[str, Any], str]:
    """An image's `name`, `description`, `resolution`, and the metadata block they come from. An image of a file
    (`attributes_json.images` maps its key to the file) has them in the entry's `images` block of that file, as
    NeuroConv's image interfaces have, and no description unless given; any other image in the entry's block
    under its own key."""
    files = attributes.get("images", {})
    if key in files:
        own = entry.get("images", {}).get(files[key], {})
        fields = {"name": key, **{field: own[field] for field in FILE_IMAGE_FIELDS if field in own}}
        return fields, f"{obj.metadata_key}/images/{files[key]}"
    own = entry.get(key) if isinstance(entry.get(key), dict) else {}
    fields = {
        "name": own.get("name", DEFAULT_NAMES.get(key, key)),
        "description": own.get("description", f"Summary image: {key}."),
    }
    return fields, f"{obj.metadata_key}/{key}"


def _add(images: Images, image: AbstractContainer, where: str) -> None:
    if image.name in images.images:
        raise ConversionError(
            f"{images.name}: two images named {image.name!r}; give one another name in metadata {where}/name"
        )
    images.add_image(image)


def _held_at(ctx: WriteContext, placement: str) -> dict[str, AbstractContainer]:
    """What is already at `placement` ("acquisition", "stimulus", "processing/<module>"), by name."""
    if placement == "acquisition":
        return ctx.nwbfile.acquisition
    if placement == "stimulus":
        return ctx.nwbfile.stimulus
    return ctx.module(placement.split("/")[1]).data_interfaces


def _image_type(obj: pb.NwbObject, plan: pb.DatasetPlan) -> type:
    shape = tuple(plan.shape)
    if len(shape) == 2:
        return GrayscaleImage
    if len(shape) == 3 and shape[2] in (3, 4):
        return RGBImage if shape[2] == 3 else RGBAImage
    raise ConversionError(f"{obj.name}/{plan.name}: shape {list(shape)} is not an image (y, x) or (y, x, 3|4)")
