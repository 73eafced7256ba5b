"""Every Kustomize overlay of deploy/k8s renders, and every object in it validates: Kubernetes' kinds
with kubernetes-validate (strict: unknown fields fail), the operators' kinds (KEDA, the RabbitMQ
Cluster Operator, CloudNativePG) with the schemas in deploy/k8s/schemas. Then what operators rely
on: every process runs its Procfile line from the one image, as a user that is not root on a
read-only root, with resources, probes on its own health and a disruption budget; the gateway and
the web scale on CPU, the consumers on their queue depth; each service reads its own database."""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import referencing
import yaml
from kustomize_lite import KustomizeError, render

from ekinerja_kernel import config
from ekinerja_kernel.bus import LEGACY_EVENTS_EXCHANGE

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
KUBERNETES = "1.30"  # the oldest Kubernetes the manifests are for
SERVICES = ("identity", "sync", "skp", "harian", "tukin", "events")
HTTP = {"gateway": 8000, "web": 8080}
OPERATOR_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
                  ("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("postgresql.cnpg.io/v1", "Cluster")}


def procfile() -> dict[str, str]:
    lines = (ROOT / "deploy" / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


@functools.cache
def rendered(name: str) -> list[dict]:
    return render(K8S / "overlays" / name)


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> tuple[str, list[dict]]:
    return request.param, rendered(request.param)


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def key(obj: dict) -> tuple[str, str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def pod_specs(objects: list[dict]) -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o["spec"]["template"]["spec"]
            for o in objects if o["kind"] in ("Deployment", "Job")}


# -- rendering and schemas ---------------------------------------------------------------------
def test_kubectl_kustomize_renders_the_same_objects(overlay):
    name, objects = overlay
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: rendered with tests/kustomize_lite.py only")

    result = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / name)], capture_output=True,
                            text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    theirs = sorted((d for d in yaml.safe_load_all(result.stdout) if d), key=key)
    assert [key(d) for d in theirs] == sorted(key(d) for d in objects)
    assert theirs == sorted(objects, key=key)


def test_kubernetes_kinds_validate_strictly(overlay):
    _, objects = overlay
    failures = []
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in OPERATOR_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            failures.append(exc.message)
    assert failures == []


@functools.cache
def definitions() -> referencing.Resource:
    directory = f"kubernetes-json-schema/v{KUBERNETES}.0-local-strict"
    text = importlib.resources.files("kubernetes_validate").joinpath(directory, "_definitions.json").read_text()
    return referencing.Resource.from_contents(json.loads(text))


@functools.cache
def operator_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    path = K8S / "schemas" / f"{api_version.replace('/', '_')}_{kind}.yaml"
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    registry = definitions() @ referencing.Registry()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def operator_errors(obj: dict) -> list[str]:
    validator = operator_validator(obj["apiVersion"], obj["kind"])
    return [f"{obj['kind']}/{obj['metadata']['name']}: {e.json_path}: {e.message}"
            for e in validator.iter_errors(obj)]


def test_operator_kinds_validate_against_their_schemas(overlay):
    _, objects = overlay
    custom = [o for o in objects if (o["apiVersion"], o["kind"]) in OPERATOR_KINDS]

    assert {(o["apiVersion"], o["kind"]) for o in custom} == OPERATOR_KINDS
    assert [e for o in custom for e in operator_errors(o)] == []


@pytest.mark.parametrize(("kind", "mutate", "error"), [
    ("RabbitmqCluster", lambda o: o["spec"].update(replica=3), "'replica' was unexpected"),
    ("RabbitmqCluster", lambda o: o["spec"]["rabbitmq"]["additionalPlugins"].append("rabbitmq prometheus"),
     "does not match"),
    ("Cluster", lambda o: o["spec"]["postgresql"]["parameters"].update(max_connections=400), "is not of type 'string'"),
    ("Cluster", lambda o: o["spec"].update(primaryUpdateStrategy="automatic"), "is not one of"),
    # RabbitmqCluster's name for it, not CloudNativePG's (storageClass).
    ("Cluster", lambda o: o["spec"]["storage"].update(storageClassName="ssd"), "'storageClassName' was unexpected"),
    ("Cluster", lambda o: o["spec"]["resources"].update(limit={"memory": "1Gi"}), "'limit' was unexpected"),
    ("ScaledObject", lambda o: o["spec"]["triggers"][0]["metadata"].update(queueLength="5"),
     "'queueLength' was unexpected"),
    ("ScaledObject", lambda o: o["spec"]["triggers"][0]["metadata"].update(value=50), "is not of type 'string'"),
    ("TriggerAuthentication", lambda o: o["spec"]["secretTargetRef"][0].pop("key"), "'key' is a required"),
])
def test_the_schemas_refuse_what_the_operator_would(kind, mutate, error):
    obj = copy.deepcopy(next(iter(of_kind(rendered("production"), kind).values())))

    mutate(obj)

    errors = operator_errors(obj)
    assert errors and any(error in e for e in errors), errors


# -- what operators rely on --------------------------------------------------------------------
def test_every_process_runs_its_procfile_line_from_the_one_image(overlay):
    _, objects = overlay
    processes = procfile()
    deployments = of_kind(objects, "Deployment")
    images = set()

    assert set(deployments) == {f"ekinerja-{n}" for n in (*SERVICES, *HTTP)}
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert "command" not in container, f"{name}: the image's entrypoint runs the Procfile line"
        assert container["args"] == [name.removeprefix("ekinerja-")], name
        assert container["args"][0] in processes, f"{name}: no such line in deploy/Procfile"
        images.add(container["image"])
    for container in of_kind(objects, "Job")["ekinerja-migrate"]["spec"]["template"]["spec"]["containers"]:
        images.add(container["image"])
    assert len(images) == 1, images


def test_every_pod_runs_as_non_root_on_a_read_only_root_with_resources(overlay):
    _, objects = overlay
    for where, pod in pod_specs(objects).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] != 0, where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert "memory" in container["resources"]["limits"], where
            assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"]), f"{where}: no writable /tmp"


def test_every_deployment_is_probed_on_its_own_health_and_has_a_disruption_budget(overlay):
    _, objects = overlay
    budgets = of_kind(objects, "PodDisruptionBudget")
    for name, deployment in of_kind(objects, "Deployment").items():
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        ready, live = container["readinessProbe"], container["livenessProbe"]
        process = name.removeprefix("ekinerja-")
        if process in HTTP:
            # The pod's own health: the gateway's /readyz asks no service (its broker connection and its
            # revocation list), /readyz?deep=1 would (one slow service would empty the Service).
            assert ready["httpGet"]["path"] == ("/readyz" if process == "gateway" else "/healthz"), name
            assert "deep" not in ready["httpGet"]["path"] and live["httpGet"]["path"] == "/healthz", name
            port = next(p for p in container["ports"] if p["name"] == ready["httpGet"]["port"])
            assert port["containerPort"] == HTTP[process]
        else:
            assert ready["tcpSocket"]["port"] == live["tcpSocket"]["port"] == "metrics", name
        selecting = [b for b in budgets.values()
                     if b["spec"]["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()]
        assert len(selecting) == 1 and selecting[0]["spec"]["maxUnavailable"] == 1, name
        assert "replicas" not in deployment["spec"], f"{name}: its autoscaler owns the replica count"


def test_gateway_and_web_scale_on_cpu_behind_a_service(overlay):
    _, objects = overlay
    autoscalers, services = of_kind(objects, "HorizontalPodAutoscaler"), of_kind(objects, "Service")
    for process, port in HTTP.items():
        name = f"ekinerja-{process}"
        hpa = autoscalers[name]
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert services[name]["spec"]["ports"][0]["port"] == port
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_every_consumer_scales_on_the_depth_of_its_queues(overlay):
    _, objects = overlay
    scaled, auth = of_kind(objects, "ScaledObject"), of_kind(objects, "TriggerAuthentication")
    assert set(scaled) == {f"ekinerja-{s}" for s in SERVICES}
    for service in SERVICES:
        spec = scaled[f"ekinerja-{service}"]["spec"]
        queues = {t["metadata"]["queueName"] for t in spec["triggers"]}
        assert spec["scaleTargetRef"]["name"] == f"ekinerja-{service}"
        assert f"rpc-{service}" in queues
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        assert {t["authenticationRef"]["name"] for t in spec["triggers"]} <= set(auth)
    harian = {t["metadata"]["queueName"] for t in scaled["ekinerja-harian"]["spec"]["triggers"]}
    assert "harian.submissions" in harian, "the 08:00 wave waits in harian.submissions"


def env_secret(container: dict, variable: str) -> tuple[str, str] | None:
    for env in container.get("env", []):
        if env["name"] == variable and "secretKeyRef" in env.get("valueFrom", {}):
            ref = env["valueFrom"]["secretKeyRef"]
            return ref["name"], ref["key"]
    return None


def test_each_service_and_its_migration_read_their_own_database_cluster(overlay):
    _, objects = overlay
    clusters = of_kind(objects, "Cluster")
    deployments = of_kind(objects, "Deployment")
    migrations = {c["name"]: c for c in of_kind(objects, "Job")["ekinerja-migrate"]["spec"]["template"]["spec"]
                  ["containers"]}

    assert set(clusters) == {f"ekinerja-{s}-db" for s in SERVICES}
    assert set(migrations) == {f"migrate-{s}" for s in SERVICES}
    for service in SERVICES:
        variable, own = f"{service.upper()}_DATABASE_URL", (f"ekinerja-{service}-db-app", "uri")
        (container,) = deployments[f"ekinerja-{service}"]["spec"]["template"]["spec"]["containers"]
        assert env_secret(container, variable) == own
        assert env_secret(migrations[f"migrate-{service}"], variable) == own
        assert migrations[f"migrate-{service}"]["args"][-1] == f"services/{service}"
        assert (ROOT / "services" / service / "alembic.ini").is_file()
        others = {e["name"] for e in container["env"] if e["name"].endswith("_DATABASE_URL")} - {variable}
        assert others == set(), f"{service} can read another service's database"


def test_the_configmap_names_the_internal_exchange_and_the_public_vhost_the_code_uses(overlay, monkeypatch):
    _, objects = overlay
    data = of_kind(objects, "ConfigMap")["ekinerja-config"]["data"]
    monkeypatch.delenv("EVENTS_EXCHANGE", raising=False)
    monkeypatch.delenv("PUBLIC_VHOST", raising=False)

    # The old exchange is only routed into the internal one for an older release's processes.
    assert data["EVENTS_EXCHANGE"] == config.events_exchange() != LEGACY_EVENTS_EXCHANGE
    assert data["PUBLIC_VHOST"] == config.public_vhost()


def test_every_secret_is_written_by_an_operator_or_documented(overlay):
    _, objects = overlay
    documented = set(re.findall(r"kubectl create secret generic ([\w-]+)",
                                (K8S / "base" / "configmap.yaml").read_text(encoding="utf-8")))
    operators = {f"{name}-app" for name in of_kind(objects, "Cluster")}
    referenced = {ref["secretKeyRef"]["name"] for spec in pod_specs(objects).values() for c in spec["containers"]
                  for ref in (e.get("valueFrom", {}) for e in c.get("env", [])) if "secretKeyRef" in ref}
    referenced |= {r["name"] for a in of_kind(objects, "TriggerAuthentication").values()
                   for r in a["spec"]["secretTargetRef"]}

    assert documented == {"ekinerja-amqp", "ekinerja-gateway"}
    assert referenced - operators - documented == set()


def test_production_runs_a_three_node_broker_and_three_instances_of_each_database():
    objects = rendered("production")
    (rabbit,) = of_kind(objects, "RabbitmqCluster").values()

    assert rabbit["spec"]["replicas"] == 3
    assert "rabbitmq_prometheus" in rabbit["spec"]["rabbitmq"]["additionalPlugins"]
    assert "prometheus.return_per_object_metrics = true" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    assert all(c["spec"]["instances"] == 3 for c in of_kind(objects, "Cluster").values())
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"ekinerja"}
    budget = of_kind(objects, "PodDisruptionBudget")["ekinerja-rabbitmq"]
    assert budget["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": rabbit["metadata"]["name"]}


def test_dev_is_small_and_in_its_own_namespace():
    objects = rendered("dev")

    assert next(iter(of_kind(objects, "RabbitmqCluster").values()))["spec"]["replicas"] == 1
    assert {c["spec"]["instances"] for c in of_kind(objects, "Cluster").values()} == {1}
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"ekinerja-dev"}
    assert {c["image"] for spec in pod_specs(objects).values() for c in spec["containers"]} == {"ekinerja:dev"}


def test_the_renderer_refuses_what_it_does_not_render(tmp_path):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n")
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\ncommonLabels: {a: b}\n")
    with pytest.raises(KustomizeError, match="commonLabels"):
        render(tmp_path)

    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap, name: b}\n"
        "    patch: '[{op: replace, path: /data/x, value: \"2\"}]'\n")
    with pytest.raises(KustomizeError, match="matches no object"):
        render(tmp_path)

    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap, name: a}\n"
        "    patch: '[{op: replace, path: /data/x, value: \"2\"}]'\n")
    assert render(tmp_path)[0]["data"] == {"x": "2"}
