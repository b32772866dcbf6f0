# ShopFlow. `make` alone lists the targets; `make demo` and `make test` are the two to know.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

UV_VERSION := 0.13.9
# uv trusts the machine's certificate store, as git, curl and pip do: behind a TLS-inspecting
# proxy (a company network) its own bundled roots would refuse every package download.
export UV_SYSTEM_CERTS ?= true
CACHE_DIR := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/shopflow
# A uv already on PATH is used as it is; otherwise the pinned one is installed from PyPI.
UV := $(or $(shell command -v uv 2>/dev/null),$(CACHE_DIR)/uv-$(UV_VERSION)/bin/uv)
# replicas=2 (or order=2,payment=3) runs replicas of the services; toxiproxy=1 puts it on
# the apps' edges. `up` keeps the choice (docs/runbooks/local-stack.md) until another is given.
STACK := $(if $(replicas),SHOPFLOW_REPLICAS=$(replicas) )$(if $(toxiproxy),SHOPFLOW_TOXIPROXY=$(toxiproxy) )$(UV) run --frozen shopflow-stack
PYTEST := $(UV) run --frozen pytest
# Every package of the workspace, type-checked by import name (each ships a py.typed).
TYPED := $(foreach pkg,$(notdir $(wildcard libs/*/src/shopflow_* deploy/*/src/shopflow_* services/*/src/shopflow_* gateway/src/shopflow_* benchmarks/src/shopflow_*)),-p $(pkg))

.PHONY: help
help: ## List every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Parameters: service=NAME (logs), order=ID (trace, compose-trace), topic=... replay=... (dlq), rate=... duration=... (load, bench), only=... (bench), record=... args=... (audit, load),"
	@echo "              ARGS='...' (pytest), images=offline overlays=expose (images, compose-*), cluster=kind|minikube (k8s-demo)"

$(CACHE_DIR)/uv-$(UV_VERSION)/bin/uv:
	python3 -m venv $(CACHE_DIR)/uv-$(UV_VERSION)
	$(CACHE_DIR)/uv-$(UV_VERSION)/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode is compiled at install (10 s once in a new environment; 0.4 s per sync after):
# where PYTHONDONTWRITEBYTECODE is set, as in many CI and container environments, Python
# never caches it, and every process (an app, a migration, the CLI) compiled its imports
# from source on each start: 4.6 s to import the order app, 1.7 s with it (as the images do).
.PHONY: install
install: $(UV) ## Install uv (if missing) and every Python package of the workspace
	$(UV) sync --frozen --all-packages --compile-bytecode --quiet

.PHONY: up
up: install ## Start the local stack (PostgreSQL x5, Redis, Kafka, services, gateway); restarts apps whose code changed; [replicas=2] [toxiproxy=1]
	$(STACK) up

.PHONY: down
down: ## Stop every process the stack started, by pid
	@if [ -x "$(UV)" ]; then $(STACK) down; else echo "nothing installed, nothing running"; fi

.PHONY: status
status: install ## Each process, its pid, port and health
	$(STACK) status

.PHONY: logs
logs: install ## Follow one process's log: make logs service=kafka
	@test -n "$(service)" || { echo "usage: make logs service=NAME (see make status)"; exit 2; }
	$(STACK) logs $(service)

.PHONY: env
env: install ## Print the stack's environment as shell exports, for eval in a shell
	@$(STACK) env

.PHONY: token
token: install ## A service token for calling a service directly: make token service=inventory [args='--customer alice --role customer']
	@test -n "$(service)" || { echo "usage: make token service=NAME [args='--customer ID --role ROLE']"; exit 2; }
	@$(STACK) token $(service) $(args)

.PHONY: demo
demo: up ## Fresh machine to a running shop: install, start everything, place orders, show them
	$(STACK) demo

.PHONY: dlq
dlq: install ## Dead letters of a topic: make dlq topic=shopflow.inventory.commands [replay=--all]
	@test -n "$(topic)" || { echo "usage: make dlq topic=TOPIC [replay='--all' | '--message-id ID' | '--offset N']"; exit 2; }
	@eval "$$($(STACK) env)" && $(UV) run --frozen python -m shopflow_kit.messaging.dlq_command $(if $(replay),replay,list) --topic $(topic) $(replay)

.PHONY: sagas
sagas: install ## Sagas waiting for an operator (data unreadable, undo unconfirmed): make sagas
	@eval "$$($(STACK) env)" && $(UV) run --frozen python -m shopflow_kit.saga.attention

# The services that keep an outbox: `make outbox` lists the rows set aside in each.
OUTBOX_SERVICES := order inventory payment

.PHONY: outbox
outbox: install ## Outbox rows set aside (Kafka refused them, topic missing): make outbox [service=order] [put_back='--id ID' | put_back=--all]
	@test -z "$(put_back)" || test -n "$(service)" || { echo "usage: make outbox service=NAME put_back='--id ID [--id ID]' | put_back=--all"; exit 2; }
	@eval "$$($(STACK) env)" && for s in $(or $(service),$(OUTBOX_SERVICES)); do \
		echo "== $$s"; \
		$(UV) run --frozen python -m shopflow_kit.messaging.outbox_command $(if $(put_back),put-back $(put_back),list) --service $$s || exit 1; \
	done

# --- Observability (issue 13): Jaeger and Prometheus run with the stack; see docs/observability.md ---

.PHONY: trace
trace: install ## An order's trace as a tree (service, operation, start, duration): make trace order=ID
	@test -n "$(order)" || { echo "usage: make trace order=ORDER_ID (the id POST /api/v1/orders answered)"; exit 2; }
	@$(STACK) trace $(order)

.PHONY: dashboards
dashboards: install ## Regenerate the Grafana dashboards' JSON from observability/grafana/dashboards.py
	$(UV) run --frozen python observability/grafana/dashboards.py

# --- Proof and measurement (issues 12, 16): deploy/drills (auditor, load) and benchmarks/ ---

.PHONY: audit
audit: install ## Check DESIGN.md's invariants on the local stack: make audit [record=FILE] [args='--timed-out-fails']
	@eval "$$($(STACK) env)" && $(UV) run --frozen python -m shopflow_drills.audit $(if $(record),--record $(record)) $(args)

.PHONY: load
load: install ## Open-loop orders through the stack's gateway, recorded: make load rate=10 duration=30 [args='--mix …']
	@eval "$$($(STACK) env)" && $(UV) run --frozen python -m shopflow_drills.load --rate $(or $(rate),10) --duration $(or $(duration),30) $(args)

.PHONY: bench
bench: install ## Measure the shop in one run (docs/benchmarks.md): make bench [rate=10] [duration=60] [only=reads,saga] [tracing_rounds=2] [tracing_read_rounds=6]
	$(UV) run --frozen python -m shopflow_benchmarks $(if $(rate),--rate $(rate)) $(if $(duration),--duration $(duration)) $(if $(only),--only $(only)) $(if $(tracing_rounds),--tracing-rounds $(tracing_rounds)) $(if $(tracing_read_rounds),--tracing-read-rounds $(tracing_read_rounds))

.PHONY: chaos
chaos: install ## Chaos drills under load, healed and audited (docs/chaos.md): make chaos [drill=kill-kafka,poison] [driver=local|compose|kubernetes] [rate=5] [duration=30] [replicas=2]
	$(if $(replicas),SHOPFLOW_REPLICAS=$(replicas) )$(UV) run --frozen python -m shopflow_drills.chaos $(if $(drill),--drill $(drill)) $(if $(driver),--driver $(driver)) $(if $(rate),--rate $(rate)) $(if $(duration),--duration $(duration)) $(args)

# Go-built tools (deploy/tools/tools.toml): built once into $(CACHE_DIR)/tools, by version.
# In a recipe, $(call go_tool,helm) is the path of helm, built on first use.
go_tool = $$($(STACK) tool $(1))

.PHONY: tools
tools: install ## Build every Go-built tool now (otherwise each is built on its first use)
	$(STACK) tool

# Docker (deploy/docker): ShopFlow's images, offline stand-ins for the official ones, the
# compose stack. images=offline uses the stand-ins; overlays=expose publishes every port,
# overlays=observability adds the collector, Jaeger and Prometheus (comma-separate both).
DOCKER := SHOPFLOW_IMAGES=$(or $(images),$(SHOPFLOW_IMAGES),official) SHOPFLOW_COMPOSE_OVERLAYS=$(or $(overlays),$(SHOPFLOW_COMPOSE_OVERLAYS)) $(UV) run --frozen shopflow-docker
DOCKERFILES := deploy/docker/Dockerfile $(wildcard deploy/docker/offline/*/Dockerfile)
SHELL_SCRIPTS := .ci/run deploy/docker/shopflow-service deploy/kubernetes/cluster.sh $(filter-out %/Dockerfile %.md,$(wildcard deploy/docker/offline/*/*))

.PHONY: docker-engine
docker-engine: install ## (root, Debian) Install and start a Docker engine and the compose plugin if none answers
	$(DOCKER) engine

.PHONY: images
images: install ## Build the images shopflow/<unit> (only those whose code changed); images=offline
	$(DOCKER) images

.PHONY: images-offline
images-offline: install ## Build stand-ins for the official images from Debian packages
	$(DOCKER) images-offline

.PHONY: compose-up
compose-up: install ## The shop in docker compose, healthy: images=offline, overlays=expose
	$(DOCKER) up

.PHONY: compose-demo
compose-demo: compose-up ## make demo's orders, through the compose stack's gateway
	$(DOCKER) demo

.PHONY: compose-down
compose-down: install ## Remove the compose stack's containers, networks and volumes
	$(DOCKER) down

.PHONY: compose-stats
compose-stats: install ## Memory of each container of the compose stack
	$(DOCKER) stats

.PHONY: compose-trace
compose-trace: install ## An order's trace from the compose stack's Jaeger: make compose-trace order=ID
	@test -n "$(order)" || { echo "usage: make compose-trace order=ORDER_ID (a stack up with overlays=observability)"; exit 2; }
	@$(DOCKER) trace $(order)
# Kubernetes: the Helm charts (helm/) are checked by `make test` on this machine (lint,
# schemas, policy, cross-check, installs on a real API server with kwok nodes); kind and
# minikube run them on a laptop with Docker (deploy/kubernetes/cluster.sh, see helm/README.md).
CLUSTER_SH = HELM=$(call go_tool,helm) PYTHON=$$($(UV) run --frozen python -c 'import sys; print(sys.executable)') deploy/kubernetes/cluster.sh
cluster ?= kind

.PHONY: helm-check
helm-check: install ## The Helm charts alone: lint, schemas, policy, cross-check, API server installs
	$(PYTEST) -m kubernetes helm $(ARGS)

.PHONY: kind-up
kind-up: install ## kind on a laptop: build and load the images, install the chart, say how to reach it
	$(CLUSTER_SH) kind up

.PHONY: kind-down
kind-down: install ## Delete the kind cluster
	$(CLUSTER_SH) kind down

.PHONY: minikube-up
minikube-up: install ## minikube on a laptop: the same, in the profile "shopflow"
	$(CLUSTER_SH) minikube up

.PHONY: minikube-down
minikube-down: install ## Delete the minikube profile
	$(CLUSTER_SH) minikube down

.PHONY: k8s-demo
k8s-demo: install ## Place the demo orders through the cluster's gateway (cluster=kind|minikube)
	$(CLUSTER_SH) $(cluster) demo

# --- The live console in a browser (issue 17): tests/e2e/browser drive Debian's Chromium ---

.PHONY: browser
browser: install ## (root, Debian) Install Chromium for the browser tests if there is none
	$(STACK) browser

.PHONY: lint
lint: install ## ruff (lint and format check), hadolint and shellcheck on the container files
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen hadolint $(DOCKERFILES)
	$(UV) run --frozen shellcheck $(SHELL_SCRIPTS)

# mypy's cache outlives a clone, one per mypy version: a fresh clone's check re-reads only
# what differs (mypy compares each file's hash when its path or time changed), 30 s → a few.
# Exported: the tests that run mypy (tests/structure/test_typed_seams.py) read it too.
MYPY_VERSION := $(shell awk '/^name = "mypy"$$/ { getline; gsub(/[^0-9.]/, ""); print }' uv.lock)
export MYPY_CACHE_DIR := $(CACHE_DIR)/mypy-$(MYPY_VERSION)

.PHONY: typecheck
typecheck: install ## mypy --strict on every package
	$(UV) run --frozen mypy $(TYPED)

.PHONY: test-unit
test-unit: install ## Unit tests only: fast, no servers
	$(PYTEST) -m unit $(ARGS)

# The Go-built tools and the test images are built before the tests, side by side
# (shopflow_testing.prepare), not by the first test that needs one: on a fresh machine they
# take minutes, more than a test's timeout allows, and the two overlap well.
.PHONY: test
test: lint typecheck ## Lint, type checks and every test (starts the servers it needs)
	@$(DOCKER) engine --if-possible
	@$(STACK) browser --if-possible
	@$(UV) run --frozen python -m shopflow_testing.prepare
	$(PYTEST) $(ARGS)

# --- Test quality (issue 11): mutation testing of the kit's critical mechanisms; docs/testing.md ---
# Not part of `make test`: minutes per module on 2 cores. Each module is mutated alone, nice'd, one
# mutant at a time, with the tests that reach the mutated function as its test command: unit tests
# (and loopback servers) for `mutation`; the PostgreSQL tests for `mutation-sql`, which also
# mutates the relay's SQL (shopflow_testing.sql_mutants) and leaves the servers it starts up.
MUTATION_MODULES := saga.engine upstream retry_budget
MUTATION_SQL_MODULES := messaging.relay_batch messaging.inbox
# The claim and its bookkeeping; the set-aside's _NOTE_FAILURE needs Kafka-level tests (docs/testing.md).
MUTATION_SQL_STATEMENTS := _CLAIM _MARK_PUBLISHED _BACKLOG _DELETE_PUBLISHED
MUTMUT = nice -n 15 $(UV) run --frozen mutmut run --max-children 1
MUTATION_SCORE = $(UV) run --frozen mutmut results --all true | $(UV) run --frozen python mutation_score.py

.PHONY: mutation
mutation: install ## Mutation score per module (mutmut; docs/testing.md): make mutation [module=saga.engine]
	cd libs/kit && mkdir -p mutants && for module in $(or $(module),$(MUTATION_MODULES)); do \
	  echo "mutating shopflow_kit.$$module (progress: libs/kit/mutants/$$module.log)"; \
	  PYTEST_ADDOPTS="--deselect tests/integration/messaging" \
	    $(MUTMUT) "shopflow_kit.$$module.*" > mutants/$$module.log || { tail -c 2000 mutants/$$module.log; exit 1; }; \
	done
	@cd libs/kit && $(MUTATION_SCORE) $(or $(module),$(MUTATION_MODULES))

.PHONY: mutation-sql
mutation-sql: install ## The same for the relay's claim and the inbox, on PostgreSQL (~40 min; then make down)
	cd libs/kit && mkdir -p mutants && for module in $(or $(module),$(MUTATION_SQL_MODULES)); do \
	  echo "mutating shopflow_kit.$$module (progress: libs/kit/mutants/$$module.log)"; \
	  PYTEST_ADDOPTS="--deselect tests/unit --deselect tests/integration/test_upstream.py" SHOPFLOW_KEEP_STACK=1 \
	    $(MUTMUT) "shopflow_kit.$$module.*" > mutants/$$module.log || { tail -c 2000 mutants/$$module.log; exit 1; }; \
	done
	SHOPFLOW_KEEP_STACK=1 nice -n 15 $(UV) run --frozen python -m shopflow_testing.sql_mutants \
	  shopflow_kit.messaging.relay_batch --statements $(MUTATION_SQL_STATEMENTS) \
	  -- libs/kit/tests/integration/messaging/test_outbox.py
	@cd libs/kit && $(MUTATION_SCORE) $(or $(module),$(MUTATION_SQL_MODULES))

.PHONY: format
format: install ## Rewrite the code in the house style
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

.PHONY: clean
clean: ## Stop the stack and delete its state (databases, logs); keeps download caches
	@if [ -x "$(UV)" ]; then $(STACK) clean; else rm -rf .shopflow; fi
