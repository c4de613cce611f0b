"""Processes the benches start and measure: running modality services, the RSS of a process tree, and killing a
tree. Shared by bench/run.py (one conversion at a time) and bench/soak.py (many through the conversion service)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
NWBSTREAM_CLI = REPO / ".venv" / "bin" / "nwbstream"


@dataclass(frozen=True)
class RunningService:
    """A modality service the bench started (`nwbstream serve MODALITY`), for the CLI's `--service`."""

    address: str
    process: psutil.Process


@contextlib.contextmanager
def running_services(modality: str, count: int, log_dir: Path) -> Iterator[list[RunningService]]:
    """`count` processes of the service on loopback, each listening on its own port; stopped at the end."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen] = []
    try:
        services = []
        for index in range(count):
            with open(log_dir / f"{modality}-{index}.stderr.txt", "w") as err:
                command = [str(NWBSTREAM_CLI), "serve", modality, "--port", "0"]
                process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
            started.append(process)
            line = process.stdout.readline() if process.stdout else ""  # "... listening on 127.0.0.1:PORT"
            if "listening on" not in line:
                raise RuntimeError(f"the {modality} service did not start: see {log_dir}")
            services.append(RunningService(line.split()[-1], psutil.Process(process.pid)))
        yield services
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)
                process.wait()


def label(process: psutil.Process) -> str:
    """A name for a process of the tree: the module it runs (``python -m X``), else its executable's name."""
    try:
        command = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "?"
    if not command:  # a zombie, or a process that has just started
        return "?"
    if "-m" in command[:-1]:
        return command[command.index("-m") + 1]
    return Path(command[1] if len(command) > 1 and "python" in Path(command[0]).name else command[0]).name


def tree_rss(process: psutil.Process, labels: dict[int, str], beside: Sequence[psutil.Process]) -> dict[str, int]:
    """RSS of the process, the processes ``beside`` it and every descendant of either, summed per label (``labels``
    caches them by pid)."""
    members: list[psutil.Process] = []
    for root in (process, *beside):
        try:
            members += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    rss: dict[str, int] = {}
    for member in members:
        try:
            value = member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        name = labels.get(member.pid) or label(member)
        if name != "?":
            labels[member.pid] = name
        rss[name] = rss.get(name, 0) + value
    return rss


def kill_tree(pid: int) -> None:
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
