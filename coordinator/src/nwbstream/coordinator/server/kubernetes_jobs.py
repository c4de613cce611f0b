"""Runs a claimed job as a Kubernetes Job (`runner: {kind: kubernetes}`), so conversions spread over the nodes.

The replica that claimed the job creates a batch/v1 Job whose pod runs `nwbstream run-job` on the same configuration
(a ConfigMap) with this replica's id and the claim's attempt in its environment: the pod converts in-process and
writes progress and outcome to the store as this replica, so the store sees one holder, and renews the lease itself.
Meanwhile the replica renews the lease too (the pod may wait for a node or an image) and polls: the store, for the
pod's outcome and the lab's cancel (the Job is then deleted); the Job, for an end without an outcome (out of memory,
past its deadline, an image that cannot be pulled), which fails the job with the reason and the end of the pod's log.

A replica that stops leaves its Jobs running: each pod holds the claim and records its outcome. A pod that dies
unrecorded while no replica watches lets the lease lapse, and the next replica that asks for work takes the job over
(a new attempt, a new Job): a pod of an older attempt stops at its next check, as its attempt is no longer the job's.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from urllib3.exceptions import HTTPError

from ..errors import ConversionError, ServiceUnavailable
from .config import ServerConfig
from .outcomes import Cancelled, JobFailed
from .runner import Hold
from .store import JobRecord

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0  # how often a running Job's store record and status are read
CONFIG_FOLDER = "/etc/nwbstream"  # where the Job's pod mounts the ConfigMap
CONFIG_KEY = "coordinator.yml"  # the configuration's key in the ConfigMap
REPLICA_ENV = "NWBSTREAM_REPLICA"  # the claiming replica's id, for the pod's writes
ATTEMPT_ENV = "NWBSTREAM_ATTEMPT"  # the claim's attempt: a pod of an older attempt does not run
LOG_LINES = 20  # of a failed pod's log, kept in the job's error
NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
# A container waiting for one of these will not start by itself: the job fails instead of waiting for a deadline.
UNREACHABLE = (OSError, HTTPError)  # the API server out of reach (urllib3's errors, after its retries)
STUCK = frozenset({"ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError"})
LABEL_PREFIX = "nwbstream.io/"


def job_name(job: JobRecord) -> str:
    """One Job per claim: the job's id and the attempt (at most 63 characters, a label value)."""
    return f"nwbstream-{job.id[:40]}-{job.attempts}"


def label_value(text: str) -> str:
    """`text` as a valid label value: at most 63 of [A-Za-z0-9_.-], beginning and ending alphanumeric."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", text)[:63].strip("_.-")


def job_manifest(config: ServerConfig, job: JobRecord) -> dict[str, Any]:
    """The batch/v1 Job that runs `job` for this claim."""
    runner = config.runner
    labels = {
        "app.kubernetes.io/name": "nwbstream",
        "app.kubernetes.io/component": "conversion-job",
        f"{LABEL_PREFIX}job": job.id,
        f"{LABEL_PREFIX}lab": label_value(job.lab),
        f"{LABEL_PREFIX}attempt": str(job.attempts),
    }
    # The root file system is read-only: /tmp is an emptyDir, unless the configured volumes already give one.
    given_tmp = any(mount.get("mountPath") == "/tmp" for mount in runner.volume_mounts)
    own_tmp = [] if given_tmp else [{"name": "nwbstream-tmp", "mountPath": "/tmp"}]
    container = {
        "name": "run-job",
        "image": runner.image,
        "imagePullPolicy": runner.image_pull_policy,
        "command": ["nwbstream", "run-job", "--config", f"{CONFIG_FOLDER}/{CONFIG_KEY}", job.id],
        "env": [
            {"name": REPLICA_ENV, "value": config.replica},
            {"name": ATTEMPT_ENV, "value": str(job.attempts)},
        ],
        "envFrom": [{"secretRef": {"name": secret}} for secret in runner.env_from_secrets],
        "resources": runner.resources,
        "volumeMounts": [
            {"name": "nwbstream-config", "mountPath": CONFIG_FOLDER, "readOnly": True},
            *own_tmp,
            *runner.volume_mounts,
        ],
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [
            {"name": "nwbstream-config", "configMap": {"name": runner.config_map}},
            *({"name": mount["name"], "emptyDir": {}} for mount in own_tmp),
            *runner.volumes,
        ],
        "nodeSelector": runner.node_selector,
        "tolerations": list(runner.tolerations),
    }
    if runner.service_account:
        pod_spec["serviceAccountName"] = runner.service_account
    spec: dict[str, Any] = {
        "backoffLimit": runner.backoff_limit,
        "template": {"metadata": {"labels": labels}, "spec": pod_spec},
    }
    if runner.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = runner.ttl_seconds_after_finished
    if runner.active_deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = runner.active_deadline_seconds
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(job),
            "labels": labels,
            "annotations": {f"{LABEL_PREFIX}lab": job.lab, f"{LABEL_PREFIX}session": job.session},
        },
        "spec": spec,
    }


def connect() -> Any:
    """A Kubernetes ApiClient: the pod's service account inside a cluster, else the kubeconfig ($KUBECONFIG or
    ~/.kube/config)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except config.ConfigException:
        try:
            # $KUBECONFIG read now: the client reads it once, when first imported
            config.load_kube_config(os.environ.get("KUBECONFIG"), client_configuration=configuration)
        except (config.ConfigException, OSError) as error:
            raise ConversionError(f"runner: kubernetes: not in a cluster, and no usable kubeconfig: {error}") from None
    return client.ApiClient(configuration)


def own_namespace() -> str:
    """The namespace of the pod this runs in (its service account's), else `default`."""
    try:
        return NAMESPACE_FILE.read_text().strip() or "default"
    except OSError:
        return "default"


class KubernetesJobs:
    """The executor of `runner: {kind: kubernetes}`."""

    outlives_process = True

    def __init__(self, config: ServerConfig, poll_seconds: float = POLL_SECONDS) -> None:
        from kubernetes import client

        self._config = config
        self._poll_seconds = poll_seconds
        self._namespace = config.runner.namespace or own_namespace()
        api = connect()
        self._batch = client.BatchV1Api(api)
        self._core = client.CoreV1Api(api)

    def run(self, job: JobRecord, hold: Hold) -> None:
        name = self._create(job)
        while not hold.wait(self._poll_seconds):
            try:
                current = hold.current()
            except Exception:  # the store out of reach for a moment: the Job goes on, and so does the lease
                log.exception("job %s: cannot read the job", job.id)
                continue
            if current is None:  # the pod recorded the outcome, gave the job back, or another claim holds it
                return None
            if current.cancel_requested:
                self._delete(name)
                raise Cancelled()
            failure = self._failure(name)
            if failure is not None:
                if hold.current() is None:  # the pod recorded its outcome as it ended
                    return None
                self._delete(name)
                raise JobFailed(failure)
        log.info("job %s: this replica stops; its Kubernetes Job %s goes on and records the outcome", job.id, name)
        return None

    def _create(self, job: JobRecord) -> str:
        from kubernetes.client import V1Job
        from kubernetes.client.exceptions import ApiException

        manifest = job_manifest(self._config, job)
        name = manifest["metadata"]["name"]
        try:
            self._batch.create_namespaced_job(self._namespace, V1Job.from_dict(manifest))
        except ApiException as error:
            if error.status == 409:  # this claim created it already
                return name
            words = f"cannot create its Kubernetes Job {name} in {self._namespace}: {_api_error(error)}"
            if error.status in (429, 500, 502, 503, 504):
                raise ServiceUnavailable(words) from None
            raise JobFailed(words) from None
        except UNREACHABLE as error:
            raise ServiceUnavailable(f"cannot reach the Kubernetes API to create Job {name}: {error}") from None
        log.info("job %s: created the Kubernetes Job %s/%s", job.id, self._namespace, name)
        return name

    def _delete(self, name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            self._batch.delete_namespaced_job(name, self._namespace, propagation_policy="Background")
        except ApiException as error:
            if error.status != 404:
                log.warning("cannot delete the Kubernetes Job %s: %s", name, _api_error(error))

    def _failure(self, name: str) -> str | None:
        """Why the Job ended, or will not start, without an outcome; None while it runs or waits as it should."""
        from kubernetes.client.exceptions import ApiException

        try:
            status = self._batch.read_namespaced_job(name, self._namespace).status
        except ApiException as error:
            if error.status == 404:
                return f"its Kubernetes Job {name} was deleted before its pod recorded an outcome"
            log.warning("cannot read the Kubernetes Job %s: %s", name, _api_error(error))
            return None
        except UNREACHABLE as error:
            log.warning("cannot reach the Kubernetes API to read the Job %s: %s", name, error)
            return None
        pods = self._pods(name)
        ended = [
            condition
            for condition in (status.conditions if status is not None and status.conditions else [])
            if condition.type in ("Complete", "Failed") and condition.status == "True"
        ]
        stuck = any(_stuck(pod) for pod in pods)
        if not ended and not stuck:
            return None
        if ended:
            condition = ended[0]
            if condition.type == "Complete":
                words = f"its Kubernetes Job {name} succeeded, but its pod recorded no outcome"
            else:
                words = f"its Kubernetes Job {name} failed ({condition.reason}: {condition.message})"
        else:
            words = f"its Kubernetes Job {name} cannot start"
        return "; ".join([words, *(self._pod_words(pod) for pod in pods)])

    def _pods(self, name: str) -> list[Any]:
        """The Job's pods (the Job controller labels them with its name); none when they cannot be listed."""
        from kubernetes.client.exceptions import ApiException

        try:
            return self._core.list_namespaced_pod(self._namespace, label_selector=f"job-name={name}").items
        except (ApiException, *UNREACHABLE) as error:
            log.warning("cannot list the pods of the Kubernetes Job %s: %s", name, error)
            return []

    def _pod_words(self, pod: Any) -> str:
        """The pod's container states and the end of its log."""
        from kubernetes.client.exceptions import ApiException

        words = f"pod {pod.metadata.name}: {', '.join(_container_states(pod)) or 'no container state'}"
        try:
            tail = self._core.read_namespaced_pod_log(pod.metadata.name, self._namespace, tail_lines=LOG_LINES)
        except (ApiException, *UNREACHABLE):
            return words  # a container that never started has no log
        return f"{words}; its log ends with:\n{tail.rstrip()}" if tail.strip() else words


def _container_statuses(pod: Any) -> list[Any]:
    return (
        [status for status in (pod.status.container_statuses or []) if status.state is not None] if pod.status else []
    )


def _stuck(pod: Any) -> bool:
    return any(
        status.state.waiting is not None and status.state.waiting.reason in STUCK for status in _container_statuses(pod)
    )


def _container_states(pod: Any) -> list[str]:
    """`OOMKilled (exit code 137)`, `ImagePullBackOff: Back-off pulling image "x"`, ... one per container."""
    states = []
    for status in _container_statuses(pod):
        if status.state.terminated is not None:
            states.append(f"{status.state.terminated.reason} (exit code {status.state.terminated.exit_code})")
        elif status.state.waiting is not None:
            waiting = status.state.waiting
            states.append(f"{waiting.reason}: {waiting.message}" if waiting.message else str(waiting.reason))
    return states


def _api_error(error: Any) -> str:
    """An ApiException in one line: its status, and the Status message the API server sent when it sent one."""
    try:
        message = json.loads(error.body or "{}").get("message")
    except ValueError:
        message = None
    return f"{error.status} {error.reason}" + (f": {message}" if message else "")
