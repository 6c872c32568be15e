#!/usr/bin/env bash
# Install the FAQ bot into .venv (created if missing).
#   scripts/setup.sh         what the app needs
#   scripts/setup.sh --dev   plus the test tools, and Debian's Chromium, PostgreSQL and nginx for the tests
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=requirements.txt
if [ "${1:-}" = "--dev" ]; then requirements=requirements-dev.txt; fi

if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
# torch is pinned to the CPU build in requirements.txt; an unpinned torch would pull a CUDA build.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
# The project itself, editable (the code stays here): the console scripts faqbot, faqbot-index,
# faqbot-service and faqbot-app, and its packages importable from any folder.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .

# The test suite also needs Debian's Chromium (browser tests), PostgreSQL (staff store tests) and nginx
# (deployment test); the tests start their own servers in temporary folders, not the packages' ones.
if [ "$requirements" = requirements-dev.txt ]; then
  packages=()
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
  [ -x /usr/sbin/nginx ] || packages+=(nginx-light)
  if [ ${#packages[@]} -gt 0 ]; then
    echo "Installing Debian's ${packages[*]} for the tests..." >&2
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
fi
