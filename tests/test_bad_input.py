"""Bad input through the real CLI: every case exits non-zero with one clear message that names the file or the
field, no traceback, and leaves nothing in the output folder (no .nwb, no partial or hidden file)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ECEPHYS, SUBJECT

PHY = ECEPHYS / "phy" / "template"
BLACKROCK = ECEPHYS / "blackrock"
START = "2024-01-02T03:04:05"
AP_SERIES = "ElectricalSeriesAPImec0"  # the fixture's .meta has typeImEnabled != 1: NeuroConv adds the probe


def write_spec(
    folder: Path,
    interfaces: dict[str, tuple[str, dict[str, Any]]],
    metadata: dict[str, Any] | None = None,
    **top_level: Any,
) -> Path:
    """A one-session NeuroConv YAML spec; `interfaces`: key -> (interface name, source_data)."""
    if metadata is None:
        metadata = {"NWBFile": {"session_start_time": START}, "Subject": dict(SUBJECT)}
    spec = {
        "metadata": metadata,
        "data_interfaces": {key: name for key, (name, _) in interfaces.items()},
        "experiments": {
            "bad": {
                "sessions": [
                    {
                        "nwbfile_name": "session.nwb",
                        "source_data": {key: source for key, (_, source) in interfaces.items()},
                    }
                ]
            }
        },
        **top_level,
    }
    path = folder / "spec.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def convert(spec: Path, out: Path, address: str, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nwbstream.coordinator.cli", "convert", str(spec)]
    command += ["--output-folder", str(out), "--service", f"ecephys={address}", "--no-progress", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def output_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


def assert_clean_failure(result: subprocess.CompletedProcess, out: Path, *names: str) -> None:
    """Non-zero exit, exactly one `nwbstream: error:` message naming every one of `names`, nothing written."""
    stderr = result.stderr
    assert result.returncode != 0, f"exit 0; stdout: {result.stdout!r}"
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith("nwbstream: error: "), stderr
    assert stderr.count("nwbstream: error:") == 1, stderr
    for name in names:
        assert name in stderr, f"{name!r} not named in: {stderr}"
    assert "wrote" not in result.stdout
    assert list(out.iterdir()) == [], sorted(p.name for p in out.iterdir())


def spikeglx_ap(folder: Path) -> tuple[str, dict[str, Any]]:
    return "SpikeGLXRecordingInterface", {"folder_path": str(folder), "stream_id": "imec0.ap"}


# -- missing and wrong-format sources ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interface", "argument", "name"),
    [
        ("SpikeGLXRecordingInterface", "folder_path", "no_such_session"),
        ("BlackrockRecordingInterface", "file_path", "no_such_file.ns5"),
    ],
)
def test_missing_source(tmp_path, ecephys_address, interface, argument, name):
    missing = tmp_path / name
    source = {argument: str(missing)}
    if interface == "SpikeGLXRecordingInterface":
        source["stream_id"] = "imec0.ap"
    spec = write_spec(tmp_path, {"Source": (interface, source)})
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, str(missing))


def test_text_file_renamed_ns3_given_to_blackrock(tmp_path, ecephys_address):
    fake = tmp_path / "session.ns3"
    fake.write_text("these are notes about the session, not a Blackrock file\n" * 20)
    spec = write_spec(tmp_path, {"Recording": ("BlackrockRecordingInterface", {"file_path": str(fake)})})
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, str(fake), "Blackrock")


def test_phy_folder_given_to_spikeglx(tmp_path, ecephys_address):
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(PHY)})
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, str(PHY), "SpikeGLX")


@pytest.mark.parametrize(
    "keep_bytes",
    [
        pytest.param(1_000_000, id="cut-at-even-byte"),
        pytest.param(1_000_001, id="cut-mid-sample"),  # an interrupted copy stops at any byte
    ],
)
def test_truncated_spikeglx_bin(tmp_path, ecephys_address, spikeglx_folder, keep_bytes):
    session = tmp_path / "session"
    session.mkdir()
    for suffix in (".bin", ".meta"):
        shutil.copy(spikeglx_folder / f"fixture_g0_t0.imec0.ap{suffix}", session)
    bin_file = session / "fixture_g0_t0.imec0.ap.bin"
    assert bin_file.stat().st_size > keep_bytes
    os.truncate(bin_file, keep_bytes)
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(session)})
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, str(bin_file), "truncated")


# -- metadata ------------------------------------------------------------------------------------------------


def test_missing_session_start_time(tmp_path, ecephys_address):
    """Phy output has no start time and the spec gives none: never invented, named in the error."""
    spec = write_spec(
        tmp_path,
        {"Sorting": ("PhySortingInterface", {"folder_path": str(PHY)})},
        metadata={"NWBFile": {"session_description": "no start time anywhere"}, "Subject": dict(SUBJECT)},
    )
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, "session_start_time")


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        ({"subject_id": "m1", "sex": "M"}, "age or date_of_birth"),
        ({"subject_id": "m1", "age": "P90D"}, "Subject/sex"),
    ],
)
def test_incomplete_subject(tmp_path, ecephys_address, spikeglx_folder, subject, field):
    """nwbinspector calls a Subject without sex or age CRITICAL: refuse it instead of writing such a file."""
    metadata = {"NWBFile": {"session_start_time": START}, "Subject": subject}
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(spikeglx_folder)}, metadata=metadata)
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, field)


def test_unknown_interface(tmp_path, ecephys_address, spikeglx_folder):
    _, source = spikeglx_ap(spikeglx_folder)
    spec = write_spec(tmp_path, {"Recording": ("SpikeGLXRecordingInterfaceV2", source)})
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, "SpikeGLXRecordingInterfaceV2")
    assert re.search(r"SpikeGLXRecordingInterface\b", result.stderr), "the offered interfaces are not listed"


def test_bad_metadata_type(tmp_path, ecephys_address, spikeglx_folder):
    metadata = {"NWBFile": {"session_start_time": START, "experimenter": 5}, "Subject": dict(SUBJECT)}
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(spikeglx_folder)}, metadata=metadata)
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, "NWBFile/experimenter")


# -- backend configuration -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        pytest.param({"chunk_shape": [30000]}, "chunk_shape", id="chunk-shape-1d"),
        pytest.param({"compression_method": "lz4"}, "lz4", id="lz4"),
    ],
)
def test_invalid_backend_configuration(tmp_path, ecephys_address, spikeglx_folder, settings, named):
    configuration = {"datasets": {f"{AP_SERIES}/data": settings}}
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(spikeglx_folder)}, backend_configuration=configuration)
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address)
    assert_clean_failure(result, out, f"{AP_SERIES}/data", named)


# -- the output ----------------------------------------------------------------------------------------------


def test_existing_output_without_overwrite(tmp_path, ecephys_address, spikeglx_folder):
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(spikeglx_folder)})
    out = output_folder(tmp_path)
    existing = out / "session.nwb"
    existing.write_bytes(b"an earlier conversion, to keep")
    before = existing.stat()
    result = convert(spec, out, ecephys_address)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("nwbstream: error: ") and result.stderr.count("nwbstream: error:") == 1
    assert str(existing) in result.stderr and "--overwrite" in result.stderr, result.stderr
    assert list(out.iterdir()) == [existing]
    assert existing.read_bytes() == b"an earlier conversion, to keep"
    assert existing.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("open({marker!r}, 'w').write('ran')", "only 'name = value' lines are read"),
        ("dat_path = __import__('pathlib').Path({marker!r}).write_text('ran')", "the value is not a literal"),
    ],
)
def test_phy_params_py_is_read_as_data_never_run(services, tmp_path, line, named):
    """spikeinterface's reader runs params.py; the service reads it as literals and refuses code, naming the line."""
    from .conftest import convert as convert_in_process
    from .ecephys_cases import writable_copy

    folder = writable_copy(PHY, tmp_path)
    marker = tmp_path / "code_ran"
    params = folder / "params.py"
    params.write_text(params.read_text() + line.format(marker=str(marker)) + "\n")
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=rf"{re.escape(str(params))}:7: {named}"):
        convert_in_process(services, {"sorting": ("PhySortingInterface", {"folder_path": str(folder)})}, out)
    assert not marker.exists() and not out.exists()
