"""keypoint-MoSeq `results.h5`: one group per recording holding `syllable` (frames,), `centroid` (frames, 2|3),
`heading` (frames,) and `latent_state` (frames, dims). The file has no time base: the frame rate is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import (
    BaseDataInterface,
    DatasetSpec,
    Detection,
    FolderListing,
    Kind,
    Link,
    NwbObjectSpec,
    SourceError,
    Timing,
)
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import HEADER, is_hdf5, relative

from .claims import choose_one
from .ethogram import ETHOGRAMS, behavior_schema, ethogram_object, label_runs, numbered_catalogue

DATASETS = ("syllable", "centroid", "heading", "latent_state")
STUB_FRAMES = 100
# keypoint-MoSeq keeps the pose's coordinates and records neither their unit nor their frame (NeuroConv's words).
PLACEHOLDER_FRAME = "PLACEHOLDER: keypoint-MoSeq does not record the coordinate frame of the pose it was given."
SYLLABLE_DEFINITION = (
    "keypoint-MoSeq unsupervised syllable; the id is specific to the run that produced it and carries no meaning "
    "outside it."
)


class MoseqKeyPointsInterface(BaseDataInterface):
    """One recording of a keypoint-MoSeq `results.h5`: syllables as bouts, centroid, heading, latent state."""

    display_name = "keypoint-MoSeq"
    associated_suffixes = (".h5",)
    info = "keypoint-MoSeq results for one recording: syllable bouts, centroid and heading."
    differs_from_neuroconv = (
        "stub mode keeps the first 100 frames (NeuroConv has no stub); `data_to_write` is always 'both'; the "
        "centroid and heading always go to Position and CompassDirection (a metadata `container_name` is not read)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """HDF5 files whose top-level groups are keypoint-MoSeq recordings (syllable, centroid, heading datasets);
        the frame rate is not in them."""
        import h5py

        detections = []
        for results in listing.with_suffix(".h5"):
            if not is_hdf5(listing, results):
                continue
            try:
                with h5py.File(listing.path(results), "r") as file:
                    recordings = [
                        name
                        for name, group in file.items()
                        if isinstance(group, h5py.Group) and {"syllable", "centroid", "heading"} <= set(group)
                    ]
            except OSError:
                continue
            if not recordings:
                continue
            todo = {"sampling_frequency_hz": "the frame rate of the video the keypoints came from, in Hz"}
            if len(recordings) > 1:
                todo |= choose_one("recording_name", recordings, "the recording to convert")[1]
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(results)},
                    (str(results),),
                    HEADER,
                    f"{results}: keypoint-MoSeq results, {len(recordings)} recording(s)",
                    name="keypoint_moseq",
                    todo=todo,
                )
            )
        return detections

    def __init__(
        self,
        file_path: str,
        *,
        sampling_frequency_hz: float,
        recording_name: str | None = None,
        metadata_key: str | None = None,
        verbose: bool = False,
    ):
        """Open one recording of a keypoint-MoSeq results file.

        Parameters
        ----------
        file_path : str
            Path to the keypoint-MoSeq ``results.h5``.
        sampling_frequency_hz : float
            Frame rate of the video the keypoints came from, in Hz (``results.h5`` records none).
        recording_name : str, optional
            The recording group to write; optional when the file holds one recording.
        metadata_key : str, optional
            Key of this interface's entries in ``Behavior/MoseqKeyPoints`` and ``Behavior/Ethograms``
            (default ``keypoint_moseq``).
        verbose : bool, default False
            Unused; kept for NeuroConv's signature.
        """
        import h5py

        self._path = Path(file_path)
        self._file = h5py.File(self._path, "r")
        recordings = list(self._file.keys())
        if recording_name is None:
            if len(recordings) != 1:
                raise SourceError(f"{file_path}: holds {len(recordings)} recordings {recordings}; give recording_name")
            recording_name = recordings[0]
        if recording_name not in recordings:
            raise SourceError(f"{file_path}: no recording {recording_name!r} (it holds {recordings})")
        self._group = self._file[recording_name]
        missing = [name for name in DATASETS if name not in self._group]
        if missing:
            raise SourceError(f"{file_path}: recording {recording_name!r} has no {', '.join(missing)}")
        self._recording = recording_name
        self._rate = float(sampling_frequency_hz)
        self.metadata_key = metadata_key or "keypoint_moseq"

    @staticmethod
    def get_available_recordings(file_path: str) -> list[str]:
        """The recording groups of a ``results.h5``."""
        import h5py

        with h5py.File(file_path, "r") as file:
            return list(file.keys())

    def get_metadata(self) -> dict[str, Any]:
        key, recording = self.metadata_key, self._recording
        dims = self._group["latent_state"].shape[1]
        return {
            "NWBFile": {},
            "Behavior": {
                "MoseqKeyPoints": {
                    "Centroids": {
                        key: {
                            "name": "MoseqKeyPointsCentroid",
                            "description": f"Centroid of the animal for recording '{recording}', as estimated by "
                            "keypoint-MoSeq in the coordinate space of the pose keypoints it was given.",
                            "container_name": "Position",
                        }
                    },
                    "Headings": {
                        key: {
                            "name": "MoseqKeyPointsHeading",
                            "description": f"Heading of the animal for recording '{recording}', as estimated by "
                            "keypoint-MoSeq.",
                            "unit": "radians",
                            "container_name": "CompassDirection",
                        }
                    },
                    "LatentStates": {
                        key: {
                            "name": "MoseqKeyPointsLatentState",
                            "description": f"keypoint-MoSeq latent-state trajectory for recording '{recording}' "
                            f"({dims} dimensions per frame), the model's own description of pose.",
                            "unit": "a.u.",
                        }
                    },
                },
                "Ethograms": {
                    key: {
                        "EthogramBouts": {
                            "name": "MoseqKeyPointsEthogramBouts",
                            "description": f"keypoint-MoSeq syllables for recording '{recording}' as "
                            "run-length-encoded bouts. The first frames of the recording are model padding repeated "
                            "from the first real syllable, so the first bout starts earlier than the first syllable "
                            "the model assigned.",
                        },
                        "Ethogram": {
                            "name": "MoseqKeyPointsEthogram",
                            "description": "keypoint-MoSeq syllable catalogue (coding scheme): one row per syllable "
                            "id present in this recording.",
                        },
                    }
                },
            },
        }

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_schema(super().get_metadata_schema(), MoseqKeyPoints={"type": "object"})

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        frames = self._group["syllable"].shape[0]
        frames = min(frames, STUB_FRAMES) if stub else frames
        timing = Timing(rate=self._rate, starting_time=0.0)
        registry = f"Behavior/MoseqKeyPoints/{{}}/{self.metadata_key}"

        def series(dataset: str, name: str, holder: str, fields: dict[str, Any]) -> NwbObjectSpec:
            source = self._group[dataset]
            return NwbObjectSpec(
                kind=Kind.TIME_SERIES,
                name=name,
                metadata_key=registry.format(holder),
                timing=timing,
                datasets=[DatasetSpec("data", _plan_dtype(source.dtype), (frames, *source.shape[1:]))],
                attributes=fields,
                placement="processing/behavior" + (f"/{fields['holder_type']}" if "holder_type" in fields else ""),
                neurodata_type="SpatialSeries" if "reference_frame" in fields else "TimeSeries",
            )

        latent = series("latent_state", "MoseqKeyPointsLatentState", "LatentStates", {"unit": "a.u."})
        centroid = series(
            "centroid",
            "MoseqKeyPointsCentroid",
            "Centroids",
            {"unit": "unknown", "reference_frame": PLACEHOLDER_FRAME, "holder_type": "Position"},
        )
        heading = series(
            "heading",
            "MoseqKeyPointsHeading",
            "Headings",
            {"unit": "radians", "reference_frame": PLACEHOLDER_FRAME, "holder_type": "CompassDirection"},
        )
        syllables = np.asarray(self._group["syllable"][:frames])
        times = np.arange(frames) * (1.0 / self._rate)  # frame times as NeuroConv computes them, to the last bit
        bouts = ethogram_object(
            name="MoseqKeyPointsEthogramBouts",
            metadata_key=f"{ETHOGRAMS}/{self.metadata_key}",
            bouts=label_runs(syllables, times, 1.0 / self._rate),
            catalogue=numbered_catalogue([int(i) for i in np.unique(syllables)], SYLLABLE_DEFINITION),
            attributes={
                "labeling_method": "automated",
                "source_software": "keypoint-MoSeq",
                "exclusive": True,
                "links_entry": f"Behavior/MoseqKeyPoints/Recordings/{self.metadata_key}",
            },
            links=(Link("source", object=latent.name),),
        )
        return [centroid, heading, latent, bouts]

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        dataset = {
            "MoseqKeyPointsCentroid": "centroid",
            "MoseqKeyPointsHeading": "heading",
            "MoseqKeyPointsLatentState": "latent_state",
        }[object_name]
        source = self._group[dataset]
        return np.asarray(source[selection], dtype=_plan_dtype(source.dtype))

    def close(self) -> None:
        self._file.close()


def _plan_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(dtype).newbyteorder("<")
