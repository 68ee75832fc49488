ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

# The image of the slo-gate GitHub Action (action.yml: runs.using docker). Two bases are supported:
# python:3.12-slim (the default, what Actions builds) and a debootstrap Debian bookworm with python3,
# python3-venv, git and ca-certificates (scripts/container_smoke.sh builds it offline as
# localhost/bookworm-python). Runs as root on purpose: Actions mounts /github/workspace owned by the
# runner's user and expects the container to be able to write there.

LABEL org.opencontainers.image.title="slo-gate" \
      org.opencontainers.image.description="SLO error budgets as a deploy gate (GitHub Action)" \
      org.opencontainers.image.licenses="Apache-2.0"

# git is a runtime dependency: the gate diffs the change with git in /github/workspace. The bookworm
# base already has it (and stays buildable without a package mirror); python:slim gets Debian's.
# Actions mounts the workspace owned by the runner's uid, so trust exactly that path (not '*').
# DL3008 (pin apt versions): Debian security updates replace old versions, so a pin breaks the build.
# hadolint ignore=DL3008
RUN if ! command -v git >/dev/null 2>&1; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git \
        && apt-get clean \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && git config --system --add safe.directory /github/workspace

# Package-index settings for builds behind a mirror or a TLS-intercepting proxy (CI passes them with
# --build-arg). Unset by default; build args are not kept in the image's environment.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_CERT

# Only what the package needs (.dockerignore keeps tests, .venv, .git and the rest out of the context).
COPY pyproject.toml README.md /tmp/slo-gate-src/
COPY gate /tmp/slo-gate-src/gate

# A venv keeps the install independent of the base's Python layout (the bookworm base has no pip
# outside a venv). The `serve` extra (starlette, uvicorn: `slo-gate serve`, the Alertmanager receiver)
# is included; the other commands never import it. --only-binary=:all: makes "no compiler" a rule: every dependency is a wheel
# (pydantic-core is a binary one), and one without a wheel fails the build instead of compiling
# (should that ever be needed, build wheels in a separate stage). pip and setuptools are removed
# afterwards: nothing installs at run time. compileall covers the venv and the standard library (the
# official python images strip their .pyc files): `check` starts in 0.23 s instead of 0.45 s.
RUN python3 -m venv /opt/slo-gate \
    && /opt/slo-gate/bin/python -m pip install --no-cache-dir --disable-pip-version-check \
        --no-compile --only-binary=:all: "/tmp/slo-gate-src[serve]" \
    && /opt/slo-gate/bin/python -m pip uninstall --yes --disable-pip-version-check pip setuptools \
    && rm -rf /tmp/slo-gate-src /root/.cache \
    && /opt/slo-gate/bin/python -m compileall -q -j 0 -x '/(test|tests|idle_test)/' \
        "$(/opt/slo-gate/bin/python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')" \
        /opt/slo-gate/lib \
    && /opt/slo-gate/bin/slo-gate --version \
    && /opt/slo-gate/bin/python -c "import starlette, uvicorn"

ENV PATH=/opt/slo-gate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /github/workspace
ENTRYPOINT ["/opt/slo-gate/bin/slo-gate", "check"]
