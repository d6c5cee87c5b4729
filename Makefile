# One entry point for every flow. Every target brings up what it needs (tools/bootstrap.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
export PATH := $(ROOT)/node_modules/.bin:$(BIN):$(PATH)
export SOLCX_BINARY_PATH := $(ROOT)/.solcx
# ape keeps its data (accounts, caches) here unless the caller chose otherwise.
export APE_DATA_FOLDER ?= $(HOME)/.ape

APE := $(BIN)/ape
PY := $(BIN)/python
FORGE := $(ROOT)/node_modules/.bin/forge

.PHONY: help setup test test-python test-forge test-unit gas-check demo demo-reset devnet \
        devnet-stop deploy bench-gas fuzz lint fmt lock slither-venv clean numerai-tools-venv \
        scoring-fixtures bench-scoring bench-scoring-cli bench-resolve-profile bench-intake-scaling bench-oracle bench-service bench-e2e bench-rpc serve simulate

# `make demo ROUNDS=3` plays three rounds; `make simulate SIM_ROUNDS=50` simulates fifty.
ROUNDS ?= 1
DEMO_ARGS ?=
SIM_ROUNDS ?= 200

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## install the venv, npm packages and solc shim (idempotent)
	@tools/bootstrap.sh

test: setup ## run every test: shim and scoring, forge tests, gas snapshot check, ape pytest
	@$(MAKE) --no-print-directory test-unit test-forge gas-check test-python

#: Test files run on both cores at once (pytest-xdist), a file's tests in one process
#: (`make test PARALLEL=` runs them one after another, as when reading a failure).
PARALLEL := -n 2 --dist loadfile

test-unit: setup ## tests that need no chain (not marked chain): scoring, market, store, results, wallet vault, study
	$(BIN)/pytest tests -m 'not chain' -q -p no:ape_test -p no:cacheprovider $(PARALLEL)

test-python: setup ## the tests marked chain: ape's in-process chain, and the commands on real anvils
	@# Compiled once here, so the test processes only read the build.
	$(APE) compile
	$(APE) test tests -m chain --network ethereum:local:test -q -p no:cacheprovider $(PARALLEL)

test-forge: setup
	$(FORGE) test

gas-check: setup ## fail if gas use differs from the committed snapshot
	$(FORGE) snapshot --check --snap bench/gas-snapshot --match-path 'tests/foundry/gas/*'

demo: setup ## whole rounds on the local devnet with 22 participants (ROUNDS=K for K rounds; DEMO_ARGS=--faulty-oracle for the dispute drill)
	$(APE) run demo --rounds $(ROUNDS) $(DEMO_ARGS)

simulate: setup ## the incentive study: 200 rounds of strategies under 4 payout rules (no chain; SIM_ROUNDS=K)
	$(PY) -m oracle.simulate --rounds $(SIM_ROUNDS)

demo-reset: ## stop the devnet and forget its chain, store, deployment, demo wallets and reports
	@if [ -x $(PY) ]; then $(PY) -m oracle.cli.devnet stop || true; fi
	rm -rf .devnet .store .demo .watcher reports deployments/31337.json

serve: setup ## the oracle service (API, reveal intake, leaderboard) for the local devnet on 127.0.0.1:8000
	$(APE) run oracle serve

devnet: setup ## start the persistent local devnet (anvil) in the background
	$(PY) -m oracle.cli.devnet start

devnet-stop: ## stop the local devnet (its state is kept)
	$(PY) -m oracle.cli.devnet stop

deploy: setup ## deploy to the local devnet (reuses an existing deployment)
	$(APE) run deploy

bench-gas: setup ## measure gas on anvil into bench/results/gas.json
	$(PY) bench/gas.py
	$(FORGE) snapshot --snap bench/gas-snapshot --match-path 'tests/foundry/gas/*'

bench-oracle: setup ## one 10,000-position round on anvil: resolve, verify, settle into bench/results/oracle.json
	$(PY) bench/oracle_round.py

bench-intake-scaling: setup ## parquet reveal uploads per second against file size (1,000 / 5,000 / 20,000 ids) into bench/results/intake_scaling.json
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "error: wrk is missing: sudo apt-get install wrk" >&2; exit 1; }
	$(PY) bench/intake_scaling.py

bench-service: setup ## reveal uploads and proof look-ups per second (wrk) into bench/results/service.json
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "error: wrk is missing: sudo apt-get install wrk" >&2; exit 1; }
	$(PY) bench/service.py

bench-rpc: setup ## JSON-RPC requests per round by actor, 10 to 1,000 positions, into bench/results/rpc.json
	$(PY) bench/rpc.py

bench-e2e: setup ## whole rounds: the demo, and 1,000 participants, into bench/results/e2e.json
	$(PY) bench/e2e.py

bench-scoring: setup ## scoring time and memory into bench/results/scoring.json (vs numerai-tools if its venv exists)
	$(PY) bench/scoring.py

bench-scoring-cli: setup numerai-tools-venv ## the scoring CLI vs numerai-tools, whole processes, 5,000 x 2,000, into bench/results/scoring_cli.json
	$(PY) bench/scoring_cli.py

bench-resolve-profile: setup ## resolve's results computed in process for 1,000 / 10,000 / 50,000 positions, stage by stage, into bench/results/resolve_profile.json
	$(PY) bench/resolve_profile.py

bench-diagnostics: setup ## diagnostics of 5,000 stocks x 20 validation eras in process into bench/results/diagnostics.json
	$(PY) bench/diagnostics.py

bench-intake-profile: setup ## where one reveal's time goes in the intake, step by step, into bench/results/intake_profile.json
	$(PY) bench/intake_profile.py

fuzz: setup ## deeper forge fuzz and invariant runs
	FOUNDRY_PROFILE=deep $(FORGE) test

lint: setup slither-venv ## ruff, mypy, forge fmt --check, slither
	$(BIN)/ruff check oracle scripts tests bench
	$(BIN)/ruff format --check oracle scripts tests bench
	$(BIN)/mypy
	$(FORGE) fmt --check
	$(FORGE) clean
	$(FORGE) build --build-info --skip test --skip script
	.slither-venv/bin/slither . --foundry-ignore-compile --config-file slither.config.json

fmt: setup ## format Python and Solidity
	$(BIN)/ruff format oracle scripts tests bench
	$(BIN)/ruff check --fix oracle scripts tests bench
	$(FORGE) fmt

slither-venv:
	@[[ -x .slither-venv/bin/slither ]] || { python3.11 -m venv .slither-venv && .slither-venv/bin/pip install --quiet -r tools/slither.lock; }

lock: ## re-resolve requirements.in into requirements.lock
	rm -rf .lock-venv && python3.11 -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	{ echo "# Exact Python dependency set for this project (Python 3.11). Regenerate with: make lock"; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

clean: ## remove build outputs (keeps the venv, node_modules and the devnet state)
	rm -rf .build out cache

NT_VENV := $(ROOT)/.numerai-tools-venv

numerai-tools-venv: ## throw-away venv with numerai-tools 0.7.2 (numpy 2), for fixtures and the scoring bench
	@[[ -x $(NT_VENV)/bin/python ]] || { python3.11 -m venv $(NT_VENV) && $(NT_VENV)/bin/pip install --quiet -r tools/numerai-tools.txt; }

scoring-fixtures: numerai-tools-venv ## regenerate tests/scoring/reference with numerai-tools 0.7.2
	$(NT_VENV)/bin/python tests/scoring/reference/generate.py
