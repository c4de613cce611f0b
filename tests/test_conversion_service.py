"""The conversion service end to end: `nwbstream serve coordinator` as a real process on loopback, rigs through the
Python client and the CLI, SQLite and a real PostgreSQL, the lab's data root a folder of real files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import grpc
import numpy as np
import psutil
import pytest
import spikeinterface.extractors as se
import yaml
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.client import ConversionClient
from nwbstream.v1 import conversion_pb2 as pb
from pynwb import NWBHDF5IO

from .certificates import make_pki
from .conftest import BUCKET, ECEPHYS, META_ONLY, SUBJECT, write_spikeglx_from_meta
from .conversion_server import CLI, TOKENS, free_port, serving, write_config
from .nwbcheck import assert_valid_nwb
from .test_metrics import scrape

METADATA = {
    "NWBFile": {"session_description": "rig session", "session_start_time": "2020-01-01T12:00:00+00:00"},
    "Subject": SUBJECT,
}
FINAL = {pb.JOB_STATE_DONE, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED}


def spec_text(sessions: dict[str, dict], interface: str = "IntanRecordingInterface", **top) -> str:
    """A NeuroConv spec as its users write it: `nwbfile_name` without `.nwb`, paths relative to the data root."""
    return yaml.safe_dump(
        {
            "metadata": METADATA,
            "data_interfaces": {"Recording": interface},
            "experiments": {
                "rig": {
                    "sessions": [
                        {"nwbfile_name": name, "source_data": {"Recording": source}}
                        for name, source in sessions.items()
                    ]
                }
            },
            **top,
        },
        sort_keys=False,
    )


INTAN = {"file_path": "intan/sampledata.rhd"}


def wait_final(client: ConversionClient, job_id: str, timeout: float = 180) -> pb.Job:
    deadline = time.monotonic() + timeout
    for job in client.watch(job_id):
        if job.state in FINAL:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {pb.JobState.Name(job.state)}"
    raise AssertionError(f"the watch of {job_id} ended before the job did")


@pytest.fixture(scope="module")
def lab_b_root(tmp_path_factory) -> Path:
    """lab-b's data root: a SpikeGLX recording large enough to cancel midway (real .meta, generated .bin)."""
    root = tmp_path_factory.mktemp("lab-b")
    folder = root / "long"
    folder.mkdir()
    write_spikeglx_from_meta(folder, META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 600_000, seed=3)
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory, lab_b_root):
    """One coordinator for the module: lab-a reads the shared ecephys test data in place, lab-b its own folder."""
    config = write_config(
        tmp_path_factory.mktemp("coordinator"),
        {"lab-a": ECEPHYS, "lab-b": lab_b_root},
        metrics=f"127.0.0.1:{free_port()}",
    )
    with serving(config) as running:
        yield running


def client(server, lab: str = "lab-a") -> ConversionClient:
    return ConversionClient(server.address, TOKENS[lab])


def test_submit_watch_fetch_equals_a_cli_conversion(server, tmp_path):
    text = spec_text({"rhd": INTAN})
    with client(server) as rig:
        (job,) = rig.submit(text, spec_name="rig.yml")
        done = wait_final(rig, job.id)
        assert done.state == pb.JOB_STATE_DONE, done.error
        assert done.bytes_done == done.bytes_total > 0
        report = json.loads(done.report_json)
        assert report["pynwb"] == []
        assert not [m for m in report["nwbinspector"] if m["importance"] == "CRITICAL"]
        (fetched,) = rig.fetch(job.id, tmp_path / "fetched")
    assert fetched == tmp_path / "fetched" / "rhd.nwb"
    assert_valid_nwb(fetched)

    spec = tmp_path / "spec.yml"
    spec.write_text(text)
    result = subprocess.run(
        [*CLI, "convert", str(spec), "--data-folder", str(ECEPHYS), "--output-folder", str(tmp_path / "cli")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with NWBHDF5IO(fetched, "r") as a, NWBHDF5IO(tmp_path / "cli" / "rhd.nwb", "r") as b:
        one, other = a.read(), b.read()
        assert set(one.acquisition) == set(other.acquisition) == {"ElectricalSeries"}
        np.testing.assert_array_equal(
            one.acquisition["ElectricalSeries"].data[:], other.acquisition["ElectricalSeries"].data[:]
        )
        assert one.acquisition["ElectricalSeries"].rate == other.acquisition["ElectricalSeries"].rate
        electrodes = [f.electrodes.to_dataframe().drop(columns="group") for f in (one, other)]
        assert electrodes[0].equals(electrodes[1])
        assert one.session_start_time == other.session_start_time
        provenance = json.loads(one.source_script)
        assert provenance["spec"] == {"name": "rig.yml", "text": text}
        (source,) = provenance["sources"]
        rhd = ECEPHYS / "intan" / "sampledata.rhd"
        assert source["name"] == "intan/sampledata.rhd" and source["size"] == rhd.stat().st_size
        assert source["sha256"] == hashlib.sha256(rhd.read_bytes()).hexdigest()


def test_a_file_that_may_be_cut_converts_with_a_warning_on_stderr_and_in_the_report(server, lab_b_root, tmp_path):
    """A Blackrock spec 2.1 .ns2 (which states no length) halved ends inside a sample: it converts, and the doubt
    is reported, naming the file: by `nwbstream convert` on stderr, in the job's report, by `nwbstream submit`."""
    original = ECEPHYS / "blackrock" / "example_2.ns2"
    cut = lab_b_root / "cut" / original.name
    cut.parent.mkdir(exist_ok=True)
    cut.write_bytes(original.read_bytes()[: original.stat().st_size // 2])
    warning = re.compile(rf"WARNING {re.escape(str(cut))}: ends \d+ bytes into a sample of \d+ channels")
    spec = tmp_path / "cut.yml"
    spec.write_text(spec_text({"cut": {"file_path": "cut/example_2.ns2"}}, interface="BlackrockRecordingInterface"))

    converted = subprocess.run(
        [*CLI, "convert", str(spec), "--data-folder", str(lab_b_root), "--output-folder", str(tmp_path / "cli")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert converted.returncode == 0, converted.stderr
    assert len(warning.findall(converted.stderr)) == 1, converted.stderr
    assert (tmp_path / "cli" / "cut.nwb").is_file()

    with client(server, "lab-b") as rig:
        (job,) = rig.submit(spec.read_text(), spec_name="cut.yml")
        done = wait_final(rig, job.id)
    assert done.state == pb.JOB_STATE_DONE, done.error
    (reported,) = json.loads(done.report_json)["warnings"]
    assert warning.match(f"WARNING {reported}"), reported

    env = {**os.environ, "NWBSTREAM_TOKEN": TOKENS["lab-b"]}
    watched = subprocess.run(
        [*CLI, "watch", job.id, "--server", server.address], capture_output=True, text=True, env=env, timeout=60
    )
    assert watched.returncode == 0, watched.stderr
    assert f"nwbstream: job {job.id} ({done.session}): WARNING {reported}" in watched.stderr


def test_every_session_is_a_job_and_the_cli_waits_for_them(server, tmp_path):
    spec = tmp_path / "two.yml"
    spec.write_text(spec_text({"first": INTAN, "second": INTAN}))
    env = {**os.environ, "NWBSTREAM_TOKEN": TOKENS["lab-a"]}
    result = subprocess.run(
        [*CLI, "submit", str(spec), "--server", server.address, "--wait"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    ids = result.stdout.split()
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    listed = subprocess.run([*CLI, "jobs", "--server", server.address], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert set(ids) <= set(lines)
    assert all("done" in lines[i] for i in ids)
    fetched = subprocess.run(
        [*CLI, "fetch", ids[1], "--server", server.address, "--output-folder", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "out" / "second.nwb").is_file()


def test_s3_outputs_and_dandi_organization(tmp_path, s3):
    """Outputs on S3 (moto's server on loopback), the spec asking for a Dandiset: DANDI's name, validated, kept
    (no API key here, so not uploaded), fetched under the nwbfile_name."""
    metadata = {**METADATA, "NWBFile": {**METADATA["NWBFile"], "session_id": "day1"}}
    text = spec_text({"rhd": INTAN}, upload_to_dandiset="000123", metadata=metadata)
    config = write_config(tmp_path, {"lab-a": ECEPHYS}, outputs=f"s3://{BUCKET}/core")
    with serving(config) as running, client(running) as rig:
        (job,) = rig.submit(text)
        done = wait_final(rig, job.id)
        assert done.state == pb.JOB_STATE_DONE, done.error
        name = "sub-mouse01/sub-mouse01_ses-day1.nwb"
        assert done.output == f"s3://{BUCKET}/core/lab-a/{job.id}/{name}"
        dandi = json.loads(done.dandi_json)
        assert dandi["dandiset"] == "000123" and dandi["path"] == name and dandi["uploaded"] is False
        assert dandi["reason"].startswith("no DANDI API key")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        assert keys == [f"core/lab-a/{job.id}/{name}"]
        (fetched,) = rig.fetch(job.id, tmp_path / "rig")
    assert fetched.name == "rhd.nwb"
    stored = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    assert fetched.read_bytes() == stored
    with NWBHDF5IO(fetched, "r") as io:
        assert io.read().session_id == "day1"


def test_a_lab_sees_only_its_own_jobs(server):
    with client(server, "lab-a") as a, client(server, "lab-b") as b:
        (job,) = a.submit(spec_text({"mine": INTAN}))
        assert job.id not in {j.id for j in b.list()}
        for call in (b.get, b.cancel, lambda i: list(b.watch(i)), lambda i: b.fetch(i, Path("/nonexistent"))):
            with pytest.raises(ConversionError, match=f"no job {job.id}"):
                call(job.id)
        assert wait_final(a, job.id).state == pb.JOB_STATE_DONE


def test_a_wrong_token_is_unauthenticated(server):
    with ConversionClient(server.address, "not-a-token") as stranger, pytest.raises(ConversionError, match="token"):
        stranger.list()
    channel = grpc.insecure_channel(server.address)
    from nwbstream.v1 import conversion_pb2_grpc as pb_grpc

    with pytest.raises(grpc.RpcError) as refused:
        pb_grpc.ConversionServiceStub(channel).List(pb.ListRequest(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    channel.close()


@pytest.mark.parametrize("path", ["../lab-b/long/fixture_g0_t0.imec0.ap.bin", "/etc/shadow", "/no/such/file.rhd"])
def test_a_path_outside_the_data_root_is_refused_saying_nothing_of_it(server, path):
    with client(server) as rig, pytest.raises(ConversionError) as refused:
        rig.submit(spec_text({"escape": {"file_path": path}}))
    message = str(refused.value)
    assert "not inside the lab's data root" in message
    assert "No such file" not in message and "denied" not in message
    assert str(ECEPHYS.resolve()) not in message


def test_cancel_mid_run_leaves_no_output(server):
    folder = {"folder_path": "long", "stream_id": "imec0.ap"}
    with client(server, "lab-b") as rig:
        (job,) = rig.submit(spec_text({"long": folder}, interface="SpikeGLXRecordingInterface"))
        for seen in rig.watch(job.id):
            if seen.bytes_done > 0 or seen.state in FINAL:
                break
        assert seen.state == pb.JOB_STATE_RUNNING, pb.JobState.Name(seen.state)
        rig.cancel(job.id)
        ended = wait_final(rig, job.id)
    assert ended.state == pb.JOB_STATE_CANCELLED
    assert ended.output == ""
    outputs = Path(yaml.safe_load(server.config.read_text())["outputs"])
    assert not [p for p in outputs.rglob("*") if job.id in str(p)]  # nothing published, nothing staged


def test_a_service_down_is_retried_then_fails_with_its_reason(tmp_path):
    config = write_config(tmp_path, {"lab-a": ECEPHYS}, services={"ecephys": f"127.0.0.1:{free_port()}"})
    with serving(config) as running, client(running) as rig:
        (job,) = rig.submit(spec_text({"unreachable": INTAN}))
        ended = wait_final(rig, job.id)
    assert ended.state == pb.JOB_STATE_FAILED
    assert ended.attempts == 2
    assert "ecephys service" in ended.error and "gave up after 2 attempts" in ended.error


def test_a_killed_coordinator_loses_no_job_and_runs_none_twice(tmp_path):
    config = write_config(tmp_path, {"lab-a": ECEPHYS}, replica="replica-1", limits={"jobs": 1})
    with serving(config) as first, client(first) as rig:
        jobs = rig.submit(spec_text({f"s{i}": INTAN for i in range(4)}))
        for seen in rig.watch(jobs[0].id):
            if seen.state == pb.JOB_STATE_RUNNING:
                break
        first.kill()
    with serving(config) as second, client(second) as rig:
        ended = [wait_final(rig, job.id) for job in jobs]
    assert [job.state for job in ended] == [pb.JOB_STATE_DONE] * 4
    done_lines = re.findall(r"job (\w+): done", first.log_text() + second.log_text())
    assert sorted(done_lines) == sorted(job.id for job in jobs)


def test_two_replicas_share_one_postgresql(tmp_path, postgres_url):
    outputs = tmp_path / "outputs"
    shared = {"store": postgres_url, "outputs": str(outputs), "limits": {"jobs": 2, "jobs_per_lab": 2, "workers": 1}}
    first = write_config(tmp_path / "one", {"lab-a": ECEPHYS}, replica="r1", **shared)
    second = write_config(tmp_path / "two", {"lab-a": ECEPHYS}, replica="r2", **shared)
    with serving(first) as one, serving(second) as two, client(one) as rig:
        jobs = rig.submit(spec_text({f"p{i}": INTAN for i in range(6)}))
        ended = [wait_final(rig, job.id) for job in jobs]
        assert [job.state for job in ended] == [pb.JOB_STATE_DONE] * 6
        assert all(job.attempts == 1 for job in ended)
        by_replica = [re.findall(r"job (\w+): done", server.log_text()) for server in (one, two)]
    assert sorted(by_replica[0] + by_replica[1]) == sorted(job.id for job in jobs)  # each once, by one replica
    assert all(by_replica), "each replica ran jobs (one worker each, two jobs at once)"


def test_metrics_and_json_logs_follow_the_jobs(server):
    with client(server) as rig:
        (job,) = rig.submit(spec_text({"metered": INTAN}))
        done = wait_final(rig, job.id)
    address = yaml.safe_load(server.config.read_text())["metrics"]
    samples = scrape(f"http://{address}/metrics")
    assert samples[("nwbstream_jobs", frozenset({("state", "done")}))] >= 1
    assert samples[("nwbstream_bytes_converted_total", frozenset())] >= done.bytes_total > 0
    records = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    mine = [r for r in records if r.get("job_id") == job.id]
    assert any("done" in r["message"] for r in mine) and any("running" in r["message"] for r in mine)


def test_get_metadata_answers_what_the_files_and_the_spec_say(server):
    with client(server) as rig:
        (session,) = rig.get_metadata(spec_text({"look": INTAN}))
    metadata = json.loads(session.metadata_json)
    assert session.nwbfile_name == "look.nwb"
    assert metadata["NWBFile"]["session_description"] == "rig session"
    assert metadata["Ecephys"]["Device"][0]["name"] == "Intan"
    assert "NWBFile" in json.loads(session.metadata_schema_json)["properties"]


def test_detect_drafts_a_spec_the_lab_fills_and_submits(server, tmp_path):
    with client(server) as rig:
        found = rig.detect("phy/template")
        (source,) = found.sources
        assert (source.key, source.interface_name, source.modality) == ("PhySorting", "PhySortingInterface", "ecephys")
        assert json.loads(source.source_data_json) == {"folder_path": "phy/template"}  # the lab's own path
        assert [a.interface_name for a in source.alternatives] == ["KiloSortSortingInterface"]
        assert found.missing == [
            "NWBFile.session_start_time",
            "Subject.subject_id",
            "Subject.species",
            "Subject.sex",
            "Subject.age",
        ]
        assert found.nwbfile_name == "template" and str(ECEPHYS) not in found.spec_yaml
        assert "quality" in json.dumps(json.loads(found.metadata_json)["Ecephys"]["UnitProperties"])
        assert "Subject" in json.loads(found.metadata_schema_json)["properties"]
        spec = yaml.safe_load(found.spec_yaml)
        spec["experiments"]["experiment"]["sessions"][0]["metadata"].update(
            NWBFile={"session_start_time": METADATA["NWBFile"]["session_start_time"]}, Subject=SUBJECT
        )
        (job,) = rig.submit(yaml.safe_dump(spec), "drafted.yml")
        done = wait_final(rig, job.id)
        assert done.state == pb.JOB_STATE_DONE, done.error
        (path,) = rig.fetch(job.id, tmp_path)
    phy = se.read_phy(ECEPHYS / "phy" / "template")
    with NWBHDF5IO(str(path), "r") as io:
        units = io.read().units
        assert list(units["original_cluster_id"][:]) == list(phy.unit_ids)
        np.testing.assert_array_equal(
            units["spike_times"][0], phy.get_unit_spike_train(phy.unit_ids[0], return_times=True)
        )


@pytest.mark.parametrize("folder", ["..", "/etc", "phy/../../ophys"])
def test_detect_outside_the_lab_root_is_refused(server, folder):
    with client(server) as rig, pytest.raises(ConversionError, match="not inside the lab's data root"):
        rig.detect(folder)


def test_browse_lists_a_folder_of_the_lab_root(server):
    with client(server) as rig:
        root = rig.browse()
        template = rig.browse("phy/template")
    assert root.folder == "" and {"phy", "intan"} <= {e.name for e in root.entries if e.is_folder}
    assert template.folder == "phy/template"
    files = {entry.name: entry.size for entry in template.entries if not entry.is_folder}
    on_disk = {p.name: p.stat().st_size for p in (ECEPHYS / "phy" / "template").iterdir() if p.is_file()}
    assert files == on_disk
    names = [entry.name for entry in template.entries]
    folders = [entry.name for entry in template.entries if entry.is_folder]
    assert names == sorted(folders) + sorted(files)  # subfolders first, then files, each by name


@pytest.mark.parametrize("folder", ["..", "/etc", "phy/../../ophys"])
def test_browse_outside_the_lab_root_is_refused(server, folder):
    with client(server) as rig, pytest.raises(ConversionError, match="not inside the lab's data root") as refused:
        rig.browse(folder)
    assert str(ECEPHYS.resolve()) not in str(refused.value)


def test_a_spec_over_the_size_limit_is_refused(server):
    padding = {"notes": "x" * (2**20)}
    with client(server) as rig, pytest.raises(ConversionError, match="limit of 1048576 bytes"):
        rig.submit(spec_text({"big": INTAN}, metadata={**METADATA, "NWBFile": {**METADATA["NWBFile"], **padding}}))


def test_a_rig_uploads_its_folder_then_converts_it(server, tmp_path):
    rig_folder = tmp_path / "session-7"
    rig_folder.mkdir()
    (rig_folder / "recording.rhd").write_bytes((ECEPHYS / "intan" / "sampledata.rhd").read_bytes())
    with client(server, "lab-b") as rig:
        folder = rig.upload(rig_folder)
        assert folder == "session-7"
        (job,) = rig.submit(spec_text({"uploaded": {"file_path": f"{folder}/recording.rhd"}}))
        assert wait_final(rig, job.id).state == pb.JOB_STATE_DONE


def test_tls_on_the_coordinator(tmp_path):
    pki = make_pki(tmp_path / "pki")
    tls = {"cert": str(pki.server_cert), "key": str(pki.server_key)}
    config = write_config(tmp_path, {"lab-a": ECEPHYS}, tls=tls)
    with serving(config) as running:
        with ConversionClient(running.address, TOKENS["lab-a"], tls_ca=pki.ca) as rig:
            assert rig.list() == []
        with ConversionClient(running.address, TOKENS["lab-a"]) as plaintext, pytest.raises(ConversionError):
            plaintext.list()
    open_to_all = write_config(tmp_path / "open", {"lab-a": ECEPHYS}, listen=f"0.0.0.0:{free_port()}")
    refused = subprocess.run(
        [*CLI, "serve", "coordinator", "--config", str(open_to_all)], capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "plaintext is allowed on loopback only" in refused.stderr


def test_an_embedded_service_killed_mid_job_is_restarted_and_the_job_completes(server):
    """The long-lived conversion service starts its embedded services once; one killed (SIGKILL) while a job reads
    from it is started again, and the job resumes and completes; the next job finds it serving."""
    folder = {"folder_path": "long", "stream_id": "imec0.ap"}
    ecephys = next(
        child
        for child in psutil.Process(server.process.pid).children(recursive=True)
        if "nwbstream.ecephys" in " ".join(child.cmdline())
    )
    with client(server, "lab-b") as rig:
        (job,) = rig.submit(spec_text({"killed": folder}, interface="SpikeGLXRecordingInterface"))
        for seen in rig.watch(job.id):
            if seen.bytes_done > 0 or seen.state in FINAL:
                break
        ecephys.send_signal(signal.SIGKILL)
        ended = wait_final(rig, job.id)
        assert ended.state == pb.JOB_STATE_DONE, ended.error
        assert ended.attempts == 1 and ended.bytes_done == ended.bytes_total
    with client(server, "lab-a") as rig:
        (after,) = rig.submit(spec_text({"after": INTAN}))
        assert wait_final(rig, after.id).state == pb.JOB_STATE_DONE
