"""An Images container (summary images of a segmentation: mean, correlation, ...), one image per dataset."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb.base import Images
from pynwb.image import GrayscaleImage, RGBAImage, RGBImage

from ..errors import ConversionError
from .context import WriteContext
from .registry import Contribution, Written, writes


@writes(pb.NWB_KIND_IMAGES)
def add_images(ctx: WriteContext, contribution: Contribution) -> Written:
    """Each dataset is an image; its metadata entry (under the object's key, by dataset name) gives its
    written `name` and `description`. The image type follows its shape: (y, x) gray, (y, x, 3|4) colour.
    Sources that name the same container share it, as NeuroConv's segmentations share SegmentationImages."""
    obj = contribution.obj
    entry = ctx.entry(obj.metadata_key)
    container_name = entry.get("name", obj.name)
    placement = obj.placement or "processing/ophys"
    existing = ctx.module(placement.split("/")[1]).data_interfaces.get(container_name)
    images = existing or Images(
        name=container_name, description=entry.get("description", "Summary images for segmentation.")
    )
    held = {}
    for plan in obj.datasets:
        own = entry.get(plan.name) if isinstance(entry.get(plan.name), dict) else {}
        image = _image_type(obj, plan)(
            name=own.get("name", plan.name),
            description=own.get("description", f"Summary image: {plan.name}."),
            data=contribution.data[plan.name],
        )
        if image.name in images.images:
            raise ConversionError(
                f"{container_name}: two images named {image.name!r}; give one another name in metadata "
                f"{obj.metadata_key}/{plan.name}/name"
            )
        images.add_image(image)
        held[plan.name] = (image, "")
    if existing is None:
        ctx.place(images, placement, metadata_key=obj.metadata_key)
    return Written(images, held)


def _image_type(obj: pb.NwbObject, plan: pb.DatasetPlan) -> type:
    shape = tuple(plan.shape)
    if len(shape) == 2:
        return GrayscaleImage
    if len(shape) == 3 and shape[2] in (3, 4):
        return RGBImage if shape[2] == 3 else RGBAImage
    raise ConversionError(f"{obj.name}/{plan.name}: shape {list(shape)} is not an image (y, x) or (y, x, 3|4)")
