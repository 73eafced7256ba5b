"""Metrics of the gateway and of each service parse as Prometheus exposition format."""

import requests
from prometheus_client.parser import text_string_to_metric_families

from ekinerja_kernel.localservers import wait_for


def samples(text):
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def test_gateway_metrics_parse_and_count_requests(gateway):
    gateway.get("/healthz")
    response = gateway.get("/metrics")

    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    found = [s for s in samples(response.get_data(as_text=True))
             if s.name == "ekinerja_http_requests_total" and s.labels.get("route") == "/healthz"]
    assert found and found[0].value >= 1


def test_each_service_serves_metrics_on_its_own_port(rpc, metrics_ports):
    for name, port in metrics_ports.items():
        getattr(rpc, name).ping()

        def counted(name=name, port=port):
            # A service records the call just after replying, so poll until the sample is there.
            response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            assert response.status_code == 200, name
            parsed = samples(response.text)  # raises if not valid exposition format
            return any(s.name == "ekinerja_rpc_calls_total" and s.labels["service"] == name
                       and s.labels["method"] == "ping" and s.value >= 1 for s in parsed)

        wait_for(counted, timeout=5, what=f"{name}'s ping in its metrics")
