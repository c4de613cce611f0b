"""Bad input for every interface of every modality, one sweep: each interface's good source (a case the value tests
already run: tests/ecephys_cases/ and the `Case`s of the other modalities' test modules) is damaged in a copy, and
converted through the real embedded services and the Converter.

Interfaces whose value tests build their source in a pytest fixture or inside a test get one from the same writers
of tests/fixtures/, or the same real file; every interface is swept. The copy is a tree of symlinks to the good
source's folder in which the damaged file is a real file (the file the source names, or for a folder source the file
it reads: READS, else the folder's largest). Damages:
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

Each must fail with a one-line error that names the file (or a companion, or the source's folder), leave nothing at
the output path, and leave every service serving. Damages a reader rightly takes as a shorter or different but valid
file are listed in CONVERTS, each saying why; damages that convert but should not are listed in UNCAUGHT (known
gaps); both must convert, and write a file (its values are compared with the damaged file's for Blackrock 2.1 only,
below). A refusal the coordinator's writers raise names the source's file too (writing.py prefixes it).
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nwbstream.coordinator.client import ServiceClient
from nwbstream.coordinator.converter import Converter

from .cases import Case
from .conftest import START, TESTDATA, convert
from .ecephys_cases import GENERATED, all_cases, plexon2
from .fixtures.behavior import miniscope, operant, sound, syllables, tracking
from .fixtures.icephys import bruker
from .fixtures.ophys import generate as ophys_files
from .fixtures.ophys.sima import write_sima
from .test_behavior_tracking import FICTRAC_CONFIG
from .test_ophys_photometry import TDT_FIXTURE, TDT_TANK

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


def _written(name: str, write: Callable[[Path], dict[str, Any]]) -> Case:
    """A case on a source a fixture writer of tests/fixtures/ writes (once per run, in the generated folder)."""
    folder = GENERATED / f"sweep-{name}"
    folder.mkdir(exist_ok=True)
    return Case(name, write(folder), lambda: None, "generated (tests/fixtures/)")


def _generated_cases() -> list[Case]:
    """Sources for the interfaces whose value tests build theirs in a fixture, from the same writers."""
    writers: dict[str, Callable[[Path], dict[str, Any]]] = {
        **{name: write for name, write in ophys_files.WRITERS.items()},
        "MoseqKeyPointsInterface": lambda f: {
            "file_path": str(syllables.write_moseq(f)),
            "sampling_frequency_hz": 30.0,
        },
        "VameInterface": lambda f: {
            "file_path": str(syllables.write_vame(f)),
            "session_name": syllables.VAME_SESSION,
            "sampling_frequency_hz": 25.0,
        },
        "AudioInterface": lambda f: {"file_paths": [str(sound.write_wav(f / "sound.wav"))]},
        "MiniscopeBehaviorInterface": lambda f: {"folder_path": str(miniscope.write_session(f / "session"))},
        "NeuralynxNvtInterface": lambda f: (tracking.write_nvt(f / "VT1.nvt"), {"file_path": str(f / "VT1.nvt")})[1],
        "MiniscopeHeadOrientationInterface": lambda f: {
            "file_path": str(tracking.write_miniscope_head_orientation(f / "session"))
        },
        "FicTracDataInterface": lambda f: (
            tracking.write_fictrac_dat(f / "fictrac.dat"),
            {"file_path": str(f / "fictrac.dat"), "configuration_file_path": str(FICTRAC_CONFIG)},
        )[1],
        "CSVEventsInterface": operant.write_events_csv,
        "MedPCPackedEventsInterface": operant.write_packed_medpc,
        "BrukerVoltageRecordingInterface": lambda f: {"stimulus_type": "steps", "file_paths": bruker.write_cycles(f)},
        "SimaSegmentationInterface": lambda f: {"file_path": str(write_sima(f))},
        "Plexon2RecordingInterface": lambda f: (plexon2.placeholder(f), {"file_path": str(f / plexon2.PL2.name)})[1],
    }
    return [_written(name, write) for name, write in writers.items()]


def _real_cases() -> dict[str, Case]:
    """Real sources of interfaces whose value tests name them inside a test: a TDT Synapse tank's stream and epocs.
    Swept, but not in GOOD, which tests/test_detection.py shares: the tank holds no photometry, so detection rightly
    claims none of it."""
    tank = str(TDT_TANK)
    cases = [
        Case("TDTFiberPhotometryInterface", {"folder_path": tank, "stream_names": "Wav1"}, lambda: None, TDT_FIXTURE),
        Case("TDTEventsInterface", {"folder_path": tank}, lambda: None, TDT_FIXTURE),
    ]
    return {case.interface: case for case in cases}


@functools.cache
def _first_good_case_per_interface() -> dict[str, Case]:
    """One case per interface whose source names a file or folder that exists (the first found; generated ones are
    written here: the value tests write them in the same run)."""
    chosen: dict[str, Case] = {}
    for case in [*_module_cases(), *_generated_cases()]:
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


# The file an interface reads in its folder, where it is not the folder's largest.
READS = {
    "CellExplorerLFPInterface": "*.lfp",
    "KiloSortSortingInterface": "spike_times.npy",
    "MinianSegmentationInterface": "A.zarr/A/0.0.0",
    "NeuralynxSortingInterface": "*.ntt",
    "NeuroScopeSortingInterface": "*.res.1",
    "PhySortingInterface": "spike_times.npy",
    "SpikeGLXNIDQInterface": "*.nidq.bin",
    "Suite2pSegmentationInterface": "plane0/stat.npy",
    "TDTEventsInterface": "*.tsq",  # the epocs are in the tank's index
}


def _target(interface: str, named: Path) -> Path:
    """The file to damage: the named file, or the one the interface reads in the named folder (its largest)."""
    if named.is_file():
        return named
    if interface in READS:
        return next(named.glob(READS[interface]))
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


def _damaged_source(case: Case, tmp_path: Path, damage: Callable[[Path, Path], None]) -> tuple[dict, Path]:
    """The case's source rewritten to a copy whose target file `damage` changed: (source, its copy's root)."""
    named = _named(case)
    root = named.parent if named.is_file() else named
    target = _target(case.interface, named)
    placed = _linked_copy(root, tmp_path / "source", target)
    copy_root = tmp_path / "source" / root.name
    damage(placed, named if named.is_file() else target)

    def moved(value: Any) -> Any:
        if isinstance(value, str) and (value == str(root) or value.startswith(f"{root}/")):
            return str(copy_root / Path(value).relative_to(root))
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    return {key: moved(value) for key, value in case.source.items()}, copy_root


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

# Damages a reader takes, and why that is right: the file is written as it holds (these must convert).
NO_LENGTH = "states no length: cut at a record's end it is a shorter file (a warning in the report, when there is one)"
TEXT_CUT = "a text table: cut at a line's end it is a shorter table"
VIDEO_CUT = "a video: the frames the decoder finds are written, and timestamps are the decoder's"
SAMPLES = "no header there: the flipped bytes are sample values, written as the file holds them"
HEADER_FIELD = "the flipped bytes are in a descriptive header field the reader does not use"
LINKED = "linked, not read: only its path is written"
ONE_FEWER = "one file per channel, unit or image: without one, the set is smaller"
NOT_READ = "the file removed is not one this interface reads"
ZARR_FILL = "zarr: a missing chunk reads as the array's fill value"
LAST_LINE_END = "a text file under 1 KiB: this cut takes only its last line end, the same YAML"
CONVERTS: dict[tuple[str, str], str] = {
    **{
        (i, d): TEXT_CUT
        for i in (
            "BrukerVoltageRecordingInterface",
            "CsvTimeIntervalsInterface",
            "CSVEventsInterface",
            "CSVFiberPhotometryInterface",
            "LightningPoseDataInterface",
            "MiniscopeHeadOrientationInterface",
            "NPMEventsInterface",
            "NPMFiberPhotometryInterface",
            "PyPhotometryEventsInterface",
        )
        for d in ("cut_1k", "cut_half", "cut_last_block")
    },
    ("FicTracDataInterface", "cut_half"): TEXT_CUT,
    ("FicTracDataInterface", "cut_last_block"): TEXT_CUT,
    ("XClustSortingInterface", "cut_1k"): TEXT_CUT,
    ("XClustSortingInterface", "cut_half"): TEXT_CUT,
    ("AxonaPositionDataInterface", "cut_1k"): NO_LENGTH,
    ("AxonaPositionDataInterface", "cut_half"): NO_LENGTH,
    ("AxonaPositionDataInterface", "cut_last_block"): NO_LENGTH,
    ("DoricCSVEventsInterface", "cut_last_block"): TEXT_CUT,
    ("MedPCArrayEventsInterface", "cut_half"): TEXT_CUT,
    ("MedPCArrayEventsInterface", "cut_last_block"): TEXT_CUT,
    ("PyPhotometryFiberPhotometryInterface", "cut_1k"): NO_LENGTH,
    ("PyPhotometryFiberPhotometryInterface", "cut_half"): NO_LENGTH,
    ("PyPhotometryFiberPhotometryInterface", "cut_last_block"): NO_LENGTH,
    **{
        (i, d): NO_LENGTH
        for i in ("NeuroScopeLFPInterface", "NeuroScopeRecordingInterface")
        for d in ("cut_1k", "cut_half", "cut_last_block")
    },
    ("CellExplorerLFPInterface", "cut_half"): NO_LENGTH,
    ("CellExplorerRecordingInterface", "cut_half"): NO_LENGTH,
    ("MCSRawRecordingInterface", "cut_last_block"): NO_LENGTH,
    ("WhiteMatterRecordingInterface", "cut_last_block"): NO_LENGTH,
    ("SbxImagingInterface", "cut_half"): NO_LENGTH,
    ("InternalVideoInterface", "cut_last_block"): VIDEO_CUT,
    ("MiniscopeBehaviorInterface", "cut_last_block"): VIDEO_CUT,
    ("ScanImageLegacyImagingInterface", "cut_last_block"): NO_LENGTH,
    **{
        (i, "flipped_header"): SAMPLES
        for i in (
            "AxonaRecordingInterface",
            "CellExplorerLFPInterface",
            "CellExplorerRecordingInterface",
            "InscopixImagingInterface",
            "InscopixSegmentationInterface",
            "NeuroScopeLFPInterface",
            "NeuroScopeRecordingInterface",
            "OpenEphysBinaryAnalogInterface",
            "OpenEphysBinaryRecordingInterface",
            "SbxImagingInterface",
            "SpikeGLXNIDQInterface",
            "SpikeGLXRecordingInterface",
            "SpikeGLXSyncChannelInterface",
            "TdtRecordingInterface",
            "TDTFiberPhotometryInterface",
            "WhiteMatterRecordingInterface",
        )
    },
    **{
        (i, "flipped_header"): HEADER_FIELD
        for i in (
            "AxonaLFPDataInterface",
            "CellExplorerSortingInterface",
            "CnmfeSegmentationInterface",
            "ExtractSegmentationInterface",
            "MCSRawRecordingInterface",
            "NeuralynxNvtInterface",
            "OpenEphysLegacyRecordingInterface",
            "OpenEphysRecordingInterface",
            "TDTEventsInterface",
        )
    },
    **{("ExternalImageInterface", d): LINKED for d in ("cut_1k", "cut_half", "cut_last_block")},
    **{("ExternalVideoInterface", d): LINKED for d in ("cut_half", "cut_last_block")},
    **{
        (i, "no_companion"): ONE_FEWER
        for i in (
            "ImageInterface",
            "NeuralynxRecordingInterface",
            "NeuralynxSortingInterface",
            "OpenEphysLegacyRecordingInterface",
            "OpenEphysRecordingInterface",
            "OpenEphysSortingInterface",
            "XClustSortingInterface",
        )
    },
    **{
        (i, "no_companion"): NOT_READ
        for i in ("CellExplorerSortingInterface", "EDFAnalogInterface", "EDFRecordingInterface")
    },
    **{("VameInterface", d): LAST_LINE_END for d in ("cut_1k", "cut_last_block")},
    ("MinianSegmentationInterface", "no_companion"): ZARR_FILL,
    ("MinianSegmentationInterface", "unreadable"): ZARR_FILL,
}
# Damages that convert although they should not: known gaps, each to be refused where the format states what it
# holds (these must convert until fixed; a fix makes the case fail here, and its entry goes). None left.
UNCAUGHT: dict[tuple[str, str], str] = {}


def _applies(case: Case, damage: str) -> bool:
    if damage != "no_companion":
        return True
    named = _named(case)
    return named.is_dir() or bool(_companions(named))


GOOD = _first_good_case_per_interface  # a function, so that tests/formats_doc.py does not take these for value cases
SWEPT = functools.cache(lambda: {**GOOD(), **_real_cases()})  # a function too, for the same reason
SWEEP = sorted((i, damage) for i, case in SWEPT().items() for damage in DAMAGES if _applies(case, damage))


@pytest.mark.parametrize(("interface", "damage"), SWEEP)
def test_damaged_source_is_named_and_leaves_nothing(services, tmp_path, interface, damage):
    case = SWEPT()[interface]
    if case.make is not None:
        case.make()
    source, copy_root = _damaged_source(case, tmp_path, DAMAGES[damage])
    out = tmp_path / "out.nwb"
    kind = case.kind or "data"
    if (interface, damage) in CONVERTS or (interface, damage) in UNCAUGHT:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert(services, {kind: (interface, source)}, out)
        assert out.is_file()
        return
    with warnings.catch_warnings(), pytest.raises(Exception) as caught:  # noqa: PT011 (the message is the test)
        warnings.simplefilter("ignore")
        convert(services, {kind: (interface, source)}, out)
    message = str(caught.value)
    assert "Traceback" not in message and "\n" not in message.strip(), message
    assert str(copy_root) in message, message  # the file, a companion, or the folder
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["source"]


def test_every_interface_is_swept(services):
    assert set(services.interfaces) - set(SWEPT()) == set()


def test_every_service_still_serves_after_the_sweep(services):
    """Runs after the sweep (pytest keeps the file's order): a health check and ListInterfaces on each service."""
    for modality, client in services.clients.items():
        assert isinstance(client, ServiceClient)
        client.wait_healthy(5)
        names = {entry.name for entry in client.list_interfaces()}
        assert names == {name for name, entry in services.interfaces.items() if entry.modality == modality}


def test_a_cut_blackrock_21_file_converts_what_it_holds(services, tmp_path):
    """Spec 2.1 states no length (and neo's own 2.1 test file ends inside a sample): a halved .ns2 converts, with
    the whole samples it holds, equal to the reader's on the cut copy (with a warning that it ends mid-sample)."""
    from pynwb import NWBHDF5IO
    from spikeinterface.extractors import read_blackrock

    original = TESTDATA / "ecephys" / "blackrock" / "example_2.ns2"
    cut = tmp_path / original.name
    cut.write_bytes(original.read_bytes()[: original.stat().st_size // 2])
    out = tmp_path / "out.nwb"
    with Converter({"recording": ("BlackrockRecordingInterface", {"file_path": str(cut)})}, services) as converter:
        converter.run_conversion(nwbfile_path=out, metadata=START, progress=False)
        (warning,) = converter.warnings()
    channels = read_blackrock(original, stream_id="2").get_num_channels()
    extra = (cut.stat().st_size - 32 - 4 * channels) % (2 * channels)  # 2.1: 32-byte header, a uint32 id a channel
    assert extra > 0 and warning.startswith(f"{cut}: ends {extra} bytes into a sample of {channels} channels"), warning
    expected = read_blackrock(cut, stream_id="2").get_traces()
    whole = read_blackrock(original, stream_id="2").get_num_samples()
    with NWBHDF5IO(out, "r") as io:
        written = io.read().acquisition["ElectricalSeries"].data[:]
    assert 0 < len(written) < whole
    np.testing.assert_array_equal(written, expected)
