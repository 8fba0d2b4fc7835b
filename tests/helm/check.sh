#!/usr/bin/env bash
# The chart's offline checks, run by `make test` (and alone by `make test-chart`):
#   1. helm lint, for every deployment mode and storage;
#   2. helm template of each scenario, every manifest validated with kubernetes-validate --strict
#      against the oldest and newest Kubernetes the chart claims (Chart.yaml kubeVersion);
#   3. bad values refused, with a message naming the key;
#   4. every command the chart runs is a binary of the image (deploy/image/binaries.txt), and
#      every environment variable it sets is one that binary's --help lists ([env: NAME]); the
#      binaries are built by deploy/image/build.sh, the image's own build step;
#   5. every metric name in the Grafana dashboard and the alert rules is one the README documents
#      (and each service's metrics test checks the README against a live /metrics).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
chart=$root/helm/spur
SPUR_CACHE=${SPUR_CACHE:-$HOME/.cache/spur}
bin=$(bash "$root/deploy/local/tools.sh" path)
helm=$bin/helm
validate=$bin/kubernetes-validate
python=$(dirname "$(readlink -f "$validate")")/python
oldest=1.25.0
newest=1.37.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
log() { printf '[chart] %s\n' "$*"; }
fail() { printf '[chart] FAIL: %s\n' "$*"; failures=$((failures + 1)); }

[[ -x $helm && -x $validate ]] || { echo "helm/kubernetes-validate missing: run make tools" >&2; exit 1; }

common=(--set "kafka.brokers=kafka-0.kafka:9092\,kafka-1.kafka:9092"
  --set storage.cassandra.servers=cassandra.db --set storage.elasticsearch.serverUrls=https://es.db:9200)
# name | values
scenarios=(
  "all-in-one-embedded|--set mode=allInOne --set storage.type=embedded --set agent.enabled=true"
  "all-in-one-memory-no-volume|--set mode=allInOne --set storage.type=memory --set allInOne.persistence.enabled=false"
  "direct-cassandra|--set mode=direct --set storage.type=cassandra --set storage.cassandra.existingSecret=cass --set query.ingress.enabled=true --set query.basePath=/jaeger"
  "direct-elasticsearch|--set mode=direct --set storage.type=elasticsearch --set storage.elasticsearch.existingSecret=es --set storage.elasticsearch.cleaner.enabled=true --set storage.elasticsearch.useAliases=true --set storage.elasticsearch.rollover.enabled=true"
  "direct-opensearch|--set mode=direct --set storage.type=opensearch"
  "kafka-cassandra|--set mode=kafka --set storage.type=cassandra --set agent.enabled=true --set metrics.serviceMonitor.enabled=true --set metrics.podMonitor.enabled=true --set ingester.autoscaling.enabled=true"
  "kafka-elasticsearch-tls-sasl|--set mode=kafka --set storage.type=elasticsearch --set kafka.authentication=plaintext --set kafka.plaintext.username=spur --set kafka.plaintext.existingSecret=kafka-sasl --set kafka.tls.enabled=true --set kafka.tls.existingSecret=kafka-ca --set ingester.keda.enabled=true --set replay.enabled=true --set replay.args={--from,2026-11-23T00:00:00Z}"
  "kafka-opensearch-agent-hostnetwork|--set mode=kafka --set storage.type=opensearch --set agent.enabled=true --set agent.hostNetwork=true -f $here/values/sampling-and-tags.yaml"
)

log "helm $("$helm" version --short), kubernetes-validate $("$validate" --version 2>&1 | tail -n 1)"
for scenario in "${scenarios[@]}"; do
  name=${scenario%%|*}
  read -r -a values <<<"${scenario#*|}"
  out=$work/$name.yaml
  if ! "$helm" lint "$chart" --strict --kube-version "$newest" "${common[@]}" "${values[@]}" >"$work/lint.txt" 2>&1; then
    fail "helm lint $name"; cat "$work/lint.txt"; continue
  fi
  if ! "$helm" template "spur-$name" "$chart" --namespace tracing --kube-version "$newest" \
    "${common[@]}" "${values[@]}" >"$out" 2>"$work/template.txt"; then
    fail "helm template $name"; cat "$work/template.txt"; continue
  fi
  for version in "$oldest" "$newest"; do
    if ! "$validate" --strict --quiet --no-warn -k "$version" "$out" >"$work/validate.txt" 2>&1; then
      fail "$name does not validate against Kubernetes $version"; cat "$work/validate.txt"
    fi
  done
  log "ok: $name ($(grep -c '^kind:' "$out") objects, valid for Kubernetes $oldest and $newest)"
done

# Bad values: each must be refused and the message must name the key.
bad=(
  "mode|--set mode=distributed"
  "collector/replicas|--set collector.autoscaling.enabled=false --set collector.replicas=two"
  "storage.cassandra.servers|--set mode=direct --set storage.type=cassandra --set storage.cassandra.servers="
  "storage.elasticsearch.serverUrls|--set mode=kafka --set storage.type=elasticsearch --set storage.elasticsearch.serverUrls="
  "kafka.brokers|--set mode=kafka --set kafka.brokers="
  "storage.elasticsearch.useAliases|--set mode=direct --set storage.type=elasticsearch --set storage.elasticsearch.rollover.enabled=true"
  "storage.type embedded|--set mode=kafka --set storage.type=embedded"
  "/storage/type|--set storage.type=badger-ish"
  "additional properties 'replica'|--set query.replica=3"
  "/kafka/encoding|--set kafka.encoding=avro"
  # Found by tests/k8s (only the API server refused these, after the hooks had run).
  "/collector/resources/requests/cpu|--set collector.resources.requests.cpu=lots"
  "/query/ingress/hosts/0|--set mode=direct --set query.ingress.enabled=true --set query.ingress.hosts={Spur_UI}"
  "/collector/pdb/maxUnavailable|--set collector.pdb.maxUnavailable=-1"
  "collector.autoscaling.minReplicas|--set collector.autoscaling.minReplicas=5 --set collector.autoscaling.maxReplicas=3"
)
for case in "${bad[@]}"; do
  key=${case%%|*}
  read -r -a values <<<"${case#*|}"
  if "$helm" template bad "$chart" --kube-version "$newest" "${common[@]}" "${values[@]}" >/dev/null 2>"$work/bad.txt"; then
    fail "bad values accepted (${case#*|})"
  elif ! grep -qF -- "$key" "$work/bad.txt"; then
    fail "bad values (${case#*|}) refused without naming $key: $(cat "$work/bad.txt")"
  else
    log "ok: refused ${case#*|}: $(grep -F -- "$key" "$work/bad.txt" | head -n 1 | sed 's/^ *//')"
  fi
done

# Flags: build the image's binaries with its own build script (dev profile here).
log "building the image's binaries with deploy/image/build.sh (dev profile)"
bash "$root/deploy/image/build.sh" "$work/bin" dev >"$work/build.txt" 2>&1 || { cat "$work/build.txt"; exit 1; }
rendered=("$work"/*.yaml)
[[ -f ${rendered[0]} ]] || { fail "no scenario rendered"; rendered=(); }
"$python" "$here/check_manifests.py" --binaries "$work/bin" --list "$root/deploy/image/binaries.txt" \
  "${rendered[@]}" || failures=$((failures + 1))
"$python" "$here/check_metric_names.py" --readme "$root/README.md" \
  "$root/deploy/observability/grafana-dashboard.json" "$root/deploy/observability/prometheus-alerts.yaml" ||
  failures=$((failures + 1))

if ((failures)); then
  log "$failures check(s) failed"
  exit 1
fi
log "all chart checks passed"
