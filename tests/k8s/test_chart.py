"""The Helm chart against a real kube-apiserver + kube-controller-manager (deploy/local/k8s.sh).

For each deployment mode and storage: server-side dry run of every rendered manifest, `helm install`
into a fresh namespace, every object read back and checked, `helm upgrade` (replicas, image tag),
`helm upgrade` with a configuration change only (the checksum annotation must change and the
Deployment must get a new ReplicaSet), `helm rollback` to revision 1, `helm uninstall` leaving
nothing behind; then bad values refused by a real install with a message naming the key.

No kubelet or scheduler runs: Pods are created by the controllers and admitted (including Pod
Security Admission at the `restricted` level), but never scheduled or started. Helm's hook Jobs
are marked complete by this script (acting as the missing kubelet), so the hooks' order and
delete policies are exercised, not the storage commands they run.

usage: test_chart.py --helm HELM --kubectl KUBECTL --chart DIR [--only NAME[,NAME]]
(KUBECONFIG in the environment points at the cluster.)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

import yaml

HELM = KUBECTL = CHART = None
VALUES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helm", "values")
FAILURES = []
CHECKS = 0
WAIT = int(os.environ.get("SPUR_K8S_WAIT", "120"))  # seconds any controller effect may take

COMMON = [
    "kafka.brokers=kafka-0.kafka:9092\\,kafka-1.kafka:9092",
    "storage.cassandra.servers=cassandra-0.cassandra\\,cassandra-1.cassandra",
    "storage.elasticsearch.serverUrls=https://es.db:9200",
]

# name, values (--set), the namespace's Pod Security Admission enforce level, upgrade config change.
# The agent needs host ports or the host network, which only the `privileged` level allows.
SCENARIOS = [
    ("aio-embedded", ["mode=allInOne", "storage.type=embedded", "metrics.serviceMonitor.enabled=true"],
     "restricted", ["storage.embedded.ttl=48h"]),
    ("aio-memory-agent", ["mode=allInOne", "storage.type=memory", "allInOne.persistence.enabled=false",
                          "agent.enabled=true", "metrics.podMonitor.enabled=true"],
     "privileged", ["storage.memory.maxTraces=5000"]),
    ("aio-cassandra", ["mode=allInOne", "storage.type=cassandra", "allInOne.persistence.enabled=false"],
     "restricted", ["storage.cassandra.keyspace=spur_dc1"]),
    ("aio-elasticsearch", ["mode=allInOne", "storage.type=elasticsearch", "allInOne.persistence.enabled=false"],
     "restricted", ["storage.elasticsearch.indexPrefix=prod"]),
    ("aio-opensearch", ["mode=allInOne", "storage.type=opensearch", "allInOne.persistence.enabled=false"],
     "restricted", ["storage.elasticsearch.indexPrefix=prod"]),
    ("direct-cassandra", ["mode=direct", "storage.type=cassandra", "storage.cassandra.existingSecret=cass",
                          "storage.cassandra.username=spur", "query.ingress.enabled=true", "query.basePath=/jaeger",
                          "metrics.serviceMonitor.enabled=true"],
     "restricted", ["collector.queueSize=4000"]),
    ("direct-elasticsearch", ["mode=direct", "storage.type=elasticsearch", "storage.elasticsearch.existingSecret=es",
                              "storage.elasticsearch.username=spur", "storage.elasticsearch.cleaner.enabled=true",
                              "storage.elasticsearch.useAliases=true", "storage.elasticsearch.rollover.enabled=true"],
     "restricted", ["collector.numWorkers=20"]),
    ("direct-opensearch", ["mode=direct", "storage.type=opensearch", "collector.autoscaling.enabled=false"],
     "restricted", ["collector.tags=cluster=eu"]),
    ("kafka-cassandra", ["mode=kafka", "storage.type=cassandra", "metrics.serviceMonitor.enabled=true",
                         "ingester.autoscaling.enabled=true"],
     "restricted", ["ingester.parallelism=500"]),
    ("kafka-elasticsearch", ["mode=kafka", "storage.type=elasticsearch", "kafka.authentication=plaintext",
                             "kafka.plaintext.username=spur", "kafka.plaintext.existingSecret=kafka-sasl",
                             "kafka.tls.enabled=true", "kafka.tls.existingSecret=kafka-ca",
                             "ingester.keda.enabled=true", "replay.enabled=true",
                             "replay.args={--from,2026-11-23T00:00:00Z}"],
     "restricted", ["kafka.topic=spans-v2"]),
    ("kafka-opensearch-agent", ["mode=kafka", "storage.type=opensearch", "agent.enabled=true",
                                "agent.hostNetwork=true", "agent.tags=node=${NODE_NAME}",
                                "metrics.podMonitor.enabled=true", "@sampling-and-tags.yaml"],
     "privileged", ["kafka.encoding=json"]),
]

# The ports each component's container must have (name -> (port, protocol)), Jaeger's numbers.
PORTS = {
    "collector": {"grpc": 14250, "http": 14268, "zipkin": 9411, "otlp-grpc": 4317, "otlp-http": 4318,
                  "admin": 14269},
    "ingester": {"admin": 14270},
    "query": {"http": 16686, "grpc": 16685, "admin": 16687},
    "agent": {"compact": 6831, "binary": 6832, "sampling": 5778, "admin": 14271},
    "all-in-one": {"compact": 6831, "binary": 6832, "grpc": 14250, "thrift-http": 14268, "zipkin": 9411,
                   "otlp-grpc": 4317, "otlp-http": 4318, "http": 16686, "query-grpc": 16685, "admin": 14269},
}
UDP_PORTS = {"compact", "binary"}
VALUES_KEY = {"collector": "collector", "ingester": "ingester", "query": "query", "agent": "agent",
              "all-in-one": "allInOne"}

# Bad values a real `helm install` must refuse, and the key its message must name.
BAD = [
    ("mode", ["mode=distributed"]),
    ("replicas", ["collector.autoscaling.enabled=false", "collector.replicas=two"]),
    ("storage.cassandra.servers", ["mode=direct", "storage.type=cassandra", "storage.cassandra.servers="]),
    ("storage.elasticsearch.serverUrls", ["mode=kafka", "storage.type=opensearch",
                                          "storage.elasticsearch.serverUrls="]),
    ("kafka.brokers", ["mode=kafka", "kafka.brokers="]),
    ("storage.elasticsearch.useAliases", ["mode=direct", "storage.type=elasticsearch",
                                          "storage.elasticsearch.rollover.enabled=true"]),
    ("storage.type embedded", ["mode=kafka", "storage.type=embedded"]),
    ("pullPolicy", ["image.pullPolicy=Sometimes"]),
    ("maxReplicas", ["collector.autoscaling.maxReplicas=ten"]),
    ("targetCPUUtilizationPercentage", ["collector.autoscaling.targetCPUUtilizationPercentage=0"]),
    ("interval", ["metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.interval=30"]),
    # Values only the API server used to refuse (after the pre-install hooks had run, leaving a
    # failed release behind); values.schema.json and validate.yaml refuse them now.
    ("/collector/resources/requests/cpu", ["collector.resources.requests.cpu=lots"]),
    ("/query/ingress/hosts/0", ["mode=direct", "query.ingress.enabled=true", "query.ingress.hosts={Spur_UI}"]),
    ("/collector/pdb/maxUnavailable", ["collector.pdb.maxUnavailable=-1"]),
    ("/ingester/priorityClassName", ["ingester.priorityClassName=Not_Valid"]),
    ("/serviceAccount/name", ["serviceAccount.name=Bad_Name"]),
    ("/nameOverride", ["nameOverride=Bad_Name"]),
    ("/metrics/serviceMonitor/labels/release", ["metrics.serviceMonitor.enabled=true",
                                                "metrics.serviceMonitor.labels.release=1"]),
    ("/allInOne/persistence/storageClassName", ["mode=allInOne", "storage.type=embedded",
                                                "allInOne.persistence.storageClassName=Fast_SSD"]),
    ("collector.autoscaling.minReplicas", ["collector.autoscaling.minReplicas=5",
                                           "collector.autoscaling.maxReplicas=3"]),
]
# The longest release name Helm allows: every object name must still be valid (names are shortened
# from the release part, never from the component part).
LONG_RELEASE = "r" * 53


def log(msg):
    print(f"[k8s-test] {msg}", flush=True)


def fail(msg):
    FAILURES.append(msg)
    print(f"[k8s-test] FAIL: {msg}", flush=True)


def check(cond, msg):
    global CHECKS
    CHECKS += 1
    if not cond:
        fail(msg)
    return cond


def run(cmd, *, ok=True, timeout=180, stdin=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin)
    if ok and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[:2000]}")
    return p


def kubectl(*args, **kw):
    return run([KUBECTL, *args], **kw)


def kjson(*args):
    return json.loads(kubectl(*args, "-o", "json").stdout)


def helm(*args, **kw):
    return run([HELM, *args], **kw)


def sets(values):
    """--set for each KEY=VALUE; "@FILE" is a values file (tests/helm/values/FILE)."""
    out = []
    for v in values:
        out += ["-f", f"{VALUES_DIR}/{v[1:]}"] if v.startswith("@") else ["--set", v]
    return out


def until(what, fn, timeout=WAIT):
    """Polls fn() (truthy = done) every 0.5 s for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.5)
    fail(f"timed out after {timeout}s waiting for {what}")
    return None


# ------------------------------------------------------------------------------------------------
# The missing kubelet for Helm's hook Jobs


class HookCompleter(threading.Thread):
    """Marks every Helm hook Job of a namespace complete, in the order they appear."""

    def __init__(self, ns):
        super().__init__(daemon=True)
        self.ns = ns
        self.stop = threading.Event()
        self.seen = []
        self.errors = []

    def run(self):
        while not self.stop.is_set():
            try:
                self.tick()
            except Exception as e:  # noqa: BLE001 - reported by the caller
                self.errors.append(str(e))
            self.stop.wait(0.3)

    def tick(self):
        p = kubectl("get", "jobs", "-n", self.ns, "-o", "json", ok=False, timeout=20)
        if p.returncode != 0:
            return
        for job in json.loads(p.stdout)["items"]:
            meta = job["metadata"]
            if "helm.sh/hook" not in (meta.get("annotations") or {}):
                continue
            conds = {c["type"]: c["status"] for c in job.get("status", {}).get("conditions", [])}
            if conds.get("Complete") == "True":
                continue
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            status = {"status": {
                "startTime": job.get("status", {}).get("startTime") or now,
                "completionTime": now, "succeeded": 1, "active": 0, "ready": 0, "terminating": 0,
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                     "message": "marked complete by tests/k8s", "lastProbeTime": now, "lastTransitionTime": now},
                    {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                     "message": "marked complete by tests/k8s", "lastProbeTime": now, "lastTransitionTime": now},
                ]}}
            p = kubectl("patch", "job", meta["name"], "-n", self.ns, "--subresource=status", "--type=merge",
                        "-p", json.dumps(status), ok=False, timeout=20)
            if p.returncode == 0:
                key = (meta["name"], meta["uid"])
                if key not in self.seen:
                    self.seen.append(key)
            elif "NotFound" not in p.stderr:
                self.errors.append(p.stderr.strip()[:500])


def helm_with_hooks(ns, *args):
    """Runs a helm command while hook Jobs are completed; returns (process, hook job names)."""
    completer = HookCompleter(ns)
    completer.start()
    try:
        p = helm(*args, ok=False, timeout=240)
    finally:
        completer.stop.set()
        completer.join(10)
    if completer.errors and p.returncode != 0:
        fail(f"completing hook Jobs in {ns}: {completer.errors[:2]}")
    return p, [name for name, _ in completer.seen]


# ------------------------------------------------------------------------------------------------
# Reading a release back


def manifest_objects(release, ns, revision=None):
    args = ["get", "manifest", release, "-n", ns]
    if revision:
        args += ["--revision", str(revision)]
    return [d for d in yaml.safe_load_all(helm(*args).stdout) if d]


def live_objects(release, ns):
    manifest = helm("get", "manifest", release, "-n", ns).stdout
    p = kubectl("get", "-n", ns, "-f", "-", "-o", "json", stdin=manifest, ok=False)
    if p.returncode != 0:
        fail(f"{release}: reading the release's objects back failed: {p.stderr.strip()[:800]}")
        return []
    doc = json.loads(p.stdout)
    return doc["items"] if doc.get("kind") == "List" else [doc]


def component(obj):
    return (obj["metadata"].get("labels") or {}).get("app.kubernetes.io/component")


def selects(selector, labels):
    return all((labels or {}).get(k) == v for k, v in (selector or {}).items())


def pod_template(obj):
    kind = obj["kind"]
    if kind in ("Deployment", "DaemonSet", "Job"):
        return obj["spec"]["template"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return None


def owned_by(obj, owner):
    return any(r["uid"] == owner["metadata"]["uid"] for r in obj["metadata"].get("ownerReferences", []))


def check_security(where, spec, container):
    psc = spec.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001 and psc.get("runAsGroup") == 10001,
          f"{where}: pod must run as non-root user 10001: {psc}")
    check((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{where}: seccomp RuntimeDefault")
    sc = container.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false")
    check((sc.get("capabilities") or {}).get("drop") == ["ALL"], f"{where}: capabilities.drop [ALL]")
    check(spec.get("automountServiceAccountToken") is False, f"{where}: automountServiceAccountToken false")


def check_probe(where, container, name, path, ports):
    probe = container.get(name)
    if not check(probe and "httpGet" in probe, f"{where}: no {name}"):
        return
    get = probe["httpGet"]
    check(get.get("path") == path, f"{where}: {name} path {get.get('path')} != {path}")
    check(get.get("port") == "admin" and "admin" in ports, f"{where}: {name} must target the admin port")
    # Server-side defaults prove the object went through the API's defaulting.
    check(get.get("scheme") == "HTTP" and probe.get("timeoutSeconds") == 1,
          f"{where}: {name} was not defaulted by the server: {probe}")


def quantity_equal(a, b):
    return str(a) == str(b)


def check_release(sc, release, ns, values, objs):
    """The fields that matter, on the objects as the API server stored and defaulted them."""
    name, _, psa, _ = sc
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
        md = o["metadata"]
        check((md.get("annotations") or {}).get("meta.helm.sh/release-name") == release,
              f"{name}: {o['kind']}/{md['name']} lacks Helm's ownership annotation")
    configmaps = {o["metadata"]["name"]: o for o in by_kind.get("ConfigMap", [])}
    secrets = {"cass", "es", "kafka-sasl", "kafka-ca"}
    image_tag = values["image"]["tag"] or "0.1.0"

    workloads = by_kind.get("Deployment", []) + by_kind.get("DaemonSet", []) + by_kind.get("CronJob", [])
    workloads += by_kind.get("Job", [])
    for w in workloads:
        comp = component(w)
        where = f"{name}: {w['kind']}/{w['metadata']['name']}"
        tpl = pod_template(w)
        spec = tpl["spec"]
        check(spec.get("serviceAccountName") == f"{release}-spur" or release.endswith("spur"),
              f"{where}: serviceAccountName {spec.get('serviceAccountName')}")
        for vol in spec.get("volumes", []):
            if "configMap" in vol:
                check(vol["configMap"]["name"] in configmaps, f"{where}: volume {vol['name']} mounts a ConfigMap "
                      f"{vol['configMap']['name']} that is not in the release")
            if "secret" in vol:
                check(vol["secret"]["secretName"] in secrets, f"{where}: volume {vol['name']}: unknown Secret")
            if "persistentVolumeClaim" in vol:
                check(vol["persistentVolumeClaim"]["claimName"] in
                      {o["metadata"]["name"] for o in by_kind.get("PersistentVolumeClaim", [])},
                      f"{where}: volume {vol['name']}: PVC not in the release")
        for c in spec["containers"]:
            mounts = {m["name"] for m in c.get("volumeMounts", [])}
            vols = {v["name"] for v in spec.get("volumes", [])}
            check(mounts <= vols, f"{where}: mounts {mounts - vols} have no volume")
            check(c["image"] == f"ghcr.io/spur-tracing/spur:{image_tag}", f"{where}: image {c['image']}")
            check(re.fullmatch(r"/usr/local/bin/spur-[a-z-]+", c["command"][0]) is not None,
                  f"{where}: command {c['command']}")
            check_security(where, spec, c)
            env = {e["name"]: e for e in c.get("env", [])}
            for ref in c.get("envFrom", []):
                cm = ref.get("configMapRef", {}).get("name")
                if check(cm in configmaps, f"{where}: envFrom ConfigMap {cm} is not in the release"):
                    for k, v in configmaps[cm].get("data", {}).items():
                        env[k] = {"name": k, "value": v}
            for e in env.values():
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    check(ref["name"] in secrets, f"{where}: env {e['name']} from unknown Secret {ref['name']}")
            if w["kind"] in ("Deployment", "DaemonSet"):
                ports = {p["name"]: p for p in c.get("ports", [])}
                expected = dict(PORTS[comp])
                if comp == "collector":
                    receivers = values["collector"]["receivers"]
                    for key, names in (("jaegerGrpc", ["grpc"]), ("jaegerHttp", ["http"]), ("zipkin", ["zipkin"]),
                                       ("otlp", ["otlp-grpc", "otlp-http"])):
                        if not receivers[key]:
                            for n in names:
                                expected.pop(n)
                got = {n: p["containerPort"] for n, p in ports.items()}
                check(got == expected, f"{where}: ports {got} != {expected}")
                for n, p in ports.items():
                    want = "UDP" if n in UDP_PORTS else "TCP"
                    check(p.get("protocol") == want, f"{where}: port {n} protocol {p.get('protocol')} != {want}")
                    if comp == "agent" and n != "admin":
                        # With hostNetwork the chart sets no hostPort: the API server defaults it
                        # on the Pod (checked in check_controllers), not in the template.
                        host = values["agent"]["useHostPorts"] and not values["agent"]["hostNetwork"]
                        check(p.get("hostPort") == (p["containerPort"] if host else None),
                              f"{where}: hostPort of {n}: {p}")
                # Every *_HOST_PORT setting listens on a declared container port, and the admin port
                # is where the probes and the scrape annotations point.
                for k, e in env.items():
                    if k.endswith("HOST_PORT") and k != "REPORTER_GRPC_HOST_PORT" and e.get("value"):
                        port = int(e["value"].rsplit(":", 1)[1])
                        check(port in got.values(), f"{where}: {k}={e['value']} is not a container port")
                admin = env.get("ADMIN_HTTP_HOST_PORT", {}).get("value")
                check(admin == f":{expected['admin']}", f"{where}: ADMIN_HTTP_HOST_PORT {admin}")
                ann = tpl["metadata"].get("annotations") or {}
                check(ann.get("prometheus.io/port") == str(expected["admin"]) and ann.get("prometheus.io/scrape") == "true",
                      f"{where}: scrape annotations {ann}")
                check(re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/config", "")) is not None,
                      f"{where}: no checksum/config annotation")
                check_probe(where, c, "livenessProbe", "/", ports)
                check_probe(where, c, "readinessProbe", "/ready", ports)
                check_probe(where, c, "startupProbe", "/", ports)
                res = values[VALUES_KEY[comp]]["resources"]
                for kind in ("requests", "limits"):
                    for rk, rv in res.get(kind, {}).items():
                        got_q = c.get("resources", {}).get(kind, {}).get(rk)
                        check(quantity_equal(got_q, rv), f"{where}: resources.{kind}.{rk} {got_q} != {rv}")
                storage = values["storage"]["type"]
                stype = env.get("SPAN_STORAGE_TYPE", {}).get("value")
                if comp == "collector" and values["mode"] == "kafka":
                    check(stype == "kafka", f"{where}: SPAN_STORAGE_TYPE {stype}")
                    check(env.get("KAFKA_PRODUCER_BROKERS", {}).get("value") == values["kafka"]["brokers"],
                          f"{where}: KAFKA_PRODUCER_BROKERS")
                elif comp in ("collector", "ingester", "query", "all-in-one"):
                    check(stype == storage, f"{where}: SPAN_STORAGE_TYPE {stype} != {storage}")
                    if storage == "cassandra":
                        check(env.get("CASSANDRA_SERVERS", {}).get("value") == values["storage"]["cassandra"]["servers"],
                              f"{where}: CASSANDRA_SERVERS")
                    if storage in ("elasticsearch", "opensearch"):
                        es = values["storage"]["elasticsearch"]
                        check(env.get("ES_SERVER_URLS", {}).get("value") == es["serverUrls"], f"{where}: ES_SERVER_URLS")
                        aliases = env.get("ES_USE_ALIASES", {}).get("value")
                        check(aliases == ("true" if es.get("useAliases") else None),
                              f"{where}: ES_USE_ALIASES {aliases} with useAliases {es.get('useAliases')}")
                if comp == "ingester":
                    check(env.get("KAFKA_CONSUMER_BROKERS", {}).get("value") == values["kafka"]["brokers"],
                          f"{where}: KAFKA_CONSUMER_BROKERS")
        if w["kind"] == "Deployment":
            v = values[VALUES_KEY[comp]]
            auto = (v.get("autoscaling") or {}).get("enabled") or (v.get("keda") or {}).get("enabled")
            if comp == "all-in-one":
                check(w["spec"]["replicas"] == 1 and w["spec"]["strategy"]["type"] == "Recreate",
                      f"{where}: the all-in-one must be 1 replica, Recreate")
            elif not auto:
                check(w["spec"]["replicas"] == v["replicas"], f"{where}: replicas {w['spec']['replicas']} != {v['replicas']}")

    # Services: a ClusterIP from the service range (or headless), every targetPort a named port of
    # the pods they select.
    pods_by_tpl = [(pod_template(w), w) for w in by_kind.get("Deployment", []) + by_kind.get("DaemonSet", [])]
    for s in by_kind.get("Service", []):
        where = f"{name}: Service/{s['metadata']['name']}"
        sel = s["spec"]["selector"]
        targets = [t for t, _ in pods_by_tpl if selects(sel, t["metadata"]["labels"])]
        if not check(targets, f"{where}: selects no workload"):
            continue
        names = {p["name"] for t in targets for c in t["spec"]["containers"] for p in c.get("ports", [])}
        for p in s["spec"]["ports"]:
            check(p["targetPort"] in names, f"{where}: targetPort {p['targetPort']} is no container port")
        ip = s["spec"].get("clusterIP")
        if s["metadata"]["name"].endswith("-headless"):
            check(ip == "None", f"{where}: must be headless")
        else:
            check(ip and ip.startswith("10.96.0."), f"{where}: clusterIP {ip} not allocated")

    deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        where = f"{name}: HPA/{h['metadata']['name']}"
        ref = h["spec"]["scaleTargetRef"]
        check(ref["kind"] == "Deployment" and ref["apiVersion"] == "apps/v1" and ref["name"] in deployments,
              f"{where}: scaleTargetRef {ref} is no Deployment of the release")
        v = values[VALUES_KEY[component(h)]]["autoscaling"]
        check(h["spec"]["minReplicas"] == v["minReplicas"] and h["spec"]["maxReplicas"] == v["maxReplicas"],
              f"{where}: min/max replicas")
        m = h["spec"]["metrics"][0]["resource"]
        check(m["name"] == "cpu" and m["target"]["averageUtilization"] == v["targetCPUUtilizationPercentage"],
              f"{where}: CPU target {m}")
    for p in by_kind.get("PodDisruptionBudget", []):
        where = f"{name}: PDB/{p['metadata']['name']}"
        sel = p["spec"]["selector"]["matchLabels"]
        match = [d for d in deployments.values() if selects(sel, d["spec"]["template"]["metadata"]["labels"])]
        check(len(match) == 1, f"{where}: selects {len(match)} Deployments")
        v = values[VALUES_KEY[component(p)]]["pdb"]
        check(p["spec"]["maxUnavailable"] == v["maxUnavailable"], f"{where}: maxUnavailable")
    services = by_kind.get("Service", [])
    for m in by_kind.get("ServiceMonitor", []):
        where = f"{name}: ServiceMonitor/{m['metadata']['name']}"
        sel = m["spec"]["selector"]["matchLabels"]
        match = [s for s in services if selects(sel, s["metadata"]["labels"])
                 and any(p["name"] == "admin" for p in s["spec"]["ports"])]
        check(match, f"{where}: selects no Service with an admin port")
        ep = m["spec"]["endpoints"][0]
        check(ep["port"] == "admin" and ep["path"] == "/metrics", f"{where}: endpoint {ep}")
    for m in by_kind.get("PodMonitor", []):
        where = f"{name}: PodMonitor/{m['metadata']['name']}"
        sel = m["spec"]["selector"]["matchLabels"]
        check(any(selects(sel, t["metadata"]["labels"]) for t, w in pods_by_tpl if w["kind"] == "DaemonSet"),
              f"{where}: selects no DaemonSet's pods")
    for so in by_kind.get("ScaledObject", []):
        ref = so["spec"]["scaleTargetRef"]
        check(ref["name"] in deployments, f"{name}: ScaledObject targets {ref}")
    for cj in by_kind.get("CronJob", []):
        check(cj["spec"]["concurrencyPolicy"] == "Forbid", f"{name}: CronJob {cj['metadata']['name']} concurrency")
    return by_kind


def check_controllers(sc, release, ns, values, by_kind):
    """What kube-controller-manager made of the release: ReplicaSets, Pods (admitted by Pod
    Security Admission), DaemonSet pods on the fake node, HPA and PDB status."""
    name, _, psa, _ = sc
    for d in by_kind.get("Deployment", []):
        dn = d["metadata"]["name"]

        def rolled_out(dn=dn):
            cur = kjson("get", "deployment", dn, "-n", ns)
            st = cur.get("status", {})
            if st.get("observedGeneration") != cur["metadata"]["generation"]:
                return None
            want = cur["spec"]["replicas"]
            rs = [r for r in kjson("get", "replicasets", "-n", ns)["items"] if owned_by(r, cur)]
            tpl_hash = None
            for r in rs:
                if r["metadata"]["annotations"].get("deployment.kubernetes.io/revision") == \
                        cur["metadata"]["annotations"].get("deployment.kubernetes.io/revision"):
                    tpl_hash = r["metadata"]["labels"]["pod-template-hash"]
                    newest = r
            if not tpl_hash:
                return None
            pods = [p for p in kjson("get", "pods", "-n", ns, "-l", f"pod-template-hash={tpl_hash}")["items"]
                    if owned_by(p, newest)]
            failure = [c for c in newest.get("status", {}).get("conditions", []) if c["type"] == "ReplicaFailure"]
            if failure:
                return ("failure", failure[0].get("message", ""))
            # No pod ever becomes ready, so a rolling update stops after its first surge: the new
            # ReplicaSet must exist with the current template and have the pods it was asked for.
            asked = newest["spec"].get("replicas", 0)
            if want > 0 and asked >= 1 and len(pods) >= asked:
                return ("ok", cur, newest, pods)
            return None

        r = until(f"{name}: Deployment {dn} to get a ReplicaSet and its Pods", rolled_out)
        if not r:
            continue
        if r[0] == "failure":
            fail(f"{name}: the ReplicaSet of {dn} cannot create Pods: {r[1]}")
            continue
        _, cur, rs, pods = r
        p = pods[0]
        check(not p["spec"].get("nodeName") and p["status"].get("phase") == "Pending",
              f"{name}: pod {p['metadata']['name']} should be Pending, unscheduled")
        vols = [v["name"] for v in p["spec"].get("volumes", [])]
        check(not any(v.startswith("kube-api-access") for v in vols),
              f"{name}: pod {p['metadata']['name']} got a service account token volume: {vols}")
        labels = p["metadata"].get("labels", {})
        check(selects(d["spec"]["selector"]["matchLabels"], labels), f"{name}: pod labels {labels}")
    for ds in by_kind.get("DaemonSet", []):
        dn = ds["metadata"]["name"]

        def scheduled(dn=dn):
            cur = kjson("get", "daemonset", dn, "-n", ns)
            pods = [p for p in kjson("get", "pods", "-n", ns)["items"] if owned_by(p, cur)]
            return cur if cur.get("status", {}).get("desiredNumberScheduled") == 1 and pods else None

        if until(f"{name}: DaemonSet {dn} to create its pod for the fake node", scheduled):
            cur = kjson("get", "daemonset", dn, "-n", ns)
            pod = [p for p in kjson("get", "pods", "-n", ns)["items"] if owned_by(p, cur)][0]
            aff = json.dumps(pod["spec"].get("affinity", {}))
            check("fake-node-1" in aff and pod["status"].get("phase") == "Pending",
                  f"{name}: the agent pod should target fake-node-1 and stay Pending: {aff[:200]}")
            if values["agent"]["hostNetwork"]:
                ports = pod["spec"]["containers"][0]["ports"]
                check(pod["spec"].get("hostNetwork") is True and all(p.get("hostPort") == p["containerPort"] for p in ports),
                      f"{name}: agent pod with hostNetwork: hostPorts not defaulted by the server: {ports}")
    for job in by_kind.get("Job", []):
        jn = job["metadata"]["name"]

        def job_pod(jn=jn):
            cur = kjson("get", "job", jn, "-n", ns)
            pods = [p for p in kjson("get", "pods", "-n", ns)["items"] if owned_by(p, cur)]
            return pods or None

        # The job controller's Pod was admitted (Pod Security included).
        until(f"{name}: Job {jn} to get its Pod", job_pod)
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        hn = h["metadata"]["name"]

        def reconciled(hn=hn):
            cur = kjson("get", "hpa", hn, "-n", ns)
            conds = {c["type"]: c for c in cur.get("status", {}).get("conditions", [])}
            return conds if "AbleToScale" in conds else None

        conds = until(f"{name}: the HPA controller to reconcile {hn}", reconciled)
        if conds:
            # AbleToScale: the controller found the target and read its scale subresource; with no
            # metrics server it cannot read CPU (ScalingActive False, FailedGetResourceMetric).
            check(conds["AbleToScale"]["status"] == "True", f"{name}: HPA {hn}: {conds['AbleToScale']}")
        # Below minReplicas it scales up without metrics: the chart leaves `replicas` to the HPA.
        target = h["spec"]["scaleTargetRef"]["name"]
        until(f"{name}: the HPA {hn} to scale {target} to minReplicas {h['spec']['minReplicas']}",
              lambda target=target, want=h["spec"]["minReplicas"]:
              kjson("get", "deployment", target, "-n", ns)["spec"]["replicas"] >= want)
    for pdb in by_kind.get("PodDisruptionBudget", []):
        pn = pdb["metadata"]["name"]
        sel = pdb["spec"]["selector"]["matchLabels"]
        target = [d for d in by_kind.get("Deployment", []) if selects(sel, d["spec"]["template"]["metadata"]["labels"])]

        def counted(pn=pn):
            cur = kjson("get", "pdb", pn, "-n", ns)
            st = cur.get("status", {})
            if st.get("observedGeneration") != cur["metadata"]["generation"]:
                return None
            dep = kjson("get", "deployment", target[0]["metadata"]["name"], "-n", ns)
            return st if st.get("expectedPods", 0) >= dep["spec"]["replicas"] else None

        if target:
            until(f"{name}: the disruption controller to count the pods of {pn}", counted)


def deployment_state(ns, release):
    out = {}
    for d in kjson("get", "deployments", "-n", ns, "-l", f"app.kubernetes.io/instance={release}")["items"]:
        tpl = d["spec"]["template"]
        out[d["metadata"]["name"]] = {
            "checksum": (tpl["metadata"].get("annotations") or {}).get("checksum/config"),
            "image": tpl["spec"]["containers"][0]["image"],
            "replicas": d["spec"].get("replicas"),
            "revision": d["metadata"]["annotations"].get("deployment.kubernetes.io/revision"),
            "uid": d["metadata"]["uid"],
        }
    return out


def replicasets_of(ns, deployment):
    d = kjson("get", "deployment", deployment, "-n", ns)
    return {r["metadata"]["name"] for r in kjson("get", "replicasets", "-n", ns)["items"] if owned_by(r, d)}


def release_values(release, ns):
    return json.loads(helm("get", "values", release, "-n", ns, "--all", "-o", "json").stdout)


def namespaced_types():
    out = kubectl("api-resources", "--verbs=list", "--namespaced", "-o", "name").stdout.split()
    return [t for t in out if t not in ("events", "events.events.k8s.io")]


def leftovers(ns, types):
    items = kjson("get", ",".join(types), "-n", ns)["items"]
    keep = []
    for o in items:
        kind, n = o["kind"], o["metadata"]["name"]
        # Made by the controllers for every namespace, not by the chart.
        if (kind, n) in (("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")):
            continue
        keep.append(f"{kind}/{n}")
    return keep


# ------------------------------------------------------------------------------------------------


def scenario(sc, types):
    name, values, psa, config_change = sc
    ns = f"spur-{name}"
    release = "tr"
    t0 = time.monotonic()
    log(f"--- {name}: {' '.join(values)} (namespace {ns}, pod security {psa})")
    fresh_namespace(ns)
    kubectl("label", "namespace", ns, f"pod-security.kubernetes.io/enforce={psa}",
            "pod-security.kubernetes.io/warn=restricted")
    for secret in ("cass", "es", "kafka-sasl"):
        kubectl("create", "secret", "generic", secret, "-n", ns, "--from-literal=password=s3cret")
    kubectl("create", "secret", "generic", "kafka-ca", "-n", ns, "--from-literal=ca.crt=dummy")
    all_values = COMMON + values

    # 1. Every rendered manifest (hooks included) passes the server's validation, admission and
    # defaulting in a dry run.
    rendered = helm("template", release, CHART, "-n", ns, "--kube-version", SERVER_VERSION, *sets(all_values)).stdout
    p = kubectl("apply", "--dry-run=server", "-n", ns, "-f", "-", stdin=rendered, ok=False)
    kinds = len([d for d in yaml.safe_load_all(rendered) if d])
    if check(p.returncode == 0, f"{name}: kubectl apply --dry-run=server refused the manifests: {p.stderr.strip()[:1500]}"):
        log(f"ok: {name}: {kinds} rendered objects pass kubectl apply --dry-run=server")
    rendered_long = helm("template", LONG_RELEASE, CHART, "-n", ns, "--kube-version", SERVER_VERSION,
                         *sets(all_values)).stdout
    p = kubectl("apply", "--dry-run=server", "-n", ns, "-f", "-", stdin=rendered_long, ok=False)
    check(p.returncode == 0, f"{name}: with a 53-character release name the server refused: {p.stderr.strip()[:800]}")

    # 2. Install.
    p, hooks = helm_with_hooks(ns, "install", release, CHART, "-n", ns, "--timeout", "120s", *sets(all_values))
    if not check(p.returncode == 0, f"{name}: helm install failed: {p.stderr.strip()[:1500]}"):
        return
    expect_hooks = [d["metadata"]["name"] for d in yaml.safe_load_all(rendered)
                    if d and "helm.sh/hook" in (d["metadata"].get("annotations") or {})]
    check(sorted(hooks) == sorted(expect_hooks), f"{name}: hook Jobs run {hooks} != rendered hooks {expect_hooks}")
    # hook-delete-policy hook-succeeded: the completed hooks are gone.
    for h in expect_hooks:
        until(f"{name}: hook Job {h} deleted after success",
              lambda h=h: kubectl("get", "job", h, "-n", ns, ok=False).returncode != 0, timeout=30)
    vals = release_values(release, ns)
    objs = live_objects(release, ns)
    by_kind = check_release(sc, release, ns, vals, objs)
    check_controllers(sc, release, ns, vals, by_kind)
    if "warnings" in p.stderr.lower() or "would violate" in p.stderr:
        check(psa == "privileged", f"{name}: Pod Security warnings: {p.stderr.strip()[:800]}")
    log(f"ok: {name}: installed, {len(objs)} objects read back and checked, hooks {hooks or 'none'}")
    rev1 = deployment_state(ns, release)

    # 3. Upgrade: replicas and image tag.
    up = ["image.tag=0.1.1", "collector.autoscaling.enabled=false", "collector.replicas=3", "query.replicas=3",
          "ingester.replicas=3", "collector.pdb.maxUnavailable=2"]
    p, hooks2 = helm_with_hooks(ns, "upgrade", release, CHART, "-n", ns, "--reuse-values", "--timeout", "120s",
                                *sets(up))
    if not check(p.returncode == 0, f"{name}: helm upgrade failed: {p.stderr.strip()[:1500]}"):
        return
    check(sorted(hooks2) == sorted(expect_hooks), f"{name}: pre-upgrade hooks {hooks2} != {expect_hooks}")
    vals2 = release_values(release, ns)
    objs2 = live_objects(release, ns)
    by_kind2 = check_release(sc, release, ns, vals2, objs2)
    check_controllers(sc, release, ns, vals2, by_kind2)
    rev2 = deployment_state(ns, release)
    for dn, st in rev2.items():
        check(st["image"].endswith(":0.1.1"), f"{name}: {dn} image after upgrade {st['image']}")
        check(st["uid"] == rev1[dn]["uid"], f"{name}: {dn} was recreated instead of updated")
        check(st["revision"] != rev1[dn]["revision"], f"{name}: {dn} did not roll on the image change")
        comp = dn.rsplit("-spur-", 1)[1]
        if comp in ("collector", "query") or (comp == "ingester" and not vals2["ingester"]["keda"]["enabled"]
                                              and not vals2["ingester"]["autoscaling"]["enabled"]):
            check(st["replicas"] == 3, f"{name}: {dn} replicas after upgrade {st['replicas']} != 3")
    check(not by_kind2.get("HorizontalPodAutoscaler") or all(component(h) != "collector"
                                                             for h in by_kind2["HorizontalPodAutoscaler"]),
          f"{name}: the collector HPA was not removed when autoscaling was switched off")
    if any(component(h) == "collector" for h in by_kind.get("HorizontalPodAutoscaler", [])):
        gone = kubectl("get", "hpa", f"{release}-spur-collector", "-n", ns, ok=False).returncode != 0
        check(gone, f"{name}: the collector HPA still exists after the upgrade")
    log(f"ok: {name}: upgraded (image 0.1.1, replicas 3), every Deployment rolled in place")

    # 4. Upgrade with a configuration change only: the checksum annotation rolls the pods.
    before_rs = {dn: replicasets_of(ns, dn) for dn in rev2}
    p, _ = helm_with_hooks(ns, "upgrade", release, CHART, "-n", ns, "--reuse-values", "--timeout", "120s",
                           *sets(config_change))
    if not check(p.returncode == 0, f"{name}: helm upgrade (config) failed: {p.stderr.strip()[:1500]}"):
        return
    vals3 = release_values(release, ns)
    by_kind3 = check_release(sc, release, ns, vals3, live_objects(release, ns))
    check_controllers(sc, release, ns, vals3, by_kind3)
    rev3 = deployment_state(ns, release)
    changed = [dn for dn in rev3 if rev3[dn]["checksum"] != rev2[dn]["checksum"]]
    check(changed, f"{name}: {config_change} changed no Deployment's checksum/config")
    for dn in changed:
        check(rev3[dn]["image"] == rev2[dn]["image"], f"{name}: {dn} image changed unexpectedly")
        new_rs = until(f"{name}: a new ReplicaSet for {dn} after the config change",
                       lambda dn=dn: replicasets_of(ns, dn) - before_rs[dn])
        check(new_rs, f"{name}: {dn} got no new ReplicaSet after {config_change}")
    for dn in set(rev3) - set(changed):
        check(replicasets_of(ns, dn) == before_rs[dn], f"{name}: {dn} rolled without a config change")
    log(f"ok: {name}: {config_change} changed checksum/config of {changed}, each got a new ReplicaSet")

    # 5. Rollback to revision 1: the first revision's objects and checksums are back.
    p, _ = helm_with_hooks(ns, "rollback", release, "1", "-n", ns, "--timeout", "120s")
    if not check(p.returncode == 0, f"{name}: helm rollback failed: {p.stderr.strip()[:1500]}"):
        return
    vals4 = release_values(release, ns)
    objs4 = live_objects(release, ns)
    by_kind4 = check_release(sc, release, ns, vals4, objs4)
    check_controllers(sc, release, ns, vals4, by_kind4)
    rev4 = deployment_state(ns, release)
    for dn, st in rev4.items():
        check(st["checksum"] == rev1[dn]["checksum"] and st["image"] == rev1[dn]["image"],
              f"{name}: {dn} after rollback: {st} != revision 1 {rev1[dn]}")
        if rev1[dn]["replicas"] is not None and not by_kind4.get("HorizontalPodAutoscaler"):
            check(st["replicas"] == rev1[dn]["replicas"], f"{name}: {dn} replicas after rollback")
    want = sorted((o["kind"], o["metadata"]["name"]) for o in objs)
    got = sorted((o["kind"], o["metadata"]["name"]) for o in objs4)
    check(want == got, f"{name}: objects after rollback differ from revision 1: {set(want) ^ set(got)}")
    history = json.loads(helm("history", release, "-n", ns, "-o", "json").stdout)
    check([h["revision"] for h in history] == [1, 2, 3, 4] and history[-1]["status"] == "deployed",
          f"{name}: history {[(h['revision'], h['status']) for h in history]}")
    log(f"ok: {name}: rolled back to revision 1 (revision 4 deployed, objects and checksums as revision 1)")

    # 6. Uninstall: nothing of the release is left in the namespace.
    p = helm("uninstall", release, "-n", ns, "--wait", "--timeout", "120s", ok=False, timeout=240)
    check(p.returncode == 0, f"{name}: helm uninstall failed: {p.stderr.strip()[:800]}")
    for s in ("cass", "es", "kafka-sasl", "kafka-ca"):
        kubectl("delete", "secret", s, "-n", ns)
    left = until(f"{name}: the namespace to be empty after helm uninstall",
                 lambda: (lambda l: True if not l else None)(leftovers(ns, types)), timeout=WAIT)
    if not left:
        fail(f"{name}: left behind after uninstall: {leftovers(ns, types)}")
    else:
        log(f"ok: {name}: uninstalled, nothing left in {ns} ({time.monotonic() - t0:.0f} s for the scenario)")
    kubectl("delete", "namespace", ns, "--wait=false")


def fresh_namespace(ns):
    """Creates ns; one left over from an interrupted run is deleted first."""
    if kubectl("get", "namespace", ns, ok=False).returncode == 0:
        kubectl("delete", "namespace", ns, "--timeout=90s", ok=False, timeout=120)
        until(f"namespace {ns} of an earlier run to be deleted",
              lambda: kubectl("get", "namespace", ns, ok=False).returncode != 0, timeout=90)
    kubectl("create", "namespace", ns)


def bad_values(types):
    ns = "spur-bad-values"
    fresh_namespace(ns)
    for key, values in BAD:
        # Hooks are completed, so a value only the API server refuses shows the server's message
        # (and the failed release it leaves) instead of a hook timeout.
        p, _ = helm_with_hooks(ns, "install", "bad", CHART, "-n", ns, "--timeout", "60s", *sets(COMMON + values))
        msg = (p.stderr + p.stdout).strip()
        if not check(p.returncode != 0, f"bad values accepted by helm install: {values}"):
            helm("uninstall", "bad", "-n", ns, ok=False)
            continue
        check(key in msg, f"bad values {values} refused without naming {key}: {msg[:600]}")
        if key in msg:
            line = next(line for line in msg.splitlines() if key in line)
            log(f"ok: refused {' '.join(values)}: {line.strip()[:220]}")
        rel = helm("list", "-n", ns, "-a", "-q").stdout.split()
        if rel:
            fail(f"a refused install left a release behind: {rel}")
            helm("uninstall", "bad", "-n", ns, ok=False)
        left = leftovers(ns, types)
        check(not left, f"a refused install ({values}) left objects behind: {left}")
    kubectl("delete", "namespace", ns, "--wait=false")


SERVER_VERSION = None


def main():
    global HELM, KUBECTL, CHART, SERVER_VERSION
    ap = argparse.ArgumentParser()
    ap.add_argument("--helm", required=True)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--chart", required=True)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    HELM, KUBECTL, CHART = args.helm, args.kubectl, args.chart
    v = json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]
    SERVER_VERSION = v["gitVersion"].lstrip("v")
    log(f"kube-apiserver {v['gitVersion']}, {helm('version', '--short').stdout.strip()}")
    types = namespaced_types()
    only = set(filter(None, args.only.split(",")))
    t0 = time.monotonic()
    for sc in SCENARIOS:
        if only and sc[0] not in only and "bad" not in only:
            continue
        if only and sc[0] not in only:
            continue
        try:
            scenario(sc, types)
        except Exception as e:  # noqa: BLE001 - one scenario's error must not hide the others
            fail(f"{sc[0]}: {e}")
    if not only or "bad" in only:
        try:
            bad_values(types)
        except Exception as e:  # noqa: BLE001
            fail(f"bad values: {e}")
    log(f"{CHECKS} checks in {time.monotonic() - t0:.0f} s, {len(FAILURES)} failed")
    if FAILURES:
        for f in FAILURES:
            print(f"  - {f}")
        sys.exit(1)


if __name__ == "__main__":
    main()
