"""DeepLabCut output (.h5 or .csv): a table whose columns are (scorer, [individuals,] bodyparts, coords) and whose
rows are video frames; the project's config.yaml gives the task, the scorer, the skeleton and the video's crop."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, LAYOUT, is_hdf5, relative

from .claims import pose_table_scorer
from .pose import TOP_LEFT_ORIGIN, BasePoseEstimationInterface, Keypoints, keypoint_columns

HDF5_TRACE_END = "End of HDF5 error back trace"
DEEPLABCUT_SCORERS = ("DLC_", "DeepCut")  # how its scorer (and so its output's name) starts: DLC_resnet50_...


class DeepLabCutInterface(BasePoseEstimationInterface):
    """One individual's keypoints from a DeepLabCut output file."""

    display_name = "DeepLabCut"
    associated_suffixes = (".h5", ".csv")
    info = "DeepLabCut keypoint predictions (.h5 or .csv) as an ndx-pose PoseEstimation."
    differs_from_neuroconv = (
        "Edges come from config.yaml's skeleton only (the `_meta.pickle` fallback is not unpickled). Without "
        "`sampling_frequency`, the frame rate may also be given as metadata Pose/PoseEstimations/<key>/rate. Stub "
        "mode writes the first 10 frames (NeuroConv's add_to_nwbfile takes no stub_test)."
    )
    container_name: ClassVar[str] = "PoseEstimationDeepLabCut"

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Predictions as DeepLabCut names them (<video>DLC_<network>...h5) or a table its scorer row names; the
        project's config.yaml (beside or one folder up) is named in the evidence. The .h5 and .csv of one video
        compete: one is kept."""
        detections = []
        for table in listing.with_suffix(".h5", ".csv"):
            if table.suffix.lower() == ".h5":
                if not any(s in table.stem for s in DEEPLABCUT_SCORERS) or not is_hdf5(listing, table):
                    continue
                confidence, evidence = LAYOUT, f"{table}: DeepLabCut's output name, HDF5"
            else:
                scorer = pose_table_scorer(listing, table)
                if scorer is None or not scorer.startswith(DEEPLABCUT_SCORERS):
                    continue
                confidence, evidence = HEADER, f"{table}: DeepLabCut predictions, scorer {scorer}"
            config = project_config(listing, table)
            if config is not None:  # optional, so not spelled out: the person may add it for the skeleton
                evidence += f" (its project's {config} may be given as config_file_path, for the skeleton)"
            twins = [t for t in listing.in_folder(table.parent) if t.stem == table.stem and t.suffix in (".h5", ".csv")]
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(table)},
                    tuple(map(str, twins)),
                    confidence,
                    evidence,
                    name="deeplabcut",
                )
            )
        return detections

    def __init__(
        self,
        file_path: Path,
        config_file_path: Path | None = None,
        subject_name: str = "ind1",
        pose_estimation_metadata_key: str | None = None,
        verbose: bool = False,
        metadata_key: str | None = None,
        sampling_frequency: float | None = None,
    ) -> None:
        """
        Parameters
        ----------
        file_path : Path
            Path to the file output by DeepLabCut (.h5 or .csv).
        config_file_path : Path, optional
            Path to the project's config.yaml: task, scorer, skeleton edges and the video's crop.
        subject_name : str, default: "ind1"
            The individual to write (multi-animal files); also the skeleton's subject.
        pose_estimation_metadata_key : str, optional
            Deprecated name of `metadata_key`.
        verbose : bool, default: False
            Unused; kept for NeuroConv's signature.
        metadata_key : str, optional
            Key of this interface's entries in metadata Pose (default "deep_lab_cut_metadata_key").
        sampling_frequency : float, optional
            The video's frame rate in Hz: DeepLabCut's rows are frames and carry no times.
        """
        path = Path(file_path)
        if ".h5" not in path.suffixes and ".csv" not in path.suffixes:
            raise SourceError(f"{path}: not a DeepLabCut output file (only .h5 and .csv are)")
        if metadata_key is not None and pose_estimation_metadata_key is not None:
            raise SourceError(
                "DeepLabCutInterface: give metadata_key only (pose_estimation_metadata_key is its old name)"
            )
        self.file_path = path
        self.subject_name = subject_name
        self.sampling_frequency = sampling_frequency
        self.metadata_key = metadata_key or pose_estimation_metadata_key or "deep_lab_cut_metadata_key"
        self.config = read_config(Path(config_file_path)) if config_file_path else {}
        table = read_table(path)
        self.scorer = str(table.columns.get_level_values("scorer")[0])
        self.table = self._individual(table)
        self.keypoints()  # reads every value now, so a damaged file fails at open

    def _individual(self, table: Any) -> Any:
        """The subject's columns (bodyparts, coords); a single-animal file is all one individual."""
        if "individuals" not in table.columns.names:
            return table.droplevel("scorer", axis=1)
        individuals = table.columns.get_level_values("individuals").unique().tolist()
        if self.subject_name not in individuals:
            raise SourceError(f"{self.file_path}: no individual {self.subject_name!r} (it has {individuals})")
        return table.xs(self.subject_name, level="individuals", axis=1).droplevel("scorer", axis=1)

    def read_keypoints(self) -> Keypoints:
        names = self.table.columns.get_level_values("bodyparts").unique().tolist()
        values = keypoint_columns(self.table, names, ("x", "y", "likelihood"), self.file_path)
        return Keypoints(names, values[:, :, :2], values[:, :, 2])

    def frame_times(self, max_frames: int | None) -> np.ndarray | None:
        if self.sampling_frequency is None:
            return None
        frames = np.asarray(self.table.index)[:max_frames]
        if frames.dtype.kind not in "iuf":  # rows named by image (labels), not numbered: their order is the frame
            frames = np.arange(len(frames))
        return frames / self.sampling_frequency

    def get_metadata(self) -> dict[str, Any]:
        metadata = super().get_metadata()
        names = self.keypoints().names
        if self.config:
            metadata["NWBFile"].update(session_description=self.config["Task"], experimenter=[self.config["scorer"]])
        video_path, crop = self._video_set()
        skeleton = metadata["Pose"]["Skeletons"][self.metadata_key]
        skeleton.update(
            name=f"Skeleton{self.container_name}_{self.subject_name.capitalize()}",
            edges=config_edges(self.config, names),
            subject=self.subject_name,
        )
        metadata["Pose"]["PoseEstimations"][self.metadata_key].update(
            name=self.container_name,
            source_software="DeepLabCut",
            scorer=self.scorer,
            dimensions=crop_dimensions(crop),
            original_videos=[video_path] if video_path else None,
            PoseEstimationSeries={
                name: {"name": f"PoseEstimationSeries{name.capitalize()}", "reference_frame": TOP_LEFT_ORIGIN}
                for name in names
            },
        )
        return metadata

    def _video_set(self) -> tuple[str | None, str | None]:
        """The config's video whose path holds this file's video name (its stem before "DLC"), and its crop."""
        video_name = self.file_path.stem.split("DLC")[0]
        for video_path, parameters in (self.config.get("video_sets") or {}).items():
            if video_name in video_path:
                return video_path, (parameters or {}).get("crop")
        return None, None


def read_table(path: Path) -> Any:
    """The output table as DeepLabCut reads it back; a file pandas cannot read is named with the cause (for HDF5,
    the deepest line of PyTables' trace: a truncated file, no HDF5 signature)."""
    import pandas as pd

    try:
        if ".h5" in path.suffixes:
            return pd.read_hdf(path)
        return pd.read_csv(path, header=[0, 1, 2], index_col=0)
    except Exception as error:  # pandas and PyTables raise many types for a damaged file
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        end = lines.index(HDF5_TRACE_END) if HDF5_TRACE_END in lines else len(lines)
        cause = lines[end - 1] if end else repr(error)
        raise SourceError(f"{path}: cannot be read as a DeepLabCut table: {cause}") from None


def read_config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SourceError(f"{path}: cannot be read as a DeepLabCut config.yaml: {error}") from None
    if not isinstance(config, dict):
        raise SourceError(f"{path}: not a DeepLabCut config.yaml (no mapping at the top)")
    return config


def config_edges(config: dict[str, Any], names: list[str]) -> list[list[int]]:
    """The config's skeleton (pairs of bodypart names) as pairs of node indices; pairs naming a bodypart this
    file does not track are left out."""
    index = {name: i for i, name in enumerate(names)}
    return [
        [index[pair[0]], index[pair[1]]]
        for pair in config.get("skeleton") or []
        if len(pair) == 2 and pair[0] in index and pair[1] in index
    ]


def crop_dimensions(crop: str | None) -> list[list[int]] | None:
    """DeepLabCut's crop "x1, x2, y1, y2" as NeuroConv's dimensions [[height, width]] (y2, x2)."""
    try:
        parts = [int(part.strip()) for part in str(crop).split(",")]
    except ValueError:
        return None
    return [[parts[3], parts[1]]] if len(parts) == 4 else None


def project_config(listing: FolderListing, output: PurePosixPath) -> PurePosixPath | None:
    """The DeepLabCut project's config.yaml beside `output` or one folder up (predictions go to <project>/videos)."""
    for config in (listing.sibling(output, "config.yaml"), listing.sibling(output.parent, "config.yaml")):
        if config is not None and "bodyparts" in listing.text_head(config):
            return config
    return None
