"""Benchmark: convert the same source with nwbstream and with NeuroConv, side by side, per case.

Cases: ``ecephys`` (a Neuropixels 1.0 SpikeGLX AP stream, SpikeGLXRecordingInterface), ``ophys`` (a
multi-page TIFF two-photon movie, TiffImagingInterface) and ``video`` (an mp4 behavior video embedded frame by
frame, InternalVideoInterface; its size is that of its decoded frames); and ``replicas``: the ecephys source
converted by nwbstream alone against running ecephys services, one and then two of them (the coordinator
spreads each dataset's chunks over a modality's replicas). Why it is built this way:

* sources are synthetic (``nwbstream_samples.ecephys`` / ``.ophys`` / ``.video``) but compress like real data, and are
  generated once per size and cached in ``bench/work/``;
* NeuroConv runs from its own virtual environment (``bench/work/neuroconv-venv``, NeuroConv 0.10.2 from PyPI)
  with its defaults, as a user would run it; nwbstream runs through its CLI, exactly as a user would;
* runs alternate between the tools so that drifting machine state (page cache, thermal, other load) hits both
  alike, and each round starts with a ``cp`` of the source file: the speed of the disk is the ceiling;
* memory is the peak of the summed RSS of the whole process tree, polled every 50 ms, because nwbstream
  starts its conversion services as subprocesses;
* a configuration that fails is reported as failed, with the tail of its stderr, and never stops the bench.

Results go to ``bench/results/<timestamp>-<case>.json``, a markdown table per case to stdout and to the section
between the ``bench:<case>:start``/``bench:<case>:end`` markers of ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import yaml
from doc_sections import rewrite_section
from neuroconv_env import NEUROCONV_REQUIREMENT, ensure_neuroconv_venv, neuroconv_environ
from nwbstream.coordinator.registry import read_registry
from nwbstream_samples import ecephys as ecephys_samples
from nwbstream_samples import ophys as ophys_samples
from nwbstream_samples import video as video_samples
from processes import NWBSTREAM_CLI, RunningService, kill_tree, running_services, tree_rss

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
DOC = REPO / "docs" / "performance.md"
NEUROCONV = "neuroconv"
CP = "cp"
STREAM_ID = "imec0.ap"
POLL_S = 0.05
# Both tools get the same metadata, so that neither output lacks what the other one carries.
SUBJECT = {"subject_id": "bench", "species": "Mus musculus", "sex": "U", "age": "P90D"}
# A TIFF stack or a video records no start time; SpikeGLX's .meta does, and each tool reads it from there.
TIFF_SESSION_START = "2024-01-15T10:30:00"
MB = 1e6

# nwbstream configurations: name -> top-level keys added to the conversion spec.
NWBSTREAM_VARIANTS: dict[str, dict[str, Any]] = {
    "nwbstream": {},
    "nwbstream-zarr": {"backend": "zarr"},
    "nwbstream-uncompressed": {"backend_configuration": {"default": {"compression_method": None}}},
}
# The `replicas` case: configuration -> how many running ecephys services the CLI is given (`--service`); the
# first is the baseline of its ratios, as NeuroConv is for the other cases.
REPLICAS = "replicas"
REPLICA_CONFIGS = {"1-replica": 1, "2-replicas": 2}


@dataclass(frozen=True)
class Source:
    """What one case converts, and how each tool is told to convert it."""

    case: str
    path: Path  # the file copied by the `cp` baseline; throughput is its size over the wall time
    description: str  # for the report, e.g. "NP1.0 AP stream (385 x int16 at 30 kHz, 87 s)"
    interface: str  # NeuroConv interface name, in the spec's data_interfaces
    source_data: dict[str, Any]  # its source arguments, in the spec
    neuroconv_args: list[str]  # arguments of bench/neuroconv_convert.py that select the same interface and data
    metadata: dict[str, Any]  # given to both tools
    generation: dict[str, Any]  # how and when the source was generated
    data_bytes: int = 0  # the bytes converted when not the file's own (a video's decoded frames); throughput's base

    @property
    def size_bytes(self) -> int:
        return self.data_bytes or self.path.stat().st_size


@dataclass
class RunResult:
    """One timed run of one configuration."""

    config: str
    repeat: int
    ok: bool
    wall_s: float
    throughput_mb_s: float
    peak_rss_mb: float
    cpu_s: float  # user + system CPU seconds of the process and the descendants it waited for
    output_mb: float | None
    returncode: int | None
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ helpers


def tree_size(path: Path) -> int:
    """Bytes of a file, or of every file under a directory (Zarr stores are directories)."""
    if path.is_file():
        return path.stat().st_size
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def ensure_work_dir(work: Path) -> None:
    """Create the scratch dir, ignored by git as a whole (it holds GBs of data and a virtualenv)."""
    work.mkdir(parents=True, exist_ok=True)
    ignore = work / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# benchmark scratch space: sessions, outputs, NeuroConv venv\n*\n")


def ensure_generated(folder: Path, generator: ModuleType, generate: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Run ``generate(folder)`` once per folder and version of the ``generator`` module; return what it said.

    ``generate`` returns JSON-able facts about what it wrote (paths, sizes); they are cached in
    ``folder/generated.json`` with the generation time and the generator's fingerprint.
    """
    marker = folder / "generated.json"
    fingerprint = hashlib.sha1(Path(generator.__file__ or "").read_bytes()).hexdigest()[:12]
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("generator") == fingerprint:
            return info
        print(f"{generator.__name__} changed since {folder.name} was written: regenerating", flush=True)
    if folder.exists():
        shutil.rmtree(folder)  # stale, or an interrupted generation
    print(f"generating {folder} ...", flush=True)
    start = time.perf_counter()
    info = generate(folder)
    elapsed = time.perf_counter() - start
    info.update(generation_s=elapsed, generator=fingerprint)
    marker.write_text(json.dumps(info, indent=2))
    print(f"  generated in {elapsed:.1f} s ({info['bytes'] / MB / elapsed:.0f} MB/s)", flush=True)
    return info


def ecephys_source(work: Path, size_bytes: int) -> Source:
    """An AP-only SpikeGLX NP1.0 session of ``size_bytes``."""

    def generate(folder: Path) -> dict[str, Any]:
        probe_folder = ecephys_samples.write_spikeglx_session(
            folder, size_bytes=size_bytes, run_name="bench", with_lf=False
        )
        ap_bin = next(probe_folder.glob("*.ap.bin"))
        return {"probe_folder": str(probe_folder), "path": str(ap_bin), "bytes": ap_bin.stat().st_size}

    info = ensure_generated(work / f"session-{size_bytes}", ecephys_samples, generate)
    seconds = info["bytes"] / (2 * ecephys_samples.NUM_SAVED_CHANNELS) / ecephys_samples.AP_SAMPLING_FREQUENCY
    return Source(
        case="ecephys",
        path=Path(info["path"]),
        description=f"NP1.0 AP stream (385 x int16 at 30 kHz, {seconds:.0f} s)",
        interface="SpikeGLXRecordingInterface",
        source_data={"folder_path": info["probe_folder"], "stream_id": STREAM_ID},
        neuroconv_args=["spikeglx", "--folder-path", info["probe_folder"], "--stream-id", STREAM_ID],
        metadata={"NWBFile": {"session_description": "benchmark"}, "Subject": SUBJECT},
        generation=info,
    )


def ophys_source(work: Path, size_bytes: int) -> Source:
    """A multi-page TIFF two-photon movie (512 x 512 uint16 frames) of about ``size_bytes``."""
    rate = ophys_samples.SAMPLING_FREQUENCY

    def generate(folder: Path) -> dict[str, Any]:
        frames = max(1, size_bytes // (ophys_samples.FRAME_SIZE**2 * 2))
        path = ophys_samples.write_tiff_stack(folder / "movie.tif", n_frames=frames)
        return {"path": str(path), "bytes": path.stat().st_size, "frames": frames}

    info = ensure_generated(work / f"tiff-{size_bytes}", ophys_samples, generate)
    side = ophys_samples.FRAME_SIZE
    return Source(
        case="ophys",
        path=Path(info["path"]),
        description=(
            f"multi-page TIFF ({info['frames']} frames of {side} x {side} uint16 at {rate:.0f} Hz, "
            f"{info['frames'] / rate:.0f} s)"
        ),
        interface="TiffImagingInterface",
        source_data={"file_path": info["path"], "sampling_frequency": rate},
        neuroconv_args=["tiff", "--file-path", info["path"], "--sampling-frequency", str(rate)],
        metadata={
            "NWBFile": {"session_description": "benchmark", "session_start_time": TIFF_SESSION_START},
            "Subject": SUBJECT,
        },
        generation=info,
    )


def video_source(work: Path, size_bytes: int) -> Source:
    """An mp4 behavior video (640 x 480 RGB at 30 fps) whose decoded frames are about ``size_bytes``."""
    frame = video_samples.frame_bytes()

    def generate(folder: Path) -> dict[str, Any]:
        frames = max(1, size_bytes // frame)
        folder.mkdir(parents=True)
        path = video_samples.write_video(folder / "behavior.mp4", n_frames=frames)
        return {"path": str(path), "bytes": path.stat().st_size, "frames": frames}

    info = ensure_generated(work / f"video-{size_bytes}", video_samples, generate)
    return Source(
        case="video",
        path=Path(info["path"]),
        description=(
            f"mp4 behavior video ({info['frames']} frames of {video_samples.WIDTH} x {video_samples.HEIGHT} RGB at "
            f"{video_samples.FPS:.0f} fps, {info['frames'] / video_samples.FPS:.0f} s; {info['bytes'] / MB:.0f} MB "
            "on disk), sized by its decoded frames"
        ),
        interface="InternalVideoInterface",
        source_data={"file_path": info["path"]},
        neuroconv_args=["video", "--file-path", info["path"]],
        metadata={
            "NWBFile": {"session_description": "benchmark", "session_start_time": TIFF_SESSION_START},
            "Subject": SUBJECT,
        },
        generation=info,
        data_bytes=info["frames"] * frame,
    )


def replicas_source(work: Path, size_bytes: int) -> Source:
    """The ecephys case's source, converted against running ecephys services instead of embedded ones."""
    return dataclasses.replace(ecephys_source(work, size_bytes), case=REPLICAS)


CASES: dict[str, Callable[[Path, int], Source]] = {
    "ecephys": ecephys_source,
    "ophys": ophys_source,
    "video": video_source,
    REPLICAS: replicas_source,
}


def ensure_bytecode(python: Path) -> None:
    """Compile the site-packages of ``python``'s environment to bytecode, once.

    An installer that compiles (pip) or a first run (Python writes ``__pycache__``) leaves it compiled on a
    user's machine; without it, with PYTHONDONTWRITEBYTECODE set (as on this project's machines) or after a
    ``uv sync`` that does not compile, every run compiles every module it imports: ~10 CPU-seconds for the
    ophys service alone. Up-to-date files are skipped, so later calls cost a few seconds of stat calls.
    """
    code = "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_paths()['purelib'], quiet=2, workers=0)"
    subprocess.run([str(python), "-c", code], check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})


def nwbstream_interpreters() -> list[Path]:
    """The coordinator's interpreter and each registered service's (embedded mode starts them)."""
    return [Path(sys.executable), *(Path(service.python) for service in read_registry().values())]


def package_version(python: Path, package: str) -> str | None:
    """Version of ``package`` as installed for ``python`` (None when missing)."""
    if Path(python) == Path(sys.executable):
        try:
            return version(package)
        except PackageNotFoundError:
            return None
    code = f"from importlib.metadata import version; print(version({package!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


# ------------------------------------------------------------------------------------------------ running


@dataclass
class Measured:
    returncode: int | None  # None: killed at the timeout
    wall_s: float
    peak_rss: int  # bytes, the peak of the summed RSS of the tree
    peak_rss_by_process: dict[str, int]  # bytes, each label's own peak
    cpu_s: float
    stdout: str
    stderr: str


def _cpu_seconds(processes: Sequence[psutil.Process]) -> float:
    times = [process.cpu_times() for process in processes]
    return sum(t.user + t.system for t in times)


def run_measured(
    command: list[str],
    log_dir: Path,
    timeout_s: float,
    env: dict[str, str] | None = None,
    beside: Sequence[psutil.Process] = (),
) -> Measured:
    """Run ``command`` and measure it, with the running services it uses (``beside``).

    A sampler thread sums the RSS of the process, all its descendants and the processes beside it every 50 ms;
    the main thread only waits, so the wall time is not quantised by the polling. CPU time comes from the
    kernel's accounting of waited-for children: it counts the services the CLI waits for, at any load of the
    machine; the CPU time the processes beside it spent meanwhile is added.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    peak = 0
    peaks: dict[str, int] = {}
    labels: dict[int, str] = {}
    stop = threading.Event()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    beside_before = _cpu_seconds(beside)
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=REPO, env=env)
        ps = psutil.Process(proc.pid)

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                rss = tree_rss(ps, labels, beside)
                peak = max(peak, sum(rss.values()))
                for label, value in rss.items():
                    peaks[label] = max(peaks.get(label, 0), value)
                stop.wait(POLL_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            returncode: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            proc.wait()
            returncode = None
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu += _cpu_seconds(beside) - beside_before
    return Measured(returncode, wall, peak, peaks, cpu, out_path.read_text(), err_path.read_text())


def write_spec(path: Path, source: Source, extra: dict[str, Any]) -> None:
    """The NeuroConv-style YAML conversion spec given to ``nwbstream convert``."""
    spec: dict[str, Any] = {
        "metadata": source.metadata,
        "data_interfaces": {source.case: source.interface},
        "experiments": {
            "bench": {"sessions": [{"nwbfile_name": "bench.nwb", "source_data": {source.case: source.source_data}}]}
        },
    }
    spec.update(extra)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def run_config(
    config: str,
    repeat: int,
    *,
    work: Path,
    source: Source,
    neuroconv_python: Path | None,
    timeout_s: float,
    keep_outputs: bool,
    services: Sequence[RunningService] = (),
) -> RunResult:
    """Run one configuration once and measure it; failures become a result, never an exception. ``services``:
    the running ecephys services of the `replicas` case, the first of them given to its configurations."""
    run_dir = work / "runs" / f"{source.case}-{config}-{repeat}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    output: Path
    env: dict[str, str] | None = None
    used: list[RunningService] = []
    if config == CP:
        output = run_dir / source.path.name
        command = ["cp", str(source.path), str(output)]
    elif config == NEUROCONV:
        assert neuroconv_python is not None
        output = run_dir / "bench.nwb"
        command = [
            str(neuroconv_python),
            str(BENCH / "neuroconv_convert.py"),
            *source.neuroconv_args,
            "--output",
            str(output),
            "--metadata",
            json.dumps(source.metadata),
        ]
        env = neuroconv_environ()
    else:
        spec = run_dir / "spec.yml"
        write_spec(spec, source, NWBSTREAM_VARIANTS.get(config, {}))
        output = run_dir / "out"
        output.mkdir()  # like NeuroConv's YAML runner, the CLI writes into an existing folder
        command = [str(NWBSTREAM_CLI), "convert", str(spec), "--output-folder", str(output), "--overwrite"]
        if config in REPLICA_CONFIGS:
            used = list(services[: REPLICA_CONFIGS[config]])
            command += ["--service", "ecephys=" + ",".join(service.address for service in used)]

    try:
        measured = run_measured(command, run_dir / "logs", timeout_s, env, [service.process for service in used])
    except OSError as error:  # e.g. the nwbstream CLI is not installed yet
        return RunResult(config, repeat, False, 0.0, 0.0, 0.0, 0.0, None, None, stderr_tail=repr(error))
    returncode, stderr = measured.returncode, measured.stderr
    ok = returncode == 0
    size = tree_size(output) if ok else 0
    if ok and size == 0:
        ok, stderr = False, stderr + "\n(no output was written)"
    extra: dict[str, Any] = {
        "peak_rss_by_process_mb": {label: rss / MB for label, rss in measured.peak_rss_by_process.items()}
    }
    if config == NEUROCONV and ok:
        lines = [line for line in measured.stdout.splitlines() if line.startswith("{")]
        if lines:
            extra.update(json.loads(lines[-1]))
    if returncode is None:
        stderr += f"\n(killed after the {timeout_s:.0f} s timeout)"
    if not keep_outputs and output.is_dir():
        shutil.rmtree(output)
    elif not keep_outputs and output.exists():
        output.unlink()
    source_mb = source.size_bytes / MB
    return RunResult(
        config=config,
        repeat=repeat,
        ok=ok,
        wall_s=measured.wall_s,
        throughput_mb_s=source_mb / measured.wall_s if ok and measured.wall_s > 0 else 0.0,
        peak_rss_mb=measured.peak_rss / MB,
        cpu_s=measured.cpu_s,
        output_mb=size / MB if ok else None,
        returncode=returncode,
        stderr_tail="" if ok else tail(stderr),
        extra=extra,
    )


# ------------------------------------------------------------------------------------------------ report


def summarise(runs: list[RunResult], configs: list[str], baseline: str = NEUROCONV) -> dict[str, dict[str, Any]]:
    """Medians per configuration over its successful runs, and ratios against the ``baseline`` configuration
    (``*_vs_<baseline>``)."""
    summary: dict[str, dict[str, Any]] = {}
    for config in configs:
        mine = [r for r in runs if r.config == config]
        good = [r for r in mine if r.ok]
        entry: dict[str, Any] = {"runs": len(mine), "ok": len(good)}
        if good:
            entry.update(
                wall_s=statistics.median(r.wall_s for r in good),
                throughput_mb_s=statistics.median(r.throughput_mb_s for r in good),
                peak_rss_mb=statistics.median(r.peak_rss_mb for r in good),
                cpu_s=statistics.median(r.cpu_s for r in good),
                output_mb=statistics.median(r.output_mb or 0.0 for r in good),
            )
        failed = [r for r in mine if not r.ok]
        if failed:
            entry["error"] = failed[-1].stderr_tail
        summary[config] = entry
    base = summary.get(baseline, {})
    for config, entry in summary.items():
        if config in (baseline, CP) or "throughput_mb_s" not in entry or "throughput_mb_s" not in base:
            continue
        entry[f"throughput_vs_{baseline}"] = entry["throughput_mb_s"] / base["throughput_mb_s"]
        entry[f"output_size_vs_{baseline}"] = entry["output_mb"] / base["output_mb"] if base["output_mb"] else None
        entry[f"peak_rss_vs_{baseline}"] = entry["peak_rss_mb"] / base["peak_rss_mb"] if base["peak_rss_mb"] else None
    return summary


def _fmt(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


BASELINE_NAMES = {NEUROCONV: "NeuroConv", "1-replica": "1 replica"}


def markdown_table(summary: dict[str, dict[str, Any]], baseline: str = NEUROCONV) -> str:
    name = BASELINE_NAMES[baseline]
    header = (
        f"| configuration | ok/runs | wall (s) | throughput (MB/s) | × {name} | CPU (s) | peak RSS (MB) "
        f"| output (MB) | size × {name} |\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for config, e in summary.items():
        if config == CP:
            continue
        rows.append(
            f"| {config} | {e['ok']}/{e['runs']} | {_fmt(e.get('wall_s'), '.1f')} "
            f"| {_fmt(e.get('throughput_mb_s'), '.1f')} | {_fmt(e.get(f'throughput_vs_{baseline}'), '.2f')} "
            f"| {_fmt(e.get('cpu_s'), '.1f')} | {_fmt(e.get('peak_rss_mb'), '.0f')} "
            f"| {_fmt(e.get('output_mb'), '.0f')} | {_fmt(e.get(f'output_size_vs_{baseline}'), '.3f')} |"
        )
    cp = summary.get(CP)
    if cp and "throughput_mb_s" in cp:
        rows.append(
            f"| `cp` of the source (disk limit) | {cp['ok']}/{cp['runs']} | {cp['wall_s']:.1f} "
            f"| {cp['throughput_mb_s']:.1f} | | | | | |"
        )
    return "\n".join([header, *rows])


CASE_NOTES = {
    REPLICAS: "Here the ecephys services run beside the command (`nwbstream serve ecephys`, started once for the "
    "case, so their start-up is not timed) and the CLI is given one or two of them (`--service "
    "ecephys=A[,B]`); the CPU and RSS of those it uses are counted.",
}


def doc_section(result: dict[str, Any], table: str) -> str:
    source, machine, versions = result["source"], result["machine"], result["versions"]
    failed = any("error" in entry for entry in result["summary"].values())
    lines = [
        f"Last `make bench` run of this case: {result['timestamp']}: {source['bytes'] / 1e9:.2f} GB "
        f"{source['description']}, {result['repeats']} alternating repeats, medians.",
        f"Machine: {machine['cpus']} CPUs, {machine['ram_gb']:.0f} GB RAM, {machine['platform']}. "
        + (f"NeuroConv {versions['neuroconv']}, " if versions.get("neuroconv") else "")
        + f"nwbstream {versions.get('nwbstream')}.",
        "",
        table,
        "",
        "Throughput is source bytes over the wall time of the whole command (start-up included); CPU is user + "
        "system seconds of the command and its services; peak RSS sums the process and all its descendants."
        + (f" {CASE_NOTES[result['case']]}" if result["case"] in CASE_NOTES else "")
        + (" Failed runs (last line of stderr):" if failed else ""),
    ]
    for config, entry in result["summary"].items():
        if "error" in entry:
            last = entry["error"].strip().splitlines()[-1] if entry["error"].strip() else "(no stderr)"
            lines.append(f"- {config}: `{last[:200]}`")
    return "\n".join(lines)


def update_doc(case: str, section: str) -> None:
    """Rewrite only this case's generated section of docs/performance.md; the rest of the doc is hand-written."""
    rewrite_section(DOC, f"bench:{case}", section)


# ------------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="nwbstream vs NeuroConv on synthetic SpikeGLX, TIFF and video sources")
    parser.add_argument(
        "--case", choices=[*CASES, "all"], default="all", help="what to convert (default: every case, in turn)"
    )
    parser.add_argument("--size-gb", type=float, default=2.0, help="source size in GB (1e9 bytes), default 2")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds, default 3")
    parser.add_argument(
        "--configs",
        nargs="+",
        default=[*NWBSTREAM_VARIANTS, NEUROCONV],
        choices=[*NWBSTREAM_VARIANTS, NEUROCONV],
        help="configurations to run (default: all)",
    )
    parser.add_argument("--work-dir", type=Path, default=BENCH / "work", help="scratch space (default bench/work)")
    parser.add_argument(
        "--neuroconv",
        default=NEUROCONV_REQUIREMENT,
        help=f"pip requirement for the NeuroConv venv ({NEUROCONV_REQUIREMENT})",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    parser.add_argument("--no-cp", action="store_true", help="skip the cp baseline")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--keep-outputs", action="store_true", help="keep converted files in the work dir")
    return parser.parse_args(argv)


def run_rounds(
    source: Source,
    configs: list[str],
    args: argparse.Namespace,
    work: Path,
    neuroconv_python: Path | None,
    services: Sequence[RunningService] = (),
) -> list[RunResult]:
    """``args.repeats`` rounds, each running every configuration once, in order."""
    runs: list[RunResult] = []
    for repeat in range(args.repeats):
        for config in configs:
            print(f"[{source.case} {repeat + 1}/{args.repeats}] {config} ...", end=" ", flush=True)
            result = run_config(
                config,
                repeat,
                work=work,
                source=source,
                neuroconv_python=neuroconv_python,
                timeout_s=args.timeout,
                keep_outputs=args.keep_outputs,
                services=services,
            )
            runs.append(result)
            if result.ok:
                print(
                    f"{result.wall_s:.1f} s, {result.throughput_mb_s:.0f} MB/s, "
                    f"peak {result.peak_rss_mb:.0f} MB, out {result.output_mb:.0f} MB",
                    flush=True,
                )
            else:
                last = result.stderr_tail.strip().splitlines()[-1:] or ["?"]
                print(f"FAILED (rc={result.returncode}): {last[0][:160]}", flush=True)
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work: Path = args.work_dir.resolve()
    ensure_work_dir(work)
    size_bytes = int(args.size_gb * 1e9)
    cases = list(CASES) if args.case == "all" else [args.case]

    # nwbstream first in each round, then NeuroConv, then the nwbstream variants.
    configs = [c for c in ["nwbstream", NEUROCONV, *NWBSTREAM_VARIANTS] if c in args.configs]
    configs = list(dict.fromkeys(configs))
    compared = NEUROCONV in configs and any(case != REPLICAS for case in cases)  # the replicas case is nwbstream's
    neuroconv_python = ensure_neuroconv_venv(work, args.neuroconv) if compared else None
    for python in [*nwbstream_interpreters(), *([neuroconv_python] if neuroconv_python else [])]:
        ensure_bytecode(python)
    round_configs = ([] if args.no_cp else [CP]) + configs
    versions = {
        "nwbstream": package_version(Path(sys.executable), "nwbstream-coordinator"),
        "neuroconv": package_version(neuroconv_python, "neuroconv") if neuroconv_python else None,
    }
    machine = {
        "cpus": os.cpu_count(),
        "ram_gb": psutil.virtual_memory().total / 2**30,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)

    for case in cases:
        source = CASES[case](work, size_bytes)
        replicas = case == REPLICAS  # nwbstream alone, against the ecephys services started here
        case_configs = ([] if args.no_cp else [CP]) + list(REPLICA_CONFIGS) if replicas else round_configs
        baseline = next(iter(REPLICA_CONFIGS)) if replicas else NEUROCONV
        count = max(REPLICA_CONFIGS.values()) if replicas else 0
        with running_services("ecephys", count, work / "runs" / "services") as services:
            runs = run_rounds(source, case_configs, args, work, neuroconv_python, services)
        summary = summarise(runs, case_configs, baseline)
        now = dt.datetime.now().astimezone()
        result = {
            "case": case,
            "timestamp": now.isoformat(timespec="seconds"),
            "size_gb": args.size_gb,
            "repeats": args.repeats,
            "machine": machine,
            "source": {
                "path": str(source.path),
                "bytes": source.size_bytes,
                "description": source.description,
                "interface": source.interface,
                "generation_s": source.generation.get("generation_s"),
            },
            "versions": versions,
            "summary": summary,
            "runs": [asdict(r) for r in runs],
        }
        out = RESULTS / f"{now.strftime('%Y%m%dT%H%M%S')}-{case}.json"
        out.write_text(json.dumps(result, indent=2))

        table = markdown_table(summary, baseline)
        print(f"\n{case}: {source.description}\n\n{table}")
        print(f"\nresults: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
        if not args.no_doc:
            update_doc(case, doc_section(result, table))
            print(f"updated: {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
