#!/usr/bin/env bash
# The whole test suite from a fresh Debian/Ubuntu machine: scripts/setup.sh --dev (system packages when
# missing, a venv with the dev extras), then ruff, ruff format --check, mypy --strict on gate/ and tests/, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest -q "$@"
