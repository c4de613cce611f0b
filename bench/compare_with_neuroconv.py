"""Convert one unchanged NeuroConv YAML spec with NeuroConv and with nwbstream, and compare the files.

    .venv/bin/python bench/compare_with_neuroconv.py SPEC.yml [--data-folder DIR] [--differences-only]

The check a format issue needs before it is resolved: NeuroConv 0.10.2 (``run_conversion_from_yaml``, in
its own venv, bench/work/neuroconv-venv) and ``nwbstream convert`` each write into a fresh folder under
``bench/work/compare/``, then every file NeuroConv wrote is compared with nwbstream's of the same name,
entry by entry (bench/nwb_diff.py). Relative source paths resolve against ``--data-folder``, by default the
spec's folder (NeuroConv's default); both tools get the same one.

Exit code: 0 when every file holds the same data, 1 when something differs or is only in one output,
2 when a tool failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from neuroconv_env import NEUROCONV_REQUIREMENT, ensure_neuroconv_venv, neuroconv_environ
from nwb_diff import Tolerance, compare_files, differs, format_table, summary

REPO = Path(__file__).resolve().parent.parent
NWBSTREAM_CLI = REPO / ".venv" / "bin" / "nwbstream"
NAMES = ("neuroconv", "nwbstream")
FAILED = 2
NEUROCONV_RUN = (
    "import sys; from neuroconv.tools.yaml_conversion_specification import run_conversion_from_yaml; "
    "run_conversion_from_yaml(specification_file_path=sys.argv[1], data_folder_path=sys.argv[2], "
    "output_folder_path=sys.argv[3], overwrite=True)"
)


def sessions_setting_description(spec: dict[str, Any]) -> dict[str, bool]:
    """nwbfile_name (without .nwb) -> whether the spec gives that session a session_description."""

    def sets(metadata: dict[str, Any] | None) -> bool:
        return bool((metadata or {}).get("NWBFile", {}).get("session_description"))

    found: dict[str, bool] = {}
    for experiment in (spec.get("experiments") or {}).values():
        for session in experiment.get("sessions") or []:
            name = str(session.get("nwbfile_name", "")).removesuffix(".nwb")
            layers = (spec.get("metadata"), experiment.get("metadata"), session.get("metadata"))
            found[name] = any(sets(metadata) for metadata in layers)
    return found


def run_tool(name: str, command: list[str], env: dict[str, str] | None = None) -> bool:
    """Run one conversion; print its time, or its stderr when it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(f"{name}: FAILED (exit {done.returncode}) after {elapsed:.1f} s:", file=sys.stderr)
        print("\n".join(done.stderr.strip().splitlines()[-30:]), file=sys.stderr)
        return False
    print(f"{name}: converted in {elapsed:.1f} s")
    return True


def pair_outputs(first: Path, second: Path) -> tuple[list[tuple[Path, Path]], list[Path], list[Path]]:
    """Files of the two output folders paired by name (".nwb" or not); then what is left in each.

    One leftover on each side (e.g. a session without nwbfile_name, which NeuroConv names from its metadata)
    is paired too.
    """
    files_a = {p.name.removesuffix(".nwb"): p for p in sorted(first.iterdir())}
    files_b = {p.name.removesuffix(".nwb"): p for p in sorted(second.iterdir())}
    pairs = [(files_a[name], files_b[name]) for name in files_a if name in files_b]
    left_a = [p for name, p in files_a.items() if name not in files_b]
    left_b = [p for name, p in files_b.items() if name not in files_a]
    if len(left_a) == 1 and len(left_b) == 1:
        pairs.append((left_a.pop(), left_b.pop()))
    return pairs, left_a, left_b


def compare_outputs(
    neuroconv_out: Path, nwbstream_out: Path, described: dict[str, bool], args: argparse.Namespace
) -> bool:
    """Print the comparison of every pair of files; True when anything differs."""
    pairs, only_neuroconv, only_nwbstream = pair_outputs(neuroconv_out, nwbstream_out)
    different = bool(only_neuroconv or only_nwbstream)
    for path in only_neuroconv:
        print(f"\nonly NeuroConv wrote {path.name}")
    for path in only_nwbstream:
        print(f"\nonly nwbstream wrote {path.name}")
    for file_a, file_b in pairs:
        title = file_a.name if file_a.name == file_b.name else f"{file_a.name} (NeuroConv) vs {file_b.name} (nwbstream)"
        print(f"\n== {title}")
        if file_a.name != file_b.name:
            different = True
            print("   the file names differ")
        if not (file_a.is_file() and file_b.is_file()):
            print("   not compared: only HDF5 files are (a Zarr output is a folder)")
            different = True
            continue
        rows = compare_files(
            file_a,
            file_b,
            ignore_session_description=not described.get(file_a.name.removesuffix(".nwb"), False),
            tolerance=Tolerance(args.rtol, args.atol),
        )
        print(format_table(rows, NAMES, args.differences_only))
        print(summary(rows, NAMES))
        different = different or differs(rows)
    return different


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="NeuroConv YAML conversion specification, used unchanged")
    parser.add_argument(
        "--data-folder", type=Path, help="where relative source paths start (default: the spec's folder)"
    )
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench" / "work", help="holds the venv and outputs")
    parser.add_argument("--neuroconv", default=NEUROCONV_REQUIREMENT, help="pip requirement for the NeuroConv venv")
    parser.add_argument("--differences-only", action="store_true", help="leave out the rows that are the same")
    parser.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for numbers (default exact)")
    parser.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for numbers (default exact)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    spec_path = args.spec.resolve()
    if not spec_path.is_file():
        raise SystemExit(f"{spec_path}: no such spec file")
    spec = yaml.safe_load(spec_path.read_text()) or {}
    data_folder = (args.data_folder or spec_path.parent).resolve()
    work = args.work_dir.resolve()
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    root = work / "compare" / f"{spec_path.stem}-{stamp}"
    neuroconv_out, nwbstream_out = root / "neuroconv", root / "nwbstream"
    root.mkdir(parents=True)  # neither tool's output folder exists yet: each creates its own, as users run them
    print(f"outputs in {root}")

    python = ensure_neuroconv_venv(work, args.neuroconv)
    converted = run_tool(
        "NeuroConv",
        [str(python), "-c", NEUROCONV_RUN, str(spec_path), str(data_folder), str(neuroconv_out)],
        env=neuroconv_environ(),
    )
    nwbstream_command = [str(NWBSTREAM_CLI), "convert", str(spec_path), "--output-folder", str(nwbstream_out)]
    converted &= run_tool("nwbstream", [*nwbstream_command, "--data-folder", str(data_folder), "--no-progress"])
    if not converted:
        return FAILED
    different = compare_outputs(neuroconv_out, nwbstream_out, sessions_setting_description(spec), args)
    print("\nresult: " + ("the outputs DIFFER" if different else "same data in every file"))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
