#!/usr/bin/env bash
# Debian packages the test suite talks to for real. Installs only what is missing; needs root
# (or sudo). Each line: the command that must exist, then the Debian package that provides it.
set -euo pipefail

NEEDED=(
  "chromium chromium"   # headless browser for the web UI tests (driven by playwright-core)
)

missing=()
for entry in "${NEEDED[@]}"; do
  read -r cmd pkg <<<"$entry"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
