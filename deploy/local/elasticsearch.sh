#!/usr/bin/env bash
# Elasticsearch 8.x for tests: one node on 127.0.0.1:9200, security off, from the integ-test-zip
# distribution on Maven Central, on the machine's Java 17, as an unprivileged user (it refuses
# to run as root; lib.sh creates SPUR_SERVICE_USER when run as root).
#
# usage: elasticsearch.sh up|down|status|clean|fetch
#   up      fetch (once), unpack into the data dir (once), start, wait for GET /_cluster/health
#   down    stop (SIGTERM, then SIGKILL after SPUR_DOWN_TIMEOUT)
#   status  one line: pid, RSS, URL, health, log file; exit 3 when not running
#   clean   stop and delete the data directory (the download stays in ~/.m2)
#   fetch   only download the distribution
#
# Settings: SPUR_ES_VERSION (8.19.21), SPUR_ES_HEAP (512m), plus those of lib.sh.
# Note: this distribution has no `GET /` (405): read the version from GET /_nodes/_local.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SPUR_NAME=elasticsearch

SEARCH_NAME=elasticsearch
SEARCH_PRODUCT=Elasticsearch
SEARCH_VERSION=${SPUR_ES_VERSION:-8.19.21}
SEARCH_COORDS=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$SEARCH_VERSION:zip
SEARCH_HTTP_PORT=9200
SEARCH_TRANSPORT_PORT=9300
SEARCH_HEAP=${SPUR_ES_HEAP:-512m}
SEARCH_BIN=elasticsearch
SEARCH_ENV_PREFIX=ES
SEARCH_SETTINGS=(-Expack.security.enabled=false)

fetch_server() { spur_search_vars && spur_search_fetch; }
up_server() { spur_search_up; }
down_server() { spur_search_down; }
status_server() { spur_search_status; }
clean_server() { spur_search_clean; }

spur_main "$@"
