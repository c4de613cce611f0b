"""VAME: a project `config.yaml` and per-session `.npy` outputs (latent vectors (frames, zdims), motif and
community labels (frames,) per segmentation run), as ndx-vame series in a VAMEProject plus bouts per motif run.

VAME computes over a sliding window of `time_window` frames, so its first value is at time_window // 2 frames.
"""

from __future__ import annotations

import json
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
from nwbstream.service.detection import HEADER, relative

from .claims import choose_one
from .ethogram import ETHOGRAMS, behavior_schema, ethogram_object, label_runs, modal_categories, numbered_catalogue

STUB_FRAMES = 100  # NeuroConv's stub
VAME = "Behavior/Vame"
LATENT_DTYPE, LABEL_DTYPE = np.dtype("<f4"), np.dtype("<i4")  # what ndx-vame declares


class VameInterface(BaseDataInterface):
    """VAME outputs of one session: latent vectors, motif labels and community labels per run."""

    display_name = "VAME"
    associated_suffixes = (".npy", ".yaml")
    info = "VAME outputs: latent vectors, motif and community labels (ndx-vame)."
    differs_from_neuroconv = (
        "`data_to_write` is always 'both'; aligned timestamps are not settable; a CommunitySeries links the "
        "MotifSeries of its own run (the metadata's `motif_series_metadata_key` is not read); with `session_name`, "
        "a config.yaml that does not list it, or states no n_clusters or segmentation_algorithms, is refused"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A VAME project: a config.yaml naming session_names, with results/<session>/VAME/ outputs beside it; the
        session is filled in when only one has outputs, the frame rate (VAME records none) is a TODO."""
        detections = []
        for config in listing.named("config.yaml"):
            head = listing.text_head(config)
            if "session_names:" not in head or "zdims:" not in head:
                continue
            results = config.parent / "results"
            outputs = [f for f in listing.below(results) if len(f.relative_to(results).parts) > 2]
            outputs = [f for f in outputs if f.relative_to(results).parts[1] == "VAME"]
            sessions = sorted({f.relative_to(results).parts[0] for f in outputs})
            if not sessions:
                continue
            chosen, todo = choose_one("session_name", sessions, "the session to convert")
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(config), **chosen},
                    (str(config), *map(str, outputs)),
                    HEADER,
                    f"{config}: VAME project (session_names, zdims), outputs of {', '.join(sessions)} in {results}",
                    name="vame",
                    todo={**todo, "sampling_frequency_hz": "the frame rate of the video VAME was given, in Hz"},
                )
            )
        return detections

    def __init__(
        self,
        file_path: str,
        *,
        session_name: str | None = None,
        latent_vectors_file_path: str | None = None,
        motif_labels_file_paths: dict[str, str] | None = None,
        community_labels_file_paths: dict[str, str] | None = None,
        sampling_frequency_hz: float | None = None,
        metadata_key: str = "VAMEProject",
        verbose: bool = False,
    ):
        """Open a VAME project's outputs for one session.

        Parameters
        ----------
        file_path : str
            Path to the VAME ``config.yaml`` (stored whole, as JSON, in the VAMEProject).
        session_name : str, optional
            A session of ``config.yaml``'s ``session_names``: its outputs are found under
            ``results/<session>/VAME/`` unless given explicitly.
        latent_vectors_file_path : str, optional
            The ``.npy`` of latent vectors, (frames, zdims).
        motif_labels_file_paths : dict, optional
            Run name (``kmeans``, ``hmm``) -> ``.npy`` of motif labels, one per frame.
        community_labels_file_paths : dict, optional
            Run name -> ``.npy`` of community labels, one per frame.
        sampling_frequency_hz : float, optional
            The video's frame rate in Hz; required (VAME records none).
        metadata_key : str, default "VAMEProject"
            Key of the project in ``Behavior/Vame/VameProjects`` and prefix of its series' keys.
        verbose : bool, default False
            Unused; kept for NeuroConv's signature.
        """
        import yaml

        self._config_path = Path(file_path)
        try:
            self._config = yaml.safe_load(self._config_path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise SourceError(f"{file_path}: not a VAME config.yaml: {error}") from None
        if not isinstance(self._config, dict):
            raise SourceError(f"{file_path}: not a VAME config.yaml (no mapping at its top level)")
        if session_name is not None:
            self._check_session_layout(session_name)
        motifs = dict(motif_labels_file_paths or {})
        communities = dict(community_labels_file_paths or {})
        latent = latent_vectors_file_path
        if session_name is not None:
            found = self._session_outputs(session_name)
            motifs = motifs or found["motifs"]
            communities = communities or found["communities"]
            latent = latent or found["latent"]
        if sampling_frequency_hz is None:
            raise SourceError(f"{file_path}: VameInterface needs sampling_frequency_hz (VAME records no frame rate)")
        self._latent = _open_npy(latent, 2) if latent else None
        self._motifs = {run: _open_npy(path, 1) for run, path in motifs.items()}
        self._communities = {run: _open_npy(path, 1) for run, path in communities.items()}
        arrays = [a for a in (self._latent, *self._motifs.values(), *self._communities.values()) if a is not None]
        if not arrays:
            raise SourceError(f"{file_path}: no VAME output given or found (latent vectors, motif or community labels)")
        self._rate = float(sampling_frequency_hz)
        self.metadata_key = metadata_key
        # Each series object's source array, by the object's name.
        self._sources = {
            **({"LatentSpaceSeries": self._latent} if self._latent is not None else {}),
            **{f"MotifSeries{run.capitalize()}": labels for run, labels in self._motifs.items()},
            **{f"CommunitySeries{run.capitalize()}": labels for run, labels in self._communities.items()},
        }

    def _check_session_layout(self, session: str) -> None:
        """A session's outputs are found from what config.yaml states (its sessions, clustering runs): a config
        that lacks them, empty or cut, would find fewer outputs without a word."""
        missing = [k for k in ("session_names", "n_clusters", "segmentation_algorithms") if not self._config.get(k)]
        if missing:
            raise SourceError(f"{self._config_path}: no {', '.join(missing)} (not a whole VAME config.yaml)")
        if session not in self._config["session_names"]:
            raise SourceError(
                f"{self._config_path}: session {session!r} is not among its session_names "
                f"{self._config['session_names']}"
            )

    def _session_outputs(self, session: str) -> dict[str, Any]:
        """VAME's results layout: results/<session>/VAME/[latent_vectors.npy, <algo>-<n>/...]."""
        folder = self._config_path.parent / "results" / session / "VAME"
        clusters = self._config.get("n_clusters")
        runs = {algo: folder / f"{algo}-{clusters}" for algo in self._config.get("segmentation_algorithms", [])}
        motifs = {algo: run / f"{clusters}_{algo}_label_{session}.npy" for algo, run in runs.items()}
        communities = {algo: run / "community" / f"cohort_community_label_{session}.npy" for algo, run in runs.items()}
        latent = folder / "latent_vectors.npy"
        return {
            "motifs": {algo: str(path) for algo, path in motifs.items() if path.exists()},
            "communities": {algo: str(path) for algo, path in communities.items() if path.exists()},
            "latent": str(latent) if latent.exists() else None,
        }

    # The registry keys of the project's series, as NeuroConv derives them.
    def _key(self, what: str, run: str = "") -> str:
        return f"{self.metadata_key}_{what}" + (f"_{run}" if run else "")

    def get_metadata(self) -> dict[str, Any]:
        key = self.metadata_key
        vame: dict[str, Any] = {"VameProjects": {key: {"name": key}}}
        latent_key = None
        if self._latent is not None:
            zdims = self._config.get("zdims")
            latent_key = self._key("latent_space")
            vame["LatentSpaceSeries"] = {
                latent_key: {
                    "name": "LatentSpaceSeries",
                    "description": "VAME latent-space embeddings"
                    + (f" ({zdims} dimensions per frame)." if zdims else "."),
                    "vame_project_metadata_key": key,
                }
            }
        if self._motifs:
            vame["MotifSeries"] = {
                self._key("motif", run): {
                    "name": f"MotifSeries{run.capitalize()}",
                    "description": "VAME behavioral motif labels.",
                    "algorithm": run,
                    "vame_project_metadata_key": key,
                    "latent_space_metadata_key": latent_key,
                }
                for run in self._motifs
            }
        if self._communities:
            vame["CommunitySeries"] = {
                self._key("community", run): {
                    "name": f"CommunitySeries{run.capitalize()}",
                    "description": "VAME community labels grouping motifs into higher-level behavioral states.",
                    "algorithm": run,
                    "vame_project_metadata_key": key,
                    "motif_series_metadata_key": self._key("motif", run) if run in self._motifs else None,
                }
                for run in self._communities
            }
        behavior: dict[str, Any] = {"Vame": vame}
        if self._motifs:
            behavior["Ethograms"] = {
                f"{key}_{run}": {
                    "EthogramBouts": {
                        "name": f"{key}EthogramBouts{run.capitalize()}",
                        "description": "VAME behavioral motifs as run-length-encoded bouts.",
                    },
                    "Ethogram": {
                        "name": f"{key}Ethogram{run.capitalize()}",
                        "description": "VAME motif catalogue (coding scheme): one row per motif id.",
                    },
                }
                for run in self._motifs
            }
        return {"NWBFile": {}, "Behavior": behavior}

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_schema(super().get_metadata_schema(), Vame={"type": "object"})

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        first = next(iter(self._sources.values()))
        frames = min(STUB_FRAMES, len(first)) if stub else len(first)
        start = int(self._config.get("time_window", 0)) // 2 / self._rate
        timing = Timing(rate=self._rate, starting_time=start)
        project = NwbObjectSpec(
            kind=Kind.VAME_PROJECT,
            name=self.metadata_key,
            metadata_key=f"{VAME}/VameProjects/{self.metadata_key}",
            attributes={
                "vame_config": json.dumps(self._config, default=str),
                "time_window_samples": int(self._config.get("time_window", 0)),
                "vame_version": str(self._config.get("vame_version", "")),
            },
            placement="processing/behavior",
        )
        objects = [project]

        def series(name: str, registry: str, key: str, array: np.ndarray, dtype: np.dtype, links: list[Link], **attr):
            spec = NwbObjectSpec(
                kind=Kind.VAME_SERIES,
                name=name,
                metadata_key=f"{VAME}/{registry}/{key}",
                timing=timing,
                datasets=[DatasetSpec("data", dtype, (frames, *array.shape[1:]))],
                attributes=attr,
                links=[Link("project", object=project.name), *links],
                neurodata_type=registry,
            )
            objects.append(spec)
            return spec

        latent = None
        if self._latent is not None:
            latent = series(
                "LatentSpaceSeries", "LatentSpaceSeries", self._key("latent_space"), self._latent, LATENT_DTYPE, []
            )
        motif_series = {}
        for run, labels in self._motifs.items():
            links = [Link("latent_space_series", object=latent.name)] if latent else []
            name = f"MotifSeries{run.capitalize()}"
            motif_series[run] = series(
                name, "MotifSeries", self._key("motif", run), labels, LABEL_DTYPE, links, algorithm=run
            )
        for run, labels in self._communities.items():
            links = [Link("motif_series", object=motif_series[run].name)] if run in motif_series else []
            name = f"CommunitySeries{run.capitalize()}"
            series(name, "CommunitySeries", self._key("community", run), labels, LABEL_DTYPE, links, algorithm=run)
        for run, labels in self._motifs.items():
            objects.append(self._bouts(run, np.asarray(labels[:frames]), start, frames, motif_series[run].name))
        return objects

    def _bouts(self, run: str, labels: np.ndarray, start: float, frames: int, motif_series: str) -> NwbObjectSpec:
        """The motif run as bouts; its catalogue lists every motif id of the model, with its modal community."""
        clusters = self._config.get("n_clusters")
        ids = list(range(int(clusters))) if clusters is not None else [int(i) for i in np.unique(labels)]
        communities = self._communities.get(run)
        categories = modal_categories(labels, np.asarray(communities[:frames])) if communities is not None else None
        version = str(self._config.get("vame_version", "")).strip()
        parameters = {"n_clusters": clusters, "time_window": self._config.get("time_window"), "algorithm": run}
        return ethogram_object(
            name=f"{self.metadata_key}EthogramBouts{run.capitalize()}",
            metadata_key=f"{ETHOGRAMS}/{self.metadata_key}_{run}",
            bouts=label_runs(labels, start + np.arange(frames) / self._rate, 1.0 / self._rate),
            catalogue=numbered_catalogue(
                ids, "VAME unsupervised motif; the cluster id has no a-priori meaning.", categories
            ),
            attributes={
                "labeling_method": "automated",
                "source_software": f"VAME {version}" if version else "VAME",
                "parameters": json.dumps(parameters),
                "exclusive": True,
                "links_entry": f"{VAME}/VameProjects/{self.metadata_key}",
            },
            links=(Link("source", object=motif_series),),
        )

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        array = self._sources[object_name]
        dtype = LATENT_DTYPE if array.ndim == 2 else LABEL_DTYPE
        return np.asarray(array[selection], dtype=dtype)


def _open_npy(path: str | Path, ndim: int) -> np.ndarray:
    """A VAME output memory-mapped (read by chunks, never whole), with the dimensions VAME writes."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise SourceError(f"{path}: not a readable .npy file: {error}") from None
    if array.ndim != ndim:
        raise SourceError(f"{path}: a VAME output of {ndim} dimension(s) expected, found shape {array.shape}")
    return array
