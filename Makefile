# Every target creates the virtual environments it needs; only python3 (3.11+) must exist.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# SAM CLI pins its own versions of boto3 & co., so it lives apart from the project's environment.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# The livepeer SDK pins pydantic/httpx versions that clash with fastpix-python: its own environment too.
LIVEPEER_VENV := .venv-livepeer
# checkov pins its own dependency tree (boto3, pydantic, ...): a third environment.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
# Only for the offline `sam validate`; deploy takes the region from samconfig.toml, AWS_REGION or the profile.
# An independent OpenAPI client generator (and the runtime of what it generates), apart from both.
OPENAPI_CLIENT_VENV := .venv-openapi-client
REGION := us-east-1
ARGS ?=

export SAM_CLI_TELEMETRY := 0

.PHONY: install run test test-fast lint pytest test-unit test-handler test-api test-integration validate checkov build deploy \
	bench conformance events openapi clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli>=1.170,<2'
	touch $@

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $@

$(LIVEPEER_VENV)/.installed: $(BIN)/.installed
	$(PYTHON) -m venv $(LIVEPEER_VENV)
	$(LIVEPEER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LIVEPEER_VENV)/bin/python -m pip install --quiet 'livepeer==0.3.0' 'pytest>=8,<10'
	touch $@

$(OPENAPI_CLIENT_VENV)/.installed:
	$(PYTHON) -m venv $(OPENAPI_CLIENT_VENV)
	$(OPENAPI_CLIENT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OPENAPI_CLIENT_VENV)/bin/python -m pip install --quiet 'openapi-python-client>=0.29,<0.30'
	touch $@

install: $(BIN)/.installed

## run: the API on http://127.0.0.1:3000 with an embedded DynamoDB (ARGS="--port 8080 ..." for more)
run: install
	$(BIN)/signing-keys-local start-api $(ARGS)

## test: everything CI runs — lint, type check, tests (incl. SDK conformance), checkov, sam validate and sam build
test: lint pytest conformance checkov validate build

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Two runs: every test but the `serial` ones on one worker per CPU, a file's tests on one worker (so a module's
# runner starts once), then the `serial` ones, which time something, alone. The tiers of pyproject.toml's
# testpaths, longest files first, so that no worker is left with one at the end. Branch coverage of both runs
# ([tool.coverage] in pyproject.toml: the test processes, not the runners they start).
PARALLEL := -n auto --dist loadfile tests/integration tests/api tests/handler tests/unit

pytest: install
	$(BIN)/pytest $(PARALLEL) -m "not serial" --cov --cov-report=
	$(BIN)/pytest -m serial --cov --cov-append --cov-report=term

## test-fast: the four tiers without the `slow` tests (property, state-machine, fuzz, load, real-timeout runs)
test-fast: install
	$(BIN)/pytest $(PARALLEL) -m "not slow and not serial"
	$(BIN)/pytest -m "serial and not slow"

## test tiers, each runnable alone: pure code · lambda_handler with factory events · the API through the
## gateway emulator · the runner over HTTP · the official SDKs (conformance)
test-unit: install
	$(BIN)/pytest tests/unit

test-handler: install
	$(BIN)/pytest tests/handler

test-api: install
	$(BIN)/pytest tests/api

test-integration: install
	$(BIN)/pytest tests/integration

conformance: $(LIVEPEER_VENV)/.installed $(OPENAPI_CLIENT_VENV)/.installed
	LIVEPEER_PYTHON=$(LIVEPEER_VENV)/bin/python OPENAPI_CLIENT_PYTHON=$(OPENAPI_CLIENT_VENV)/bin/python \
		$(BIN)/pytest tests/conformance

validate: $(SAM_VENV)/.installed
	AWS_DEFAULT_REGION=$(REGION) $(SAM) validate --lint

## checkov: template.yaml's security checks, offline; every skip is in the template with its reason
checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV) --file template.yaml --framework cloudformation --skip-download --compact --quiet

build: $(SAM_VENV)/.installed
	$(SAM) build

## deploy: sam build + sam deploy; guided the first time (no stack_name in samconfig.toml yet), then as saved
deploy: build
	@if grep -Eq '^[[:space:]]*stack_name[[:space:]]*=' samconfig.toml; then \
		$(SAM) deploy $(ARGS); \
	else \
		$(SAM) deploy --guided $(ARGS); \
	fi

bench: install build
	$(BIN)/python -m bench

events: install
	$(BIN)/signing-keys-local generate-event-files

openapi: install
	$(BIN)/signing-keys-local openapi

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LIVEPEER_VENV) $(CHECKOV_VENV) $(OPENAPI_CLIENT_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
