"""Soak: many small conversions at once through the conversion service, on one machine (`make soak`).

One coordinator (`nwbstream serve coordinator`: SQLite store, outputs in a scratch folder) and one running service
per modality the jobs need. Several rigs of two labs (threads, each with its own ConversionClient) submit their share
of the jobs at the same moment, follow them to their end, fetch each file and read it back with pynwb. The
configuration's `limits` let `--active` jobs run at once; the others wait in the queue, none is refused. Why it is
built this way:

* the sources are the real small files of the shared test data (a mix over every modality), read in place from each
  lab's data root; without them, a mix generated with tools/samples;
* memory is the summed RSS of every process (the coordinator, each service and whatever they start), sampled every
  100 ms: a job's memory is bounded by the chunk window and the number of jobs running at once, so the peak must
  not grow with the number of jobs submitted. Each job count given (default 10, then 50) runs on a fresh coordinator
  and fresh services, so their peaks compare;
* every run is bounded: in jobs, and in time (`--timeout`: the coordinator is then stopped and what did not finish
  is reported failed); the services and the coordinator are stopped and the scratch folder removed at the end.

Results go to ``bench/results/<timestamp>-soak.json`` and, as a table, between the ``soak:start``/``soak:end``
markers of docs/reliability.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml
from doc_sections import rewrite_section
from nwbstream.coordinator.pipeline import DEFAULT_WINDOW
from nwbstream.coordinator.server.client import ConversionClient
from nwbstream.coordinator.services import installed_services
from nwbstream.v1 import conversion_pb2 as pb
from processes import RunningService, running_services, tree_rss
from pynwb import NWBHDF5IO

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' way of writing a configuration and running the coordinator
from tests.conversion_server import TOKENS, serving, write_config  # noqa: E402

RESULTS = REPO / "bench" / "results"
DOC = REPO / "docs" / "reliability.md"
TESTDATA = Path(os.environ.get("NWBSTREAM_TESTDATA", REPO / ".." / "shared" / "testdata"))
POLL_S = 0.1  # memory samples
STATES_S = 1.0  # queue counts for the timeline
FINAL = {pb.JOB_STATE_DONE, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED}
MB = 1e6
MIB = 2**20
METADATA = {
    "NWBFile": {"session_description": "soak", "session_start_time": "2020-01-01T12:00:00+00:00"},
    "Subject": {"subject_id": "soak", "species": "Mus musculus", "sex": "U", "age": "P90D"},
}


@dataclass(frozen=True)
class Conversion:
    """One kind of job: an interface of a modality on a source under the data root, and an object it writes."""

    modality: str
    interface: str
    source: dict[str, Any]  # paths relative to the data root
    expect: str  # the NWB object (by name) that a fetched file must hold

    def spec(self, name: str) -> str:
        session = {"nwbfile_name": name, "source_data": {"data": self.source}}
        experiments = {"soak": {"sessions": [session]}}
        spec = {"metadata": METADATA, "data_interfaces": {"data": self.interface}, "experiments": experiments}
        return yaml.safe_dump(spec, sort_keys=False)

    def files(self) -> list[str]:
        """The files and folders the source names, relative to the data root."""
        keys = ("file_path", "folder_path", "config_file_path")
        return [self.source[k] for k in keys if k in self.source] + list(self.source.get("file_paths", []))

    def source_bytes(self, root: Path) -> int:
        paths = [root / name for name in self.files()]
        return sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())


# The real small files of the shared test data, one modality after another so that a few jobs span several services.
TESTDATA_MIX = (
    Conversion("ecephys", "IntanRecordingInterface", {"file_path": "ecephys/intan/sampledata.rhd"}, "ElectricalSeries"),
    Conversion(
        "icephys",
        "AbfInterface",
        {"file_paths": ["icephys/abf/05210017_vc_abf1.abf"], "icephys_metadata": {"cell_id": "c1", "slice_id": "s1"}},
        "intracellular_recordings",
    ),
    Conversion(
        "behavior",
        "DeepLabCutInterface",
        {
            "file_path": "behavior/deeplabcut/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5",
            "config_file_path": "behavior/deeplabcut/config.yaml",
            "sampling_frequency": 30.0,
        },
        "PoseEstimationDeepLabCut",
    ),
    Conversion("general", "CsvTimeIntervalsInterface", {"file_path": "general/csv/trials.csv"}, "trials"),
    Conversion(
        "ecephys", "BlackrockRecordingInterface", {"file_path": "ecephys/blackrock/example_2.ns2"}, "ElectricalSeries"
    ),
)
# The test data's TIFFs hold 8 frames of 128 x 128 pixels, which nwbinspector reports as data in the wrong
# orientation (CRITICAL: the job fails validation); the soak's movie is generated, longer than it is wide.
MOVIE = Conversion(
    "ophys", "TiffImagingInterface", {"file_path": "ophys/movie.tif", "sampling_frequency": 30.0}, "MicroscopySeries"
)


def stage_sources(root: Path) -> tuple[Conversion, ...]:
    """The labs' data root: the shared test data's small files copied in (or, without them, a short generated
    SpikeGLX recording and behavior video) and a generated two-photon movie; the kinds of job over it."""
    from nwbstream_samples.ophys import write_tiff_stack

    write_tiff_stack(root / MOVIE.source["file_path"], n_frames=300, size=64, cells=20)
    if not TESTDATA.is_dir():
        return (*generated_mix(root), MOVIE)
    for conversion in TESTDATA_MIX:
        for name in conversion.files():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            if (TESTDATA / name).is_dir():
                shutil.copytree(TESTDATA / name, root / name, dirs_exist_ok=True)
            else:
                shutil.copyfile(TESTDATA / name, root / name)
    first, *others = TESTDATA_MIX
    return (first, MOVIE, *others)


def generated_mix(root: Path) -> tuple[Conversion, ...]:
    """Without the shared test data: a short SpikeGLX recording and a behavior video."""
    from nwbstream_samples.ecephys import write_spikeglx_session
    from nwbstream_samples.video import write_video

    probe = write_spikeglx_session(root / "spikeglx", seconds=0.5, with_lf=False)
    write_video(root / "behavior" / "video.mp4", n_frames=30, width=160, height=120)
    spikeglx = {"folder_path": str(probe.relative_to(root)), "stream_id": "imec0.ap"}
    return (
        Conversion("ecephys", "SpikeGLXRecordingInterface", spikeglx, "ElectricalSeriesAP"),
        Conversion("behavior", "InternalVideoInterface", {"file_path": "behavior/video.mp4"}, ""),
    )


@dataclass
class Outcome:
    """One job as its rig saw it."""

    rig: str
    kind: str  # the interface
    job_id: str = ""
    state: str = "not submitted"
    error: str = ""
    source_bytes: int = 0
    output_bytes: int = 0
    queued_s: float = 0.0  # submitted -> started (the last attempt's start)
    run_s: float = 0.0  # started -> finished: conversion, validation, publication
    finished_at: float = 0.0
    submitted_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state == "done" and not self.error


def check_report(job: pb.Job) -> str:
    """What is wrong with a finished job's validation report, or ''."""
    report = json.loads(job.report_json or "{}")
    critical = [m for m in report.get("nwbinspector", []) if m.get("importance") == "CRITICAL"]
    if report.get("pynwb") or critical:
        return f"validation: pynwb {report.get('pynwb')}, CRITICAL {critical}"
    return ""


def read_back(path: Path, conversion: Conversion, name: str) -> str:
    """Opens the fetched file with pynwb: it must read, be this job's (its provenance names the source) and hold the
    object the interface writes; '' when it does."""
    with NWBHDF5IO(str(path), "r", load_namespaces=True) as io:
        nwbfile = io.read()
        names = {obj.name for obj in nwbfile.objects.values()}
        provenance = json.loads(nwbfile.source_script or "{}")
    if provenance.get("spec", {}).get("name") != name:
        return f"{path.name}: provenance names spec {provenance.get('spec', {}).get('name')!r}, not {name!r}"
    if conversion.expect and conversion.expect not in names:
        return f"{path.name}: no {conversion.expect} among {sorted(names)}"
    return ""


class Rig(threading.Thread):
    """A rig of a lab: submits its jobs at the start signal, follows each to its end, fetches and reads it back."""

    def __init__(self, name: str, lab: str, address: str, jobs: list[tuple[int, Conversion]], root: Path, out: Path):
        super().__init__(name=name, daemon=True)
        self.lab, self.address, self.root, self.out = lab, address, root, out
        self.jobs = jobs
        self.start_signal = threading.Event()
        self.outcomes = [Outcome(name, c.interface, source_bytes=c.source_bytes(root)) for _, c in jobs]

    def run(self) -> None:
        self.start_signal.wait()
        with ConversionClient(self.address, TOKENS[self.lab]) as client:
            # a call that fails (the coordinator stopped at the timeout, a fetch that broke) is recorded, not raised
            for outcome, (index, conversion) in zip(self.outcomes, self.jobs, strict=True):
                try:
                    outcome.submitted_at = time.time()
                    (job,) = client.submit(conversion.spec(f"job-{index:03d}"), spec_name=f"{self.name}-{index}.yml")
                    outcome.job_id, outcome.state = job.id, "queued"
                except Exception as error:
                    outcome.error = f"submit: {type(error).__name__}: {error}"
            for outcome, (index, conversion) in zip(self.outcomes, self.jobs, strict=True):
                try:
                    if outcome.job_id:
                        self._follow(client, outcome, conversion, f"{self.name}-{index}.yml")
                except Exception as error:
                    outcome.error = outcome.error or f"{type(error).__name__}: {error}"

    def _follow(self, client: ConversionClient, outcome: Outcome, conversion: Conversion, spec_name: str) -> None:
        job = next(j for j in client.watch(outcome.job_id) if j.state in FINAL)
        outcome.state = pb.JobState.Name(job.state).removeprefix("JOB_STATE_").lower()
        outcome.queued_s = job.started_at - job.created_at
        outcome.run_s = job.finished_at - job.started_at
        outcome.finished_at = job.finished_at
        if job.state != pb.JOB_STATE_DONE:
            outcome.error = job.error
            return
        outcome.error = check_report(job)
        folder = self.out / outcome.job_id
        (path,) = client.fetch(outcome.job_id, folder)
        outcome.output_bytes = path.stat().st_size
        outcome.error = outcome.error or read_back(path, conversion, spec_name)
        shutil.rmtree(folder)


class MemorySampler(threading.Thread):
    """The summed RSS of the coordinator's process tree and of each service's, every POLL_S; the peak per process
    label, and a timeline of (seconds, MiB, queued, running) once a second."""

    def __init__(self, coordinator: psutil.Process, services: list[RunningService], address: str):
        super().__init__(name="memory", daemon=True)
        self.coordinator, self.services, self.address = coordinator, [s.process for s in services], address
        self.peak = 0
        self.peaks: dict[str, int] = {}
        self.timeline: list[tuple[float, float, int, int]] = []
        self._halt = threading.Event()
        self._labels: dict[int, str] = {}

    def run(self) -> None:
        clients = [ConversionClient(self.address, token) for token in TOKENS.values()]
        start = last_states = time.monotonic()
        try:
            while not self._halt.is_set():
                rss = tree_rss(self.coordinator, self._labels, self.services)
                total = sum(rss.values())
                self.peak = max(self.peak, total)
                for name, value in rss.items():
                    self.peaks[name] = max(self.peaks.get(name, 0), value)
                if time.monotonic() - last_states >= STATES_S:
                    last_states = time.monotonic()
                    self.timeline.append((round(last_states - start, 1), round(total / MIB, 1), *self._counts(clients)))
                self._halt.wait(POLL_S)
        finally:
            for client in clients:
                client.close()

    @staticmethod
    def _counts(clients: list[ConversionClient]) -> tuple[int, int]:
        try:
            states = [job.state for client in clients for job in client.list()]
        except Exception:  # the coordinator is stopping
            return -1, -1
        running = (pb.JOB_STATE_RUNNING, pb.JOB_STATE_VALIDATING)
        return states.count(pb.JOB_STATE_QUEUED), sum(states.count(s) for s in running)

    def stop(self) -> None:
        self._halt.set()
        self.join()


@contextlib.contextmanager
def services_for(modalities: list[str], log_dir: Path) -> Iterator[dict[str, RunningService]]:
    """One running service per modality (a modality the configuration does not list, the coordinator embeds)."""
    with contextlib.ExitStack() as stack:
        yield {m: stack.enter_context(running_services(m, 1, log_dir))[0] for m in modalities}


def soak(jobs: int, mix: tuple[Conversion, ...], root: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One run: `jobs` jobs over `args.rigs` rigs, on a fresh coordinator and fresh services."""
    work.mkdir(parents=True)
    plan = [(index, mix[index % len(mix)]) for index in range(jobs)]
    modalities = sorted(installed_services())  # one running service each: the coordinator embeds none
    limits = {"jobs": args.active, "jobs_per_lab": args.active, "workers": args.active}
    with services_for(modalities, work / "services") as services:
        config = write_config(
            work / "coordinator",
            {lab: root for lab in TOKENS},
            services={m: s.address for m, s in services.items()},
            limits=limits,
            lease_seconds=30,
            retry={"attempts": 3, "backoff_seconds": 1.0},
        )
        with serving(config) as server:
            labs = list(TOKENS)
            rigs = [
                Rig(f"rig{r}", labs[r % len(labs)], server.address, plan[r :: args.rigs], root, work / "fetched")
                for r in range(min(args.rigs, jobs))
            ]
            sampler = MemorySampler(psutil.Process(server.process.pid), list(services.values()), server.address)
            sampler.start()
            for rig in rigs:
                rig.start()
            started = time.time()
            for rig in rigs:
                rig.start_signal.set()
            deadline = time.monotonic() + args.timeout
            for rig in rigs:
                rig.join(max(0.0, deadline - time.monotonic()))
            timed_out = any(rig.is_alive() for rig in rigs)
            sampler.stop()
        # the coordinator has stopped: a rig still waiting gets an error and records it
        for rig in rigs:
            rig.join(30)
    outcomes = [outcome for rig in rigs for outcome in rig.outcomes]
    return summarise(jobs, outcomes, sampler, started, timed_out, limits, modalities)


def summarise(
    jobs: int,
    outcomes: list[Outcome],
    sampler: MemorySampler,
    started: float,
    timed_out: bool,
    limits: dict[str, int],
    modalities: list[str],
) -> dict[str, Any]:
    ok = [o for o in outcomes if o.ok]
    middle = sampler.timeline[-1][0] / 2 if sampler.timeline else 0.0
    wall = max((o.finished_at for o in outcomes if o.finished_at), default=time.time()) - started
    source = sum(o.source_bytes for o in ok)
    return {
        "jobs": jobs,
        "done": len(ok),
        "timed_out": timed_out,
        "limits": limits,
        "window_chunks": DEFAULT_WINDOW,
        "services": modalities,
        "wall_s": round(wall, 1),
        "jobs_per_min": round(len(ok) / wall * 60, 2) if wall > 0 else 0.0,
        "source_mb": round(source / MB, 2),
        "source_mb_per_s": round(source / MB / wall, 3) if wall > 0 else 0.0,
        "output_mb": round(sum(o.output_bytes for o in ok) / MB, 2),
        "queued_s_median": round(statistics.median([o.queued_s for o in ok]), 1) if ok else None,
        "queued_s_max": round(max(o.queued_s for o in ok), 1) if ok else None,
        "run_s_median": round(statistics.median([o.run_s for o in ok]), 1) if ok else None,
        "peak_rss_mib": round(sampler.peak / MIB, 1),
        "peak_rss_first_half_mib": max((mib for t, mib, _, _ in sampler.timeline if t <= middle), default=0.0),
        "peak_rss_second_half_mib": max((mib for t, mib, _, _ in sampler.timeline if t > middle), default=0.0),
        "peak_rss_by_process_mib": {k: round(v / MIB, 1) for k, v in sorted(sampler.peaks.items())},
        "max_queued": max((q for _, _, q, _ in sampler.timeline), default=0),
        "max_running": max((r for _, _, _, r in sampler.timeline), default=0),
        "timeline": sampler.timeline,
        "failures": [asdict(o) for o in outcomes if not o.ok],
    }


def markdown_table(runs: list[dict[str, Any]]) -> str:
    rows = [
        "| jobs | done | wall s | jobs/min | source MB/s | queued s (median / max) | run s (median) "
        "| peak queued / running | peak RSS, all processes (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        rows.append(
            f"| {run['jobs']} | {run['done']}/{run['jobs']} | {run['wall_s']} | {run['jobs_per_min']} "
            f"| {run['source_mb_per_s']} | {run['queued_s_median']} / {run['queued_s_max']} | {run['run_s_median']} "
            f"| {run['max_queued']} / {run['max_running']} | {run['peak_rss_mib']} |"
        )
    labels = sorted({label for run in runs for label in run["peak_rss_by_process_mib"]})
    rows += ["", "| peak RSS per process (MiB) | " + " | ".join(f"{run['jobs']} jobs" for run in runs) + " |"]
    rows.append("|---|" + "---:|" * len(runs))
    for label in labels:
        cells = " | ".join(str(run["peak_rss_by_process_mib"].get(label, "")) for run in runs)
        rows.append(f"| `{label}` | {cells} |")
    return "\n".join(rows)


def doc_section(result: dict[str, Any]) -> str:
    runs, machine = result["runs"], result["machine"]
    first, last = runs[0], runs[-1]
    growth = f"{last['peak_rss_mib'] / first['peak_rss_mib']:.2f}x" if first["peak_rss_mib"] else "n/a"
    lines = [
        f"Last `make soak`: {result['timestamp']}, nwbstream {result['nwbstream']}; {machine['cpus']} CPUs, "
        f"{machine['ram_gb']:.0f} GB RAM, {machine['platform']}. Sources: {result['sources']}; "
        f"{result['rigs']} rigs of {len(TOKENS)} labs submit at once; `limits` {first['limits']}, "
        f"chunk window {first['window_chunks']}.",
        "",
        markdown_table(runs),
        "",
        f"Peak RSS of all processes with {last['jobs']} jobs is {growth} that with {first['jobs']} jobs; over the "
        f"{last['jobs']}-job run, sampled once a second, it peaked at {last['peak_rss_first_half_mib']} MiB in the "
        f"first half of the run and {last['peak_rss_second_half_mib']} MiB in the second. "
        "Wall time runs from the first submission to the last job's end; source MB/s counts the source files of the "
        "jobs done. Queued is submission to start, run is start to end (conversion, validation, publication).",
    ]
    failures = [f for run in runs for f in run["failures"]]
    if failures:
        lines += ["", "Jobs not done (first 10):"]
        lines += [f"- {f['kind']} `{f['job_id']}` {f['state']}: `{f['error'][:200]}`" for f in failures[:10]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="many small conversions at once through the conversion service")
    parser.add_argument("--jobs", type=int, nargs="+", default=[10, 50], help="job counts, one run each (10 50)")
    parser.add_argument("--rigs", type=int, default=6, help="rigs submitting at once, over two labs (6)")
    parser.add_argument("--active", type=int, default=2, help="limits.jobs and workers: jobs running at once (2)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds a run may take (1200)")
    parser.add_argument("--work-dir", type=Path, help="scratch space (default: a temporary folder, removed)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the JSON goes (bench/results)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/reliability.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.ExitStack() as stack:
        work = args.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nwbstream-soak-")))
        root = work / "data"
        mix = stage_sources(root)
        sources = "the shared test data's small files" if TESTDATA.is_dir() else "generated with tools/samples"
        sources += " (" + ", ".join(f"{c.modality} {c.interface}" for c in mix) + ")"
        runs = []
        for count in args.jobs:
            run = soak(count, mix, root, work / f"run-{count}-{time.monotonic_ns()}", args)
            print(f"{count} jobs: {run['done']}/{count} done in {run['wall_s']} s, peak {run['peak_rss_mib']} MiB")
            runs.append(run)
    result = {
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nwbstream": _version(),
        "machine": {
            "cpus": os.cpu_count(),
            "ram_gb": psutil.virtual_memory().total / 1e9,
            "platform": platform.platform(terse=True),
        },
        "sources": sources,
        "rigs": args.rigs,
        "runs": runs,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-soak.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown_table(runs))
    print(f"results: {path}")
    if not args.no_doc:
        rewrite_section(DOC, "soak", doc_section(result))
    return 0 if all(run["done"] == run["jobs"] for run in runs) else 1


def _version() -> str:
    from importlib.metadata import version

    return version("nwbstream-coordinator")


if __name__ == "__main__":
    sys.exit(main())
