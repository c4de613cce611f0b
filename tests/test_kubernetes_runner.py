"""The Kubernetes job runner against an API server stand-in on loopback (kmock's emulator): the real Runner and a
real SQLite store; the Job's pod does not run (no cluster), so a test plays it where a real outcome is needed, by
running `nwbstream run-job` itself, and flips the Job's status in the stand-in."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import kmock
import kubernetes_validate
import pytest
import yaml
from kubernetes import client
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.config import RunnerConfig, load_config
from nwbstream.coordinator.server.kubernetes_jobs import KubernetesJobs, connect, job_manifest, job_name
from nwbstream.coordinator.server.metrics import ConversionMetrics
from nwbstream.coordinator.server.runner import Runner
from nwbstream.coordinator.server.store import JobState, NewJob, open_store

from .conftest import ECEPHYS, wait_for
from .conversion_server import CLI, write_config
from .test_conversion_service import INTAN, spec_text

NAMESPACE = "conversions"
REPLICA = "coordinator-0:50051"
RUNNER = {
    "kind": "kubernetes",
    "namespace": NAMESPACE,
    "image": "registry.example/nwbstream-coordinator:0.1.0",
    "service_account": "nwbstream-jobs",
    "config_map": "nwbstream-coordinator",
    "env_from_secrets": ["nwbstream-store", "nwbstream-s3"],
    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "lab-data"}}],
    "volume_mounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
    "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "6Gi"}},
    "node_selector": {"nwbstream.io/pool": "conversions"},
    "tolerations": [{"key": "conversions", "operator": "Exists", "effect": "NoSchedule"}],
    "backoff_limit": 1,
    "ttl_seconds_after_finished": 600,
    "active_deadline_seconds": 7200,
}


class StandIn:
    """kmock's Kubernetes emulator on loopback, served by its own thread and event loop; `logs[pod]` is what the
    log endpoint of that pod answers."""

    def __init__(self) -> None:
        self.logs: dict[str, str] = {}
        self.url = ""
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the stand-in did not start"

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
            emulator.resources["v1/pods"] = {}
            emulator.resources["batch/v1/jobs"] = {}
            pod_log = re.compile(rf"/api/v1/namespaces/{NAMESPACE}/pods/([^/]+)/log")
            emulator["get", pod_log] << (lambda request: self.logs.get(pod_log.match(request.url.path)[1], ""))
            self.emulator, self.url = emulator, str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def deletes(self) -> list[dict]:
        """The query parameters of every DELETE the stand-in received."""
        return [dict(request.params) for request in self.emulator["delete"]]


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    """The stand-in, and a kubeconfig pointing at it (this process and the `run-job` it starts use it)."""
    stand_in = StandIn()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "stand-in", "cluster": {"server": stand_in.url}}],
                "users": [{"name": "test", "user": {"token": "test"}}],
                "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "test"}}],
                "current-context": "stand-in",
            }
        )
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    yield stand_in
    stand_in.close()


@pytest.fixture
def apis(cluster):
    api = connect()
    return client.BatchV1Api(api), client.CoreV1Api(api)


def start_service(folder: Path):
    """A replica's configuration (file, loaded), its store with one Intan job, and its runner, started."""
    path = write_config(folder, {"lab-a": ECEPHYS}, runner=RUNNER, replica=REPLICA, lease_seconds=3)
    server_config = load_config(path)
    store = open_store(server_config.store)
    (job,) = store.add([NewJob("lab-a", "rig/0", "rhd.nwb", spec_text({"rhd": INTAN}), "rig.yml", {})])
    executor = KubernetesJobs(server_config, poll_seconds=0.2)
    runner = Runner(server_config, store, executor, ConversionMetrics(store.counts))
    runner.start()
    return path, store, job, runner


@pytest.fixture
def service(tmp_path, cluster):
    path, store, job, runner = start_service(tmp_path / "coordinator")
    yield path, store, job, runner
    runner.stop()
    store.close()


def created_job(batch: client.BatchV1Api, name: str) -> dict:
    """The Job as the API server holds it, as JSON (camelCase keys)."""
    assert wait_for(lambda: _exists(batch, name), 10), f"no Job {name} was created"
    return client.ApiClient().sanitize_for_serialization(batch.read_namespaced_job(name, NAMESPACE))


def _exists(batch: client.BatchV1Api, name: str) -> bool:
    try:
        batch.read_namespaced_job(name, NAMESPACE)
    except client.exceptions.ApiException as error:
        assert error.status == 404, error
        return False
    return True


def set_status(batch: client.BatchV1Api, name: str, condition: str, reason: str, message: str) -> None:
    status = {"conditions": [{"type": condition, "status": "True", "reason": reason, "message": message}]}
    status["succeeded" if condition == "Complete" else "failed"] = 1
    batch.patch_namespaced_job_status(name, NAMESPACE, {"status": status})


def add_pod(core: client.CoreV1Api, job: str, state: dict) -> str:
    """A pod of Job `job` whose container is in `state` (what the Job controller and the kubelet would make)."""
    name = f"{job}-x7k2p"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"job-name": job}},
        "spec": {"containers": [{"name": "run-job", "image": RUNNER["image"]}]},
        "status": {
            "phase": "Failed" if "terminated" in state else "Pending",
            "containerStatuses": [
                {"name": "run-job", "image": RUNNER["image"], "imageID": "", "ready": False, "restartCount": 0}
                | {"state": state}
            ],
        },
    }
    core.create_namespaced_pod(NAMESPACE, client.V1Pod.from_dict(pod))
    return name


def wait_state(store, job_id: str, state: JobState, timeout: float = 20) -> None:
    assert wait_for(lambda: store.get(job_id).state == state, timeout), store.get(job_id)


def run_job(config: Path, job_id: str, attempt: int) -> subprocess.CompletedProcess:
    """`nwbstream run-job`, as the Job's pod runs it."""
    env = {**os.environ, "NWBSTREAM_REPLICA": REPLICA, "NWBSTREAM_ATTEMPT": str(attempt)}
    return subprocess.run(
        [*CLI, "run-job", "--config", str(config), job_id], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_job_is_created_with_the_configured_spec(service, apis):
    path, store, job, _ = service
    batch, _ = apis
    name = job_name(store.get(job.id))
    assert name == f"nwbstream-{job.id}-1"
    created = created_job(batch, name)
    manifest = job_manifest(load_config(path), store.get(job.id))
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)
    labels = {
        "app.kubernetes.io/name": "nwbstream",
        "app.kubernetes.io/component": "conversion-job",
        "nwbstream.io/job": job.id,
        "nwbstream.io/lab": "lab-a",
        "nwbstream.io/attempt": "1",
    }
    assert created["metadata"]["labels"] == labels
    assert created["metadata"]["annotations"] == {"nwbstream.io/lab": "lab-a", "nwbstream.io/session": "rig/0"}
    spec = created["spec"]
    assert (spec["backoffLimit"], spec["ttlSecondsAfterFinished"], spec["activeDeadlineSeconds"]) == (1, 600, 7200)
    assert spec["template"]["metadata"]["labels"] == labels
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == "nwbstream-jobs"
    assert pod["nodeSelector"] == RUNNER["node_selector"]
    assert pod["tolerations"] == RUNNER["tolerations"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["volumes"] == [
        {"name": "nwbstream-config", "configMap": {"name": "nwbstream-coordinator"}},
        {"name": "nwbstream-tmp", "emptyDir": {}},
        *RUNNER["volumes"],
    ]
    (container,) = pod["containers"]
    assert container["image"] == RUNNER["image"]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["command"] == ["nwbstream", "run-job", "--config", "/etc/nwbstream/coordinator.yml", job.id]
    assert container["env"] == [
        {"name": "NWBSTREAM_REPLICA", "value": REPLICA},
        {"name": "NWBSTREAM_ATTEMPT", "value": "1"},
    ]
    assert container["envFrom"] == [{"secretRef": {"name": "nwbstream-store"}}, {"secretRef": {"name": "nwbstream-s3"}}]
    assert container["resources"] == RUNNER["resources"]
    assert container["volumeMounts"] == [
        {"name": "nwbstream-config", "mountPath": "/etc/nwbstream", "readOnly": True},
        {"name": "nwbstream-tmp", "mountPath": "/tmp"},
        *RUNNER["volume_mounts"],
    ]
    security = container["securityContext"]
    assert (security["runAsNonRoot"], security["readOnlyRootFilesystem"]) == (True, True)
    assert security["allowPrivilegeEscalation"] is False
    # Polled, and held by this replica meanwhile: the lease is renewed past its first term.
    held = store.get(job.id)
    assert (held.state, held.claimed_by) == (JobState.RUNNING, REPLICA)
    assert wait_for(lambda: store.get(job.id).claim_expires > held.claim_expires, 15)


def test_a_tmp_among_the_configured_volumes_is_the_one_used(tmp_path):
    tmp = {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}}
    runner = {**RUNNER, "volumes": [tmp], "volume_mounts": [{"name": "tmp", "mountPath": "/tmp"}]}
    server_config = load_config(write_config(tmp_path, {"lab-a": ECEPHYS}, runner=runner))
    with open_store(server_config.store) as store:
        (record,) = store.add([NewJob("lab-a", "rig/0", "rhd.nwb", "{}")])
    pod = job_manifest(server_config, record)["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "nwbstream-config", "configMap": {"name": "nwbstream-coordinator"}}, tmp]
    assert [mount["name"] for mount in pod["containers"][0]["volumeMounts"]] == ["nwbstream-config", "tmp"]


def test_the_pod_records_done_and_the_succeeded_job_stays_done(service, apis, cluster):
    path, store, job, _ = service
    batch, _ = apis
    name = job_name(store.get(job.id))
    created_job(batch, name)
    pod = run_job(path, job.id, attempt=1)  # the pod's work, while the runner polls
    assert pod.returncode == 0, pod.stderr
    set_status(batch, name, "Complete", "Completed", "Reached expected number of succeeded pods")
    done = store.get(job.id)
    assert done.state == JobState.DONE, done.error
    assert done.bytes_done == done.bytes_total > 0
    assert done.report["pynwb"] == []
    assert Path(done.output).name == "rhd.nwb" and Path(done.output).is_file()
    time.sleep(1.0)  # a few polls later: nothing rewritten, the Job left to its TTL
    assert store.get(job.id) == done
    assert _exists(batch, name)
    assert cluster.deletes() == []


def test_a_failed_job_fails_with_its_reason_and_the_log_tail(service, apis, cluster):
    _, store, job, _ = service
    batch, core = apis
    name = job_name(store.get(job.id))
    created_job(batch, name)
    pod = add_pod(core, name, {"terminated": {"reason": "OOMKilled", "exitCode": 137}})
    cluster.logs[pod] = "converting rig/0\nchunk 12 of 40 written\n"
    set_status(batch, name, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    wait_state(store, job.id, JobState.FAILED)
    error = store.get(job.id).error
    assert error == (
        f"its Kubernetes Job {name} failed (BackoffLimitExceeded: Job has reached the specified backoff limit); "
        f"pod {pod}: OOMKilled (exit code 137); its log ends with:\nconverting rig/0\nchunk 12 of 40 written"
    )


def test_an_image_that_cannot_be_pulled_fails_the_job_and_deletes_it(service, apis):
    _, store, job, _ = service
    batch, core = apis
    name = job_name(store.get(job.id))
    created_job(batch, name)
    waiting = {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{RUNNER["image"]}"'}
    pod = add_pod(core, name, {"waiting": waiting})
    wait_state(store, job.id, JobState.FAILED)
    assert store.get(job.id).error == (
        f"its Kubernetes Job {name} cannot start; pod {pod}: ImagePullBackOff: {waiting['message']}"
    )
    assert wait_for(lambda: not _exists(batch, name), 5)


def test_a_cancelled_job_deletes_its_job(service, apis, cluster):
    _, store, job, _ = service
    batch, _ = apis
    name = job_name(store.get(job.id))
    created_job(batch, name)
    store.request_cancel(job.id, "lab-a")
    wait_state(store, job.id, JobState.CANCELLED)
    assert not _exists(batch, name)
    assert cluster.deletes() == [{"propagationPolicy": "Background"}]


def test_a_stopping_replica_leaves_its_job_to_the_pod(service, apis):
    path, store, job, runner = service
    batch, _ = apis
    name = job_name(store.get(job.id))
    created_job(batch, name)
    runner.stop()
    assert _exists(batch, name)
    held = store.get(job.id)
    assert (held.state, held.claimed_by, held.attempts) == (JobState.RUNNING, REPLICA, 1)
    # A pod of another attempt does nothing; the Job's own pod runs the job to its end.
    stale = run_job(path, job.id, attempt=2)
    assert stale.returncode == 1
    assert "no longer held" in stale.stderr
    assert store.get(job.id).version == held.version
    pod = run_job(path, job.id, attempt=1)
    assert pod.returncode == 0, pod.stderr
    assert store.get(job.id).state == JobState.DONE


def test_an_api_server_out_of_reach_retries_then_fails(tmp_path, cluster):
    cluster.close()
    _, store, job, runner = start_service(tmp_path / "coordinator")
    try:
        wait_state(store, job.id, JobState.FAILED, timeout=60)
    finally:
        runner.stop()
    failed = store.get(job.id)
    assert failed.attempts == 2  # retry: {attempts: 2} in write_config
    assert failed.error.startswith(f"cannot reach the Kubernetes API to create Job nwbstream-{job.id}-2: ")
    assert failed.error.endswith("(gave up after 2 attempts)")
    store.close()


def test_runner_configuration(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    plain = load_config(write_config(folder, {"lab-a": ECEPHYS}))
    assert plain.runner == RunnerConfig()
    assert plain.runner.kind == "inprocess"
    configured = load_config(write_config(folder, {"lab-a": ECEPHYS}, runner=RUNNER)).runner
    assert configured.volumes == tuple(RUNNER["volumes"])
    assert (configured.backoff_limit, configured.ttl_seconds_after_finished) == (1, 600)
    with pytest.raises(ConversionError, match="runner: kind kubernetes needs `image`"):
        load_config(write_config(folder, {"lab-a": ECEPHYS}, runner={"kind": "kubernetes"}))
    with pytest.raises(ConversionError, match="runner: Additional properties are not allowed .'replicas'"):
        load_config(write_config(folder, {"lab-a": ECEPHYS}, runner={"replicas": 3}))
    monkeypatch.setenv("NWBSTREAM_STORE", "postgresql://nwbstream:secret@db:5432/jobs")
    assert load_config(write_config(folder, {"lab-a": ECEPHYS})).store == "postgresql://nwbstream:secret@db:5432/jobs"
    monkeypatch.setenv("NWBSTREAM_STORE", "mysql://db/jobs")
    with pytest.raises(ConversionError, match=r"\$NWBSTREAM_STORE: expected sqlite"):
        load_config(write_config(folder, {"lab-a": ECEPHYS}))
    monkeypatch.delenv("NWBSTREAM_STORE")
    bare = write_config(folder, {"lab-a": ECEPHYS})
    raw = yaml.safe_load(bare.read_text())
    del raw["store"]
    bare.write_text(json.dumps(raw))
    with pytest.raises(ConversionError, match="no store: give `store:` or set .NWBSTREAM_STORE"):
        load_config(bare)
