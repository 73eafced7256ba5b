"""What ops watch: the Grafana dashboard (deploy/grafana) and the alert rules (deploy/prometheus) query
only metrics that exist, with labels they carry: e-Kinerja's as the code defines them, RabbitMQ's as
a real node with the rabbitmq_prometheus plugin (as `make up` starts it) serves them. Every query is
valid PromQL, and the rules pass `promtool check rules` and their unit tests (`promtool test rules`)."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import prometheus_client
import prometheus_client.parser
import pytest
import yaml
from kombu import Connection, Queue

from ekinerja_kernel import localservers
from ekinerja_kernel.localservers import RabbitNode, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "ekinerja-peak.json"
RULES = ROOT / "deploy" / "prometheus" / "ekinerja-rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "ekinerja-rules.test.yaml"
METRIC = re.compile(r"\b((?:ekinerja|rabbitmq)_[a-z0-9_]+)\b(\{[^}]*\})?")
MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)\s*"')
# What the dashboard's Grafana variables stand for, to check its queries as plain PromQL.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for name, value in GRAFANA_VARIABLES.items():
        queries = [q.replace(name, value) for q in queries]
    return queries


def rule_queries() -> list[str]:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


def used(queries: list[str]) -> dict[str, set[str]]:
    """Metric name -> label names its selectors match on."""
    found: dict[str, set[str]] = {}
    for query in queries:
        for name, selector in METRIC.findall(query):
            found.setdefault(name, set()).update(MATCHER.findall(selector or ""))
    return found


def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool is not installed (make system-deps-test installs Debian's prometheus)")
    return binary


# -- the metrics of the code --------------------------------------------------------------------
def modules_with_metrics() -> list[str]:
    """Every non-test module of the repository's packages that uses prometheus_client."""
    modules = []
    for pyproject in ROOT.glob("**/pyproject.toml"):
        package_root = pyproject.parent
        if ".venv" in package_root.parts or "tests" in package_root.parts:
            continue
        for source in package_root.rglob("*.py"):
            relative = source.relative_to(package_root)
            if {"tests", "alembic", "build"} & set(relative.parts) or ".venv" in source.parts:
                continue
            packages = [package_root.joinpath(*relative.parts[:i]) for i in range(1, len(relative.parts))]
            if not packages or not all((d / "__init__.py").is_file() for d in packages):
                continue  # a script or a config file (gunicorn.conf.py), not a module of the package
            if "prometheus_client" in source.read_text(encoding="utf-8"):
                modules.append(".".join(relative.with_suffix("").parts))
    return sorted(modules)


def code_metrics() -> dict[str, set[str]]:
    """Sample name (what a query names: x_total, x_bucket...) -> label names, as the code defines them."""
    for module in modules_with_metrics():
        importlib.import_module(module)
    samples: dict[str, set[str]] = {}
    for collector in list(prometheus_client.REGISTRY._collector_to_names):  # every registered metric
        if not hasattr(collector, "_labelnames"):
            continue  # the client library's own process and platform collectors
        labels = set(collector._labelnames)
        for metric in collector.describe():
            if not metric.name.startswith("ekinerja_"):
                continue
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"],
                        "gauge": [""], "summary": ["_count", "_sum", ""]}[metric.type]
            for suffix in suffixes:
                samples[metric.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return samples


def test_the_code_defines_the_metrics_the_dashboard_and_the_rules_use():
    defined = code_metrics()
    wanted = {n: labels for n, labels in used(dashboard_queries() + rule_queries()).items()
              if n.startswith("ekinerja_")}

    assert {"ekinerja_http_requests_total", "ekinerja_events_handled_total"} <= set(wanted)
    assert sorted(set(wanted) - set(defined)) == []
    assert {n: sorted(labels - defined[n]) for n, labels in wanted.items() if labels - defined[n]} == {}


def test_the_dashboard_covers_the_peak_and_every_query_is_promql(tmp_path):
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    titles = " / ".join(p["title"] for p in dashboard["panels"]).lower()
    for topic in ("accepted", "stored", "queue depth", "lag", "p50", "p99", "4xx", "5xx", "dead-letter", "sign-in"):
        assert topic in titles, f"no panel for {topic}"
    assert all(t["datasource"]["uid"] == "${datasource}" for p in dashboard["panels"] for t in p.get("targets", []))
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])

    # promtool parses each query as the expression of a recording rule.
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:query{i}", "expr": q}
                                                         for i, q in enumerate(dashboard_queries())]}]}
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    result = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_promtool_check():
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_alert_rules_pass_their_unit_tests():
    result = subprocess.run([promtool(), "test", "rules", RULE_TESTS.name], capture_output=True, text=True,
                            cwd=RULE_TESTS.parent)

    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text(encoding="utf-8")))
    defined = {r["alert"] for g in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"] for r in g["rules"]}
    assert defined - tested == set(), "an alert without a unit test"


# -- RabbitMQ's metrics, from a real node ------------------------------------------------------------
@pytest.fixture(scope="module")
def node_with_metrics(workdir):
    node = RabbitNode(workdir / "rabbit-prometheus", prometheus_port=free_port()).start()
    yield node
    node.stop()


def samples(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in prometheus_client.parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def queue_value(url: str, metric: str, queue: str) -> float | None:
    return next((v for labels, v in samples(url).get(metric, []) if labels.get("queue") == queue), None)


def test_make_ups_broker_serves_depth_per_queue_with_every_metric_ops_query(node_with_metrics, capsys):
    node = node_with_metrics
    with Connection(node.amqp_uri) as conn, conn.Producer() as producer:
        declared = [Queue("harian.submissions", durable=True), Queue("harian.submissions.dead", durable=True)]
        for i in range(3):
            producer.publish({"i": i}, routing_key="harian.submissions", declare=declared)
        producer.publish({"parked": True}, routing_key="harian.submissions.dead", declare=declared)

    # The plugin reads queue statistics the broker emits every few seconds.
    wait_for(lambda: queue_value(node.prometheus_url, "rabbitmq_queue_messages_ready", "harian.submissions") == 3,
             timeout=60, interval=0.5, what="harian.submissions' depth on the Prometheus endpoint")
    served = samples(node.prometheus_url)
    assert queue_value(node.prometheus_url, "rabbitmq_queue_messages", "harian.submissions.dead") == 1
    assert queue_value(node.prometheus_url, "rabbitmq_queue_consumers", "harian.submissions") == 0
    wanted = {n: labels for n, labels in used(dashboard_queries() + rule_queries()).items()
              if n.startswith("rabbitmq_")}
    assert {"rabbitmq_queue_messages_ready", "rabbitmq_queue_messages"} <= set(wanted)
    for name, labels in wanted.items():
        assert name in served, f"{name} is not served by rabbitmq_prometheus"
        assert labels <= set(served[name][0][0]), f"{name} has no label {labels - set(served[name][0][0])}"

    # `make status` (deploy/bin/dev) prints where the metrics are.
    code = localservers.main(["rabbit", "status", str(node.base), "--port", str(node.port), "--name", node.name,
                              "--prometheus-port", str(node.prometheus_port)])
    assert code == 0
    assert f"rabbitmq metrics: {node.prometheus_url}\n" in capsys.readouterr().out
