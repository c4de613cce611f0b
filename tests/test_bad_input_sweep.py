"""Bad input for every interface of every modality, one sweep: each interface's good source (a case the value tests
already run: tests/ecephys_cases/ and the `Case`s of the other modalities' test modules) is damaged in a copy, and
converted through the real embedded services and the Converter.

The copy is a tree of symlinks to the good source's folder in which the damaged file is a real file (the file the
source names, or for a folder source the largest file in it: its data). Damages:
  empty            the file holds 0 bytes
  cut_1            its first byte only
  cut_1k           its first KiB (the end of most headers)
  cut_half         its first half
  cut_last_block   all but its last 512 bytes (or its last byte, when smaller)
  flipped_header   its first 16 bytes inverted
  other_format     the bytes of another format's file under its name
  no_companion     the files beside it of the same stem removed (.meta without .bin, .nev without .nsX, ...), or for
                   a folder source its data file removed (.oebin without data)
  unreadable       a folder where the file is expected: the tests run as root, for whom chmod 000 changes nothing,
                   and a FIFO would leave a reader waiting for ever

Each must fail with a one-line error that names the file (or the source's folder), leave nothing at the output
path, and leave every service serving. Damages a reader takes as a shorter or different but valid file are listed
in CONVERTS, each saying why; those must convert.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nwbstream.coordinator.client import ServiceClient

from .cases import Case
from .conftest import TESTDATA, convert
from .ecephys_cases import all_cases

TESTS = Path(__file__).parent
OTHER_FORMAT = TESTDATA / "ecephys" / "blackrock" / "test_NEURALCD_raw.ns3"  # a Blackrock file, for all but those
OTHER_FORMAT_FOR_BLACKROCK = TESTDATA / "ecephys" / "phy" / "template" / "params.py"
PATH_KEYS = ("file_path", "folder_path", "file_paths")


def _module_cases() -> list[Case]:
    """The Cases of every test module (at their top level, alone or in a dict), then the ecephys suite's."""
    found: list[Case] = []
    for path in sorted(TESTS.glob("test_*.py")):
        if path.stem == Path(__file__).stem:
            continue
        module = importlib.import_module(f"tests.{path.stem}")
        for value in vars(module).values():
            found += [c for c in (value.values() if isinstance(value, dict) else [value]) if isinstance(c, Case)]
    return [*all_cases().values(), *found]


def _first_good_case_per_interface() -> dict[str, Case]:
    """One case per interface whose source names a file or folder that exists (the first found; generated ones are
    written here: the value tests write them in the same run)."""
    chosen: dict[str, Case] = {}
    for case in _module_cases():
        if case.interface in chosen or case.kind == "refused":
            continue
        if not any(case.source.get(key) for key in PATH_KEYS):
            continue
        if case.make is not None:
            case.make()
        if _named(case).exists():
            chosen[case.interface] = case
    return chosen


# -- the damaged copy ----------------------------------------------------------------------------------------


def _named(case: Case) -> Path:
    """The file or folder the source names (the first, for a list of files)."""
    value = next(case.source[k] for k in PATH_KEYS if case.source.get(k))
    return Path(value[0] if isinstance(value, list) else value)


def _target(named: Path) -> Path:
    """The file to damage: the named file, or the largest file of the named folder."""
    if named.is_file():
        return named
    return max((p for p in named.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)


def _linked_copy(root: Path, into: Path, real: Path) -> Path:
    """`root` rebuilt under `into` from symlinks, `real` (inside root) copied as a real file."""
    copy = into / root.name
    for folder, _, files in os.walk(root):
        here = copy / Path(folder).relative_to(root)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            (here / name).symlink_to(Path(folder) / name)
    placed = copy / real.relative_to(root)
    placed.unlink()
    shutil.copyfile(real, placed)
    placed.chmod(0o644)
    return placed


def _damaged_source(case: Case, tmp_path: Path, damage: Callable[[Path, Path], None]) -> tuple[dict, Path, Path]:
    """The case's source rewritten to a copy whose target file `damage` changed: (source, damaged file, named)."""
    named = _named(case)
    root = named.parent if named.is_file() else named
    target = _target(named)
    placed = _linked_copy(root, tmp_path / "source", target)
    copy_root = tmp_path / "source" / root.name
    damage(placed, named if named.is_file() else target)

    def moved(value: Any) -> Any:
        if isinstance(value, str) and (value == str(root) or value.startswith(f"{root}/")):
            return str(copy_root / Path(value).relative_to(root))
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    source = {key: moved(value) for key, value in case.source.items()}
    return source, placed, copy_root / named.relative_to(root) if named != root else copy_root


def _cut(keep: Callable[[int], int]) -> Callable[[Path, Path], None]:
    def damage(path: Path, _: Path) -> None:
        os.truncate(path, keep(path.stat().st_size))

    return damage


def _flip_header(path: Path, _: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:16] = bytes(b ^ 0xFF for b in data[:16])
    path.write_bytes(bytes(data))


def _other_format(path: Path, original: Path) -> None:
    other = OTHER_FORMAT_FOR_BLACKROCK if original.suffix in (".nev", *(f".ns{i}" for i in range(7))) else OTHER_FORMAT
    path.write_bytes(other.read_bytes())


def _without_companions(path: Path, original: Path) -> None:
    if original.is_file() and path.name == original.name and _companions(original):
        for companion in _companions(original):
            (path.parent / companion.relative_to(original.parent)).unlink()
    else:  # a folder source: its data file goes
        path.unlink()


def _companions(original: Path) -> list[Path]:
    stem = original.name.split(".")[0]
    return [p for p in original.parent.iterdir() if p != original and p.is_file() and p.name.split(".")[0] == stem]


def _folder_instead(path: Path, _: Path) -> None:
    path.unlink()
    path.mkdir()


DAMAGES: dict[str, Callable[[Path, Path], None]] = {
    "empty": _cut(lambda size: 0),
    "cut_1": _cut(lambda size: min(size, 1)),
    "cut_1k": _cut(lambda size: min(size - 1, 1024)),
    "cut_half": _cut(lambda size: size // 2),
    "cut_last_block": _cut(lambda size: size - 512 if size > 1024 else size - 1),
    "flipped_header": _flip_header,
    "other_format": _other_format,
    "no_companion": _without_companions,
    "unreadable": _folder_instead,
}

# (interface, damage) -> why the reader rightly takes the damaged file; it must then convert.
CONVERTS: dict[tuple[str, str], str] = {}


def _applies(case: Case, damage: str) -> bool:
    if damage != "no_companion":
        return True
    named = _named(case)
    return named.is_dir() or bool(_companions(named))


GOOD = _first_good_case_per_interface()
SWEEP = sorted((interface, damage) for interface, case in GOOD.items() for damage in DAMAGES if _applies(case, damage))


@pytest.mark.parametrize(("interface", "damage"), SWEEP)
def test_damaged_source_is_named_and_leaves_nothing(services, tmp_path, interface, damage):
    case = GOOD[interface]
    if case.make is not None:
        case.make()
    source, damaged, named = _damaged_source(case, tmp_path, DAMAGES[damage])
    out = tmp_path / "out.nwb"
    kind = case.kind or "data"
    if (interface, damage) in CONVERTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert(services, {kind: (interface, source)}, out)
        assert out.is_file()
        return
    with warnings.catch_warnings(), pytest.raises(Exception) as caught:  # noqa: PT011: the message is the test
        warnings.simplefilter("ignore")
        convert(services, {kind: (interface, source)}, out)
    message = str(caught.value)
    assert "Traceback" not in message and "\n" not in message.strip(), message
    assert re.search(f"{re.escape(str(damaged))}|{re.escape(str(named))}", message), message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["source"]


def test_every_interface_is_swept(services):
    offered = set(services.interfaces)
    assert offered - set(GOOD) == set(), "interfaces without a good source to damage"


def test_every_service_still_serves_after_the_sweep(services):
    """Runs after the sweep (pytest keeps the file's order): a health check and ListInterfaces on each service."""
    for modality, client in services.clients.items():
        assert isinstance(client, ServiceClient)
        client.wait_healthy(5)
        names = {entry.name for entry in client.list_interfaces()}
        assert names == {name for name, entry in services.interfaces.items() if entry.modality == modality}
