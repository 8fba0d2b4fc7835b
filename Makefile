# Spur's entry point for developers and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Build output and downloads live outside the clone so fresh CI clones stay warm.
SPUR_CACHE ?= $(HOME)/.cache/spur
export CARGO_TARGET_DIR ?= $(SPUR_CACHE)/target

FUZZ_SECONDS ?= 30

.PHONY: help build test test-unit test-ui lint fmt bench bench-pipeline fuzz run demo fixtures
.PHONY: services-up services-down services-status services-clean tools
.PHONY: test-chart test-k8s k8s-up k8s-down k8s-status

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## build every crate (debug)
	cargo build --workspace --all-targets

test: ## run every test: unit, golden, property, bad-input, real-client and real-server tests, the chart's offline checks, then the web UI in headless Chromium
	bash tests/clients/live/install.sh
	bash tests/jaeger/build.sh
	bash deploy/local/with-services.sh cargo test --workspace --no-fail-fast
	$(MAKE) test-chart
	$(MAKE) test-ui

test-chart: ## the Helm chart's offline checks: lint, render every mode, validate, flags vs --help, metric names
	bash deploy/local/tools.sh install
	bash tests/helm/check.sh

test-k8s: ## the Helm chart on a real kube-apiserver + controller-manager: install, read back, upgrade, rollback, uninstall each mode and storage; bad values
	bash tests/k8s/run.sh

lint: ## formatting check and clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## format the code
	cargo fmt --all

bench: ## codec, embedded store, query, collector-into-Kafka, agent, ingester and UI trace-page benchmarks; results in BENCHMARKS.md
	cargo bench -p spur-model --bench codecs
	cargo bench -p spur-storage-embedded --bench storage
	cargo bench -p spur-query --bench http
	bash deploy/bench/collector.sh
	bash deploy/bench/agent.sh
	bash deploy/bench/ingester.sh
	bash tests/ui/install.sh && bash tests/ui/run.sh bench

bench-pipeline: ## the whole pipeline (loadgen -> collector -> Kafka -> ingester -> each store -> query): spans/s end to end, send-to-queryable lag p50/p99, CPU and RSS per service (RATE, DURATION, STORES)
	bash deploy/bench/pipeline.sh

fuzz: ## run each cargo-fuzz target for FUZZ_SECONDS (needs nightly + cargo-fuzz)
	bash shared/model/fuzz/run.sh $(FUZZ_SECONDS)

demo: ## the distributed pipeline on this machine (Kafka, Cassandra, collector, agent, ingester, query) with spur-loadgen sending a small shop's traces; prints the URLs; Ctrl-C stops it
	bash deploy/demo.sh

fixtures: ## re-capture the wire fixtures from real client libraries
	bash tests/fixtures/clients/capture.sh

run: ## start the all-in-one on the embedded store
	cargo run --release -p spur-all-in-one

# SERVICES picks some of the servers, e.g. `make services-up SERVICES="kafka cassandra"`.
SERVICES ?=

services-up: ## start the local Kafka, Cassandra, Elasticsearch and OpenSearch and wait until ready
	bash deploy/local/services.sh up $(SERVICES)

services-down: ## stop the local test servers
	bash deploy/local/services.sh down $(SERVICES)

services-status: ## show the local test servers: pid, memory, address, log file
	bash deploy/local/services.sh status $(SERVICES)

services-clean: ## stop the local test servers and delete their data
	bash deploy/local/services.sh clean $(SERVICES)

k8s-up: ## build once (cached in ~/.cache/spur/k8s) and start etcd, kube-apiserver and kube-controller-manager on 127.0.0.1; kubeconfig in deploy/local/.data/k8s
	bash deploy/local/k8s.sh up

k8s-down: ## stop the local Kubernetes control plane and wipe its data
	bash deploy/local/k8s.sh down

k8s-status: ## show the local Kubernetes control plane's processes
	bash deploy/local/k8s.sh status

tools: ## install helm v3 and kubernetes-validate into ~/.cache/spur/tools/bin (SPUR_CACHE)
	bash deploy/local/tools.sh

test-ui: ## the web UI in headless chromium (at / and under --query.base-path=/jaeger): installs chromium + playwright-core, starts the all-in-one, sends traces, runs tests/ui/e2e.mjs
	bash tests/ui/install.sh
	SPUR_UI_BASE_PATH=/jaeger bash tests/ui/run.sh
	bash tests/ui/run.sh
