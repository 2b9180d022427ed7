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
# hls.js for the runner's /demo page and playwright-core for the browser tests, pinned by package-lock.json.
PLAYER_DIR := local/signing_keys_local/player
# What `make run` serves at the local edge: the bundled sample clip (workspace dev, media sample).
MEDIA_DIR ?= local/signing_keys_local/media
NODE := $(shell command -v node 2>/dev/null)
# The local edge runs the CloudFront Function under Node.js: without it, `make run` serves the API alone.
EDGE_ARGS := $(if $(NODE),--media-dir $(MEDIA_DIR),)
NPM := $(shell command -v npm 2>/dev/null)
# Every DynamoDB request the test tiers' functions make is recorded here (`make pytest`) and evaluated against
# the function's IAM policy (`make iam`, docs/iam.md) by an IAM evaluator installed from npm into tests/iam.
IAM_RECORDS := $(CURDIR)/.iam-records
IAM_EVALUATOR := tests/iam/node_modules/.installed

export SAM_CLI_TELEMETRY := 0
# Where the environment says not to write bytecode, every Python process the tests start (runners, their functions,
# CLI commands, pytest's workers with their assertion rewriting) compiled each module it imports again: 1.8 s for
# an `invoke` against 0.9 s with bytecode. `__pycache__` is gitignored and left out of sam build's artifacts.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run test test-fast lint pytest iam test-unit test-handler test-api test-integration test-edge \
	edge-vectors validate checkov build deploy smoke bench mutation conformance events openapi template clean player \
	player-unavailable

# uv (from PyPI, into the venv) installs the same versions as pip in a quarter of the time
# (README § The local runner), compiling their bytecode as pip does (uv's default is not to); pip remains the
# fallback, e.g. where only pip's own configuration (an index mirror) reaches packages.
# Both print their progress: a first `make run` spends most of its time here.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "Installing the project and its dependencies into $(VENV) (once; again when pyproject.toml changes)"
	( $(BIN)/python -m pip install --quiet 'uv>=0.9,<1' \
		&& $(BIN)/uv pip install --compile-bytecode --python $(BIN)/python -e '.[dev]' ) \
		|| ( echo "uv unavailable: installing with pip" && $(BIN)/python -m pip install --upgrade pip \
		&& $(BIN)/python -m pip install -e '.[dev]' )
	touch $@

$(IAM_EVALUATOR): tests/iam/package.json tests/iam/package-lock.json
	cd tests/iam && npm ci --no-audit --no-fund
	touch $@

# A tool's own environment: $(1) its directory, $(2) what goes into it. uv from .venv when it is there (a quarter
# of pip's time, README § Test it), pip otherwise, as for .venv itself.
define tool_venv
	$(PYTHON) -m venv $(1)
	( test -x $(BIN)/uv && $(BIN)/uv pip install --quiet --python $(1)/bin/python $(2) ) \
		|| ( echo "uv unavailable: installing with pip" && $(1)/bin/python -m pip install --quiet --upgrade pip \
		&& $(1)/bin/python -m pip install --quiet $(2) )
	touch $(1)/.installed
endef

SAM_REQUIREMENTS := 'aws-sam-cli>=1.170,<2'
CHECKOV_REQUIREMENTS := 'checkov>=3.2,<4'
LIVEPEER_REQUIREMENTS := 'livepeer==0.3.0' 'pytest>=8,<10'
OPENAPI_CLIENT_REQUIREMENTS := 'openapi-python-client>=0.29,<0.30'

$(SAM_VENV)/.installed: | $(BIN)/.installed
	$(call tool_venv,$(SAM_VENV),$(SAM_REQUIREMENTS))

$(CHECKOV_VENV)/.installed: | $(BIN)/.installed
	$(call tool_venv,$(CHECKOV_VENV),$(CHECKOV_REQUIREMENTS))

$(LIVEPEER_VENV)/.installed: $(BIN)/.installed
	$(call tool_venv,$(LIVEPEER_VENV),$(LIVEPEER_REQUIREMENTS))

$(OPENAPI_CLIENT_VENV)/.installed: | $(BIN)/.installed
	$(call tool_venv,$(OPENAPI_CLIENT_VENV),$(OPENAPI_CLIENT_REQUIREMENTS))

$(PLAYER_DIR)/node_modules/.installed: $(PLAYER_DIR)/package-lock.json
	cd $(PLAYER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## install: the project's .venv, and the player package when npm exists (it is reinstalled when its lock changes)
install: $(BIN)/.installed $(if $(NPM),player,player-unavailable)

## player: npm ci in the player package (Node.js 20+): hls.js for /demo, playwright-core for the browser tests
player: $(PLAYER_DIR)/node_modules/.installed

player-unavailable:
	@echo "npm not found: no hls.js, so /demo plays only in browsers with native HLS; browser tests skip" >&2

## run: the API on http://127.0.0.1:3000 with an embedded DynamoDB and the sample clip at the local edge
## (ARGS="--port 8080 ..." for more, MEDIA_DIR=... for your own media)
run: install
	$(if $(NODE),,@echo "node not found: serving the API without the local edge (no sample clip)" >&2)
	$(BIN)/signing-keys-local start-api $(EDGE_ARGS) $(ARGS)

## test: everything CI runs — lint, type check, tests (incl. SDK conformance and the edge Function's), the IAM
## evaluation of every DynamoDB call they made, checkov, sam validate and sam build
# After the tests, the checks that neither time anything nor make load run side by side, one per CPU
# (--output-sync keeps each one's output together).
CPUS := $(shell nproc 2>/dev/null || echo 2)
AFTER_TESTS := iam test-edge conformance checkov validate build

test: lint pytest
	$(MAKE) --no-print-directory -j$(CPUS) --output-sync=target $(AFTER_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Two runs: every test but the `serial` ones on one worker per CPU, a file's tests on one worker (so a module's
# runner starts once), then the `serial` ones, which time something or make the load they judge, alone. Files go
# out in the order given (not most tests first, xdist's default): the tiers of pyproject.toml's testpaths,
# integration's few long files first, so that no worker is left with one at the end. Branch coverage of the first
# run only ([tool.coverage] in pyproject.toml: the test processes, not the runners they start): the serial tests
# drive runners over HTTP and added nothing to it (7,476 statements, 1,246 missed, 128 partial branches with or
# without them), and their bounds are judged without a tracer in the test process. Both runs record every
# DynamoDB request for `make iam`.
PARALLEL := -n auto --dist loadfile --no-loadscope-reorder tests/integration tests/api tests/handler tests/unit

pytest: install $(IAM_EVALUATOR)
	rm -rf $(IAM_RECORDS) .coverage .coverage.*
	SIGNING_KEYS_DYNAMODB_CALL_LOG=$(IAM_RECORDS) $(BIN)/pytest $(PARALLEL) -m "not serial" --cov --cov-report=term
	SIGNING_KEYS_DYNAMODB_CALL_LOG=$(IAM_RECORDS) $(BIN)/pytest -m serial

## test-fast: the four tiers without the `slow` tests (property, state-machine, fuzz, load, real-timeout runs)
test-fast: install
	$(BIN)/pytest $(PARALLEL) -m "not slow and not serial"
	$(BIN)/pytest -m "serial and not slow"

## iam: every DynamoDB request `make pytest` recorded, evaluated against its function's policy in template.yaml
iam: install $(IAM_EVALUATOR)
	$(BIN)/python -m tests.iam.policy_check $(IAM_RECORDS)

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

# The edge Function's own tests (node --test): its behaviour, the runtime 2.0 static check, the local host and
# the Python-minted vectors. npm ci reinstalls edge/node_modules whenever package-lock.json changes.
edge/node_modules/.installed: edge/package-lock.json
	cd edge && npm ci --no-audit --no-fund
	touch $@

test-edge: edge/node_modules/.installed
	node --test edge/test/

## edge-vectors: regenerate edge/test/vectors.json from the Python reference (a test fails while it is stale)
edge-vectors: install
	$(BIN)/python -m tests.edge_vectors

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

## smoke: the release gate after `make deploy`: every function once, over HTTP, leaving nothing behind
## (ARGS="--stack NAME --region R --workspace WS --token-id ID", the secret in $$SIGNING_KEYS_SMOKE_SECRET; or --url)
smoke: install
	$(BIN)/python -m signing_keys_tools.smoke $(ARGS)

bench: install build
	$(BIN)/python -m bench

## mutation: mutation testing (mutmut) of the verifier, the store and the credentials with their unit and handler
## tests, the score per module and each survivor; tens of minutes, so not part of `make test` (bench/README.md);
## ARGS="NAME ..." runs the named mutants again, ARGS="--max-children 1" keeps it to one CPU
mutation: install
	$(BIN)/python -m tests.mutation $(ARGS)

events: install
	$(BIN)/signing-keys-local generate-event-files

openapi: install
	$(BIN)/signing-keys-local openapi

## template: template.yaml's generated parts (a test fails while one is stale): the CloudFront Function's code from
## edge/viewer_request.js, and each function's API events, log group, alarm and dashboard rows from the route table
template: install
	$(BIN)/signing-keys-local inline-edge-function
	$(BIN)/signing-keys-local generate-template-sections

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LIVEPEER_VENV) $(CHECKOV_VENV) $(OPENAPI_CLIENT_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache \
		$(PLAYER_DIR)/node_modules $(IAM_RECORDS) tests/iam/node_modules .coverage .coverage.* .mutation
