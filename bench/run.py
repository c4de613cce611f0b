"""Benchmark: convert one Neuropixels 1.0 SpikeGLX session with nwbstream and with NeuroConv, side by side.

Why it is built this way:

* the session is synthetic (``nwbstream_samples.ecephys``) but compresses like real NP1.0 data, and is
  generated once per size and cached in ``bench/work/``;
* NeuroConv runs from its own virtual environment (``bench/work/neuroconv-venv``, latest release from PyPI)
  with its defaults, as a user would run it; nwbstream runs through its CLI, exactly as a user would;
* runs alternate between the tools so that drifting machine state (page cache, thermal, other load) hits both
  alike, and each round starts with a ``cp`` of the source file: the speed of the disk is the ceiling;
* memory is the peak of the summed RSS of the whole process tree, polled every 50 ms, because nwbstream
  starts its conversion services as subprocesses;
* a configuration that fails is reported as failed, with the tail of its stderr, and never stops the bench.

Results go to ``bench/results/<timestamp>.json``, a markdown table to stdout and to the section between the
``bench:start``/``bench:end`` markers of ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import psutil
import yaml
from nwbstream_samples import ecephys as samples
from nwbstream_samples.ecephys import write_spikeglx_session

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
DOC = REPO / "docs" / "performance.md"
DOC_START = "<!-- bench:start -->"
DOC_END = "<!-- bench:end -->"
NWBSTREAM_CLI = REPO / ".venv" / "bin" / "nwbstream"
NEUROCONV = "neuroconv"
CP = "cp"
STREAM_ID = "imec0.ap"
POLL_S = 0.05
# Both tools get the same subject, so that neither output lacks what the other one carries.
SUBJECT = {"subject_id": "bench", "species": "Mus musculus", "sex": "U", "age": "P90D"}
MB = 1e6

# nwbstream configurations: name -> top-level keys added to the conversion spec.
NWBSTREAM_VARIANTS: dict[str, dict[str, Any]] = {
    "nwbstream": {},
    "nwbstream-zarr": {"backend": "zarr"},
    "nwbstream-uncompressed": {"backend_configuration": {"default": {"compression_method": None}}},
}


@dataclass
class RunResult:
    """One timed run of one configuration."""

    config: str
    repeat: int
    ok: bool
    wall_s: float
    throughput_mb_s: float
    peak_rss_mb: float
    output_mb: float | None
    returncode: int | None
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ helpers


def find_uv() -> str:
    """The uv executable (PATH first, then the user install the Makefile falls back to)."""
    found = shutil.which("uv")
    if found:
        return found
    fallback = Path.home() / ".local" / "bin" / "uv"
    if fallback.exists():
        return str(fallback)
    raise SystemExit("uv not found: install it (python3 -m pip install --user uv)")


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


def ensure_session(work: Path, size_bytes: int) -> tuple[Path, dict[str, Any]]:
    """Generate (once per size and generator version) the AP-only SpikeGLX session.

    Returns its probe folder and the generation info (path, size, time, generator fingerprint).
    """
    session = work / f"session-{size_bytes}"
    marker = session / "generated.json"
    generator = hashlib.sha1(Path(samples.__file__).read_bytes()).hexdigest()[:12]
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("generator") == generator:
            return Path(info["probe_folder"]), info
        print("the sample generator changed since the cached session was written: regenerating", flush=True)
    if session.exists():
        shutil.rmtree(session)  # stale, or an interrupted generation
    print(f"generating a {size_bytes / 1e9:.2f} GB SpikeGLX session in {session} ...", flush=True)
    start = time.perf_counter()
    probe_folder = write_spikeglx_session(session, size_bytes=size_bytes, run_name="bench", with_lf=False)
    elapsed = time.perf_counter() - start
    ap_bin = next(probe_folder.glob("*.ap.bin"))
    info = {
        "probe_folder": str(probe_folder),
        "ap_bin": str(ap_bin),
        "bytes": ap_bin.stat().st_size,
        "generation_s": elapsed,
        "generator": generator,
    }
    marker.write_text(json.dumps(info, indent=2))
    print(f"  generated in {elapsed:.1f} s ({info['bytes'] / MB / elapsed:.0f} MB/s)", flush=True)
    return probe_folder, info


def ensure_neuroconv_venv(work: Path, requirement: str) -> Path:
    """Create bench/work/neuroconv-venv with the latest NeuroConv release if missing; return its python."""
    venv = work / "neuroconv-venv"
    python = venv / "bin" / "python"
    ready = venv / ".bench-installed"
    if ready.exists() and python.exists():
        return python
    uv = find_uv()
    print(f"creating the NeuroConv venv in {venv} ({requirement}) ...", flush=True)
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([uv, "venv", "-q", "-p", "3.11", str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), requirement], check=True)
    ready.write_text(requirement + "\n")
    return python


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


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def _kill_tree(pid: int) -> None:
    """Kill the process we started and its descendants (by pid, nothing else)."""
    try:
        parent = psutil.Process(pid)
        members = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for member in members:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            continue


def run_measured(
    command: list[str], log_dir: Path, timeout_s: float, env: dict[str, str] | None = None
) -> tuple[int | None, float, int, str, str]:
    """Run ``command``; return (returncode, wall seconds, peak tree RSS bytes, stdout, stderr).

    A sampler thread sums the RSS of the process and all its descendants every 50 ms; the main thread
    only waits, so the wall time is not quantised by the polling.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    peak = 0
    stop = threading.Event()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=REPO, env=env)
        ps = psutil.Process(proc.pid)

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_rss(ps))
                stop.wait(POLL_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            returncode: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            proc.wait()
            returncode = None
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
    return returncode, wall, peak, out_path.read_text(), err_path.read_text()


def write_spec(path: Path, probe_folder: Path, extra: dict[str, Any]) -> None:
    """The NeuroConv-style YAML conversion spec given to ``nwbstream convert``."""
    spec: dict[str, Any] = {
        "metadata": {"NWBFile": {"session_description": "benchmark"}, "Subject": SUBJECT},
        "data_interfaces": {"ap": "SpikeGLXRecordingInterface"},
        "experiments": {
            "bench": {
                "sessions": [
                    {
                        "nwbfile_name": "bench.nwb",
                        "source_data": {"ap": {"folder_path": str(probe_folder), "stream_id": STREAM_ID}},
                    }
                ]
            }
        },
    }
    spec.update(extra)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def run_config(
    config: str,
    repeat: int,
    *,
    work: Path,
    probe_folder: Path,
    source: Path,
    neuroconv_python: Path | None,
    timeout_s: float,
    keep_outputs: bool,
) -> RunResult:
    """Run one configuration once and measure it; failures become a result, never an exception."""
    run_dir = work / "runs" / f"{config}-{repeat}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    output: Path
    if config == CP:
        output = run_dir / source.name
        command = ["cp", str(source), str(output)]
    elif config == NEUROCONV:
        assert neuroconv_python is not None
        output = run_dir / "bench.nwb"
        command = [
            str(neuroconv_python),
            str(BENCH / "neuroconv_convert.py"),
            "--folder-path",
            str(probe_folder),
            "--stream-id",
            STREAM_ID,
            "--output",
            str(output),
            "--subject",
            json.dumps(SUBJECT),
        ]
    else:
        spec = run_dir / "spec.yml"
        write_spec(spec, probe_folder, NWBSTREAM_VARIANTS[config])
        output = run_dir / "out"
        output.mkdir()  # like NeuroConv's YAML runner, the CLI writes into an existing folder
        command = [str(NWBSTREAM_CLI), "convert", str(spec), "--output-folder", str(output), "--overwrite"]

    env = dict(os.environ)
    if config == NEUROCONV:
        env.pop("VIRTUAL_ENV", None)  # the NeuroConv venv must not see the workspace one
    try:
        returncode, wall, peak, stdout, stderr = run_measured(command, run_dir / "logs", timeout_s, env)
    except OSError as error:  # e.g. the nwbstream CLI is not installed yet
        return RunResult(config, repeat, False, 0.0, 0.0, 0.0, None, None, stderr_tail=repr(error))
    ok = returncode == 0
    size = tree_size(output) if ok else 0
    if ok and size == 0:
        ok, stderr = False, stderr + "\n(no output was written)"
    extra: dict[str, Any] = {}
    if config == NEUROCONV and ok:
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if lines:
            extra = json.loads(lines[-1])
    if returncode is None:
        stderr += f"\n(killed after the {timeout_s:.0f} s timeout)"
    if not keep_outputs and output.is_dir():
        shutil.rmtree(output)
    elif not keep_outputs and output.exists():
        output.unlink()
    source_mb = source.stat().st_size / MB
    return RunResult(
        config=config,
        repeat=repeat,
        ok=ok,
        wall_s=wall,
        throughput_mb_s=source_mb / wall if ok and wall > 0 else 0.0,
        peak_rss_mb=peak / MB,
        output_mb=size / MB if ok else None,
        returncode=returncode,
        stderr_tail="" if ok else tail(stderr),
        extra=extra,
    )


# ------------------------------------------------------------------------------------------------ report


def summarise(runs: list[RunResult], configs: list[str]) -> dict[str, dict[str, Any]]:
    """Medians per configuration over its successful runs, and ratios against NeuroConv."""
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
                output_mb=statistics.median(r.output_mb or 0.0 for r in good),
            )
        failed = [r for r in mine if not r.ok]
        if failed:
            entry["error"] = failed[-1].stderr_tail
        summary[config] = entry
    base = summary.get(NEUROCONV, {})
    for config, entry in summary.items():
        if config in (NEUROCONV, CP) or "throughput_mb_s" not in entry or "throughput_mb_s" not in base:
            continue
        entry["throughput_vs_neuroconv"] = entry["throughput_mb_s"] / base["throughput_mb_s"]
        entry["output_size_vs_neuroconv"] = entry["output_mb"] / base["output_mb"] if base["output_mb"] else None
        entry["peak_rss_vs_neuroconv"] = entry["peak_rss_mb"] / base["peak_rss_mb"] if base["peak_rss_mb"] else None
    return summary


def _fmt(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def markdown_table(summary: dict[str, dict[str, Any]]) -> str:
    header = (
        "| configuration | ok/runs | wall (s) | throughput (MB/s) | × NeuroConv | peak RSS (MB) "
        "| output (MB) | size × NeuroConv |\n|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for config, e in summary.items():
        if config == CP:
            continue
        rows.append(
            f"| {config} | {e['ok']}/{e['runs']} | {_fmt(e.get('wall_s'), '.1f')} "
            f"| {_fmt(e.get('throughput_mb_s'), '.1f')} | {_fmt(e.get('throughput_vs_neuroconv'), '.2f')} "
            f"| {_fmt(e.get('peak_rss_mb'), '.0f')} | {_fmt(e.get('output_mb'), '.0f')} "
            f"| {_fmt(e.get('output_size_vs_neuroconv'), '.3f')} |"
        )
    cp = summary.get(CP)
    if cp and "throughput_mb_s" in cp:
        rows.append(
            f"| `cp` of the source (disk limit) | {cp['ok']}/{cp['runs']} | {cp['wall_s']:.1f} "
            f"| {cp['throughput_mb_s']:.1f} | | | | |"
        )
    return "\n".join([header, *rows])


def doc_section(result: dict[str, Any], table: str) -> str:
    source, machine, versions = result["source"], result["machine"], result["versions"]
    failed = any("error" in entry for entry in result["summary"].values())
    lines = [
        f"Last `make bench` run: {result['timestamp']}: {source['bytes'] / 1e9:.2f} GB NP1.0 AP stream "
        f"(385 x int16 at 30 kHz, {source['seconds']:.0f} s), "
        f"{result['repeats']} alternating repeats, medians.",
        f"Machine: {machine['cpus']} CPUs, {machine['ram_gb']:.0f} GB RAM, {machine['platform']}. "
        f"NeuroConv {versions.get('neuroconv') or '?'}, nwbstream {versions.get('nwbstream')}.",
        "",
        table,
        "",
        "Throughput is source bytes over the wall time of the whole command (start-up included); peak RSS "
        "sums the process and all its descendants." + (" Failed runs (last line of stderr):" if failed else ""),
    ]
    for config, entry in result["summary"].items():
        if "error" in entry:
            last = entry["error"].strip().splitlines()[-1] if entry["error"].strip() else "(no stderr)"
            lines.append(f"- {config}: `{last[:200]}`")
    return "\n".join(lines)


def update_doc(section: str) -> None:
    """Rewrite only the generated section of docs/performance.md; the rest of the doc is hand-written."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    if not DOC.exists():
        DOC.write_text(f"# Performance\n\n{DOC_START}\n{DOC_END}\n")
    text = DOC.read_text()
    if DOC_START not in text or DOC_END not in text:
        text = text.rstrip("\n") + f"\n\n{DOC_START}\n{DOC_END}\n"
    before, rest = text.split(DOC_START, 1)
    _, after = rest.split(DOC_END, 1)
    DOC.write_text(f"{before}{DOC_START}\n{section}\n{DOC_END}{after}")


# ------------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="nwbstream vs NeuroConv on a synthetic NP1.0 SpikeGLX session")
    parser.add_argument("--size-gb", type=float, default=2.0, help="AP .bin size in GB (1e9 bytes), default 2")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds, default 3")
    parser.add_argument(
        "--configs",
        nargs="+",
        default=[*NWBSTREAM_VARIANTS, NEUROCONV],
        choices=[*NWBSTREAM_VARIANTS, NEUROCONV],
        help="configurations to run (default: all)",
    )
    parser.add_argument("--work-dir", type=Path, default=BENCH / "work", help="scratch space (default bench/work)")
    parser.add_argument("--neuroconv", default="neuroconv[spikeglx]", help="pip requirement for the NeuroConv venv")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    parser.add_argument("--no-cp", action="store_true", help="skip the cp baseline")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--keep-outputs", action="store_true", help="keep converted files in the work dir")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work: Path = args.work_dir.resolve()
    ensure_work_dir(work)
    size_bytes = int(args.size_gb * 1e9)
    probe_folder, session = ensure_session(work, size_bytes)
    source = Path(session["ap_bin"])

    # nwbstream first in each round, then NeuroConv, then the nwbstream variants.
    configs = [c for c in ["nwbstream", NEUROCONV, *NWBSTREAM_VARIANTS] if c in args.configs]
    configs = list(dict.fromkeys(configs))
    neuroconv_python = ensure_neuroconv_venv(work, args.neuroconv) if NEUROCONV in configs else None
    round_configs = ([] if args.no_cp else [CP]) + configs

    runs: list[RunResult] = []
    for repeat in range(args.repeats):
        for config in round_configs:
            print(f"[{repeat + 1}/{args.repeats}] {config} ...", end=" ", flush=True)
            result = run_config(
                config,
                repeat,
                work=work,
                probe_folder=probe_folder,
                source=source,
                neuroconv_python=neuroconv_python,
                timeout_s=args.timeout,
                keep_outputs=args.keep_outputs,
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

    summary = summarise(runs, round_configs)
    now = dt.datetime.now().astimezone()
    result = {
        "timestamp": now.isoformat(timespec="seconds"),
        "size_gb": args.size_gb,
        "repeats": args.repeats,
        "machine": {
            "cpus": os.cpu_count(),
            "ram_gb": psutil.virtual_memory().total / 2**30,
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "source": {
            "path": str(source),
            "bytes": source.stat().st_size,
            "seconds": source.stat().st_size / (2 * 385) / 30000.0,
            "generation_s": session.get("generation_s"),
        },
        "versions": {
            "nwbstream": package_version(Path(sys.executable), "nwbstream-coordinator"),
            "neuroconv": package_version(neuroconv_python, "neuroconv") if neuroconv_python else None,
        },
        "summary": summary,
        "runs": [asdict(r) for r in runs],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{now.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))

    table = markdown_table(summary)
    print()
    print(table)
    print(f"\nresults: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    if not args.no_doc:
        update_doc(doc_section(result, table))
        print(f"updated: {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
