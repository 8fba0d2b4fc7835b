"""Checks rendered chart manifests against the binaries they run and against each other.

- every container's command is a binary of the image (deploy/image/binaries.txt);
- every environment variable a container gets (its `env` and the ConfigMaps of its `envFrom`)
  is listed by that binary's `--help` as `[env: NAME]`, so the chart never sets a setting the
  service would ignore;
- every Service port's named targetPort exists on the pods the Service selects;
- every ServiceMonitor/PodMonitor selects an object that has its `admin` port.

usage: check_manifests.py --binaries DIR --list binaries.txt RENDERED.yaml...
"""

import argparse
import os
import re
import subprocess
import sys

import yaml

# Set for the platform, read through ${NODE_NAME} in tag values, not by the binary itself.
PLATFORM_ENV = {"NODE_NAME"}


def pod_specs(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in ("Deployment", "DaemonSet", "StatefulSet", "Job"):
        yield spec["template"]
    elif kind == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]


def help_text(binaries, command, cache):
    key = tuple(command)
    if key not in cache:
        path = os.path.join(binaries, os.path.basename(command[0]))
        run = subprocess.run([path, *command[1:], "--help"], capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            cache[key] = None
            print(f"FAIL: `{' '.join(command)} --help` exited {run.returncode}: {run.stderr.strip()[:300]}")
        else:
            cache[key] = run.stdout
    return cache[key]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binaries", required=True)
    parser.add_argument("--list", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    shipped = {line.strip() for line in open(args.list) if line.strip() and not line.startswith("#")}
    failures = 0
    checked = 0
    helps = {}

    def fail(message):
        nonlocal failures
        failures += 1
        print(f"FAIL: {message}")

    for file in args.files:
        docs = [d for d in yaml.safe_load_all(open(file)) if d]
        name = os.path.basename(file)
        configmaps = {d["metadata"]["name"]: d.get("data") or {} for d in docs if d["kind"] == "ConfigMap"}
        pods = []
        for obj in docs:
            for template in pod_specs(obj):
                labels = template.get("metadata", {}).get("labels", {})
                ports = set()
                for container in template["spec"]["containers"]:
                    ports.update(p["name"] for p in container.get("ports", []) if "name" in p)
                    where = f"{name}: {obj['kind']}/{obj['metadata']['name']} container {container['name']}"
                    command = container.get("command")
                    if not command:
                        fail(f"{where}: no command (the image's default entrypoint is the all-in-one)")
                        continue
                    binary = os.path.basename(command[0])
                    if command[0] != f"/usr/local/bin/{binary}" or binary not in shipped:
                        fail(f"{where}: runs {command[0]}, not a binary the image ships")
                        continue
                    names = [e["name"] for e in container.get("env") or []]
                    for source in container.get("envFrom") or []:
                        ref = source.get("configMapRef", {}).get("name")
                        if ref not in configmaps:
                            fail(f"{where}: envFrom ConfigMap {ref} is not rendered")
                            continue
                        names.extend(configmaps[ref].keys())
                    text = help_text(args.binaries, command, helps)
                    if text is None:
                        fail(f"{where}: cannot read `{' '.join(command)} --help`")
                        continue
                    for env in names:
                        if env in PLATFORM_ENV:
                            continue
                        checked += 1
                        if not re.search(rf"\benv: {re.escape(env)}\b", text):
                            fail(f"{where}: sets {env}, which `{' '.join(command)} --help` does not list")
                pods.append((labels, ports))

        def selected(selector):
            return [ports for labels, ports in pods if all(labels.get(k) == v for k, v in selector.items())]

        services = {}
        for obj in docs:
            if obj["kind"] != "Service":
                continue
            matches = selected(obj["spec"]["selector"])
            if not matches:
                fail(f"{name}: Service {obj['metadata']['name']} selects no pod")
            for port in obj["spec"]["ports"]:
                target = port.get("targetPort")
                if isinstance(target, str) and not all(target in ports for ports in matches):
                    fail(f"{name}: Service {obj['metadata']['name']} targets port {target}, missing on its pods")
            services[obj["metadata"]["name"]] = obj
        for obj in docs:
            if obj["kind"] == "ServiceMonitor":
                wanted = obj["spec"]["selector"]["matchLabels"]
                hits = [s for s in services.values()
                        if all(s["metadata"]["labels"].get(k) == v for k, v in wanted.items())]
                if not hits or not all(any(p["name"] == "admin" for p in s["spec"]["ports"]) for s in hits):
                    fail(f"{name}: ServiceMonitor {obj['metadata']['name']} selects no Service with an admin port")
            if obj["kind"] == "PodMonitor":
                matches = selected(obj["spec"]["selector"]["matchLabels"])
                if not matches or not all("admin" in ports for ports in matches):
                    fail(f"{name}: PodMonitor {obj['metadata']['name']} selects no pod with an admin port")

    print(f"manifests: {checked} environment settings checked against --help, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
