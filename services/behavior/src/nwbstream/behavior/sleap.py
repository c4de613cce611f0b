"""SLEAP labels (.slp, read with sleap-io): one track of one recording, as NeuroConv 0.10 selects it.

A sample is a labeled frame holding an instance of the track (a human-placed instance wins over a prediction);
predictions carry their scores, human points a confidence of 1.0 (NaN where marked not visible). Frame times come
from the video when it is given (each labeled frame's presentation time), else frame index / frames_per_second.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, is_hdf5, relative

from .claims import choose_one, video_named
from .pose import TOP_LEFT_ORIGIN, BasePoseEstimationInterface, Keypoints
from .video_file import VideoFile

CONFIDENCE_DEFINITION = (
    "Height of the peak in the SLEAP network's confidence map at the location it placed this keypoint, so a "
    "larger value means the network localized the keypoint more strongly. It is not a calibrated probability and "
    "is not bounded by 1. A point placed by a human annotator while proofreading carries no network score and is "
    "written with a confidence of 1.0, and a point the annotator marked not visible with NaN."
)


class SLEAPInterface(BasePoseEstimationInterface):
    """One track of one recording of a SLEAP .slp file."""

    display_name = "SLEAP"
    associated_suffixes = (".slp", ".mp4")
    info = "SLEAP predictions (.slp) of one track as an ndx-pose PoseEstimation."
    differs_from_neuroconv = (
        "A file tracking several individuals needs `track_name` (NeuroConv 0.10.2 then falls back to sleap-io's "
        "deprecated writer, which puts every track in SLEAP_VIDEO_* modules); frame times from the video are "
        "OpenCV's presentation times (NeuroConv reads them with PyAV; equal on the test video). Stub mode writes the "
        "first 10 frames (NeuroConv ignores stub_test here)."
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.slp files (HDF5). The track and the recording to write are TODOs when the file holds several, and so is
        the frame rate (or the video, which the TODO names when it lies beside the file)."""
        detections = []
        for predictions in listing.with_suffix(".slp"):
            if not is_hdf5(listing, predictions):
                continue
            try:
                tracks, videos = slp_tracks_and_videos(listing.path(predictions))
            except (OSError, KeyError, ValueError, IndexError, TypeError, AttributeError):  # not what SLEAP writes
                continue
            todo = choose_one("track_name", tracks, "the individual to write")[1] if len(tracks) > 1 else {}
            if len(videos) > 1:
                todo |= choose_one("video_name", [PurePosixPath(v).stem for v in videos], "the recording to write")[1]
            named = [listing.sibling(predictions, PurePosixPath(v.replace("\\", "/")).name) for v in videos]
            video = named[0] if len(named) == 1 and named[0] else video_named(listing, predictions.stem)
            # Frame times need the video or a rate: a TODO, naming the video when it lies beside the file.
            todo["frames_per_second"] = "the video's frame rate in Hz, or give video_file_path" + (
                f" ({video} lies beside it)" if video is not None else ""
            )
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(predictions)},
                    (str(predictions),),
                    HEADER,
                    f"{predictions}: SLEAP labels (HDF5), {len(tracks)} track(s)",
                    name="sleap",
                    todo=todo,
                )
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        video_file_path: Path | None = None,
        verbose: bool = False,
        frames_per_second: float | None = None,
        track_name: str | None = None,
        video_name: str | None = None,
        metadata_key: str | None = None,
    ) -> None:
        """
        Parameters
        ----------
        file_path : Path
            Path to the .slp file (the output of SLEAP).
        video_file_path : Path, optional
            The recording's video: frame times are its frames' presentation times.
        verbose : bool, default: False
            Unused; kept for NeuroConv's signature.
        frames_per_second : float, optional
            The video's frame rate, when the video is not given.
        track_name : str, optional
            The tracked individual to write; required when the file tracks several.
        video_name : str, optional
            The recording to write (the stem of its path); required when the file holds several.
        metadata_key : str, optional
            Key of this interface's entries in metadata Pose (default "sleap", or "sleap_<track>").
        """
        from sleap_io import load_slp

        self.file_path = Path(file_path)
        self.video_file_path = Path(video_file_path) if video_file_path else None
        self.frames_per_second = frames_per_second
        self.labels = load_slp(str(self.file_path))
        if not self.labels.skeletons:
            raise SourceError(f"{self.file_path}: no skeleton")
        self.track_name = self._track(track_name)
        self.video_name = self._video(video_name)
        self.metadata_key = metadata_key or ("sleap" if self.track_name is None else f"sleap_{self.track_name}")
        self.container_name = (
            "PoseEstimation" if self.track_name is None else f"PoseEstimation{_camel(self.track_name)}"
        )
        self.samples = self._samples()

    def _track(self, track_name: str | None) -> str | None:
        """The track to write: the named one, the only one, or None for a file where no instance has a track."""
        populated = {i.track.name for f in self.labels.labeled_frames for i in f.instances if i.track is not None}
        tracks = [track.name for track in self.labels.tracks if track.name in populated]
        if track_name is None:
            if len(tracks) > 1:
                raise SourceError(
                    f"{self.file_path}: tracks {len(tracks)} individuals ({tracks}); an NWB file holds one subject, "
                    "so name one with track_name (one interface per track)"
                )
            return tracks[0] if tracks else None
        if not tracks:
            raise SourceError(f"{self.file_path}: no instance carries a track, so track {track_name!r} is not there")
        if track_name not in tracks:
            raise SourceError(f"{self.file_path}: no instance of track {track_name!r} (tracks with some: {tracks})")
        return track_name

    def _video(self, video_name: str | None) -> str | None:
        names = [Path(video.filename).stem for video in self.labels.videos]
        if video_name is None:
            if len(names) > 1:
                raise SourceError(f"{self.file_path}: {len(names)} recordings ({names}); name one with video_name")
            return names[0] if names else None
        if names.count(video_name) != 1:
            raise SourceError(f"{self.file_path}: {names.count(video_name)} recordings named {video_name!r} ({names})")
        return video_name

    def _samples(self) -> list[tuple[int, Any]]:
        """(frame index, instance) of this track in this recording, in frame order."""
        samples = []
        for frame in self.labels.labeled_frames:
            if Path(frame.video.filename).stem != self.video_name:
                continue
            instance = self._instance(frame)
            if instance is not None:
                samples.append((int(frame.frame_idx), instance))
        if not samples:
            raise SourceError(f"{self.file_path}: no frame of {self.video_name!r} holds an instance to write")
        return sorted(samples, key=lambda sample: sample[0])

    def _instance(self, frame: Any) -> Any:
        if self.track_name is not None:
            candidates = [i for i in [*frame.user_instances, *frame.predicted_instances] if _on(i, self.track_name)]
            return candidates[0] if candidates else None
        untracked = [i for i in frame.user_instances if i.track is None] or [
            i for i in frame.predicted_instances if i.track is None
        ]
        if len(untracked) > 1:
            raise SourceError(
                f"{self.file_path}: frame {frame.frame_idx} holds {len(untracked)} instances and none has a track, "
                "so which individual each is cannot be told; track them in SLEAP first"
            )
        return untracked[0] if untracked else None

    def read_keypoints(self) -> Keypoints:
        from sleap_io import PredictedInstance

        rows = []
        for _, instance in self.samples:
            if isinstance(instance, PredictedInstance):
                rows.append(instance.numpy(scores=True))
            else:
                positions = instance.numpy()
                rows.append(np.column_stack([positions, np.where(np.isnan(positions).any(axis=1), np.nan, 1.0)]))
        points = np.stack(rows).astype("float64")
        names = [node.name for node in self.labels.skeletons[0].nodes]
        return Keypoints(names, points[:, :, :2], points[:, :, 2])

    def frame_times(self, max_frames: int | None) -> np.ndarray | None:
        frames = np.asarray([index for index, _ in self.samples[:max_frames]])
        if self.video_file_path is not None:
            with VideoFile(self.video_file_path) as video:
                times = video.timestamps(int(frames.max()) + 1)
            if len(times) <= frames.max():
                raise SourceError(
                    f"{self.video_file_path}: {len(times)} frames, but {self.file_path} labels frame {frames.max()}"
                )
            return times[frames]
        if self.frames_per_second is not None:
            return frames / self.frames_per_second
        raise SourceError(f"{self.file_path}: frame times need video_file_path or frames_per_second")

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        skeleton = self.labels.skeletons[0]
        provenance = self.labels.provenance or {}
        metadata["Pose"]["Skeletons"][self.metadata_key].update(
            name=f"Skeleton{self.container_name}",
            edges=[[skeleton.index(edge.source), skeleton.index(edge.destination)] for edge in skeleton.edges],
            subject=self.track_name,
        )
        container: dict[str, Any] = {
            "name": self.container_name,
            "source_software": "SLEAP",
            "PoseEstimationSeries": {
                name: {
                    "name": f"PoseEstimationSeries{_camel(name)}",
                    "confidence_definition": CONFIDENCE_DEFINITION,
                    "reference_frame": TOP_LEFT_ORIGIN,
                }
                for name in self.keypoints().names
            },
        }
        if "sleap_version" in provenance:
            container["source_software_version"] = provenance["sleap_version"]
        if "predictor" in provenance:
            container["scorer"] = provenance["predictor"]
        if self.labels.videos:
            container["original_videos"] = [str(self.labels.videos[0].filename)]
        metadata["Pose"]["PoseEstimations"][self.metadata_key].update(container)
        return metadata


def _on(instance: Any, track_name: str) -> bool:
    return instance.track is not None and instance.track.name == track_name


def _camel(name: str) -> str:
    """NeuroConv's object-name form of a track or node name: title case, underscores dropped."""
    return name.title().replace("_", "")


def slp_tracks_and_videos(path: Path) -> tuple[list[str], list[str]]:
    """The track names and video file names a .slp lists (its tracks_json and videos_json rows), without loading
    its labels."""
    import h5py

    with h5py.File(path, "r") as file:
        tracks = [json.loads(row)[1] for row in file["tracks_json"][:]]
        described = [json.loads(row) for row in file["videos_json"][:]]
    videos = [v.get("filename") or v.get("backend", {}).get("filename", "") for v in described]
    return tracks, videos
