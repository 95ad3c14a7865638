#!/bin/sh
# One-shot set-up of a compose deployment: service "setup" of docker-compose.yml runs it before
# the broker and the metronet services start, at every `docker compose up`. Safe to repeat.
#
#   1. opens the registry in the shared data volume (applying its migrations, once, before any
#      service opens it);
#   2. sets the MQTT logins of the ingest workers and of analytics to the passwords those
#      services are given in .env (stored as PBKDF2 hashes only);
#   3. creates the first administrator of the dashboard, if there is none;
#   4. with DEMO_GATEWAY_PASSWORD set: a demo organisation, its gateway and two scales
#      (docker compose --profile demo up);
#   5. exports every MQTT login of the registry and its topic rules for Mosquitto
#      (`metronet broker export-mosquitto`) into the volume the broker reads them from.
#
# After adding, rotating or removing logins (gateways, labs…), run it again and restart the
# broker: `docker compose run --rm setup && docker compose restart broker` (docs/operations.md).
set -eu

# (No METRONET_* names here: the metronet command reads every one of those as configuration.)
metronet() { ${SETUP_CLI:-node /app/bin/metronet.js} "$@"; }
: "${INGEST_MQTT_PASSWORD:?set INGEST_MQTT_PASSWORD in .env}"
: "${ANALYTICS_MQTT_PASSWORD:?set ANALYTICS_MQTT_PASSWORD in .env}"
: "${ADMIN_PASSWORD:?set METRONET_ADMIN_PASSWORD in .env}"
EXPORT_DIR="${EXPORT_DIR:-/mqtt-auth}"

metronet admin mqtt add svc-ingest --kind service --subject ingest --password "$INGEST_MQTT_PASSWORD" >/dev/null
metronet admin mqtt add svc-analytics --kind service --subject analytics --password "$ANALYTICS_MQTT_PASSWORD" >/dev/null
echo "setup: service logins svc-ingest, svc-analytics set"

if ! metronet admin user list | grep -q '"id": "admin"'; then
  metronet admin user add admin --role admin --name Administrator --password "$ADMIN_PASSWORD" >/dev/null
  echo "setup: dashboard user admin created"
fi

if [ -n "${DEMO_GATEWAY_PASSWORD:-}" ]; then
  metronet admin org add demo-market --name "Chợ demo" --kind enterprise >/dev/null
  if ! metronet admin gateway list | grep -q '"id": "gw-demo-01"'; then
    metronet admin gateway add gw-demo-01 --org demo-market --name "Demo gateway" --password "$DEMO_GATEWAY_PASSWORD" >/dev/null
  fi
  known=$(metronet admin instrument list --org demo-market)
  for i in 01 02; do
    if ! echo "$known" | grep -q "\"id\": \"SC-DEMO-$i\""; then
      metronet admin instrument add "SC-DEMO-$i" --org demo-market --kind scale --name "Demo scale $i" >/dev/null
    fi
  done
  echo "setup: demo organisation demo-market, gateway gw-demo-01, scales SC-DEMO-01/02"
fi

metronet broker export-mosquitto --out "$EXPORT_DIR"
