"""The Helm chart (charts/nwbstream), without a cluster: `helm lint --strict` and `helm template` with the default
values and with ci/full-values.yaml, every rendered object validated offline against the newest Kubernetes schema
kubernetes-validate ships, and the facts the deployment rests on read from the rendered objects."""

from __future__ import annotations

import base64
import subprocess
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from nwbstream.coordinator.server.config import CONFIG_SCHEMA

from .certificates import make_pki

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "nwbstream"
HELM = ROOT / ".tools" / "helm"
FULL = CHART / "ci" / "full-values.yaml"
RELEASE = "lab"
NAMESPACE = "conversions"
ONE_LAB = ("--set", "labs.lab-a.tokenSha256=" + "ab" * 32)
VALUES = {"default": (), "full": ("-f", str(FULL))}
MODALITIES = ("ecephys", "ophys", "icephys", "behavior", "general")
FULL_ENABLED = {"ecephys", "ophys", "icephys", "behavior"}  # general is disabled there


def helm(*arguments: str) -> str:
    assert HELM.exists(), f"{HELM}: missing; `make test` fetches it (bash tools/helm.sh)"
    result = subprocess.run([str(HELM), *arguments], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@cache
def render(*options: str) -> tuple[dict, ...]:
    text = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *options)
    return tuple(document for document in yaml.safe_load_all(text) if document)


def objects(documents, kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def coordinator_config(documents) -> dict:
    return yaml.safe_load(
        objects(documents, "ConfigMap")[f"{RELEASE}-nwbstream-coordinator"]["data"]["coordinator.yml"]
    )


def pod_specs(documents):
    for deployment in objects(documents, "Deployment").values():
        yield deployment["metadata"]["name"], deployment["spec"]["template"]


@pytest.mark.parametrize("values", VALUES)
def test_the_chart_lints_strictly(values):
    assert "0 chart(s) failed" in helm("lint", "--strict", str(CHART), *VALUES[values])


@pytest.mark.parametrize("values", VALUES)
def test_every_rendered_object_is_valid_for_the_newest_kubernetes(values):
    version = kubernetes_validate.latest_version()
    documents = render(*VALUES[values])
    assert len(documents) > 10
    for document in documents:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{document['kind']} {document['metadata']['name']}: {error.message} at {list(error.path)}")


def test_one_deployment_service_hpa_and_pdb_per_enabled_modality():
    documents = render(*VALUES["full"])
    names = {modality: f"{RELEASE}-nwbstream-{modality}" for modality in FULL_ENABLED}
    assert objects(documents, "Deployment").keys() == {*names.values(), f"{RELEASE}-nwbstream-coordinator"}
    services = objects(documents, "Service")
    assert services.keys() == {
        *names.values(),
        *(f"{name}-headless" for name in names.values()),
        f"{RELEASE}-nwbstream-coordinator",
    }
    assert all(services[f"{name}-headless"]["spec"]["clusterIP"] == "None" for name in names.values())
    # ophys has autoscaling off (fixed replicas), behavior no disruption budget.
    assert objects(documents, "HorizontalPodAutoscaler").keys() == {
        names[m] for m in ("ecephys", "icephys", "behavior")
    }
    assert objects(documents, "PodDisruptionBudget").keys() == {names[m] for m in ("ecephys", "ophys", "icephys")}
    deployments = objects(documents, "Deployment")
    assert deployments[names["ophys"]]["spec"]["replicas"] == 3
    assert "replicas" not in deployments[names["ecephys"]]["spec"]  # the autoscaler owns it
    hpa = objects(documents, "HorizontalPodAutoscaler")[names["ecephys"]]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"], hpa["scaleTargetRef"]["name"]) == (2, 8, names["ecephys"])
    ecephys = deployments[names["ecephys"]]["spec"]["template"]["spec"]
    assert ecephys["nodeSelector"] == {"node-role/nwbstream": "readers"}
    assert ecephys["tolerations"][0]["key"] == "dedicated"  # from serviceDefaults
    assert ecephys["containers"][0]["image"] == "registry.example.org/neuro/nwbstream-ecephys:0.1.0"
    assert "--tls-client-ca=/etc/nwbstream-tls/ca.crt" in ecephys["containers"][0]["args"]


def test_the_default_values_run_every_modality_once():
    deployments = objects(render(), "Deployment")
    for modality in MODALITIES:
        assert deployments[f"{RELEASE}-nwbstream-{modality}"]["spec"]["replicas"] == 1
    assert objects(render(), "HorizontalPodAutoscaler") == {}


@pytest.mark.parametrize("values", VALUES)
def test_every_pod_is_non_root_read_only_and_probed_over_grpc_health(values):
    for name, template in pod_specs(render(*VALUES[values])):
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        (container,) = spec["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["capabilities"]["drop"] == ["ALL"], name
        assert security["allowPrivilegeEscalation"] is False, name
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"] == ["python", "/opt/nwbstream/healthcheck.py"], name
        environment = {variable["name"]: variable.get("value") for variable in container["env"]}
        port = next(port["containerPort"] for port in container["ports"] if port["name"] == "grpc")
        assert environment["NWBSTREAM_HEALTH_ADDRESS"] == f"127.0.0.1:{port}", name


def test_the_coordinator_serves_the_rendered_configuration_with_its_secrets():
    documents = render(*VALUES["full"])
    template = objects(documents, "Deployment")[f"{RELEASE}-nwbstream-coordinator"]["spec"]["template"]
    (container,) = template["spec"]["containers"]
    assert container["args"] == ["serve", "coordinator", "--config", "/etc/nwbstream/coordinator.yml"]
    assert [source["secretRef"]["name"] for source in container["envFrom"]] == [
        "nwbstream-store",
        "nwbstream-s3",
        "nwbstream-dandi",
    ]
    volumes = {volume["name"]: volume for volume in template["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == f"{RELEASE}-nwbstream-coordinator"
    assert volumes["tls"]["secret"]["secretName"] == "nwbstream-tls"
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "lab-data"
    assert template["spec"]["automountServiceAccountToken"] is True  # the Kubernetes runner calls the API
    assert template["spec"]["serviceAccountName"] == f"{RELEASE}-nwbstream"


def test_network_policies_let_only_the_coordinator_and_its_jobs_reach_the_services():
    documents = render(*VALUES["full"])
    policies = objects(documents, "NetworkPolicy")
    services_policy = policies[f"{RELEASE}-nwbstream-services"]["spec"]
    selector = services_policy["podSelector"]["matchLabels"].items()
    pods = {name: template["metadata"]["labels"].items() for name, template in pod_specs(documents)}
    selected = {name for name, labels in pods.items() if selector <= labels}
    assert selected == {f"{RELEASE}-nwbstream-{modality}" for modality in FULL_ENABLED}
    grpc_rule, metrics_rule = services_policy["ingress"]
    peers = grpc_rule["from"]
    coordinator_peer = peers[0]["podSelector"]["matchLabels"].items()
    assert coordinator_peer <= pods[f"{RELEASE}-nwbstream-coordinator"]
    assert not any(coordinator_peer <= labels for name, labels in pods.items() if name in selected)
    assert peers[1]["podSelector"]["matchExpressions"] == [
        {"key": "batch.kubernetes.io/job-name", "operator": "Exists"}
    ]
    assert grpc_rule["ports"] == [{"port": 50051, "protocol": "TCP"}]
    assert metrics_rule == {"ports": [{"port": 9090, "protocol": "TCP"}]}
    coordinator_policy = policies[f"{RELEASE}-nwbstream-coordinator"]["spec"]
    assert coordinator_policy["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "lab-gateways"}}}
    ]


def test_the_coordinator_may_create_and_watch_jobs_and_read_their_pods():
    documents = render()
    (role,) = objects(documents, "Role").values()
    rules = {
        (group, resource): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert rules[("batch", "jobs")] == {"create", "get", "list", "watch", "delete"}
    assert {"get"} <= rules[("", "pods")] and rules[("", "pods/log")] == {"get"}
    (binding,) = objects(documents, "RoleBinding").values()
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"{RELEASE}-nwbstream", "namespace": NAMESPACE}]


def test_the_default_configuration_passes_the_coordinators_own_schema():
    config = coordinator_config(render(*ONE_LAB))
    jsonschema.validate(config, CONFIG_SCHEMA)
    assert config["listen"] == "0.0.0.0:50051"
    assert config["tls"] == {"cert": "/etc/nwbstream-tls/tls.crt", "key": "/etc/nwbstream-tls/tls.key"}
    assert config["labs"] == {"lab-a": {"token_sha256": "ab" * 32, "data_root": "/data/lab-a"}}
    assert config["outputs"] == "/var/lib/nwbstream/outputs"
    assert "runner" not in config  # in-process, the coordinator's default
    assert config["patience"] == {
        "keepalive": 5,
        "keepalive_timeout": 5,
        "retry_budget": 30,
        "connect_timeout": 5,
        "chunk_timeout": 60,
    }


def test_the_web_page_has_its_port_on_the_coordinator_and_in_its_configuration():
    documents = render(*ONE_LAB)
    assert coordinator_config(documents)["web"] == "0.0.0.0:8443"
    name = f"{RELEASE}-nwbstream-coordinator"
    (container,) = objects(documents, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
    assert {"name": "web", "containerPort": 8443, "protocol": "TCP"} in container["ports"]
    assert {"name": "web", "port": 8443, "targetPort": "web", "protocol": "TCP"} in objects(documents, "Service")[name][
        "spec"
    ]["ports"]
    ingress = objects(documents, "NetworkPolicy")[name]["spec"]["ingress"][0]
    assert {"port": 8443, "protocol": "TCP"} in ingress["ports"]
    assert "web" not in coordinator_config(render(*ONE_LAB, "--set", "web.enabled=false"))


def test_the_full_configuration_points_at_the_headless_services_and_runs_jobs():
    documents = render(*VALUES["full"])
    config = coordinator_config(documents)
    jsonschema.validate(config, CONFIG_SCHEMA)
    assert config["patience"]["chunk_timeout"] == 120 and config["patience"]["retry_budget"] == 60
    assert config["patience"]["keepalive"] == 5  # the chart's default, for a key the values leave out
    services = objects(documents, "Service")
    assert config["services"].keys() == FULL_ENABLED
    for modality, address in config["services"].items():
        host, port = address.rsplit(":", 1)
        name, namespace, suffix = host.split(".")
        assert (namespace, suffix) == (NAMESPACE, "svc") and services[name]["spec"]["clusterIP"] == "None"
        assert services[name]["spec"]["selector"]["app.kubernetes.io/component"] == modality
        assert services[name]["spec"]["ports"][0]["port"] == int(port)
    assert config["services_tls"] == {
        "ca": "/etc/nwbstream-tls/ca.crt",
        "cert": "/etc/nwbstream-tls/tls.crt",
        "key": "/etc/nwbstream-tls/tls.key",
    }
    assert config["outputs"] == "s3://nwb-outputs/conversions"
    assert config["limits"] == {"jobs": 16, "jobs_per_lab": 4, "workers": 4}
    runner = config["runner"]
    assert runner["kind"] == "kubernetes"
    assert runner["image"] == "registry.example.org/neuro/nwbstream-coordinator:0.1.0"
    assert runner["config_map"] == f"{RELEASE}-nwbstream-coordinator"
    assert runner["service_account"] in {
        account["metadata"]["name"] for account in objects(documents, "ServiceAccount").values()
    }
    assert runner["env_from_secrets"] == ["nwbstream-store", "nwbstream-s3", "nwbstream-dandi"]
    assert (runner["backoff_limit"], runner["ttl_seconds_after_finished"]) == (1, 600)
    assert runner["resources"]["limits"] == {"memory": "16Gi"}
    # A Job pod sees the files where the coordinator does (its ConfigMap mount aside).
    (container,) = objects(documents, "Deployment")[f"{RELEASE}-nwbstream-coordinator"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert runner["volume_mounts"] == [mount for mount in container["volumeMounts"] if mount["name"] != "config"]
    assert {mount["name"] for mount in runner["volume_mounts"]} == {volume["name"] for volume in runner["volumes"]}


def test_tls_material_given_as_values_becomes_the_secret_every_pod_mounts(tmp_path):
    pki = make_pki(tmp_path)
    documents = render(
        "--set-file",
        f"tls.cert={pki.server_cert}",
        "--set-file",
        f"tls.key={pki.server_key}",
        "--set-file",
        f"tls.ca={pki.ca}",
    )
    (secret,) = objects(documents, "Secret").values()
    assert secret["type"] == "kubernetes.io/tls"
    decoded = {key: base64.b64decode(value) for key, value in secret["data"].items()}
    assert decoded == {
        "tls.crt": pki.server_cert.read_bytes(),
        "tls.key": pki.server_key.read_bytes(),
        "ca.crt": pki.ca.read_bytes(),
    }
    for name, template in pod_specs(documents):
        volumes = {volume["name"]: volume for volume in template["spec"]["volumes"]}
        assert volumes["tls"]["secret"]["secretName"] == secret["metadata"]["name"], name


def test_an_outputs_claim_is_made_unless_outputs_go_to_s3_or_an_existing_claim():
    (claim,) = objects(render(), "PersistentVolumeClaim").values()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert objects(render(*VALUES["full"]), "PersistentVolumeClaim") == {}


def test_every_object_carries_the_standard_labels():
    for document in render(*VALUES["full"]):
        labels = document["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "nwbstream"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "nwbstream-0.1.0"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["app.kubernetes.io/component"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("services.ecephys.replicas=-1", "services.ecephys.replicas"),
        ("labs.lab-a.tokenSha256=not-a-hash", "labs.lab-a.tokenSha256"),
        ("coordinator.runner.kind=batch", "coordinator.runner.kind"),
        ("coordinator.config.listen=0.0.0.0:1", "coordinator.config"),
    ],
)
def test_the_values_schema_refuses_wrong_values(option, message):
    result = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--set", option], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and message in result.stderr
