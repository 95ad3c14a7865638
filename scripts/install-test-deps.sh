#!/usr/bin/env bash
# Debian packages the test suite talks to for real. Installs only what is missing; needs root
# (or sudo). Each line: the command that must exist, then the Debian package that provides it
# (for a Python module without a command, the path of a file the package installs).
set -euo pipefail

NEEDED=(
  "chromium chromium"   # headless browser for the web UI tests (driven by playwright-core)
  "socat socat"         # pseudo-terminal pairs: the serial line between gateway and simulators
  "mbpoll mbpoll"       # a Modbus master that is not ours, reading our simulators
  "pymodbus.server python3-pymodbus"   # a Modbus server that is not ours, read by the gateway
  "pyserial-ports python3-serial"      # pymodbus's server module imports pyserial and
  "/usr/lib/python3/dist-packages/serial_asyncio/__init__.py python3-serial-asyncio"   # serial_asyncio (Recommends only)
  "influxd influxdb"    # InfluxDB 1.6.7: v1 /write and InfluxQL /query for the InfluxDB readings store tests (started by the tests)
  "mosquitto_passwd mosquitto"   # Mosquitto 2 broker (/usr/sbin/mosquitto) and its password tool, for the external-broker ingest tests
  "mosquitto_sub mosquitto-clients"   # the compose broker's health check (mosquitto_sub), run by test/deploy/compose.test.ts
  "docker-compose docker-compose"   # docker-compose 1.29: `config -q` validates docker-compose.yml without a Docker engine (test/deploy/compose.test.ts)
  "pdftotext poppler-utils"   # extracts the text of the PDF reports (test/dashboard/official-reports.test.ts); pdftoppm renders the docs picture
)

missing=()
for entry in "${NEEDED[@]}"; do
  read -r cmd pkg <<<"$entry"
  command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ] || missing+=("$pkg")
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
