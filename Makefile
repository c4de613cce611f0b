# Two commands for a newcomer: `make demo` and `make test`. Everything else is what they stand on.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := .venv/bin/python
PROTO_SRC := $(wildcard proto/nwbstream/v1/*.proto)
PROTO_OUT := $(PROTO_SRC:.proto=_pb2.py)

.PHONY: env proto demo test lint bench clean

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

.venv/.synced: $(UV) pyproject.toml proto/pyproject.toml services/*/pyproject.toml coordinator/pyproject.toml
	$(UV) sync --frozen 2>/dev/null || $(UV) sync
	touch $@

$(PROTO_OUT): $(PROTO_SRC) .venv/.synced
	$(PY) -m grpc_tools.protoc -I proto --python_out=proto --pyi_out=proto --grpc_python_out=proto $(PROTO_SRC)

proto: $(PROTO_OUT)

env: .venv/.synced proto

demo: env
	$(PY) -m nwbstream.coordinator.demo

test: env lint
	$(PY) -m pytest -q

lint: env
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: env
	$(PY) bench/run.py

clean:
	rm -rf .venv proto/nwbstream/v1/*_pb2*.py*
