# syntax=docker/dockerfile:1
# One image for every process of e-Kinerja: the six services, the gateway, the web client and the
# migrations. The command picks the role (deploy/bin/process runs deploy/Procfile's line of that
# name):  docker run IMAGE harian | gateway | web
#         docker run IMAGE python -m ekinerja_kernel migrate services/harian
# Build: make image (docker or podman). Python stays 3.11 (eventlet, under nameko, breaks on 3.13).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# --- build: every package of the repository into one virtualenv, at the pinned versions --------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements/constraints.txt requirements/constraints.txt
COPY kernel kernel
COPY services services
COPY gateway gateway
COPY web web
# Every package with a pyproject.toml (kernel, services and their contracts, gateway, web), so a
# package added to the repository is in the image without editing this file; -c: the versions of
# requirements/constraints.txt and no others.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN python -m venv /opt/venv \
    && find kernel services gateway web -name pyproject.toml -not -path '*/tests/*' -printf './%h\n' \
       | sort | xargs /opt/venv/bin/pip install -c requirements/constraints.txt \
    && /opt/venv/bin/pip check

# --- run: the virtualenv and the files the Procfile's commands name, owned by root, run by nobody -
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="e-Kinerja" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 ekinerja \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin ekinerja
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The repository root as .dockerignore trims it: deploy/ (Procfile, nameko.yaml, process), each
# service's alembic/ and alembic.ini for the migrate Job, gateway/gunicorn.conf.py.
COPY . /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EKINERJA_VAR_DIR=/tmp/ekinerja
USER 10001:10001
EXPOSE 8000 8080 9101 9102 9103 9104 9105 9106
ENTRYPOINT ["/app/deploy/bin/process"]
CMD ["gateway"]
