#!/bin/bash
# Runs once, when the InfluxDB 2 container sets itself up (DOCKER_INFLUXDB_INIT_MODE=setup;
# scripts in /docker-entrypoint-initdb.d get the influx CLI configured with the admin token and
# DOCKER_INFLUXDB_INIT_BUCKET_ID of the bucket just created).
#
# metronet reads readings with InfluxQL on the v1-compatible /query endpoint, passing
# `db=<readings.bucket>` and no retention policy, authenticated by `Authorization: Token …`
# (store/readings-influx.ts). InfluxDB 2 routes such a query through a DBRP mapping. Recent
# 2.x releases answer it with a "virtual" mapping named after the bucket; this explicit mapping
# makes the bucket the default retention policy of database <bucket> on every 2.x release.
# No v1 user (influx v1 auth) is needed: the v1 API accepts the v2 token in that header.
set -euo pipefail
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${DOCKER_INFLUXDB_INIT_BUCKET}" \
  --rp autogen \
  --default
