"""The `nwbstream` command line: interfaces, metadata, convert (embedded and with --service, --stub), --help."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
import yaml
from pynwb import NWBHDF5IO

from .conftest import ECEPHYS, META_ONLY, SUBJECT, wait_for, write_spikeglx_from_meta

CLI = [sys.executable, "-m", "nwbstream.coordinator.cli"]
PHY = ECEPHYS / "phy" / "template"
AP_SERIES = "ElectricalSeriesAPImec0"  # the fixture's .meta has typeImEnabled != 1: NeuroConv adds the probe
LF_SERIES = "ElectricalSeriesLFImec0"
N_CHANNELS = 385  # saved channels in both .meta files: 384 electrodes and the sync channel


def run(*args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def write_spec(path: Path, sessions: dict[str, dict[str, Any]], interfaces: dict[str, str], **top: Any) -> Path:
    """A NeuroConv YAML spec: one experiment, `sessions`: nwbfile_name -> {source_data, metadata}."""
    spec = {
        **top,
        "data_interfaces": interfaces,
        "experiments": {
            "exp": {"sessions": [{"nwbfile_name": name, **body} for name, body in sessions.items()]},
        },
    }
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def meta_value(meta: Path, key: str) -> str:
    return re.search(rf"^{key}=(.*)$", meta.read_text(), re.M).group(1).strip()


def read_bin(bin_file: Path) -> np.ndarray:
    return np.fromfile(bin_file, dtype="<i2").reshape(-1, N_CHANNELS)


def as_datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def test_metadata_prints_merged_yaml_and_the_user_wins(tmp_path, ecephys_address, spikeglx_folder):
    meta = spikeglx_folder / "fixture_g0_t0.imec0.ap.meta"
    source = {"AP": {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}, "Sort": {"folder_path": str(PHY)}}
    user_start = dt.datetime(2024, 5, 6, 7, 8, 9)
    spec = write_spec(
        tmp_path / "spec.yml",
        {
            "from_meta.nwb": {"source_data": source},
            "user_start.nwb": {"source_data": source, "metadata": {"NWBFile": {"session_start_time": user_start}}},
        },
        {"AP": "SpikeGLXRecordingInterface", "Sort": "PhySortingInterface"},
        metadata={"NWBFile": {"session_description": "two probes, one mouse"}, "Subject": SUBJECT},
    )
    result = run("metadata", str(spec), "--service", f"ecephys={ecephys_address}")
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    names = re.findall(r"^# session \S+ -> (\S+)$", result.stdout, re.M)
    assert names == ["from_meta.nwb", "user_start.nwb"]
    assert len(documents) == 2
    from_meta, user = documents

    assert as_datetime(from_meta["NWBFile"]["session_start_time"]) == as_datetime(meta_value(meta, "fileCreateTime"))
    assert as_datetime(user["NWBFile"]["session_start_time"]) == user_start
    for document in documents:
        assert document["NWBFile"]["session_description"] == "two probes, one mouse"
        assert document["Subject"] == SUBJECT
        devices = {d["name"]: d for d in document["Ecephys"]["Device"]}
        assert devices["NeuropixelsImec0"]["serial_number"] == meta_value(meta, "imDatPrb_sn")
        assert devices["NeuropixelsImec0"]["model_number"] == meta_value(meta, "imDatPrb_pn")
        assert document["Ecephys"][AP_SERIES]["name"] == AP_SERIES
        assert {p["name"] for p in document["Ecephys"]["UnitProperties"]} >= {"quality"}


def test_embedded_convert_end_to_end(tmp_path, spikeglx_folder):
    """No --service: the CLI starts the ecephys service itself, converts, and stops it."""
    spec = write_spec(
        tmp_path / "spec.yml",
        {
            "session.nwb": {
                "source_data": {
                    "AP": {"folder_path": spikeglx_folder.name, "stream_id": "imec0.ap"},
                    "LF": {"folder_path": spikeglx_folder.name, "stream_id": "imec0.lf"},
                    "Sort": {"folder_path": str(PHY)},  # absolute: --data-folder leaves it as it is
                },
                "metadata": {"NWBFile": {"session_description": "embedded"}},
                # NeuroConv writes every stream to acquisition unless asked: the LF band goes to LFP
                "conversion_options": {"LF": {"write_as": "lfp"}},
            }
        },
        {"AP": "SpikeGLXRecordingInterface", "LF": "SpikeGLXRecordingInterface", "Sort": "PhySortingInterface"},
        metadata={"Subject": SUBJECT},
    )
    out = tmp_path / "out"
    out.mkdir()
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [*CLI, "convert", str(spec), "--output-folder", str(out), "--data-folder", str(spikeglx_folder.parent)]
    with stdout.open("w") as out_file, stderr.open("w") as err_file:
        process = subprocess.Popen([*command, "--no-progress"], stdout=out_file, stderr=err_file)
        services = _watch_children(process, timeout=300)  # a guard against a hang, not a speed test
    stopped = wait_for(lambda: not any(_alive(p) for p in services.values()), timeout=5)
    leftover = [p for p in services.values() if _alive(p)]
    for p in leftover:  # do not leak a service into the rest of the run
        p.kill()
    assert process.returncode == 0, stderr.read_text()
    assert "Traceback" not in stderr.read_text(), stderr.read_text()

    # the embedded service ran on a unix socket in a temporary folder, and is gone with its folder
    sockets = [a for p in services.values() for a in p.info_cmdline if a.startswith("unix:")]
    assert sockets, f"no embedded service seen among {[p.info_cmdline for p in services.values()]}"
    assert stopped and not leftover, f"service processes left running: {[p.pid for p in leftover]}"
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= children_before
    for socket in sockets:
        assert not Path(socket.removeprefix("unix:")).parent.exists()

    nwbfile_path = out / "session.nwb"
    assert list(out.iterdir()) == [nwbfile_path]
    assert str(nwbfile_path) in stdout.read_text()
    ap_raw = read_bin(spikeglx_folder / "fixture_g0_t0.imec0.ap.bin")
    lf_raw = read_bin(spikeglx_folder / "fixture_g0_t0.imec0.lf.bin")
    with NWBHDF5IO(str(nwbfile_path), "r") as io:
        nwbfile = io.read()
        assert nwbfile.session_description == "embedded"
        assert nwbfile.subject.subject_id == SUBJECT["subject_id"]

        assert list(nwbfile.acquisition) == [AP_SERIES]
        ap = nwbfile.acquisition[AP_SERIES]
        assert ap.rate == float(meta_value(spikeglx_folder / "fixture_g0_t0.imec0.ap.meta", "imSampRate"))
        np.testing.assert_array_equal(ap.data[:], ap_raw[:, :384])

        lfp = nwbfile.processing["ecephys"]["LFP"]
        assert list(lfp.electrical_series) == [LF_SERIES]
        lf = lfp.electrical_series[LF_SERIES]
        np.testing.assert_array_equal(lf.data[:], lf_raw[:, :384])

        # AP and LF of one probe share the electrodes, as in NeuroConv
        assert len(nwbfile.electrodes) == 384
        assert list(ap.electrodes.data[:]) == list(lf.electrodes.data[:]) == list(range(384))
        assert nwbfile.electrodes["channel_name"][0] == "AP0,LF0"
        assert {"rel_x", "rel_y"} <= set(nwbfile.electrodes.colnames)

        units = nwbfile.units
        assert units is not None and len(units) > 0
        spike_times, clusters = np.load(PHY / "spike_times.npy").ravel(), np.load(PHY / "spike_clusters.npy").ravel()
        rate = float(re.search(r"sample_rate\s*=\s*([\d.]+)", (PHY / "params.py").read_text()).group(1))
        for row in range(len(units)):
            cluster = int(units["original_cluster_id"][row])
            expected = np.sort(spike_times[clusters == cluster].astype(float) / rate)
            np.testing.assert_allclose(units["spike_times"][row], expected)


def test_stub_writes_at_most_two_seconds(tmp_path, ecephys_address):
    """Streams longer than 2 s (the session fixture's are 1.5 s), cut to at most 2 s by --stub."""
    session = tmp_path / "session"
    session.mkdir()
    write_spikeglx_from_meta(session, META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 75_000, seed=3)
    write_spikeglx_from_meta(session, META_ONLY / "sample3B_g0_t0.imec1.lf.meta", "imec0.lf", 10_000, seed=4)
    spec = write_spec(
        tmp_path / "spec.yml",
        {
            "stub.nwb": {
                "source_data": {
                    "AP": {"folder_path": str(session), "stream_id": "imec0.ap"},
                    "LF": {"folder_path": str(session), "stream_id": "imec0.lf"},
                    "Sort": {"folder_path": str(PHY)},
                },
                "conversion_options": {"LF": {"parent_container": "processing/LFP"}},
            }
        },
        {"AP": "SpikeGLXRecordingInterface", "LF": "SpikeGLXRecordingInterface", "Sort": "PhySortingInterface"},
        metadata={"Subject": SUBJECT},
    )
    out = tmp_path / "out"
    out.mkdir()
    result = run(
        "convert", str(spec), "--output-folder", str(out), "--stub", "--no-progress",
        "--service", f"ecephys={ecephys_address}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(out.iterdir()) == [out / "stub.nwb"]
    with NWBHDF5IO(str(out / "stub.nwb"), "r") as io:
        nwbfile = io.read()
        series = {
            "ap": nwbfile.acquisition[AP_SERIES],
            "lf": nwbfile.processing["ecephys"]["LFP"].electrical_series[LF_SERIES],
        }
        for band, full in (("ap", 75_000), ("lf", 10_000)):
            es = series[band]
            n_samples = es.data.shape[0]
            assert 0 < n_samples <= 2 * es.rate, (band, n_samples, es.rate)
            assert n_samples < full
            raw = read_bin(session / f"fixture_g0_t0.imec0.{band}.bin")
            np.testing.assert_array_equal(es.data[:], raw[:n_samples, :384])
        for row in range(len(nwbfile.units)):
            assert np.all(np.asarray(nwbfile.units["spike_times"][row]) < 2.0)


def test_dandi_upload_in_a_spec_names_validates_and_keeps_the_file(tmp_path, ecephys_address, spikeglx_folder):
    """NeuroConv's `upload_to_dandiset`: a Dandiset id that is not one fails the sessions' check (nothing written);
    with one, the file lands under DANDI's name in `<output>/<dandiset>/`, passes dandi's validator, and without
    DANDI_API_KEY is not uploaded, saying so."""
    source = {"AP": {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}}
    interfaces = {"AP": "SpikeGLXRecordingInterface"}
    metadata = {"NWBFile": {"session_id": "day1", "session_description": "d"}, "Subject": SUBJECT}
    session = {"x": {"source_data": source, "metadata": metadata}}
    spec = write_spec(tmp_path / "spec.yml", session, interfaces, upload_to_dandiset="12")
    out = tmp_path / "missing"
    result = run("convert", str(spec), "--output-folder", str(out), "--service", f"ecephys={ecephys_address}")
    assert result.returncode != 0
    assert "upload_to_dandiset '12': expected a six-digit Dandiset id" in result.stderr
    assert not out.exists()  # a session failed its check: the output folder is not even created

    spec = write_spec(tmp_path / "spec.yml", session, interfaces, upload_to_dandiset="000123")
    result = run("convert", str(spec), "--output-folder", str(out), "--service", f"ecephys={ecephys_address}", "--stub")
    assert result.returncode == 0, result.stderr
    organized = out / "000123" / "sub-mouse01" / "sub-mouse01_ses-day1.nwb"
    assert organized.is_file() and not (out / "x.nwb").exists()
    assert f"{organized}: not uploaded to DANDI: set DANDI_API_KEY" in result.stderr
    with NWBHDF5IO(organized, "r") as io:
        assert io.read().subject.subject_id == SUBJECT["subject_id"]


def test_neuroconv_defaults_spec_folder_for_data_and_output(tmp_path, ecephys_address, spikeglx_folder):
    """As `neuroconv run-yaml`: relative source paths and the outputs are in the spec's folder, whatever the current
    directory, and `nwbfile_name` is given `.nwb` unless it ends with it."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "data").symlink_to(spikeglx_folder)
    session = {"source_data": {"LF": {"folder_path": "data", "stream_id": "imec0.lf"}}}
    spec = write_spec(
        project / "spec.yml",
        {"m1_day1": session, "m1_day2.nwb": session},
        {"LF": "SpikeGLXRecordingInterface"},
        metadata={"Subject": SUBJECT},
    )
    service = f"ecephys={ecephys_address}"

    result = run("metadata", str(spec), "--service", service, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert re.findall(r"^# session \S+ -> (\S+)$", result.stdout, re.M) == ["m1_day1.nwb", "m1_day2.nwb"]

    result = run("convert", str(spec), "--no-progress", "--service", service, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in project.glob("*.nwb")) == ["m1_day1.nwb", "m1_day2.nwb"]
    assert list(elsewhere.iterdir()) == []
    lf_raw = read_bin(spikeglx_folder / "fixture_g0_t0.imec0.lf.bin")
    with NWBHDF5IO(str(project / "m1_day1.nwb"), "r") as io:
        np.testing.assert_array_equal(io.read().acquisition[LF_SERIES].data[:], lf_raw[:, :384])


def test_missing_output_folder_is_created_with_its_parents(tmp_path, ecephys_address, spikeglx_folder):
    source = {"LF": {"folder_path": spikeglx_folder.name, "stream_id": "imec0.lf"}}
    spec = write_spec(
        tmp_path / "spec.yml",
        {"s.nwb": {"source_data": source}},
        {"LF": "SpikeGLXRecordingInterface"},
        metadata={"Subject": SUBJECT},
    )
    out = tmp_path / "not" / "yet" / "there"
    result = run(
        "convert", str(spec), "--output-folder", str(out), "--data-folder", str(spikeglx_folder.parent),
        "--no-progress", "--service", f"ecephys={ecephys_address}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(out.iterdir()) == [out / "s.nwb"]


@pytest.mark.parametrize("problem", ["metadata", "existing output", "same output"])
def test_no_session_is_written_when_any_fails_its_check(tmp_path, ecephys_address, spikeglx_folder, problem):
    """The third session fails: the first two, which would convert, are not written either."""
    source = {"LF": {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}}
    good = {"source_data": source, "metadata": {"Subject": SUBJECT}}
    sessions = {"s1.nwb": good, "s2.nwb": good}
    if problem == "metadata":
        sessions["s3.nwb"] = {"source_data": source}  # no Subject
    elif problem == "existing output":
        sessions["s3.nwb"] = good
    else:
        sessions["s1"] = good  # written as s1.nwb, as the first session is
    spec = write_spec(tmp_path / "spec.yml", sessions, {"LF": "SpikeGLXRecordingInterface"})
    out = tmp_path / "out"
    out.mkdir()
    if problem == "existing output":
        (out / "s3.nwb").write_text("an earlier conversion")
    result = run("convert", str(spec), "--output-folder", str(out), "--service", f"ecephys={ecephys_address}")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "wrote" not in result.stdout
    named = {
        "metadata": ["session exp/2 (s3.nwb)", "metadata Subject: required"],
        "existing output": ["session exp/2 (s3.nwb)", f"{out / 's3.nwb'} exists", "--overwrite"],
        "same output": ["experiments/exp/sessions/2", "writes s1.nwb", "experiments/exp/sessions/0"],
    }[problem]
    for name in named:
        assert name in result.stderr, (name, result.stderr)
    for other in ("exp/0", "exp/1"):  # only the session at fault is named
        assert f"session {other}" not in result.stderr
    expected = {"s3.nwb": "an earlier conversion"} if problem == "existing output" else {}
    assert {p.name: p.read_text() for p in out.iterdir()} == expected


def test_help_mentions_embedded_mode_and_additions():
    result = run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split()).lower()
    assert "embedded mode" in text
    assert "--service" in text
    assert "neuroconv" in text
    for addition in ("rel_x", "rel_y", "backend_configuration", "temporary name"):
        assert addition in text, addition
    for command in ("convert", "metadata", "interfaces", "serve"):
        assert command in text, command


def _watch_children(process: subprocess.Popen, timeout: float) -> dict[int, psutil.Process]:
    """Every descendant seen while `process` runs, with the last command line it showed, then waits for it.

    The command line is read again at every look: right after the fork a child still shows its parent's until it
    execs the service, and once it has exited (a zombie until reaped) it shows none."""
    seen: dict[int, psutil.Process] = {}
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            for child in parent.children(recursive=True):
                try:
                    cmdline = child.cmdline()
                except psutil.Error:
                    continue
                if cmdline:
                    child.info_cmdline = cmdline
                    seen[child.pid] = child
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()
        raise AssertionError(f"the conversion did not finish in {timeout} s")
    return seen


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_interfaces_run_in_data_interfaces_order(tmp_path):
    """NeuroConv adds a session's interfaces in data_interfaces' order, whatever order source_data lists them in:
    an interface that links another's object (MoSeq bouts to a pose) relies on it."""
    from nwbstream.coordinator.spec import load_spec

    spec = write_spec(
        tmp_path / "spec.yml",
        {"s": {"source_data": {"moseq": {"file_path": "results.h5"}, "pose": {"file_path": "pose.h5"}}}},
        {"pose": "DeepLabCutInterface", "moseq": "MoseqKeyPointsInterface"},
    )
    (job,) = load_spec(spec).sessions
    assert list(job.interfaces) == ["pose", "moseq"]
    assert job.interfaces["moseq"] == ("MoseqKeyPointsInterface", {"file_path": str(tmp_path / "results.h5")})


def test_serve_refuses_a_port_in_use(ecephys_address):
    """A second service on a port another one listens on fails, naming the address (it no longer shares it)."""
    port = ecephys_address.rsplit(":", 1)[1]
    result = run("serve", "ecephys", "--port", port, timeout=120)
    assert result.returncode != 0
    assert f"127.0.0.1:{port}: cannot listen there" in result.stderr


def test_sigterm_mid_write_removes_the_partial_file_and_says_so(tmp_path):
    """What Kubernetes sends: the conversion stops as on Ctrl-C, no partial file and no embedded-services folder
    left behind, exit status 143 with a message."""
    session = tmp_path / "long"
    session.mkdir()
    write_spikeglx_from_meta(session, META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 300_000, seed=4)
    spec = write_spec(
        tmp_path / "spec.yml",
        {"long": {"source_data": {"AP": {"folder_path": str(session), "stream_id": "imec0.ap"}}}},
        {"AP": "SpikeGLXRecordingInterface"},
        metadata={"NWBFile": {"session_description": "d"}, "Subject": SUBJECT},
    )
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    scratch.mkdir()
    process = subprocess.Popen(
        [*CLI, "convert", str(spec), "--output-folder", str(out), "--no-progress", "--window", "2"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert wait_for(lambda: any(p.stat().st_size > 0 for p in out.glob(".long.*.partial.nwb")), timeout=120)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "terminated (SIGTERM); nothing was left at the output path" in stderr
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []
    assert list(scratch.iterdir()) == []
