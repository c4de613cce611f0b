"""Lightning Pose predictions: a CSV in DeepLabCut's layout (header rows scorer / bodyparts / coords x, y,
likelihood; one row per video frame), with the original video giving the frame times and size when it is given."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .claims import pose_table_scorer, video_named
from .pose import TOP_LEFT_ORIGIN, BasePoseEstimationInterface, Keypoints, keypoint_columns
from .video_file import VideoFile

LIGHTNING_POSE_MODELS = ("heatmap", "regression")  # its scorer row names the model type
SESSION_FOLDERS = re.compile(r"(?P<date_time>\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2})")


class LightningPoseDataInterface(BasePoseEstimationInterface):
    """One Lightning Pose predictions CSV."""

    display_name = "Lightning Pose"
    associated_suffixes = (".csv", ".mp4")
    info = "Lightning Pose keypoint predictions (one camera view's CSV) as an ndx-pose PoseEstimation."
    differs_from_neuroconv = (
        "`original_video_file_path` is optional: NeuroConv 0.10.2 requires the video and fails without it; "
        "nwbstream converts the predictions alone when the frame rate is given as metadata "
        "Pose/PoseEstimations/<key>/rate (Hz), and then writes no dimensions or original_videos."
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A predictions table whose scorer row names a Lightning Pose model (the video of the same stem, when
        the folder holds it, is named in the evidence)."""
        detections = []
        for table in listing.with_suffix(".csv"):
            scorer = pose_table_scorer(listing, table)
            if scorer is None or not scorer.startswith(LIGHTNING_POSE_MODELS):
                continue
            evidence = f"{table}: Lightning Pose predictions, model {scorer}"
            video = video_named(listing, table.stem)
            if video is not None:  # optional, so not spelled out
                evidence += f" ({video} may be given as original_video_file_path, for frame times and size)"
            detections.append(
                Detection(
                    cls.__name__, {"file_path": relative(table)}, (str(table),), HEADER, evidence, name="lightning_pose"
                )
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        original_video_file_path: Path | None = None,
        labeled_video_file_path: Path | None = None,
        verbose: bool = False,
        metadata_key: str = "lightning_pose",
    ) -> None:
        """
        Parameters
        ----------
        file_path : Path
            Path to the .csv file of Lightning Pose predictions.
        original_video_file_path : Path, optional
            The video the predictions were made on: frame times and size (NeuroConv requires it).
        labeled_video_file_path : Path, optional
            The video with the predictions drawn on it (named in labeled_videos).
        verbose : bool, default: False
            Unused; kept for NeuroConv's signature.
        metadata_key : str, default: "lightning_pose"
            Key of this interface's entries in metadata Pose.
        """
        import pandas as pd

        self.file_path = Path(file_path)
        self.original_video_file_path = Path(original_video_file_path) if original_video_file_path else None
        self.labeled_video_file_path = labeled_video_file_path
        self.metadata_key = metadata_key
        table = pd.read_csv(self.file_path, header=[0, 1, 2], index_col=0)
        scorers = table.columns.get_level_values(0).unique().tolist()
        if len(scorers) != 1:
            raise SourceError(f"{self.file_path}: not Lightning Pose predictions (scorers {scorers})")
        self.scorer = str(scorers[0])
        self.table = table[self.scorer]
        self.keypoints()  # reads every value now, so a damaged file fails at open

    def read_keypoints(self) -> Keypoints:
        names = self.table.columns.get_level_values(0).unique().tolist()
        values = keypoint_columns(self.table, names, ("x", "y", "likelihood"), self.file_path)
        return Keypoints(names, values[:, :, :2], values[:, :, 2])

    def frame_times(self, max_frames: int | None) -> np.ndarray | None:
        if self.original_video_file_path is None:
            return None
        with VideoFile(self.original_video_file_path) as video:
            return video.timestamps(max_frames)

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        match = SESSION_FOLDERS.search("/".join(self.file_path.parts))
        if match:
            start = datetime.strptime(match.group("date_time"), "%Y-%m-%d/%H-%M-%S")
            metadata["NWBFile"]["session_start_time"] = start.isoformat()
        names = self.keypoints().names
        metadata["Pose"]["Skeletons"][self.metadata_key].update(
            nodes=[name.replace(" ", "") for name in names], edges=[]
        )
        video = self.original_video_file_path
        metadata["Pose"]["PoseEstimations"][self.metadata_key].update(
            source_software="LightningPose",
            scorer=self.scorer,
            dimensions=[list(self._frame_size())] if video else None,
            original_videos=[str(video)] if video else None,
            labeled_videos=[str(self.labeled_video_file_path)] if self.labeled_video_file_path else None,
            PoseEstimationSeries={
                name: {"name": f"PoseEstimationSeries{name.replace(' ', '')}", "reference_frame": TOP_LEFT_ORIGIN}
                for name in names
            },
        )
        return metadata

    def _frame_size(self) -> tuple[int, int]:
        """(height, width) of the original video."""
        with VideoFile(self.original_video_file_path) as video:
            height, width, _ = video.frame_shape
        return height, width
