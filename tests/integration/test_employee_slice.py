"""The first vertical slice: HTTP -> gateway -> RPC over RabbitMQ -> sync -> PostgreSQL."""

PROBLEM = "application/problem+json"


def test_employee_is_served_through_the_bus(admin_client, rpc, sync_db, demo_data):
    report = rpc.sync.import_records(demo_data)
    assert report["rejected"] == 0
    teacher = next(e for e in demo_data["employees"] if e["unit_id"] == "pk-sdn1" and e["employment_type"] == "PPPK")

    response = admin_client.get(f"/api/v1/employees/{teacher['nip']}", headers={"X-Request-ID": "slice-1"})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "slice-1"
    body = response.get_json()
    assert body["nip"] == teacher["nip"]
    assert body["name"] == teacher["name"]
    assert body["employment_type"] == "PPPK"
    assert body["agency"] == {"id": "pemkotdemo", "name": "Pemerintah Kota Demo"}
    assert body["unit"]["name"] == "SD Negeri 1 Kota Demo"
    assert body["supervisor"]["nip"] == teacher["supervisor_nip"]
    assert body["email"].endswith("@kotademo.go.id") and "***" in body["email"]  # masked
    assert "nik" not in body


def test_unknown_nip_is_a_404_problem(admin_client, sync_db):
    response = admin_client.get("/api/v1/employees/198609262015051001")

    assert response.status_code == 404
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 404 and body["code"] == "not-found"
    assert "198609262015051001" in body["detail"] and "tidak ditemukan" in body["detail_id"]
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_malformed_nip_is_a_422_problem_naming_field_and_rule(admin_client):
    for nip, rule in (("12345", "nip-18-digits"), ("198602302015051001", "date"),
                      ("198609262015053001", "gender-digit")):
        response = admin_client.get(f"/api/v1/employees/{nip}")

        assert response.status_code == 422, nip
        assert response.mimetype == PROBLEM
        errors = response.get_json()["errors"]
        assert errors[0]["field"] == "nip" and errors[0]["rule"] == rule
        assert errors[0]["detail"] and errors[0]["detail_id"]


def test_unknown_route_and_wrong_method_are_problems(gateway, admin_client):
    missing = gateway.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM

    wrong = admin_client.post("/api/v1/employees/198609262015051001")
    assert wrong.status_code == 405 and wrong.mimetype == PROBLEM
    assert "GET" in wrong.headers["Allow"]


def test_request_id_is_generated_when_missing_or_unsafe(gateway):
    generated = gateway.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) == 32

    unsafe = gateway.get("/healthz", headers={"X-Request-ID": "<script> " + "x" * 200})
    assert len(unsafe.headers["X-Request-ID"]) == 32 and "<" not in unsafe.headers["X-Request-ID"]
