# e-Kinerja: `make up` runs the whole system on this machine, `make test` proves it.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
PKGS := kernel services/harian/contract services/identity services/sync services/skp services/harian services/tukin services/events gateway web
SERVICES := identity sync skp harian tukin events

export EKINERJA_VAR_DIR ?= $(CURDIR)/var
export AMQP_PORT ?= 5672
export AMQP_URI ?= pyamqp://guest:guest@127.0.0.1:$(AMQP_PORT)/
export GATEWAY_PORT ?= 8000
# The services' databases: SQLite files under var/ (the default), or DB=postgres: a PostgreSQL cluster
# of this install under var/postgres on POSTGRES_PORT (deploy/bin/dev starts it), one database each.
export DB ?= sqlite
export POSTGRES_PORT ?= 5433
ifeq ($(DB),postgres)
$(foreach s,$(SERVICES),$(eval export $(shell echo $(s) | tr a-z A-Z)_DATABASE_URL ?= postgresql+psycopg2://postgres@127.0.0.1:$(POSTGRES_PORT)/ekinerja_$(s)))
else ifneq ($(DB),sqlite)
$(error DB=$(DB): use DB=sqlite (the default) or DB=postgres)
endif
DEMO_YEAR ?= $(shell date +%Y)
export PATH := $(BIN):$(PATH)
export PYTHONWARNINGS ?= ignore::DeprecationWarning

.PHONY: help up down status logs test unit lint migrate demo-data venv system-deps-up system-deps-test bench image
.PHONY: system-deps-postgres

help:
	@echo "make up      start RabbitMQ, every service and the gateway with demo data (DB=postgres: on PostgreSQL)"
	@echo "make down    stop everything make up started"
	@echo "make status  what is running;  make logs  follow the logs"
	@echo "make test    install what is needed and run the whole test suite"
	@echo "make bench   the 08:00 peak against the running stack (DB=postgres: the stack of make up DB=postgres)"
	@echo "make cluster-check  a three-node RabbitMQ cluster with quorum queues, one node stopped under load"
	@echo "make unit    the unit tests alone: no broker, no database server, no browser"

# --- installation -------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements/constraints.txt requirements/dev.txt $(foreach p,$(PKGS),$(p)/pyproject.toml)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements/constraints.txt \
		-r requirements/dev.txt $(foreach p,$(PKGS),-e $(p)) 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $@

venv: $(VENV)/.installed

system-deps-up:
	@command -v rabbitmq-server >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server \
		&& { service rabbitmq-server stop >/dev/null 2>&1 || true; }; }  # we run private nodes, not the system one
	@if [ "$(DB)" = postgres ]; then $(MAKE) -s system-deps-postgres; fi

system-deps-postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q postgresql && { service postgresql stop >/dev/null 2>&1 || true; }; }  # private clusters only

system-deps-test: system-deps-up
	@# The web client's browser tests drive Debian's Chromium through its chromedriver (no browser download).
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; }
	@# promtool checks and unit-tests deploy/prometheus/ (hadolint and kubernetes-validate come with the venv).
	@command -v promtool >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus \
		&& { service prometheus stop >/dev/null 2>&1 || true; }; }

# --- running the system -------------------------------------------------------------------
migrate: venv
	$(BIN)/python -m ekinerja_kernel migrate $(addprefix services/,$(SERVICES))

demo-data: venv
	$(BIN)/ekinerja-sync import deploy/demo/masterdata.json > $(EKINERJA_VAR_DIR)/log/demo-import.json
	$(BIN)/ekinerja-identity demo-accounts deploy/demo/accounts.json
	$(BIN)/ekinerja-skp demo-plans $(DEMO_YEAR)
	$(BIN)/ekinerja-tukin policy load services/tukin/tukin/domain/policies/*.yaml
	@# The demo agencies went live with daily progress in the past: blank working days count there.
	$(BIN)/ekinerja-harian settings load services/harian/harian/demo/agency-settings.json
	@# A var/ kept from an older release (the import above changed nothing) may predate a service
	@# or a read-copy, which learns only from events: send the master data, findings and SKPs again
	@# (consumers upsert, so this changes nothing where they are already known).
	@if $(BIN)/python -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["events"] != 0)' \
	    $(EKINERJA_VAR_DIR)/log/demo-import.json; then \
	  echo "var/ was there before: announcing master data and SKPs again for every service's read-copy"; \
	  $(BIN)/ekinerja-sync announce > $(EKINERJA_VAR_DIR)/log/demo-announce.json && \
	  $(BIN)/ekinerja-skp announce && \
	  for s in harian skp tukin; do $(BIN)/ekinerja-$$s monitoring rebuild || exit 1; done; \
	fi

up: venv system-deps-up
	@deploy/bin/dev up

down:
	@deploy/bin/dev down

status:
	@deploy/bin/dev status

logs:
	@deploy/bin/dev logs

# --- checks -------------------------------------------------------------------------------
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy  # mypy.ini: the packages' source, not their tests

test: venv system-deps-test lint
	$(BIN)/pytest

# Domain rules, handlers on SQLite, the gateway and web apps with Flask's test client: no servers.
UNIT_TESTS := kernel/tests/unit $(wildcard services/*/tests/unit) services/harian/contract/tests gateway/tests web/tests
unit: venv
	$(BIN)/pytest -q $(UNIT_TESTS)

# --- the image (Dockerfile): one for every service, the gateway and the web -----------------
IMAGE ?= ekinerja:dev
image:
	@if command -v docker >/dev/null && docker info >/dev/null 2>&1; then docker build -t $(IMAGE) .; \
	elif command -v podman >/dev/null; then podman build -t $(IMAGE) .; \
	else echo "make image: no running docker or podman on this machine; build where one runs:" \
	  "docker build -t $(IMAGE) . (README.md, Deployment)" >&2; exit 1; fi

# --- benchmark ----------------------------------------------------------------------------
# Peak benchmark of the stack `make up` runs (docs/benchmarks.md); BENCH_USERS, BENCH_SECONDS, ...
bench: venv
	$(BIN)/python -m bench

# National monitoring at 10,000 and 1,000,000 employees (bench/monitoring.py: its own RabbitMQ node and
# PostgreSQL cluster, the read models seeded with COPY): p99 of the national, agency and unit pages
# and the ratio between the sizes (goal <= 1.5). BENCH_MONITORING_SIZES, _REQUESTS, _AGENCIES.
.PHONY: bench-monitoring
bench-monitoring: venv system-deps-test
	$(BIN)/python bench/monitoring.py

# --- RabbitMQ cluster check ----------------------------------------------------------------------
# Three broker nodes on loopback joined in one cluster, quorum queues, harian and the gateway on it;
# submissions through the gateway while one node is stopped and started again: nothing accepted
# lost or doubled, no answer but 202 or 503 with Retry-After (deploy/bin/cluster_check.py).
.PHONY: cluster-check
cluster-check: venv system-deps-up system-deps-postgres
	$(BIN)/python deploy/bin/cluster_check.py

# --- API fuzzing ----------------------------------------------------------------------------
# schemathesis over /api/v1/openapi.json of the stack `make up` runs, as a signed-in demo employee
# (tests/schemathesis_run.py): fails on any 5xx or answer outside the document's schema.
# SCHEMATHESIS_MAX_EXAMPLES (default 20) sets how many cases each operation gets.
.PHONY: schemathesis
schemathesis: venv
	$(BIN)/python tests/schemathesis_run.py --base-url http://127.0.0.1:$(GATEWAY_PORT)

# --- synthetic data -----------------------------------------------------------------------
# A national-shaped master-data set of SIZE employees (valid NIP/NIK, unit trees, supervisor
# chains) as an import file: var/synthetic-SIZE.json. Deterministic for a SEED.
SIZE ?= 1000
SEED ?= 2026
.PHONY: data
data: venv
	$(BIN)/python -m sync.synthetic --size $(SIZE) --seed $(SEED) --out $(EKINERJA_VAR_DIR)/synthetic-$(SIZE).json
