"""Every metric a dashboard or alert rule queries is one the services expose.

The README lists each service's metrics (collector, query, agent, ingester sections), and each
service's metrics test compares its live /metrics with that list; so a name in the Grafana
dashboard or the Prometheus rules that the README does not name is a panel that stays empty or an
alert that never fires.

usage: check_metric_names.py --readme README.md FILE...
"""

import argparse
import re
import sys

NAME = re.compile(r"\b((?:jaeger|spur)_[a-z0-9_]+)")
SUFFIXES = ("_bucket", "_sum", "_count")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--readme", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    documented = set(re.findall(r"`((?:jaeger|spur)_[a-z0-9_]+)", open(args.readme).read()))
    failures = 0
    used_total = 0
    for file in args.files:
        used = set()
        for name in NAME.findall(open(file).read()):
            base = name
            for suffix in SUFFIXES:
                if name.endswith(suffix) and name[: -len(suffix)] in documented:
                    base = name[: -len(suffix)]
            used.add(base)
        for name in sorted(used - documented):
            failures += 1
            print(f"FAIL: {file} uses {name}, which no service documents (README metrics)")
        used_total += len(used)
        print(f"{file}: {len(used)} metric names, all documented" if not used - documented else "")
    print(f"metric names: {used_total} checked, {failures} unknown")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
