"""Every path a lab gives resolves inside its data root, or the job is refused before anything is read or written.

A path is relative to the root (an absolute one must already lie inside it); `..` is refused outright, and a
symbolic link is followed: one that stays inside the root is allowed, one that leaves it is refused. The refusal
is one sentence, "PATH: not inside the lab's data root", with PATH as the lab wrote it: the same whether or not
the target exists, and it never names the root or anything outside it.

The server calls one function on a spec loaded with the lab's root as data folder:

    spec = load_spec(spec_file, data_folder=lab.data_root)
    confine_spec(spec, lab.data_root)      # raises ConversionError; else every path is now resolved, inside root

It checks source_data's `file_path` / `folder_path` / `file_paths` and every other source argument whose name ends
in `_path` or `_paths` (NeuroConv's `xml_file_path`, `video_file_path`, ...: spec.py leaves them as written, so
here a relative one is taken relative to the root too), and every `file_path` of the alignment block.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any

from ..errors import ConversionError
from ..spec import Spec

OUTSIDE = "not inside the lab's data root"


def resolve_in_root(root: Path, relative: str | os.PathLike[str]) -> Path:
    """`relative` resolved (symbolic links followed) under `root`; a ConversionError if it leaves the root."""
    real_root = Path(root).resolve()
    try:
        if ".." in PurePath(relative).parts:
            raise ValueError("..")
        resolved = (real_root / relative).resolve()
    except (ValueError, OSError, RuntimeError):  # "..", a NUL byte, a symlink loop: refused alike
        raise ConversionError(f"{os.fspath(relative)}: {OUTSIDE}") from None
    if not resolved.is_relative_to(real_root):
        raise ConversionError(f"{os.fspath(relative)}: {OUTSIDE}")
    return resolved


def confine_spec(spec: Spec, root: Path) -> None:
    """Checks every path of every session (see the module's docstring) and replaces it, in place, with its resolved
    form; a ConversionError lists every path that leaves the root, one per line, each as the lab wrote it."""
    real_root = Path(root).resolve()
    problems: list[str] = []

    def confined(value: str) -> str:
        written = _as_written(value, Path(root), real_root)
        try:
            return str(resolve_in_root(real_root, written))
        except ConversionError as error:
            problems.append(f"{error}")
            return value

    for job in spec.sessions:
        job.interfaces = {key: (name, _map_paths(source, confined)) for key, (name, source) in job.interfaces.items()}
        job.alignment = _map_file_paths(job.alignment, confined)
    if problems:
        raise ConversionError("\n".join(dict.fromkeys(problems)))


def hide_root(message: str, root: Path) -> str:
    """`message` (a service's error, say) with the root's absolute path left out, so that a lab sees its own paths
    as it wrote them."""
    for form in dict.fromkeys((str(Path(root).resolve()), str(root))):
        message = re.sub(re.escape(form) + r"(/|(?![\w.\-]))", lambda m: "" if m.group(1) else ".", message)
    return message


def _as_written(value: str, root: Path, real_root: Path) -> str:
    """The path as the lab wrote it: load_spec joined relative paths with the root, which is taken off again."""
    for form in dict.fromkeys((str(root), str(real_root))):
        if value == form:
            return "."
        if value.startswith(form + os.sep):
            return value[len(form) + 1 :]
    return value


def _is_path_key(key: str) -> bool:
    return key.endswith(("_path", "_paths"))


def _map_paths(source: Mapping[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    def changed(value: Any) -> Any:
        if isinstance(value, list):
            return [changed(v) for v in value]
        return change(value) if isinstance(value, str) else value

    return {key: changed(value) if _is_path_key(key) else value for key, value in source.items()}


def _map_file_paths(block: Any, change: Callable[[str], str]) -> Any:
    if isinstance(block, Mapping):
        return {
            key: change(value) if key == "file_path" and isinstance(value, str) else _map_file_paths(value, change)
            for key, value in block.items()
        }
    return block
