#!/usr/bin/env bash
# OpenSearch 2.x for tests: one node on 127.0.0.1:9201, from the integ-test-zip distribution on
# Maven Central (it has no security plugin, so plain HTTP without auth), on the machine's Java 17
# (OpenSearch 3.x needs Java 21), as an unprivileged user (it refuses to run as root; lib.sh
# creates SPUR_SERVICE_USER when run as root).
#
# usage: opensearch.sh up|down|status|clean|fetch
#   up      fetch (once), unpack into the data dir (once), start, wait for GET /_cluster/health
#   down    stop (SIGTERM, then SIGKILL after SPUR_DOWN_TIMEOUT)
#   status  one line: pid, RSS, URL, health, log file; exit 3 when not running
#   clean   stop and delete the data directory (the download stays in ~/.m2)
#   fetch   only download the distribution
#
# Settings: SPUR_OPENSEARCH_VERSION (2.19.6), SPUR_OPENSEARCH_HEAP (512m), plus those of lib.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SPUR_NAME=opensearch

SEARCH_NAME=opensearch
SEARCH_PRODUCT=OpenSearch
SEARCH_VERSION=${SPUR_OPENSEARCH_VERSION:-2.19.6}
SEARCH_COORDS=org.opensearch.distribution.integ-test-zip:opensearch:$SEARCH_VERSION:zip
SEARCH_HTTP_PORT=9201
SEARCH_TRANSPORT_PORT=9301
SEARCH_HEAP=${SPUR_OPENSEARCH_HEAP:-512m}
SEARCH_BIN=opensearch
SEARCH_ENV_PREFIX=OPENSEARCH
SEARCH_SETTINGS=()

fetch_server() { spur_search_vars && spur_search_fetch; }
up_server() { spur_search_up; }
down_server() { spur_search_down; }
status_server() { spur_search_status; }
clean_server() { spur_search_clean; }

spur_main "$@"
