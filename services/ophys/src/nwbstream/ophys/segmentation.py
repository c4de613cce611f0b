"""Any roiextractors segmentation extractor, described as NeuroConv 0.10 writes it: one PlaneSegmentation (ROI
masks in the extractor's own form, every ROI property as a column), one RoiResponseSeries per trace that is
not all zeros (all in Fluorescence), and the summary images (SegmentationImages).

Image masks are a bulk column streamed by ROI groups (never all masks of a large field of view in one
message); pixel and voxel masks are small ragged records, sent typed and written by pynwb.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from nwbstream.service import BaseDataInterface, Column, DatasetSpec, Kind, Link, NwbObjectSpec, Table
from nwbstream.service.chunks import Selection

from .imaging import frame_times, source_timing
from .metadata import ophys_metadata_schema

STUB_FRAMES = 100
TRACE_NAMES = {  # NeuroConv's default series names, by roiextractors trace name
    "raw": "RoiResponseSeries",
    "deconvolved": "Deconvolved",
    "neuropil": "Neuropil",
    "denoised": "Denoised",
    "baseline": "Baseline",
    "dff": "DfOverF",
}
PROPERTY_DESCRIPTIONS = {
    "snr": "Signal-to-noise ratio for each component",
    "r_values": "Spatial correlation values for each component",
    "cnn_preds": "CNN classifier predictions for component quality",
}
PIXEL_FIELDS = {
    "pixel": [("x", "<u4"), ("y", "<u4"), ("weight", "<f4")],
    "voxel": [("x", "<u4"), ("y", "<u4"), ("z", "<u4"), ("weight", "<f4")],
}


class BaseSegmentationInterface(BaseDataInterface):
    """Formats set `self.segmentation` (a roiextractors SegmentationExtractor) and `self.metadata_key`."""

    plane_segmentation_name: ClassVar[str] = "PlaneSegmentation"
    segmentation: Any
    metadata_key: str
    _traces: dict[str, Any]
    _images: dict[str, np.ndarray]

    def frame_times(self) -> np.ndarray | None:
        """The time of each frame, if the source has them; formats override when asking can fail."""
        return frame_times(self.segmentation)

    def get_metadata(self) -> dict[str, Any]:
        return {"NWBFile": {}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return ophys_metadata_schema(("ImagingPlanes", "PlaneSegmentations", "RoiResponses", "SegmentationImages"))

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        segmentation = self.segmentation
        n_frames = segmentation.get_num_samples()
        if stub:
            n_frames = min(n_frames, STUB_FRAMES)
        key = self.metadata_key
        table_name = self.plane_segmentation_name
        objects = [
            NwbObjectSpec(
                kind=Kind.PLANE_SEGMENTATION,
                name=table_name,
                metadata_key=f"Ophys/PlaneSegmentations/{key}",
                tables=[Table("rois", self._roi_columns())],
                datasets=self._mask_datasets(),
                links=[Link("imaging_plane", metadata_key=f"Ophys/ImagingPlanes/{key}")],
            )
        ]
        timing, timestamps = source_timing(segmentation, n_frames, self.frame_times())
        self._traces = {
            name: trace
            for name, trace in segmentation.get_traces_dict().items()
            # NeuroConv leaves all-zero traces out. A "background" trace is one per background component, not
            # per ROI: it cannot go on the ROI table (NeuroConv writes it there anyway, under a clashing name).
            if trace is not None and name != "background" and np.any(trace)
        }
        for name, trace in self._traces.items():
            shape = (n_frames, int(trace.shape[1]))
            datasets = [DatasetSpec("data", np.dtype(trace.dtype).newbyteorder("<"), shape)]
            if timestamps is not None:
                datasets.append(DatasetSpec.inline("timestamps", timestamps, time_valued=True))
            objects.append(
                NwbObjectSpec(
                    kind=Kind.ROI_RESPONSE_SERIES,
                    name=TRACE_NAMES.get(name, name),
                    metadata_key=f"Ophys/RoiResponses/{key}/{name}",
                    timing=timing,
                    datasets=datasets,
                    links=[Link("rois", object=table_name)],
                    placement="processing/ophys/Fluorescence",
                )
            )
        self._images = {
            name: np.asarray(image).T for name, image in segmentation.get_images_dict().items() if image is not None
        }
        if self._images:
            objects.append(
                NwbObjectSpec(
                    kind=Kind.IMAGES,
                    name="SegmentationImages",
                    metadata_key=f"Ophys/SegmentationImages/{key}",
                    datasets=[
                        DatasetSpec(name, np.dtype(image.dtype).newbyteorder("<"), image.shape)
                        for name, image in self._images.items()
                    ],
                    placement="processing/ophys",
                )
            )
        return objects

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        if object_name == self.plane_segmentation_name:  # image_mask: ROIs x width x height
            rois, *inner = selection
            ids = self.segmentation.get_roi_ids()[rois]
            masks = np.asarray(self.segmentation.get_roi_image_masks(roi_ids=ids)).T
            return masks[(slice(None), *inner)]
        if object_name == "SegmentationImages":
            return self._images[dataset_name][selection]
        trace_name = next(name for name in self._traces if TRACE_NAMES.get(name, name) == object_name)
        frames, rois = selection
        return np.asarray(self._traces[trace_name][frames])[:, rois]

    def mask_type(self) -> str:
        """The extractor's native mask form: "image", "pixel" or "voxel" (NeuroConv writes that one)."""
        return self.segmentation._roi_masks.mask_tpe.replace("nwb-", "").replace("_mask", "")

    def _roi_columns(self) -> list[Column]:
        ids = self.segmentation.get_roi_ids()
        columns = [
            Column("id", "", np.arange(len(ids), dtype="<i8")),
            Column("roi_name", "The unique identifier for each ROI.", [str(i) for i in ids]),
        ]
        kind = self.mask_type()
        if kind == "image":
            columns.append(Column("image_mask", "Image masks for each ROI", dataset="image_mask"))
        else:
            masks = self.segmentation.get_roi_pixel_masks()
            records = np.zeros(sum(len(m) for m in masks), dtype=PIXEL_FIELDS[kind])
            flat = np.concatenate([np.asarray(m) for m in masks]) if masks else np.zeros((0, len(records.dtype)))
            for position, name in enumerate(records.dtype.names):
                records[name] = flat[:, position]
            ends = np.cumsum([len(m) for m in masks])
            columns.append(Column(f"{kind}_mask", f"{kind.capitalize()} masks for each ROI", records, index=ends))
        for key in self.segmentation.get_property_keys():
            values = np.asarray(self.segmentation.get_property(key=key, ids=ids))
            columns.append(Column(key, PROPERTY_DESCRIPTIONS.get(key, ""), values))
        return columns

    def _mask_datasets(self) -> list[DatasetSpec]:
        if self.mask_type() != "image":
            return []
        rows, columns = (int(n) for n in self.segmentation.get_frame_shape())
        ids = self.segmentation.get_roi_ids()
        dtype = np.asarray(self.segmentation.get_roi_image_masks(roi_ids=ids[:1])).dtype.newbyteorder("<")
        return [DatasetSpec("image_mask", dtype, (len(ids), columns, rows))]
