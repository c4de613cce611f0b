"""SIMA datasets (a `.sima` folder of pickles), read without the `sima` package, which does not build on Python 3.11.

What a segmentation needs sits in pickles of plain data that numpy and scipy alone can load: dataset.pkl (a dict:
channel_names, num_frames, frame_shape as (planes, rows, columns, channels)), rois.pkl ({label: {"rois": [{"mask":
one scipy sparse matrix per plane, "polygons", "label", "id", "tags", "im_shape"}], "timestamp"}}),
signals_<channel index>.pkl ({label: {"raw": one (ROIs, frames) array per sequence, "rois", ...}}) and
time_averages.pkl (an array (planes, rows, columns, channels)). Only sequences.pkl holds sima's own classes, and it
describes the raw movie, which a segmentation does not read. The unpickler admits numpy, scipy.sparse and builtins
only (and maps the `future` package's Python 2 string to str), so no other code in a pickle can run.

What roiextractors' SimaSegmentationExtractor picks, this picks too: the ROI set `sima_segmentation_label` (or the
only one), the first channel with signals, the first signal label that is not a timestamp, the first sequence.
Unlike roiextractors 0.10 it reads the traces as sima stores them, ROIs x frames (roiextractors takes them as frames
x ROIs), and the mean image of that one channel. Polygon-only ROIs (drawn, not segmented; sima rasterises them
with shapely) and ROIs over several planes are refused.

A SIMA dataset records no frame rate, and NeuroConv's SimaSegmentationInterface takes none (NeuroConv 0.10.2 fails
on float(None) when it writes the traces): `describe` refuses for that reason, after the dataset has been read.
"""

from __future__ import annotations

import builtins
import codecs
import copyreg
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy._core import multiarray as np_multiarray
from nwbstream.service import BaseDataInterface, Detection, FolderListing, NwbObjectSpec, SourceError
from nwbstream.service.detection import LAYOUT, relative

from .segmentation import BaseSegmentationInterface

BUILTINS = {"set", "frozenset", "slice", "complex", "object", "list", "dict", "tuple", "bytearray"}
NUMPY = {"dtype", "ndarray", "_reconstruct", "scalar"}  # what numpy arrays and scalars pickle as
TIMESTAMP_LABEL = re.compile(r"\d{4}-\d{2}-\d{2}-")


class SimaSegmentationInterface(BaseSegmentationInterface):
    display_name = "SIMA Segmentation"
    associated_suffixes = (".sima",)
    info = "SIMA segmentations (.sima): ROIs and traces."
    plane_segmentation_description = "Segmentation data acquired with SIMA."

    @classmethod
    def open(cls, source_data: dict[str, Any]) -> BaseDataInterface:
        """`file_path` names the .sima folder (NeuroConv's argument name); the base checks a file_path is a file,
        so the folder is checked through its dataset.pkl."""
        folder = Path(source_data.get("file_path", ""))
        if not folder.is_dir():
            return super().open(source_data)
        interface = super().open({**source_data, "file_path": str(folder / "dataset.pkl")})
        interface.source_data = dict(source_data)
        return interface

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A .sima folder: SIMA's dataset.pkl with the rois.pkl a segmentation adds."""
        detections = []
        for dataset in listing.named("dataset.pkl"):
            folder = dataset.parent
            name = folder.name or listing.root.name
            if not name.lower().endswith(".sima") or listing.sibling(dataset, "rois.pkl") is None:
                continue
            evidence = f"{relative(folder)}: SIMA dataset.pkl + rois.pkl (it records no frame rate: not converted)"
            files = tuple(map(str, listing.below(folder)))
            detections.append(Detection(cls.__name__, {"file_path": relative(folder)}, files, LAYOUT, evidence))
        return detections

    def __init__(self, file_path: Path, sima_segmentation_label: str = "auto_ROIs", metadata_key: str | None = None):
        """
        Parameters
        ----------
        file_path : Path
            The .sima folder (or its dataset.pkl).
        sima_segmentation_label : str
            The ROI set to read when rois.pkl holds several; a lone set is read whatever its label.
        metadata_key : str, optional
            Key in the Ophys metadata; default "sima_segmentation".
        """
        folder = Path(file_path)
        self.folder = folder if folder.is_dir() else folder.parent
        self.segmentation = read_sima(self.folder, sima_segmentation_label)
        self.metadata_key = metadata_key or "sima_segmentation"

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        raise SourceError(
            f"{self.folder}: a SIMA dataset records no frame rate (dataset.pkl holds channel_names, num_frames and "
            "frame_shape only) and NeuroConv's SimaSegmentationInterface takes none, so its traces cannot be timed; "
            "NeuroConv 0.10.2 fails on it too"
        )


def read_sima(folder: Path, label: str) -> Any:
    """The segmentation in `folder` as a roiextractors NumpySegmentationExtractor (image masks, raw traces, mean
    image), without a frame rate."""
    from roiextractors import NumpySegmentationExtractor

    dataset = load_pickle(folder / "dataset.pkl")
    planes, rows, columns, _ = dataset["frame_shape"]
    if planes != 1:
        raise SourceError(f"{folder}: {planes} planes; only single-plane SIMA datasets are read")
    rois = roi_set(folder, label)
    channel, traces = first_signals(folder, len(dataset["channel_names"]))
    if traces.shape[1] != len(rois):
        raise SourceError(f"{folder}: {traces.shape[1]} traces for {len(rois)} ROIs")
    masks = np.stack([roi_mask(folder, roi, rows, columns) for roi in rois], axis=2)
    averages = load_pickle(folder / "time_averages.pkl") if (folder / "time_averages.pkl").exists() else None
    mean = None if averages is None else np.asarray(averages)[0, :, :, channel]
    return NumpySegmentationExtractor(image_masks=masks, raw=traces, mean_image=mean)


def roi_set(folder: Path, label: str) -> list[dict]:
    sets = load_pickle(folder / "rois.pkl")
    if not sets:
        raise SourceError(f"{folder / 'rois.pkl'}: no ROI sets")
    if len(sets) > 1 and label not in sets:
        raise SourceError(f"{folder / 'rois.pkl'}: no ROI set {label!r}; it holds {', '.join(map(str, sets))}")
    return list((sets[label] if len(sets) > 1 else next(iter(sets.values())))["rois"])


def first_signals(folder: Path, num_channels: int) -> tuple[int, np.ndarray]:
    """(channel index, frames x ROIs) of the first channel with signals: its first label that is not a timestamp
    (else its last), first sequence."""
    for channel in range(num_channels):
        path = folder / f"signals_{channel}.pkl"
        signals = load_pickle(path) if path.exists() else {}
        if signals:
            labels = list(signals)
            chosen = next((name for name in labels if not TIMESTAMP_LABEL.search(name)), labels[-1])
            return channel, np.asarray(signals[chosen]["raw"][0]).T
    raise SourceError(f"{folder}: no extracted signals (signals_<channel>.pkl) in any of {num_channels} channels")


def roi_mask(folder: Path, roi: dict, rows: int, columns: int) -> np.ndarray:
    """One ROI's weights on the frame (rows x columns); a stored mask smaller or larger than the frame is padded
    or cut, as sima does for im_shape."""
    if roi.get("mask") is None:
        raise SourceError(f"{folder / 'rois.pkl'}: ROI {roi.get('label') or roi.get('id')} has polygons only")
    if len(roi["mask"]) != 1:
        raise SourceError(f"{folder / 'rois.pkl'}: an ROI spans {len(roi['mask'])} planes")
    stored = np.asarray(roi["mask"][0].todense(), dtype=float)
    mask = np.zeros((rows, columns))
    mask[: stored.shape[0], : stored.shape[1]] = stored[:rows, :columns]
    return mask


def load_pickle(path: Path) -> Any:
    """A pickle of plain data (Python 2 pickles too, as latin-1); any class outside numpy, scipy.sparse and
    builtins is refused."""
    try:
        with open(path, "rb") as file:
            return DataUnpickler(file, encoding="latin1").load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as error:
        raise SourceError(f"{path}: not a readable SIMA pickle: {error}") from error


class Python2Text(str):
    """The `future` package's newstr: a str that pickles with an (empty) instance dict."""


class DataUnpickler(pickle.Unpickler):
    """Arrays, sparse matrices, sets and strings only: a pickle naming anything else (a function to call on
    load) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        import scipy.sparse

        if module == "future.types.newstr" and name == "newstr":  # Python 2 sima's str
            return Python2Text
        if module in ("builtins", "__builtin__") and name in BUILTINS:
            return getattr(builtins, name)
        if module in ("copy_reg", "copyreg") and name == "_reconstructor":
            return copyreg._reconstructor
        if module == "_codecs" and name == "encode":  # Python 2 byte strings in a protocol 2 pickle
            return codecs.encode
        if module.split(".")[0] == "numpy" and name in NUMPY:
            return getattr(np, name) if hasattr(np, name) else getattr(np_multiarray, name)
        if module.startswith("scipy.sparse") and name.endswith(("_matrix", "_array")) and hasattr(scipy.sparse, name):
            return getattr(scipy.sparse, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
