"""GuPPy output folders (`<session>_output_<N>`): the traces GuPPy derived, as ndx-guppy objects.

What NeuroConv 0.10 writes from the folder: `GuppyParameters` (from GuPPyParamtersUsed.json) as lab metadata, and in
a `guppy` processing module the recording-sites registry (one row per `signal_<site>` label of storesList.csv),
the events registry (one row per behavioral event label, its onsets GuPPy kept, `<event>_<site>.hdf5`, written
as the `GuppyEvents` EventsTable it points into), and
one `GuppyDerivedResponseSeries` per `<cntrl_sig_fit|dff|z_score>_<site>.hdf5`, timed by the site's
`timeCorrection_<site>.hdf5`. storesList.csv holds the acquisition store ids in its first row and GuPPy's labels
(`signal_<site>`, `control_<site>`, `covariate_<name>`, any other: an event) in its second.

GuPPy's optional analyses (PSTHs, peak/AUC, transients, cross-correlations, significance, binned metrics,
covariates, tonic epochs, artifact-free intervals) are refused with the files that hold them, not dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import (
    BaseDataInterface,
    Column,
    DatasetSpec,
    Detection,
    FolderListing,
    Kind,
    Link,
    NwbObjectSpec,
    Table,
    Timing,
)
from nwbstream.service.chunks import Selection
from nwbstream.service.detection import LAYOUT, relative
from nwbstream.service.errors import SourceError
from nwbstream.service.timing import regular_rate

from .claims import csv_rows
from .photometry import photometry_metadata_schema

# GuPPy's file prefix of a derived trace -> (ndx-guppy trace_type, unit, description), as NeuroConv writes them
TRACES = {
    "cntrl_sig_fit": ("control_fit", "n.a.", "GuPPy fitted control trace for recording_site '{site}'."),
    "dff": ("dff", "a.u.", "GuPPy ΔF/F trace for recording_site '{site}'."),
    "z_score": ("z_score", "a.u.", "GuPPy z-scored trace for recording_site '{site}'."),
}
SITES_TABLE = "recording_sites"
EVENTS_TABLE = "events"
STUB_SECONDS = 1.0  # NeuroConv's stub: the samples of each trace's first second
# the files and folders of GuPPy's optional analyses, which are not converted yet
OPTIONAL_PRODUCTS = (
    "*.h5",
    "transientsOccurrences_*.csv",
    "tonic_epochs_*.csv",
    "coordsForPreProcessing_*.npy",
    "cross_correlation_output",
    "psth_significance_output",
)
PARAMETERS = {  # GuPPyParamtersUsed.json key -> (GuppyParameters field, type)
    "guppy_version": ("guppy_version", str),
    "zscore_method": ("zscore_method", str),
    "artifactsRemovalMethod": ("artifacts_removal_method", str),
    "isosbestic_control": ("isosbestic_control", bool),
    "removeArtifacts": ("remove_artifacts", bool),
    "useTransientsAsEvents": ("use_transients_as_events", bool),
    "computeBinnedMetrics": ("compute_binned_metrics", bool),
    "computePsthSignificance": ("compute_psth_significance", bool),
    "bin_psth_trials": ("bin_psth_trials", int),
    "psthBootstrapResamples": ("psth_bootstrap_resamples", int),
    "baselineWindowStart": ("baseline_window_start", float),
    "baselineWindowEnd": ("baseline_window_end", float),
    "filter_window": ("filter_window", float),
    "transientsThresh": ("transients_thresh", float),
    "highAmpFilt": ("high_amp_filt", float),
    "moving_window": ("moving_window", float),
    "nSecPrev": ("n_sec_prev", float),
    "nSecPost": ("n_sec_post", float),
    "timeInterval": ("time_interval", float),
    "baselineCorrectionStart": ("baseline_correction_start", float),
    "baselineCorrectionEnd": ("baseline_correction_end", float),
    "binnedMetricsWidth": ("binned_metrics_width", float),
    "psthSignificanceAlpha": ("psth_significance_alpha", float),
}


class GuppyInterface(BaseDataInterface):
    """The derived traces, registries and parameters of one GuPPy output folder."""

    display_name = "Guppy"
    associated_suffixes = ("hdf5", "csv", "h5", "json")
    info = "GuPPy's processed fiber photometry outputs: traces, z-scores, transients and its parameters."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Folders holding storesList.csv whose second row holds GuPPy's signal_<site> labels, beside the traces
        GuPPy derived (<trace>_<site>.hdf5); every file there is GuPPy's."""
        detections = []
        for stores in listing.named("storesList.csv"):
            rows = csv_rows(listing, stores)
            signals = [label for label in (rows[1] if len(rows) == 2 else []) if label.startswith("signal_")]
            sites = [s.removeprefix("signal_") for s in signals]
            traces = [f"{prefix}_{site}.hdf5" for prefix in TRACES for site in sites]
            if not any(listing.sibling(stores, name) for name in traces):
                continue
            folder = stores.parent
            evidence = f"{relative(folder)}: GuPPy storesList.csv (sites {', '.join(sites)}) + derived traces"
            files = tuple(map(str, listing.below(folder)))
            detections.append(Detection(cls.__name__, {"folder_path": relative(folder)}, files, LAYOUT, evidence))
        return detections

    def __init__(self, folder_path: Path, *, metadata_key: str | None = None, verbose: bool = False):
        """Reads storesList.csv, GuPPyParamtersUsed.json, each site's time correction and derived traces.

        Parameters
        ----------
        folder_path : Path
            The GuPPy output folder (`<session>_output_<N>`, holding storesList.csv).
        metadata_key : str, optional
            Key under FiberPhotometry.Guppy for this output's metadata; default the folder's name.
        verbose : bool, default: False
            Unused; NeuroConv's argument.
        """
        self.folder = Path(folder_path)
        self.metadata_key = metadata_key or self.folder.name
        self._refuse_optional_products()
        labels = self._store_labels()
        self.sites = [label[len("signal_") :] for label in labels if label.startswith("signal_")]
        if not self.sites:
            raise SourceError(f"{self.folder / 'storesList.csv'}: no signal_<site> label in its second row")
        self.events = sorted({label for label in labels if not label.startswith(("signal_", "control_"))})
        self.onsets = {event: self._kept_onsets(event) for event in self.events}
        self.parameters = self._read_parameters()
        self.timestamps = {site: self._h5(f"timeCorrection_{site}.hdf5", "timestampNew") for site in self.sites}
        self.traces: dict[str, tuple[str, str]] = {}  # trace name -> (site, prefix)
        self._data: dict[str, np.ndarray] = {}
        for site in self.sites:
            for prefix in TRACES:
                if (self.folder / f"{prefix}_{site}.hdf5").is_file():
                    name = f"{prefix}_{site}"
                    self.traces[name] = (site, prefix)
                    self._data[name] = self._h5(f"{name}.hdf5", "data")
                    if len(self._data[name]) != len(self.timestamps[site]):
                        raise SourceError(
                            f"{self.folder / f'{name}.hdf5'}: {len(self._data[name])} samples, but "
                            f"timeCorrection_{site}.hdf5 has {len(self.timestamps[site])} timestamps"
                        )

    def _kept_onsets(self, event: str) -> np.ndarray:
        """The onsets GuPPy kept for `event` (`<event>_<site>.hdf5`, `ts`): one list, the same at every site."""
        onsets = {site: np.asarray(self._h5(f"{event}_{site}.hdf5", "ts"), dtype="<f8") for site in self.sites}
        first = onsets[self.sites[0]]
        for site, own in onsets.items():
            if not np.array_equal(own, first):
                raise SourceError(
                    f"{self.folder / f'{event}_{site}.hdf5'}: GuPPy kept other onsets of {event!r} than at "
                    f"{self.sites[0]!r} ({len(own)} vs {len(first)}); the events registry has one list per event"
                )
        return first

    def _refuse_optional_products(self) -> None:
        found = sorted({path.name for pattern in OPTIONAL_PRODUCTS for path in self.folder.glob(pattern)})
        if found:
            raise SourceError(f"{self.folder}: GuPPy's optional analyses are not converted yet ({', '.join(found)})")

    def _store_labels(self) -> list[str]:
        path = self.folder / "storesList.csv"
        if not path.is_file():
            raise SourceError(f"{self.folder}: no storesList.csv; not a GuPPy output folder")
        rows = path.read_text(encoding="utf-8").strip().splitlines()
        if len(rows) < 2:
            raise SourceError(f"{path}: needs two rows (store ids, GuPPy labels), has {len(rows)}")
        ids, labels = ([cell.strip() for cell in row.split(",")] for row in rows[:2])
        if len(ids) != len(labels):
            raise SourceError(f"{path}: {len(ids)} store ids but {len(labels)} labels")
        covariates = [label for label in labels if label.startswith("covariate_")]
        if covariates:
            raise SourceError(f"{path}: behavioral covariates {covariates} are not converted yet")
        return labels

    def _read_parameters(self) -> dict[str, Any]:
        path = self.folder / "GuPPyParamtersUsed.json"
        if not path.is_file():
            raise SourceError(f"{self.folder}: no GuPPyParamtersUsed.json; not a GuPPy output folder")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise SourceError(f"{path}: not JSON: {error}") from None

    def _h5(self, file_name: str, dataset: str) -> np.ndarray:
        import h5py

        path = self.folder / file_name
        if not path.is_file():
            raise SourceError(f"{path}: missing (GuPPy writes it for every recording site)")
        try:
            with h5py.File(path, "r") as file:
                return np.asarray(file[dataset][()])
        except (OSError, KeyError) as error:
            raise SourceError(f"{path}: cannot be read as GuPPy's HDF5 output ({dataset!r}): {error}") from None

    def get_metadata(self) -> dict[str, Any]:
        version = self.parameters.get("guppy_version")
        module = "GuPPy-derived fiber photometry processing outputs"
        block = {
            "ProcessingModule": {
                "name": "guppy",
                "description": f"{module} (GuPPy version {version})." if version is not None else f"{module}.",
            },
            "Traces": {
                name: {"name": name, "description": TRACES[prefix][2].format(site=site)}
                for name, (site, prefix) in self.traces.items()
            },
            "Transients": {},
            "TransientSummary": {
                "name": "transient_summary",
                "description": (
                    "Per-(recording_site, trace_type) GuPPy transient summary: events/min and mean peak amplitude."
                ),
            },
            "CrossCorrelations": {},
            "PSTHs": {},
            "PeakAUCs": {},
            "Events": {
                "name": "GuppyEvents",
                "description": (
                    "Behavioral event occurrences GuPPy aligned its peri-event products to, as GuPPy kept them: "
                    "onsets it dropped while building trials are not here."
                ),
            },
        }
        return {"NWBFile": {}, "FiberPhotometry": {"Guppy": {self.metadata_key: block}}}

    def get_metadata_schema(self) -> dict[str, Any]:
        return photometry_metadata_schema("FiberPhotometry")

    def guppy_parameters(self) -> dict[str, Any]:
        """GuppyParameters' fields from the JSON; peak windows without GuPPy's NaN padding, comparison pairs
        without its blank rows."""
        given = self.parameters
        fields = {field: kind(given[key]) for key, (field, kind) in PARAMETERS.items() if given.get(key) is not None}
        pairs = [
            (a.strip(), b.strip())
            for a, b in zip(given.get("psthComparisonsA") or [], given.get("psthComparisonsB") or [], strict=False)
            if isinstance(a, str) and isinstance(b, str) and a.strip() and b.strip()
        ]
        if pairs:
            fields["psth_comparison_events_a"] = [a for a, _ in pairs]
            fields["psth_comparison_events_b"] = [b for _, b in pairs]
        if given.get("peak_startPoint") is not None:
            starts = np.asarray(given["peak_startPoint"], dtype=float)
            ends = np.asarray(given["peak_endPoint"], dtype=float)
            fields["peak_start_points"] = starts[~np.isnan(starts)].tolist()
            fields["peak_end_points"] = ends[~np.isnan(starts)].tolist()
        return fields

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        block = f"FiberPhotometry/Guppy/{self.metadata_key}"
        module = Link("processing_module", metadata_key=f"{block}/ProcessingModule")
        objects = [
            NwbObjectSpec(
                kind=Kind.GUPPY_PARAMETERS,
                name="guppy_parameters",
                metadata_key=block,
                attributes=self.guppy_parameters(),
            ),
            NwbObjectSpec(
                kind=Kind.GUPPY_TABLE,
                name=SITES_TABLE,
                metadata_key=block,
                tables=[Table(SITES_TABLE, [Column("recording_site", "The recording site's name.", list(self.sites))])],
                attributes={"description": "GuPPy recording sites (one row per recording site)."},
                links=[module],
                neurodata_type="GuppyRecordingSitesTable",
            ),
            self._events_registry(block, module),
        ]
        for name, (site, prefix) in self.traces.items():
            objects.append(self._series(name, site, prefix, stub, module, block))
        return objects

    def _events_registry(self, block: str, module: Link) -> NwbObjectSpec:
        """One row per event, its kept onsets as a ragged, time-valued `timestamp` column; no rows, no table."""
        tables, datasets = [], []
        if self.events:
            onsets = [self.onsets[event] for event in self.events]
            ends = np.cumsum([len(o) for o in onsets])
            columns = [
                Column("event_name", "The event's name in storesList.csv.", list(self.events)),
                Column("timestamp", "The onsets GuPPy kept, in seconds.", dataset="timestamp", index=ends),
            ]
            tables = [Table(EVENTS_TABLE, columns)]
            datasets = [DatasetSpec.inline("timestamp", np.concatenate(onsets), time_valued=True)]
        return NwbObjectSpec(
            kind=Kind.GUPPY_TABLE,
            name=EVENTS_TABLE,
            metadata_key=block,
            tables=tables,
            datasets=datasets,
            attributes={"description": "GuPPy behavioral events (one row per event GuPPy aligned to)."},
            links=[module, Link("events", metadata_key=f"{block}/Events")],
            neurodata_type="GuppyEventsTable",
        )

    def _series(self, name: str, site: str, prefix: str, stub: bool, module: Link, block: str) -> NwbObjectSpec:
        times = np.asarray(self.timestamps[site], dtype="<f8")
        n_samples = self._samples(site, stub)
        data = self._data[name]
        datasets = [DatasetSpec("data", data.dtype.newbyteorder("<"), (n_samples, *data.shape[1:]))]
        rate = regular_rate(times[:n_samples])
        if rate is None:
            timing = Timing(timestamps_dataset="timestamps")
            datasets.append(DatasetSpec("timestamps", np.dtype("<f8"), (n_samples,), time_valued=True))
        else:
            timing = Timing(rate=rate, starting_time=float(times[0]))
        trace_type, unit, _ = TRACES[prefix]
        return NwbObjectSpec(
            kind=Kind.GUPPY_DERIVED_RESPONSE_SERIES,
            name=name,
            metadata_key=f"{block}/Traces/{name}",
            timing=timing,
            datasets=datasets,
            attributes={"trace_type": trace_type, "unit": unit},
            links=[module, Link("recording_site", object=SITES_TABLE, rows=[self.sites.index(site)])],
        )

    def _samples(self, site: str, stub: bool) -> int:
        times = self.timestamps[site]
        if not stub:
            return len(times)
        return max(1, min(int(np.searchsorted(times, times[0] + STUB_SECONDS, side="right")), len(times)))

    def read(self, object_name: str, dataset_name: str, selection: Selection) -> np.ndarray:
        site, _ = self.traces[object_name]
        if dataset_name == "timestamps":
            return np.asarray(self.timestamps[site], dtype="<f8")[selection]
        return self._data[object_name][selection]
